"""The channels-last layers of the conv digits DEQ compute what their channels-first
counterparts compute, and the convolution's hand-written VJP is JAX's own."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from jaxfp.examples._channels_last import ChannelsLastConv, ChannelsLastGroupNorm

# float32 convolutions summed in different orders.
TOLERANCE = 1e-5


def _reference_convolution(x, kernel):
    return jax.lax.conv_general_dilated(
        x, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )


def test_convolution_vjp_matches_autodiff():
    conv = ChannelsLastConv(3, 5, key=jax.random.key(0))
    x = jax.random.normal(jax.random.key(1), (8, 8, 3))
    cotangent = jax.random.normal(jax.random.key(2), (8, 8, 5))
    _, vjp = eqx.filter_vjp(lambda c, y: c(y), conv, x)
    conv_bar, x_bar = vjp(cotangent)
    _, reference_vjp = jax.vjp(lambda k, y: _reference_convolution(y[None], k)[0], conv.weight, x)
    kernel_expected, x_expected = reference_vjp(cotangent)
    np.testing.assert_allclose(x_bar, x_expected, rtol=TOLERANCE, atol=TOLERANCE)
    np.testing.assert_allclose(conv_bar.weight, kernel_expected, rtol=TOLERANCE, atol=TOLERANCE)


def test_convolution_vjp_under_vmap_and_in_a_loop():
    conv = ChannelsLastConv(4, 4, scale=0.2, key=jax.random.key(0))
    x = jax.random.normal(jax.random.key(1), (6, 8, 8, 4))
    reference = lambda y: _reference_convolution(y[None], conv.weight)[0]

    @eqx.filter_jit
    def looped(fn):
        _, vjp = jax.vjp(jax.vmap(fn), x)
        return jax.lax.fori_loop(0, 3, lambda _, g: vjp(g)[0], x)

    np.testing.assert_allclose(looped(conv), looped(reference), rtol=TOLERANCE, atol=TOLERANCE)


def test_convolution_matches_equinox_channels_first():
    key = jax.random.key(0)
    conv = ChannelsLastConv(3, 5, key=key)
    channels_first = eqx.nn.Conv2d(3, 5, 3, padding=1, use_bias=False, key=key)
    x = jax.random.normal(jax.random.key(1), (3, 8, 8))
    expected = jnp.transpose(channels_first(x), (1, 2, 0))
    actual = conv(jnp.transpose(x, (1, 2, 0)))
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCE, atol=TOLERANCE)


def test_group_norm_matches_equinox_channels_first():
    norm = ChannelsLastGroupNorm(2, 4)
    x = jax.random.normal(jax.random.key(0), (8, 8, 4))
    expected = jnp.transpose(eqx.nn.GroupNorm(2, 4)(jnp.transpose(x, (2, 0, 1))), (1, 2, 0))
    np.testing.assert_allclose(norm(x), expected, rtol=TOLERANCE, atol=TOLERANCE)
