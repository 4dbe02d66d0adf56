"""Closed-form normalised kernel maps κ(ρ) and their derivatives κ'(ρ) (P2 §3, docs/theory.md).

Each function takes `(rho, params)`, the activation's parameters, and is valid on the whole of
`[-1, 1]`, endpoints included (derivatives may be infinite there, e.g. sign at ρ = ±1).
"""

import functools
import math
from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float


class ClosedFormKernel(eqx.Module):
    """A closed-form normalised kernel map: `kernel(rho, params)` and `derivative(rho, params)`.

    Example:
        >>> import jaxfp.kernels as jk
        >>> closed = jk.get_activation("relu").closed_form
        >>> round(float(closed.derivative(1.0, ())), 12)
        1.0
    """

    kernel: Callable[[ArrayLike, object], Array] = eqx.field(static=True)
    derivative: Callable[[ArrayLike, object], Array] = eqx.field(static=True)


def _sqrt_one_minus_square(rho: Float[Array, "..."]) -> Float[Array, "..."]:
    return jnp.sqrt(jnp.maximum(1.0 - rho * rho, 0.0))


def _leaky_relu_kernel(rho, negative_slope):
    # φ = (1 + a)/2 x + (1 - a)/2 |x|; E|X||Y| = (2/π)(sqrt(1 - ρ²) + ρ arcsin ρ);
    # E φ² = (1 + a²)/2.
    rho = jnp.asarray(rho, dtype=float)
    a = negative_slope
    absolute = (2.0 / math.pi) * (_sqrt_one_minus_square(rho) + rho * jnp.arcsin(rho))
    raw = 0.25 * (1.0 + a) ** 2 * rho + 0.25 * (1.0 - a) ** 2 * absolute
    return raw / (0.5 * (1.0 + a * a))


def _leaky_relu_derivative(rho, negative_slope):
    rho = jnp.asarray(rho, dtype=float)
    a = negative_slope
    raw = 0.25 * (1.0 + a) ** 2 + 0.25 * (1.0 - a) ** 2 * (2.0 / math.pi) * jnp.arcsin(rho)
    return raw / (0.5 * (1.0 + a * a))


def _relu_kernel(rho, params):
    del params
    rho = jnp.asarray(rho, dtype=float)
    return (_sqrt_one_minus_square(rho) + (math.pi - jnp.arccos(rho)) * rho) / math.pi


def _relu_derivative(rho, params):
    del params
    return (math.pi - jnp.arccos(jnp.asarray(rho, dtype=float))) / math.pi


def _erf_kernel(rho, params):
    del params
    return jnp.arcsin(2.0 * jnp.asarray(rho, dtype=float) / 3.0) / math.asin(2.0 / 3.0)


def _erf_derivative(rho, params):
    del params
    rho = jnp.asarray(rho, dtype=float)
    return (2.0 / 3.0) / jnp.sqrt(1.0 - 4.0 * rho * rho / 9.0) / math.asin(2.0 / 3.0)


def _sign_kernel(rho, params):
    del params
    return (2.0 / math.pi) * jnp.arcsin(jnp.asarray(rho, dtype=float))


def _sign_derivative(rho, params):
    del params
    rho = jnp.asarray(rho, dtype=float)
    return (2.0 / math.pi) / jnp.sqrt(1.0 - rho * rho)


def _exp_kernel(rho, params):
    del params
    return jnp.exp(jnp.asarray(rho, dtype=float) - 1.0)


def _sin_kernel(rho, params):
    del params
    return jnp.sinh(jnp.asarray(rho, dtype=float)) / math.sinh(1.0)


def _sin_derivative(rho, params):
    del params
    return jnp.cosh(jnp.asarray(rho, dtype=float)) / math.sinh(1.0)


def _gelu_raw_kernel(rho):
    # E GELU(X) GELU(Y) for the exact (erf) GELU.
    return (1.0 / jnp.sqrt(4.0 - rho * rho) + rho * jnp.arcsin(0.5 * rho)) / (
        2.0 * math.pi
    ) + 0.25 * rho


_GELU_SECOND_MOMENT = (1.0 / math.sqrt(3.0) + math.pi / 6.0) / (2.0 * math.pi) + 0.25


def _gelu_kernel(rho, params):
    del params
    return _gelu_raw_kernel(jnp.asarray(rho, dtype=float)) / _GELU_SECOND_MOMENT


def _gelu_derivative(rho, params):
    del params
    rho = jnp.asarray(rho, dtype=float)
    root = jnp.sqrt(4.0 - rho * rho)
    raw = (rho / root**3 + jnp.arcsin(0.5 * rho) + rho / root) / (2.0 * math.pi) + 0.25
    return raw / _GELU_SECOND_MOMENT


def _hermite_kernel(rho, params, degree):
    del params
    return jnp.asarray(rho, dtype=float) ** degree


def _hermite_derivative(rho, params, degree):
    del params
    return degree * jnp.asarray(rho, dtype=float) ** (degree - 1)


@functools.cache
def hermite_closed_form(degree: int) -> ClosedFormKernel:
    """κ(ρ) = ρ^k for the normalised Hermite polynomial he_k (Mehler's identity)."""
    return ClosedFormKernel(
        functools.partial(_hermite_kernel, degree=degree),
        functools.partial(_hermite_derivative, degree=degree),
    )


RELU = ClosedFormKernel(_relu_kernel, _relu_derivative)
LEAKY_RELU = ClosedFormKernel(_leaky_relu_kernel, _leaky_relu_derivative)
ERF = ClosedFormKernel(_erf_kernel, _erf_derivative)
SIGN = ClosedFormKernel(_sign_kernel, _sign_derivative)
EXP = ClosedFormKernel(_exp_kernel, _exp_kernel)
SIN = ClosedFormKernel(_sin_kernel, _sin_derivative)
GELU = ClosedFormKernel(_gelu_kernel, _gelu_derivative)
