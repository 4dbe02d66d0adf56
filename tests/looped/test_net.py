"""LoopedNet: Jacobians, the two conjugate forms, builders, reference points, iteration, errors."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
import jaxfp.looped as looped
from jaxfp.looped._builders import scalar_fixed_points

JACOBIAN_TOLERANCE = 1e-12
REFERENCE_TOLERANCE = 1e-6  # docs/theory.md prints six to nine digits


@pytest.mark.parametrize("form", ["sigma-affine", "affine-sigma"])
@pytest.mark.parametrize("activation", ["tanh", "p1_poly", "sin"])
def test_jacobian_matches_jacfwd(form, activation):
    net = looped.random_network(4, seed=3, activation=activation, form=form)
    x = jnp.array([0.3, -0.2, 0.5, 0.1])
    np.testing.assert_allclose(net.jacobian(x), jax.jacfwd(net)(x), atol=JACOBIAN_TOLERANCE)
    np.testing.assert_allclose(net.fixed_point_fn(x, None), net(x))


def test_conjugate_forms_have_corresponding_fixed_points_and_spectra():
    net = looped.tanh_identity_network(3, gain=2.0)
    net = looped.LoopedNet(
        net.W + 0.1 * jnp.ones((3, 3)), jnp.array([0.05, -0.1, 0.0]), net.activation
    )
    x = looped.iterate(net, jnp.array([0.9, -0.9, 0.9]), 200)[-1]
    assert float(jnp.max(jnp.abs(net(x) - x))) < 1e-12
    other = net.conjugate()
    assert other.form == "affine-sigma"
    y = net.conjugate_point(x)
    np.testing.assert_allclose(other(y), y, atol=1e-12)
    np.testing.assert_allclose(other.conjugate_point(y), x, atol=1e-12)
    eigenvalues = np.sort_complex(np.linalg.eigvals(np.asarray(net.jacobian(x))))
    other_eigenvalues = np.sort_complex(np.linalg.eigvals(np.asarray(other.jacobian(y))))
    np.testing.assert_allclose(eigenvalues, other_eigenvalues, atol=1e-12)


def test_interval_encloses_sampled_images():
    net = looped.random_network(3, seed=1, activation="p1_poly", scale=0.8, form="affine-sigma")
    lower, upper = jnp.array([-0.3, 0.1, -0.6]), jnp.array([0.2, 0.4, -0.1])
    low, high = eqx.filter_jit(net.interval)(lower, upper)
    jac_low, jac_high = eqx.filter_jit(net.jacobian_interval)(lower, upper)
    samples = lower + jax.random.uniform(jax.random.PRNGKey(0), (200, 3)) * (upper - lower)
    images = jax.vmap(net)(samples)
    jacobians = jax.vmap(net.jacobian)(samples)
    assert bool(jnp.all((low <= images) & (images <= high)))
    assert bool(jnp.all((jac_low <= jacobians) & (jacobians <= jac_high)))
    # Parameter noise widens the enclosure.
    radii = looped.ParameterRadii(weight_radius=0.01, bias_radius=0.01)
    noisy_low, noisy_high = eqx.filter_jit(net.interval)(lower, upper, radii)
    assert bool(jnp.all((noisy_low <= low) & (high <= noisy_high)))


def test_poly_network_fixed_points():
    net = looped.poly_network(3)
    points = looped.reference_fixed_points("poly", 3)
    assert points.shape == (27, 3)
    np.testing.assert_allclose(jax.vmap(net)(points), points, atol=1e-15)
    np.testing.assert_allclose(net.jacobian(jnp.ones(3)), jnp.zeros((3, 3)), atol=1e-15)
    np.testing.assert_allclose(net.jacobian(jnp.zeros(3)), 1.5 * jnp.eye(3))


def test_exp_network_reference_values():
    values = scalar_fixed_points("exp")
    assert [attracting for _, attracting in values] == [True, False, True]
    unstable = values[1][0]
    assert abs(unstable - 1.658693562) < REFERENCE_TOLERANCE
    net = looped.exp_network(2)
    points = looped.reference_fixed_points("exp", 2)
    np.testing.assert_allclose(jax.vmap(net)(points), points, atol=1e-12)
    slope = float(net.jacobian(jnp.full(2, unstable))[0, 0])
    assert abs(slope - 1.5509) < 1e-4


def test_tanh_identity_reference_values():
    (minus, _), (zero, zero_attracting), (plus, attracting) = scalar_fixed_points(
        "tanh-identity", 2.0
    )
    assert abs(plus - 0.957504) < REFERENCE_TOLERANCE and minus == -plus and zero == 0.0
    assert attracting and not zero_attracting
    assert scalar_fixed_points("tanh-identity", 0.5) == ((0.0, True),)
    assert looped.reference_fixed_points("tanh-identity", 2, attracting_only=True).shape == (4, 2)


def test_iterate_reaches_the_p1_attractors():
    net = looped.poly_network(4)
    start = jnp.array([0.2, -1.5, 0.9, -0.05])
    path = jax.jit(looped.iterate, static_argnums=2)(net, start, 40)
    assert path.shape == (41, 4)
    np.testing.assert_allclose(path[0], start)
    np.testing.assert_allclose(path[-1], jnp.sign(start), atol=1e-12)


def test_exp_network_far_start_falls_into_a_two_cycle():
    path = looped.iterate(looped.exp_network(1), jnp.array([-3.0]), 60)
    assert abs(float(path[-1, 0] - path[-3, 0])) < 1e-9
    assert abs(float(path[-1, 0] - path[-2, 0])) > 1e-3


def test_random_network_is_seeded():
    first = looped.random_network(5, seed=7)
    again = looped.random_network(5, key=jax.random.PRNGKey(7))
    np.testing.assert_array_equal(first.W, again.W)
    assert looped.random_network(5, seed=8).W[0, 0] != first.W[0, 0]
    assert isinstance(
        looped.random_network(2, seed=0, activation=looped.relu()).activation,
        looped.PiecewiseLinear,
    )


def test_public_namespace():
    assert jaxfp.looped.LoopedNet is looped.LoopedNet
    assert jaxfp.certify.certify_box is jaxfp.certify._box.certify_box


@pytest.mark.parametrize(
    "arguments, message",
    [
        (
            (jnp.ones((2, 3)), jnp.ones(2), looped.Tanh()),
            r"`W` must be a square matrix \(d, d\) with d ≥ 1, got shape \(2, 3\)",
        ),
        (
            (jnp.zeros((0, 0)), jnp.zeros(0), looped.Tanh()),
            r"`W` must be a square matrix \(d, d\) with d ≥ 1, got shape \(0, 0\)",
        ),
        (
            (np.eye(2) * (1 + 1j), np.zeros(2), looped.Tanh()),
            "`W` must hold real numbers, got an array of dtype complex128",
        ),
        (
            (np.eye(2), np.zeros(2, np.complex64), looped.Tanh()),
            "`b` must hold real numbers, got an array of dtype complex64",
        ),
        ((np.array([["1", "0"], ["0", "1"]]), np.zeros(2), looped.Tanh()), "`W` must hold real"),
        (
            (jnp.ones((2, 2)), jnp.ones(3), looped.Tanh()),
            r"`b` must have shape \(d,\) = \(2,\).*got shape \(3,\)",
        ),
        ((jnp.array([[1.0, jnp.nan], [0.0, 1.0]]), jnp.ones(2), looped.Tanh()), "`W` contains NaN"),
        ((jnp.eye(2), jnp.array([0.0, jnp.inf]), looped.Tanh()), "`b` contains NaN"),
        ((jnp.eye(2), jnp.ones(2), jnp.tanh), "`activation` must be a jaxfp.looped.Activation"),
    ],
)
def test_looped_net_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        looped.LoopedNet(*arguments)


def test_looped_net_form_error():
    with pytest.raises(ValueError, match="`form` must be one of"):
        looped.LoopedNet(jnp.eye(2), jnp.zeros(2), looped.Tanh(), form="sigma")


def test_box_shape_error():
    with pytest.raises(ValueError, match=r"box `lower` must have shape \(d,\) = \(2,\)"):
        looped.poly_network(2).interval(jnp.zeros(3), jnp.ones(2))
    with pytest.raises(ValueError, match=r"box `upper` must have shape"):
        looped.poly_network(2).jacobian_interval(jnp.zeros(2), jnp.ones(3))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: looped.poly_network(0), "`dim` must be a positive integer"),
        (lambda: looped.exp_network(2.5), "`dim` must be a positive integer"),
        (lambda: looped.tanh_identity_network(2, gain=math.inf), "`gain` must be finite"),
        (lambda: looped.random_network(2), "exactly one of `key` and `seed`"),
        (lambda: looped.random_network(2, seed=0, key=jax.random.PRNGKey(0)), "exactly one"),
        (lambda: looped.random_network(2, seed=0, scale=-1.0), "`scale` must be finite"),
        (lambda: looped.random_network(2, seed=0, activation="nope"), "unknown activation"),
        (lambda: scalar_fixed_points("cubic"), "unknown built-in network"),
        (lambda: scalar_fixed_points("tanh-identity", -1.0), "`gain` must be finite"),
        (lambda: looped.iterate(looped.poly_network(1), jnp.zeros(1), -1), "`steps` must be"),
    ],
)
def test_builder_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
