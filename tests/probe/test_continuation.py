"""Continuation of x = tanh(2x + b) through its folds, located against the closed form."""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp.probe._parameters import Bias, Gain, Weight

# Events are located by bisection on the arc to ~1e-13; Newton's tolerance is 1e-11.
LOCATION_TOLERANCE = 1e-8
BRANCH_RESIDUAL = 1e-9

# At a fold of x = tanh(2x + b): 2(1 − x²) = 1, so x = ±1/√2 and b = atanh(x) − 2x.
X_FOLD = 1 / np.sqrt(2)
B_FOLD = float(np.arctanh(X_FOLD) - 2 * X_FOLD)  # −0.532839975…


@pytest.fixture(scope="module")
def branch():
    net = jaxfp.looped.tanh_identity_network(1, gain=2.0)
    return jaxfp.probe.continue_fixed_point(net, "bias:0", jnp.array([-0.99]), -1.0, 1.0)


def test_folds_at_closed_form_bias_values(branch):
    assert branch.folds.kind == ("fold", "fold")
    np.testing.assert_allclose(branch.folds.parameter, [-B_FOLD, B_FOLD], atol=LOCATION_TOLERANCE)
    np.testing.assert_allclose(
        branch.folds.states[:, 0], [-X_FOLD, X_FOLD], atol=np.sqrt(LOCATION_TOLERANCE)
    )


def test_stability_changes_at_the_folds_with_eigenvalue_one(branch):
    assert branch.stability_changes.kind == ("fold", "fold")
    np.testing.assert_allclose(
        branch.stability_changes.parameter, [-B_FOLD, B_FOLD], atol=LOCATION_TOLERANCE
    )
    np.testing.assert_allclose(branch.stability_changes.eigenvalue, [1.0, 1.0], atol=1e-6)


def test_branch_turns_back_through_the_fold(branch):
    b, x = np.asarray(branch.parameter), np.asarray(branch.states[:, 0])
    np.testing.assert_allclose(np.tanh(2 * x + b), x, atol=BRANCH_RESIDUAL)
    first, second = np.asarray(branch.folds.segment)
    # Increasing b on the lower branch, back (b decreasing) on the middle branch, then forward.
    assert np.all(np.diff(b[: first + 1]) > 0)
    assert np.all(np.diff(b[first + 1 : second + 1]) < 0)
    assert np.all(np.diff(b[second + 1 :]) > 0)
    middle = slice(first + 1, second + 1)
    assert np.all(~np.asarray(branch.stable[middle])) and np.all(np.abs(x[middle]) < X_FOLD)
    assert bool(branch.stable[0]) and bool(branch.stable[-1])
    assert np.all(np.diff(x) > 0)  # x itself increases monotonically along the S-curve
    assert b[-1] == pytest.approx(1.0, abs=1e-9) and "end of the range" in branch.status


def test_stability_and_determinant_are_read_off_the_stored_eigenvalues(branch):
    x = np.asarray(branch.states[:, 0])
    slope = 2 * (1 - x**2)  # J of x = tanh(2x + b) on the branch
    assert branch.eigenvalues.shape == (len(x), 1)
    np.testing.assert_allclose(branch.eigenvalues[:, 0], slope, atol=BRANCH_RESIDUAL)
    np.testing.assert_allclose(branch.spectral_radius, np.abs(slope), atol=BRANCH_RESIDUAL)
    np.testing.assert_allclose(branch.determinant, 1 - slope, atol=BRANCH_RESIDUAL)
    np.testing.assert_array_equal(branch.stable, np.asarray(branch.spectral_radius) < 1)


def test_determinant_changes_sign_with_the_parameter_slope(branch):
    slope, determinant = np.asarray(branch.parameter_slope), np.asarray(branch.determinant)
    assert np.all(np.sign(slope) == np.sign(determinant))


def test_flip_detected_for_negative_feedback():
    # x = tanh(−2x + b): J = −2(1 − x²) crosses −1 where x = 1/√2, b = atanh(x) + 2x.
    net = jaxfp.looped.LoopedNet(jnp.array([[-2.0]]), jnp.array([0.0]), jaxfp.looped.Tanh())
    branch = jaxfp.probe.continue_fixed_point(net, "bias:0", jnp.array([0.0]), 0.0, 3.0)
    assert branch.folds.kind == () and branch.stability_changes.kind == ("flip",)
    np.testing.assert_allclose(
        branch.stability_changes.parameter[0],
        np.arctanh(X_FOLD) + 2 * X_FOLD,
        atol=LOCATION_TOLERANCE,
    )
    np.testing.assert_allclose(branch.stability_changes.eigenvalue[0], -1.0, atol=1e-6)


