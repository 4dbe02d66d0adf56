"""`Homotopy` as an enumeration method: the result, the proof only with every path accounted
for, and the errors (checked before any tracking)."""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration import Homotopy

CUBIC = (0.0, 1.5, 0.0, -0.5)


@pytest.mark.slow
def test_p1_construction_is_complete_with_the_bezout_proof():
    # All nine solutions are real: the certified points reach the Bézout number (rigorous).
    found = jaxfp.enumerate_fixed_points(jaxfp.looped.poly_network(2), method=Homotopy())
    assert found.complete and found.proof.method == "bezout"
    assert found.num_fixed_points == 9 and found.certified.all()
    summary = found.stats.summary()
    assert summary["paths_finite"] == 9 and summary["paths_failed"] == 0
    assert summary["accounted"] and summary["gamma_seeds"] == [0]
    assert "homotopy found 9 fixed points" in found.proof.argument


def test_failed_paths_are_never_complete():
    # One step per path: every path fails, even after re-tracking and a new γ.
    found = jaxfp.enumerate_fixed_points(
        jaxfp.looped.poly_network(2), method=Homotopy(max_steps=1, max_retries=1)
    )
    assert not found.complete and found.proof is None
    summary = found.stats.summary()
    assert summary["paths_failed"] == 9 and summary["gamma_seeds"] == [0, 1]
    assert found.evidence.caveats == ("paths failed, so completeness is not claimed",)
    assert found.evidence.hints == ("raise max_steps",)


def test_non_polynomial_activation_is_refused_with_the_alternatives():
    net = jaxfp.looped.LoopedNet(jnp.eye(2), jnp.zeros(2), jaxfp.looped.Tanh())
    with pytest.raises(ValueError, match="Homotopy needs a polynomial activation.*BranchAndBound"):
        jaxfp.enumerate_fixed_points(net, method=Homotopy())
    relu = jaxfp.looped.LoopedNet(jnp.eye(2), jnp.zeros(2), jaxfp.looped.relu())
    with pytest.raises(ValueError, match="use ExactRegions"):
        jaxfp.enumerate_fixed_points(relu, method=Homotopy())


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lanes": 0}, "`lanes` must be a positive integer"),
        ({"chunk_size": 1.5}, "`chunk_size` must be a positive integer"),
        ({"tolerance": -1.0}, "`tolerance` must be a positive finite number"),
        ({"max_step": float("nan")}, "`max_step` must be a positive finite number"),
        ({"max_steps": 0}, "`max_steps` must be a positive integer"),
        ({"max_retries": -1}, "`max_retries` must be a non-negative integer"),
        ({"gamma_restarts": True}, "`gamma_restarts` must be a non-negative integer"),
        ({"seed": 0.5}, "`seed` must be a non-negative integer"),
        ({"seed": -1}, "`seed` must be a non-negative integer"),
        ({"max_paths": 8}, "3\\^2 = 9 paths, more than max_paths=8"),
    ],
)
def test_bad_hyperparameters(options, message):
    with pytest.raises(ValueError, match=message):
        jaxfp.enumerate_fixed_points(jaxfp.looped.poly_network(2), method=Homotopy(**options))


def test_run_options_it_does_not_take_are_refused():
    with pytest.raises(ValueError, match="does not take the run option"):
        jaxfp.enumerate_fixed_points(jaxfp.looped.poly_network(1), method=Homotopy(), devices=1)


@pytest.mark.slow
@pytest.mark.parametrize("form", ["sigma-affine", "affine-sigma"])
def test_random_cubic_matches_the_tracker_and_is_certified(form):
    rng = np.random.default_rng(5)
    net = jaxfp.looped.LoopedNet(
        1.5 * rng.standard_normal((3, 3)),
        0.3 * rng.standard_normal(3),
        jaxfp.looped.Polynomial(CUBIC),
        form,
    )
    found = jaxfp.enumerate_fixed_points(net, method=Homotopy(seed=2))
    summary = found.stats.summary()
    assert summary["paths_finite"] + summary["paths_at_infinity"] == 27
    assert found.complete == summary["accounted"] and found.complete
    assert (
        found.proof.method == "homotopy"
        and summary["num_complex_solutions"] > summary["num_real_solutions"]
    )
    assert found.num_fixed_points == summary["num_real_solutions"] and found.certified.all()
    assert found.residuals.max() < 1e-12
