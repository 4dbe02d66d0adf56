"""Helpers shared by the probing modules: validation, parameter replacement, matching."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from ..looped import LoopedNet
from ..looped._rounding import as_float


def check_net(net) -> LoopedNet:
    """`net` if it is a `jaxfp.looped.LoopedNet`, else a `ValueError` naming the argument."""
    if not isinstance(net, LoopedNet):
        raise ValueError(f"`net` must be a jaxfp.looped.LoopedNet, got {type(net).__name__}.")
    return net


def check_points(points: ArrayLike, dim: int, name: str = "fixed_points") -> Float[Array, "n d"]:
    """`points` as a float array of shape (n, d) with n ≥ 1, finite; else a `ValueError`."""
    array = as_float(points)
    if array.ndim != 2 or array.shape[1] != dim or array.shape[0] == 0:
        raise ValueError(
            f"`{name}` must have shape (n, {dim}) with n ≥ 1 (one fixed point per row), got "
            f"shape {array.shape}."
        )
    if not isinstance(array, jax.core.Tracer) and not bool(np.all(np.isfinite(array))):
        raise ValueError(f"`{name}` contains NaN or infinite entries.")
    return array


def check_state(x: ArrayLike, dim: int, name: str) -> Float[Array, " d"]:
    """`x` as a float vector of shape (d,); else a `ValueError` naming `name`."""
    array = as_float(x)
    if array.shape != (dim,):
        raise ValueError(f"`{name}` must have shape ({dim},), got shape {array.shape}.")
    return array


def check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}.")
    return value


def check_positive(value, name: str) -> float:
    if not (isinstance(value, (int, float)) and np.isfinite(value) and value > 0):
        raise ValueError(f"`{name}` must be a positive finite number, got {value!r}.")
    return float(value)


def default_tolerance(dtype, double: float, single: float) -> float:
    """`double` for float64 computations, `single` for float32 and narrower."""
    return double if jnp.finfo(dtype).bits >= 64 else single


def with_parameters(net: LoopedNet, weight: Array, bias: Array) -> LoopedNet:
    """`net` with W and b replaced (differentiable in both; no re-validation)."""
    return eqx.tree_at(lambda n: (n.W, n.b), net, (weight, bias))


def spectral_radius(net: LoopedNet, x: Float[Array, " d"]) -> Float[Array, ""]:
    """ρ(J_F(x)), the largest eigenvalue modulus of the Jacobian at x."""
    return jnp.max(jnp.abs(jnp.linalg.eigvals(net.jacobian(x))))


def match_points(
    values: Float[Array, "m d"],
    points: Float[Array, "n d"],
    converged: Bool[Array, " m"],
    tolerance: float,
) -> Int[Array, " m"]:
    """Index of the fixed point in `points` nearest to each value (max-norm distance at most
    `tolerance`), or −1 when the value did not converge or matches none."""
    distance = jnp.max(jnp.abs(values[:, None, :] - points[None, :, :]), axis=-1)
    nearest = jnp.argmin(distance, axis=1)
    close = jnp.take_along_axis(distance, nearest[:, None], axis=1)[:, 0] <= tolerance
    return jnp.where(converged & close, nearest, -1)
