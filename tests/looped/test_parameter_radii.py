"""ParameterRadii: validation at construction and against a network's dimension, the enclosures
it gives (the same bits as the primitives applied by hand), and its life under jit and vmap."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp.looped as looped
from jaxfp.looped._rounding import add, interval_matmul, multiply, point_matmul


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"weight_radius": -1.0}, "`weight_radius` must be finite and ≥ 0, got -1.0"),
        ({"weight_radius": jnp.array([[0.1, jnp.nan]] * 2)}, "`weight_radius` must be finite"),
        ({"bias_radius": -0.5}, "`bias_radius` must be finite and ≥ 0"),
        ({"bias_radius": jnp.inf}, "`bias_radius` must be finite and ≥ 0"),
        ({"bias_radius": np.nan}, "`bias_radius` must be finite and ≥ 0"),
        (
            {"weight_radius": jnp.ones(2)},
            r"`weight_radius` must be a scalar or have shape \(d, d\), got \(2,\)",
        ),
        (
            {"weight_radius": jnp.ones((2, 3))},
            r"`weight_radius` must be a scalar or have shape \(d, d\), got \(2, 3\)",
        ),
        (
            {"bias_radius": jnp.ones((2, 2))},
            r"`bias_radius` must be a scalar or have shape \(d,\), got \(2, 2\)",
        ),
        ({"weight_radius": "0.1"}, "`weight_radius` must hold real numbers"),
        ({"bias_radius": 0.1j}, "`bias_radius` must hold real numbers"),
        (
            {"weight_radius": jnp.ones((2, 2)), "bias_radius": jnp.ones(3)},
            r"`bias_radius` of shape \(3,\) and `weight_radius` of shape \(2, 2\) are for "
            "networks of different dimensions",
        ),
    ],
)
def test_construction_refuses_bad_radii_naming_the_field(kwargs, message):
    with pytest.raises(ValueError, match=message):
        looped.ParameterRadii(**kwargs)


@pytest.mark.parametrize(
    "radii, message",
    [
        (
            looped.ParameterRadii(weight_radius=jnp.ones((3, 3))),
            r"`weight_radius` must be a scalar or have shape \(2, 2\), got \(3, 3\)",
        ),
        (
            looped.ParameterRadii(bias_radius=jnp.ones(3)),
            r"`bias_radius` must be a scalar or have shape \(2,\), got \(3,\)",
        ),
        (0.01, r"`radii` must be a jaxfp.looped.ParameterRadii .* or None, got float"),
    ],
)
def test_interval_refuses_radii_of_another_dimension(radii, message):
    net = looped.poly_network(2)
    for enclosure in (net.interval, net.jacobian_interval):
        with pytest.raises(ValueError, match=message):
            enclosure(jnp.zeros(2), jnp.ones(2), radii)


def test_defaults_are_exact_parameters_held_as_arrays():
    radii = looped.ParameterRadii()
    assert radii.weight_radius is None
    assert isinstance(radii.bias_radius, jax.Array) and radii.bias_radius.shape == ()
    assert float(radii.bias_radius) == 0.0
    integer = looped.ParameterRadii(weight_radius=1, bias_radius=np.zeros(2, int))
    assert jnp.issubdtype(integer.weight_radius.dtype, jnp.floating)
    assert jnp.issubdtype(integer.bias_radius.dtype, jnp.floating)


@pytest.mark.parametrize("form", ["sigma-affine", "affine-sigma"])
@pytest.mark.parametrize("exact_weights", [False, True])
def test_interval_with_radii_is_the_enclosure_built_by_hand(form, exact_weights):
    """W ± E and b ± e outward rounded, then [W][x] + [b] and σ's interval in the net's order:
    the enclosure the old `interval(lower, upper, weight_radius, bias_radius)` computed."""
    net = looped.random_network(3, seed=2, activation="tanh", scale=0.9, form=form)
    lower, upper = jnp.array([-0.3, 0.1, -0.6]), jnp.array([0.2, 0.4, -0.1])
    weight_radius = None if exact_weights else jnp.full((3, 3), 0.02).at[0, 1].set(0.05)
    bias_radius = jnp.array([0.01, 0.0, 0.03])
    radii = looped.ParameterRadii(weight_radius=weight_radius, bias_radius=bias_radius)

    def affine(low, high):
        b_low, b_high = add(net.b, net.b, -bias_radius, bias_radius)
        if weight_radius is None:
            return add(*point_matmul(net.W, low, high), b_low, b_high)
        w_low, w_high = add(net.W, net.W, -weight_radius, weight_radius)
        return add(*interval_matmul(w_low, w_high, low, high), b_low, b_high)

    if form == "sigma-affine":
        expected = net.activation.interval(*affine(lower, upper))
    else:
        expected = affine(*net.activation.interval(lower, upper))
    for got, want in zip(net.interval(lower, upper, radii), expected, strict=True):
        np.testing.assert_array_equal(got, want)

    if weight_radius is None:
        w_low, w_high = net.W, net.W
    else:
        w_low, w_high = add(net.W, net.W, -weight_radius, weight_radius)
    if form == "sigma-affine":
        slope_low, slope_high = net.activation.derivative_interval(*affine(lower, upper))
        jacobian = multiply(slope_low[:, None], slope_high[:, None], w_low, w_high)
    else:
        slope_low, slope_high = net.activation.derivative_interval(lower, upper)
        jacobian = multiply(w_low, w_high, slope_low[None, :], slope_high[None, :])
    for got, want in zip(net.jacobian_interval(lower, upper, radii), jacobian, strict=True):
        np.testing.assert_array_equal(got, want)


def test_none_is_the_zero_record():
    net = looped.random_network(3, seed=4, activation="sin", scale=0.7)
    lower, upper = jnp.full(3, -0.2), jnp.full(3, 0.3)
    for enclosure in (net.interval, net.jacobian_interval):
        for got, want in zip(
            enclosure(lower, upper),
            enclosure(lower, upper, looped.ParameterRadii()),
            strict=True,
        ):
            np.testing.assert_array_equal(got, want)


def test_new_radii_values_do_not_retrace_and_vmap_over_radii():
    net = looped.random_network(2, seed=0, activation="tanh")
    lower, upper = jnp.full(2, 0.8), jnp.full(2, 1.2)
    traces = []

    @eqx.filter_jit
    def enclose(radii):
        traces.append(None)
        return net.interval(lower, upper, radii)

    small = enclose(looped.ParameterRadii(weight_radius=0.01, bias_radius=0.01))
    large = enclose(looped.ParameterRadii(weight_radius=0.05, bias_radius=0.02))
    assert len(traces) == 1
    assert bool(jnp.all(large[0] < small[0]) & jnp.all(small[1] < large[1]))

    lows, highs = jax.vmap(
        lambda e: net.interval(lower, upper, looped.ParameterRadii(bias_radius=e))
    )(jnp.array([0.0, 0.01, 0.1]))
    assert bool(jnp.all(jnp.diff(lows, axis=0) < 0) & jnp.all(jnp.diff(highs, axis=0) > 0))
