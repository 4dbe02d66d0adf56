"""Sensitivities of every fixed point equal finite differences, by both methods."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp

# Central differences with step 1e-6 in float64 are accurate to about 1e-9.
FD_STEP = 1e-6
FD_TOLERANCE = 1e-6
METHOD_AGREEMENT = 1e-9
SOLVER = jaxfp.Newton(rtol=1e-13, atol=1e-13)


def _solve(net, x):
    return jaxfp.fixed_point(net.fixed_point_fn, SOLVER, x, max_steps=64).value


@pytest.fixture(scope="module")
def network_and_points():
    # Coupled tanh units: an attracting corner, a saddle and a repeller near the origin.
    weight = jnp.array([[2.0, 0.3, -0.2], [0.1, 2.0, 0.3], [-0.3, 0.2, 2.0]])
    net = jaxfp.looped.LoopedNet(weight, jnp.array([0.1, -0.05, 0.2]), jaxfp.looped.Tanh())
    starts = jnp.array([[1.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    points = jnp.stack([_solve(net, x) for x in starts])
    return net, points


@pytest.fixture(scope="module")
def closed_form(network_and_points):
    net, points = network_and_points
    return jaxfp.probe.fixed_point_sensitivities(
        net, points, input_matrix=jnp.array([[1.0], [0.5], [-1.0]])
    )


def test_points_include_a_saddle_or_repeller(network_and_points):
    net, points = network_and_points
    radii = [float(jnp.max(jnp.abs(jnp.linalg.eigvals(net.jacobian(x))))) for x in points]
    assert min(radii) < 1 < max(radii)


def test_closed_form_matches_finite_differences(network_and_points, closed_form):
    net, points = network_and_points
    for k, x in enumerate(points):
        for a in range(3):
            shift = jnp.zeros(3).at[a].set(FD_STEP)
            plus = _solve(jaxfp.looped.LoopedNet(net.W, net.b + shift, net.activation), x)
            minus = _solve(jaxfp.looped.LoopedNet(net.W, net.b - shift, net.activation), x)
            np.testing.assert_allclose(
                closed_form.bias[k, :, a], (plus - minus) / (2 * FD_STEP), atol=FD_TOLERANCE
            )
            for b in range(3):
                shift = jnp.zeros((3, 3)).at[a, b].set(FD_STEP)
                plus = _solve(jaxfp.looped.LoopedNet(net.W + shift, net.b, net.activation), x)
                minus = _solve(jaxfp.looped.LoopedNet(net.W - shift, net.b, net.activation), x)
                np.testing.assert_allclose(
                    closed_form.weight[k, :, a, b],
                    (plus - minus) / (2 * FD_STEP),
                    atol=FD_TOLERANCE,
                )


def test_input_derivative_matches_finite_differences(network_and_points, closed_form):
    net, points = network_and_points
    direction = jnp.array([1.0, 0.5, -1.0])
    for k, x in enumerate(points):
        plus = _solve(jaxfp.looped.LoopedNet(net.W, net.b + FD_STEP * direction, net.activation), x)
        minus = _solve(
            jaxfp.looped.LoopedNet(net.W, net.b - FD_STEP * direction, net.activation), x
        )
        np.testing.assert_allclose(
            closed_form.input[k, :, 0], (plus - minus) / (2 * FD_STEP), atol=FD_TOLERANCE
        )


def test_implicit_adjoint_method_agrees(network_and_points, closed_form):
    net, points = network_and_points
    implicit = jaxfp.probe.fixed_point_sensitivities(net, points, method="implicit")
    np.testing.assert_allclose(implicit.weight, closed_form.weight, atol=METHOD_AGREEMENT)
    np.testing.assert_allclose(implicit.bias, closed_form.bias, atol=METHOD_AGREEMENT)


def test_scalar_closed_form():
    # x = tanh(2x + b): dx*/db = s / (1 − 2 s) and det(I − J) = 1 − 2 s, with s = 1 − x*².
    net = jaxfp.looped.tanh_identity_network(1, gain=2.0)
    points = jnp.array([[0.9575040240772687], [0.0]])
    sens = jaxfp.probe.fixed_point_sensitivities(net, points)
    slope = 1 - points[:, 0] ** 2
    np.testing.assert_allclose(sens.bias[:, 0, 0], slope / (1 - 2 * slope), rtol=1e-9)
    np.testing.assert_allclose(sens.determinant, 1 - 2 * slope, rtol=1e-9)
    np.testing.assert_allclose(sens.smallest_singular_value, np.abs(1 - 2 * slope), rtol=1e-9)
    assert float(sens.residual[0]) < 1e-12


def test_conditioning_blows_up_near_a_fold():
    # At b = atanh(x) − 2x with 2(1 − x²) = 1, unit 0 sits on a fold: I − J is singular.
    x_fold = np.sqrt(0.5)
    b_fold = np.arctanh(x_fold) - 2 * x_fold
    net = jaxfp.looped.LoopedNet(2.0 * jnp.eye(2), jnp.array([b_fold, 0.0]), jaxfp.looped.Tanh())
    near = jnp.array([[x_fold + 1e-4, 0.9575040240772687], [0.9575040240772687] * 2])
    sens = jaxfp.probe.fixed_point_sensitivities(net, near)
    assert float(sens.condition_number[0]) > 1e3 > float(sens.condition_number[1])
    assert float(sens.smallest_singular_value[0]) < 1e-3


def test_weight_influence_ranks_entries(closed_form):
    influence = closed_form.weight_influence()
    assert influence.shape == (3, 3, 3)
    np.testing.assert_allclose(
        influence[0, 1, 2], jnp.linalg.norm(closed_form.weight[0, :, 1, 2]), rtol=1e-12
    )


def test_vmap_over_networks_of_the_same_shape():
    nets = [jaxfp.looped.tanh_identity_network(1, gain=g) for g in (2.0, 3.0)]
    points = jnp.array([[0.9575040240772687], [0.9950547536867305]])
    stacked = jax.tree.map(lambda *leaves: jnp.stack(leaves), *nets)
    bias = jax.vmap(
        lambda net, x: jaxfp.probe.fixed_point_sensitivities(net, x[None]).bias[0, 0, 0]
    )(stacked, points)
    for k, net in enumerate(nets):
        single = jaxfp.probe.fixed_point_sensitivities(net, points[k][None]).bias[0, 0, 0]
        np.testing.assert_allclose(bias[k], single, rtol=1e-12)


@pytest.mark.parametrize(
    "input_matrix,match",
    [
        (jnp.full((3, 1), jnp.nan), "`input_matrix` contains NaN"),  # was NaN derivatives
        (jnp.ones((3, 1)) + 1j, "`input_matrix` must hold real numbers.*complex"),  # raw error
    ],
)
def test_a_bad_input_matrix_is_refused(network_and_points, input_matrix, match):
    net, points = network_and_points
    with pytest.raises(ValueError, match=match):
        jaxfp.probe.fixed_point_sensitivities(net, points, input_matrix=input_matrix)
