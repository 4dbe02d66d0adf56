"""`complete: true` only with a proof: over random small nets (tanh, cubic, ReLU; high gains) the
default method never claims complete unless its point set equals an independent proof's."""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration import Auto, BranchAndBound, ExactRegions, Starts

from ._iterative_cases import same_point_sets

DIM = 2
GAIN = 3.0
SEEDS = (0, 1)


def _net(activation: str, seed: int) -> jaxfp.looped.LoopedNet:
    rng = np.random.default_rng(seed)
    weights = GAIN * rng.normal(size=(DIM, DIM)) / np.sqrt(DIM)
    bias = 0.3 * rng.normal(size=DIM)
    return jaxfp.looped.LoopedNet(
        jnp.asarray(weights), jnp.asarray(bias), jaxfp.looped.activation_from_name(activation)
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_tanh_complete_only_when_branch_and_bound_agrees(seed):
    net = _net("tanh", seed)
    found = jaxfp.enumerate_fixed_points(net, method=Auto(starts=Starts(certify=False)))
    reference = jaxfp.enumerate_fixed_points(net, method=BranchAndBound())
    if found.complete:
        assert found.proof.method == "branch-and-bound"
        assert same_point_sets(found.points, reference.points, 1e-6)
    else:
        assert found.proof is None


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_complete_with_the_region_proof_and_starts_agree(seed):
    net = _net("relu", seed)
    found = jaxfp.enumerate_fixed_points(net)
    assert found.complete and found.proof.method == "exact-regions"
    starts = jaxfp.enumerate_fixed_points(net, method=Starts(starts_per_orthant=2, certify=False))
    assert not starts.complete and starts.proof is None
    for point in starts.points:
        assert np.min(np.abs(found.points - point).max(axis=1)) < 1e-8


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_cubic_complete_only_with_the_bezout_or_homotopy_account(seed):
    net = _net("cube", seed)
    found = jaxfp.enumerate_fixed_points(net)
    if found.complete:
        assert found.proof.method in ("bezout", "homotopy")
        reference = jaxfp.enumerate_fixed_points(
            net, method=BranchAndBound(box=(-jnp.full(DIM, 30.0), jnp.full(DIM, 30.0)))
        )
        assert reference.stats.certificate.complete
        inside = np.all(np.abs(found.points) <= 30.0, axis=1)
        assert same_point_sets(found.points[inside], reference.points, 1e-6)
    else:
        assert found.proof is None


def test_starts_alone_never_claim_complete_even_when_the_index_check_is_consistent():
    found = jaxfp.enumerate_fixed_points(
        jaxfp.looped.poly_network(2), method=Starts(starts_per_orthant=2, certify=False)
    )
    assert found.num_fixed_points == 9 and found.index_consistent
    assert not found.complete and found.proof is None
    assert found.evidence.index_check.startswith("index check consistent")
    assert "not a proof" in found.evidence.index_check
    assert found.evidence.caveats == ("starts are never a proof of completeness",)


def test_branch_and_bound_in_a_user_box_is_not_a_proof_for_all_space():
    net = jaxfp.looped.tanh_identity_network(1, 2.0)
    found = jaxfp.enumerate_fixed_points(
        net, method=BranchAndBound(box=(jnp.array([0.5]), jnp.array([1.5])))
    )
    assert found.num_fixed_points == 1 and not found.complete
    assert found.evidence.caveats == (
        "outside the box nothing was searched (not a proof for all of ℝ^d)",
    )


def test_exact_regions_refuses_a_two_to_the_forty_region_run_before_any_work():
    net = jaxfp.looped.LoopedNet(jnp.eye(40), jnp.zeros(40), jaxfp.looped.relu())
    with pytest.raises(ValueError, match=r"1\.1e\+12 activation regions .*max_regions"):
        jaxfp.enumerate_fixed_points(net, method=ExactRegions())
    with pytest.raises(ValueError, match="raise `max_regions`"):
        jaxfp.enumerate_fixed_points(net)
