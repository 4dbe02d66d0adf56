"""Entrywise radii of interval parameters W ± E, b ± e (parameter noise, P1 Theorem 4.2)."""

import equinox as eqx
import jax
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .._misc import real_array
from ._rounding import as_float


def _radius(value, argument: str, shape: str, ndim: int) -> Float[Array, "..."]:
    """`value` as a float array, refused unless it is real, a scalar or of `ndim` square
    dimensions, and (when concrete) finite and ≥ 0."""
    array = real_array(value, argument)
    if array.ndim not in (0, ndim) or len(set(array.shape)) > 1:
        raise ValueError(f"`{argument}` must be a scalar or have shape {shape}, got {array.shape}.")
    if not isinstance(array, jax.core.Tracer) and not (
        np.all(np.isfinite(array)) and np.all(array >= 0)
    ):
        raise ValueError(f"`{argument}` must be finite and ≥ 0, got {value!r}.")
    return as_float(value)


class ParameterRadii(eqx.Module):
    """How uncertain a looped network's parameters are: every W', b' with |W' − W| ≤ E and
    |b' − b| ≤ e entrywise (interval weights W ± E and biases b ± e; the perturbed parameters of
    P1 Theorem 4.2, Ke et al. 2024, arXiv:2410.11279, docs/theory.md).

    The enclosures of `LoopedNet.interval` and `LoopedNet.jacobian_interval`, and the
    certificates of `jaxfp.certify`, hold for all of those parameters at once when given one.
    The radii are checked once, here; the ones that need the network's dimension d are checked
    by `check_dim` where the network is known. They are kept as arrays, so that a certificate
    compiled for some radii serves new values of the same shapes.

    Args:
        weight_radius: E ≥ 0, a scalar or (d, d); None (the default) for exact weights.
        bias_radius: e ≥ 0, a scalar or (d,); 0.0 (the default) for exact biases.

    Raises:
        ValueError: naming the field, if a radius is not real, is not a scalar or of its shape
            ((d, d), (d,)), the two give different d, or (when concrete) a radius is negative,
            NaN or infinite.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(2, gain=2.0)
        >>> radii = jaxfp.looped.ParameterRadii(weight_radius=0.01, bias_radius=0.01)
        >>> low, high = net.interval(jnp.full(2, 0.8), jnp.full(2, 1.2), radii)
        >>> exact_low, exact_high = net.interval(jnp.full(2, 0.8), jnp.full(2, 1.2))
        >>> bool(jnp.all(low < exact_low) & jnp.all(exact_high < high))
        True
    """

    weight_radius: Float[Array, ""] | Float[Array, "d d"] | None
    bias_radius: Float[Array, ""] | Float[Array, " d"]

    def __init__(self, weight_radius: ArrayLike | None = None, bias_radius: ArrayLike = 0.0):
        if weight_radius is not None:
            weight_radius = _radius(weight_radius, "weight_radius", "(d, d)", 2)
        bias_radius = _radius(bias_radius, "bias_radius", "(d,)", 1)
        if (
            weight_radius is not None
            and weight_radius.ndim == 2
            and bias_radius.ndim == 1
            and weight_radius.shape[0] != bias_radius.shape[0]
        ):
            raise ValueError(
                f"`bias_radius` of shape {bias_radius.shape} and `weight_radius` of shape "
                f"{weight_radius.shape} are for networks of different dimensions d."
            )
        self.weight_radius = weight_radius
        self.bias_radius = bias_radius

    def check_dim(self, dim: int) -> None:
        """Refuse radii whose shapes are not those of a network of dimension `dim`: E a scalar
        or (dim, dim), e a scalar or (dim,).

        Raises:
            ValueError: naming the field and the shape it must have.

        Example:
            >>> import jax.numpy as jnp, jaxfp
            >>> jaxfp.looped.ParameterRadii(bias_radius=jnp.ones(3)).check_dim(2)
            Traceback (most recent call last):
            ...
            ValueError: `bias_radius` must be a scalar or have shape (2,), got (3,).
        """
        shapes = {"weight_radius": (dim, dim), "bias_radius": (dim,)}
        for argument, radius in (
            ("weight_radius", self.weight_radius),
            ("bias_radius", self.bias_radius),
        ):
            if radius is not None and radius.shape not in ((), shapes[argument]):
                raise ValueError(
                    f"`{argument}` must be a scalar or have shape {shapes[argument]}, got "
                    f"{radius.shape}."
                )


def checked_radii(radii: ParameterRadii | None, dim: int) -> ParameterRadii:
    """`radii` for a network of dimension `dim` (None: exact parameters, `ParameterRadii()`),
    refused when it is not a `ParameterRadii` or its shapes do not fit `dim`."""
    if radii is None:
        return ParameterRadii()
    if not isinstance(radii, ParameterRadii):
        raise ValueError(
            "`radii` must be a jaxfp.looped.ParameterRadii (for example "
            "jaxfp.looped.ParameterRadii(weight_radius=0.01, bias_radius=0.01)) or None, got "
            f"{type(radii).__name__}."
        )
    radii.check_dim(dim)
    return radii
