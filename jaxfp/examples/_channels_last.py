"""Channels-last 3×3 convolution and GroupNorm for feature maps of shape (H, W, C).

XLA:CPU runs a convolution inside a while loop (so in every DEQ solve) at full speed only when
its input is channels-last and its kernel is HWIO; with equinox's channels-first layout (C, H, W)
and OIHW kernels it falls back to a slow path. Measured on 2 cores, batch 64, 16 → 32 → 16
channels at 8 × 8, two convolutions per step inside `lax.fori_loop`: 1.2 ms per step
channels-last with an HWIO kernel, 20–30 ms with any other combination, while a single call
outside a loop takes 1.2–1.8 ms in every layout (XLA chooses the layout there).

The same holds for the convolution's transpose, which every implicit backward step applies
(u ↦ Jᵀu): JAX's transpose rule convolves with an OIHW-ordered ("HWOI") kernel, which inside
the backward solver's loop took 12 ms per step against 0.37 ms for the same product written
as a forward HWIO convolution with the kernel flipped and its channel axes swapped
(`_same_convolution`'s custom VJP; same case, cell VJP 30 → 3.5 ms per step). GroupNorm
reduces per channel over the leading axes, then per group, for the same reason.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

_DIMENSIONS = ("NHWC", "HWIO", "NHWC")


def _convolve(x, kernel):
    return jax.lax.conv_general_dilated(x, kernel, (1, 1), "SAME", dimension_numbers=_DIMENSIONS)


@jax.custom_vjp
def _same_convolution(x: Float[Array, "n h w cin"], kernel: Float[Array, "kh kw cin cout"]):
    """The 'same' convolution of channels-last `x` by an HWIO `kernel` (odd kernel sides)."""
    return _convolve(x, kernel)


def _same_convolution_forward(x, kernel):
    return _convolve(x, kernel), (x, kernel)


def _same_convolution_backward(residuals, cotangent):
    x, kernel = residuals
    # The input's cotangent is the 'same' convolution with the kernel flipped in space and its
    # input/output channels swapped, still HWIO: the layout XLA:CPU runs fast inside a loop.
    transposed = jnp.flip(kernel, (0, 1)).transpose(0, 1, 3, 2)
    _, kernel_vjp = jax.vjp(lambda k: _convolve(x, k), kernel)
    return _convolve(cotangent, transposed), kernel_vjp(cotangent)[0]


_same_convolution.defvjp(_same_convolution_forward, _same_convolution_backward)


class ChannelsLastConv(eqx.Module):
    """A bias-free 3×3 convolution with 'same' padding of an (H, W, C_in) map, kernel HWIO.

    Initialised as `equinox.nn.Conv2d` (then stored transposed), times `scale`.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> conv = ChannelsLastConv(4, 6, key=jax.random.key(0))
        >>> conv(jnp.ones((8, 8, 4))).shape
        (8, 8, 6)
    """

    weight: Float[Array, "3 3 cin cout"]

    def __init__(self, in_channels: int, out_channels: int, *, scale=1.0, key: PRNGKeyArray):
        conv = eqx.nn.Conv2d(in_channels, out_channels, 3, use_bias=False, key=key)
        self.weight = scale * jnp.transpose(conv.weight, (2, 3, 1, 0))

    def __call__(self, x: Float[Array, "h w cin"]) -> Float[Array, "h w cout"]:
        return _same_convolution(x[None], self.weight)[0]


class ChannelsLastGroupNorm(eqx.Module):
    """`equinox.nn.GroupNorm` for a channels-last map (..., C): each group of C / `groups`
    channels is normalised over itself and every spatial position, then scaled and shifted per
    channel.

    Example:
        >>> import jax
        >>> norm = ChannelsLastGroupNorm(2, 4)
        >>> y = norm(jax.random.normal(jax.random.key(0), (8, 8, 4)))
        >>> y.shape, abs(float(y[..., :2].mean())) < 1e-6
        ((8, 8, 4), True)
    """

    weight: Float[Array, " channels"]
    bias: Float[Array, " channels"]
    groups: int = eqx.field(static=True)
    eps: float = eqx.field(static=True)

    def __init__(self, groups: int, channels: int, eps: float = 1e-5):
        if channels % groups:
            raise ValueError(f"`groups` ({groups}) must divide `channels` ({channels}).")
        self.weight, self.bias = jnp.ones(channels), jnp.zeros(channels)
        self.groups, self.eps = groups, eps

    @property
    def channels(self) -> int:
        """The number of channels C."""
        return self.weight.shape[0]

    def __call__(self, x: Float[Array, "... channels"]) -> Float[Array, "... channels"]:
        # Per-channel sums over the leading axes first, then per group (two passes: the mean,
        # then the centred squares). XLA:CPU reduces over the leading axes of a channels-last
        # map fast but over a strided (..., groups, C / groups) view slowly: 1.8 -> 1.0 ms per
        # conv-cell step in a loop (three norms, batch 64, 16/32 channels), VJP 2.3 -> 1.1 ms.
        per_group = x.shape[-1] // self.groups
        count = x.size // self.groups
        leading = tuple(range(x.ndim - 1))

        def group_mean(per_channel_sum):
            sums = per_channel_sum.reshape(self.groups, per_group).sum(axis=-1)
            return jnp.repeat(sums / count, per_group)

        centered = x - group_mean(x.sum(axis=leading))
        variance = group_mean(jnp.sum(centered * centered, axis=leading))
        return centered * (self.weight * jax.lax.rsqrt(variance + self.eps)) + self.bias
