"""Checks and small steps shared by the probing modules: a network, its states and fixed
points, an Optax optimizer, parameter replacement, the spectral radius at a point. The general
checks (`check_positive`, …) are `jaxfp._misc`'s, point matching is
`jaxfp._numerics.match_points`."""

import numbers

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Float

from .._misc import real_array
from .._numerics import max_abs
from ..looped import LoopedNet


def check_finite(array: Array, name: str) -> Array:
    """`array`, unless it holds NaN or infinite entries (a `ValueError`); tracers pass."""
    if not isinstance(array, jax.core.Tracer) and not bool(np.all(np.isfinite(array))):
        raise ValueError(f"`{name}` contains NaN or infinite entries.")
    return array


def is_index(value) -> bool:
    """Whether `value` is a Python or NumPy integer (not a bool): an index into an array."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_net(net) -> LoopedNet:
    """`net` if it is a `jaxfp.looped.LoopedNet`, else a `ValueError` naming the argument."""
    if not isinstance(net, LoopedNet):
        raise ValueError(f"`net` must be a jaxfp.looped.LoopedNet, got {type(net).__name__}.")
    return net


def check_points(points: ArrayLike, dim: int, name: str = "fixed_points") -> Float[Array, "n d"]:
    """`points` as a float array of shape (n, d) with n ≥ 1, finite; else a `ValueError`."""
    array = real_array(points, name)
    if array.ndim != 2 or array.shape[1] != dim or array.shape[0] == 0:
        raise ValueError(
            f"`{name}` must have shape (n, {dim}) with n ≥ 1 (one fixed point per row), got "
            f"shape {array.shape}."
        )
    return check_finite(array, name)


def check_state(x: ArrayLike, dim: int, name: str) -> Float[Array, " d"]:
    """`x` as a finite float vector of shape (d,); else a `ValueError` naming `name`."""
    array = real_array(x, name)
    if array.shape != (dim,):
        raise ValueError(f"`{name}` must have shape ({dim},), got shape {array.shape}.")
    return check_finite(array, name)


def check_optimizer(optimizer) -> optax.GradientTransformation:
    """`optimizer` if it is an `optax.GradientTransformation`, else a `ValueError`."""
    if not isinstance(optimizer, optax.GradientTransformation):
        raise ValueError(
            "`optimizer` must be an optax.GradientTransformation (e.g. optax.adam(0.02)), got "
            f"{type(optimizer).__name__}."
        )
    return optimizer


def default_tolerance(dtype, double: float, single: float) -> float:
    """`double` for float64 computations, `single` for float32 and narrower."""
    return double if jnp.finfo(dtype).bits >= 64 else single


def with_parameters(net: LoopedNet, weight: Array, bias: Array) -> LoopedNet:
    """`net` with W and b replaced (differentiable in both; no re-validation)."""
    return eqx.tree_at(lambda n: (n.W, n.b), net, (weight, bias))


def spectral_radius(net: LoopedNet, x: Float[Array, " d"]) -> Float[Array, ""]:
    """ρ(J_F(x)), the largest eigenvalue modulus of the Jacobian at x."""
    return max_abs(jnp.linalg.eigvals(net.jacobian(x)))  # NaN stays NaN: not attracting