def test_complex_eigenvalues_give_a_real_determinant_and_a_neimark_sacker_event():
    # F(x) = tanh(g·Rx) with R a quarter turn: x = 0 for every gain g, J = g·R has eigenvalues
    # ±ig, so det(I − J) = 1 + g² and ρ = g crosses 1 at g = 1 as a complex pair.
    quarter_turn = jnp.array([[0.0, -1.0], [1.0, 0.0]])
    net = jaxfp.looped.LoopedNet(quarter_turn, jnp.zeros(2), jaxfp.looped.Tanh())
    branch = jaxfp.probe.continue_fixed_point(net, "gain", jnp.zeros(2), 0.5, 1.5)
    gain = np.asarray(branch.parameter)
    assert branch.eigenvalues.shape == (len(gain), 2)
    np.testing.assert_allclose(np.sort(np.imag(branch.eigenvalues)), np.c_[-gain, gain])
    np.testing.assert_allclose(branch.spectral_radius, gain)
    np.testing.assert_allclose(branch.determinant, 1 + gain**2)
    assert branch.stability_changes.kind == ("neimark-sacker",)
    np.testing.assert_allclose(branch.stability_changes.parameter, [1.0], atol=LOCATION_TOLERANCE)


def test_parameters_by_name():
    assert jaxfp.probe.parameter_from_name(" Gain ") == Gain()
    assert jaxfp.probe.parameter_from_name("bias:2") == Bias(2)
    assert jaxfp.probe.parameter_from_name("weight:1,0") == Weight(1, 0)


@pytest.mark.parametrize(
    "text, message",
    [("temperature", "unknown parameter"), ("bias:x", "index"), ("weight:1", "index")],
)
def test_bad_parameter_names(text, message):
    with pytest.raises(ValueError, match=message):
        jaxfp.probe.parameter_from_name(text)


def test_bad_continuation_inputs():
    net = jaxfp.looped.tanh_identity_network(2)
    x0 = jnp.array([0.9575, 0.9575])
    with pytest.raises(ValueError, match="out of range"):
        jaxfp.probe.continue_fixed_point(net, "bias:5", x0, 0.0, 1.0)
    with pytest.raises(ValueError, match="must differ"):
        jaxfp.probe.continue_fixed_point(net, "gain", x0, 1.0, 1.0)
    with pytest.raises(ValueError, match="x0"):
        jaxfp.probe.continue_fixed_point(net, "gain", jnp.ones(3), 1.0, 0.5)
    with pytest.raises(ValueError, match="`x0` contains NaN or infinite entries"):
        jaxfp.probe.continue_fixed_point(net, "gain", jnp.array([jnp.nan, 0.0]), 1.0, 0.5)
    with pytest.raises(ValueError, match="not near a fixed point"):
        jaxfp.probe.continue_fixed_point(net, "gain", jnp.array([1e300, 0.0]), 1.0, 0.5)
    with pytest.raises(ValueError, match="step"):
        jaxfp.probe.continue_fixed_point(net, "gain", x0, 1.0, 0.5, step=-1.0)
    with pytest.raises(ValueError, match="net"):
        jaxfp.probe.continue_fixed_point("net", "gain", x0, 1.0, 0.5)


@pytest.mark.parametrize(
    "options",
    [{"step": 0.5}, {"min_step": 0.1}, {"step": 0.01, "max_step": 0.1, "min_step": 0.02}],
)
def test_steps_out_of_order_are_refused(options):
    net = jaxfp.looped.tanh_identity_network(2)
    x0 = jnp.array([0.9575, 0.9575])
    with pytest.raises(ValueError, match="min_step <= step <= max_step"):
        jaxfp.probe.continue_fixed_point(net, "gain", x0, 1.0, 0.5, **options)


@pytest.mark.parametrize("name", ["start", "stop"])
def test_a_bool_parameter_end_is_refused(name):
    net = jaxfp.looped.tanh_identity_network(2)
    ends = {"start": 2.0, "stop": 0.5, name: True}
    with pytest.raises(ValueError, match=f"`{name}` must be a finite number"):
        jaxfp.probe.continue_fixed_point(net, "gain", jnp.array([0.9575, 0.9575]), **ends)


@pytest.mark.parametrize(
    "branches,coordinate,match",
    [
        ([], 0, "`branches` must be a jaxfp.probe.Branch or a non-empty sequence"),  # IndexError
        ([1], 0, "`branches` must be a jaxfp.probe.Branch"),  # was an AttributeError
        (None, "a", "`coordinate` must be in 0 … 0, got 'a'"),  # was a TypeError
    ],
)
def test_plot_bifurcation_diagram_refuses_bad_input(branch, branches, coordinate, match):
    branches = branch if branches is None else branches
    with pytest.raises(ValueError, match=match):
        jaxfp.probe.plot_bifurcation_diagram(branches, coordinate=coordinate)
