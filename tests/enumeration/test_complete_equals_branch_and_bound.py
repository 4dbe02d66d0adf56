"""Property: `complete: true` never appears unless the method's point set equals branch and
bound's within its box. Random small nets (tanh, a cubic σ = z³, ReLU; d = 2–4; high gains), every
method that applies; the reference is `BranchAndBound` over σ's range box (tanh) or over a box
holding every point the method listed, with room to spare (cubic, ReLU). Points are compared by
the one matching rule of `jaxfp._numerics.match_points`."""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp._numerics import match_points
from jaxfp.enumeration import Auto, BranchAndBound, ExactRegions, Homotopy, Starts

GAINS = {"tanh": 3.0, "cube": 1.5, "relu": 2.0}
# The method that proves each activation's list complete (the property must not hold vacuously).
PROVER = {"tanh": "branch-and-bound", "cube": "homotopy", "relu": "exact-regions"}
SAME = 1e-6
FAST = [("tanh", 2, 0), ("cube", 2, 0), ("relu", 2, 0)]
SLOW = [(a, d, s) for a in GAINS for d in (2, 3, 4) for s in (1, 2)]


def _net(activation: str, dim: int, seed: int) -> jaxfp.looped.LoopedNet:
    rng = np.random.default_rng(seed)
    weights = GAINS[activation] * rng.standard_normal((dim, dim)) / np.sqrt(dim)
    bias = 0.3 * rng.standard_normal(dim)
    return jaxfp.looped.LoopedNet(
        jnp.asarray(weights), jnp.asarray(bias), jaxfp.looped.activation_from_name(activation)
    )


def _methods(activation: str) -> list:
    starts = Starts(starts_per_orthant=2, certify=False)
    proof = {"tanh": BranchAndBound(), "cube": Homotopy(), "relu": ExactRegions()}[activation]
    return [starts, proof, Auto()]


def _reference(net, found) -> np.ndarray:
    """Branch and bound's points over σ's range box, or a box around every listed point."""
    if found.proof is not None and found.proof.method == "branch-and-bound":
        box = None
    else:
        radius = 1.0 + 1.5 * float(np.abs(found.points).max(initial=0.0))
        box = (-radius * np.ones(net.dim), radius * np.ones(net.dim))
    searched = jaxfp.enumerate_fixed_points(net, method=BranchAndBound(box=box))
    assert bool(searched.stats.certificate.complete), searched.evidence
    return searched.points


def _same_point_sets(ours: np.ndarray, theirs: np.ndarray) -> bool:
    if ours.shape != theirs.shape:
        return False
    if not len(ours):
        return True
    forward = np.asarray(match_points(ours, theirs, SAME, SAME))
    backward = np.asarray(match_points(theirs, ours, SAME, SAME))
    return bool(np.all(forward >= 0) and np.all(backward >= 0))


def _check(activation: str, dim: int, seed: int) -> None:
    net = _net(activation, dim, seed)
    proved = []
    for method in _methods(activation):
        found = jaxfp.enumerate_fixed_points(net, method=method)
        assert found.complete is (found.proof is not None)
        if found.complete:
            proved.append(found.proof.method)
            reference = _reference(net, found)
            assert _same_point_sets(found.points, reference), (method.name, found.evidence)
    assert "starts" not in proved, "a starts list was claimed complete"
    assert proved, f"no method proved the {activation} net complete: the check is vacuous"


@pytest.mark.parametrize(("activation", "dim", "seed"), FAST)
def test_complete_only_when_branch_and_bound_agrees(activation, dim, seed):
    _check(activation, dim, seed)


@pytest.mark.slow
@pytest.mark.parametrize(("activation", "dim", "seed"), SLOW)
def test_complete_only_when_branch_and_bound_agrees_more_nets(activation, dim, seed):
    _check(activation, dim, seed)
