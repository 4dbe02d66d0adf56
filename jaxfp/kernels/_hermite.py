"""Normalised Hermite expansions of activations (P2 §3, docs/theory.md).

With he_k = He_k / sqrt(k!), φ / C = Σ c_k he_k and c_k = E φ(X) he_k(X) / C, where
C = sqrt(E φ(X)^2). Mehler's identity gives κ(ρ) = Σ c_k^2 ρ^k, and Σ c_k^2 = 1.
"""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Scalar

from .._validation import check_count
from ._activation_type import KernelActivation, check_kernel_activation, second_moment
from ._quadrature import gaussian_rule


def normalized_hermite(
    num_polynomials: int, x: Float[ArrayLike, "*shape"]
) -> Float[Array, " K *shape"]:
    """he_0(x), …, he_{K−1}(x) with he_k = He_k / sqrt(k!), the orthonormal Hermite basis.

    Uses the stable recurrence he_{k+1} = (x he_k − sqrt(k) he_{k−1}) / sqrt(k + 1).

    Raises:
        ValueError: if `num_polynomials` < 1.

    Example:
        >>> import jaxfp.kernels as jk
        >>> [round(float(v), 6) for v in normalized_hermite(3, 2.0)]
        [1.0, 2.0, 2.12132]
    """
    if int(num_polynomials) < 1:
        raise ValueError(f"`num_polynomials` must be >= 1, got {num_polynomials}.")
    x = jnp.asarray(x, dtype=float)
    values = [jnp.ones_like(x), x]
    for k in range(1, int(num_polynomials) - 1):
        values.append((x * values[k] - jnp.sqrt(float(k)) * values[k - 1]) / jnp.sqrt(k + 1.0))
    return jnp.stack(values[: int(num_polynomials)])


@eqx.filter_jit
def normalization_constant(activation: KernelActivation) -> Scalar:
    """C = sqrt(E φ(X)^2), X ~ N(0, 1): the constant that makes κ(1) = 1 (P2 §2).

    Raises:
        ValueError: if `activation` is not a `KernelActivation`.

    Example:
        >>> import jaxfp.kernels as jk
        >>> round(float(jk.normalization_constant(jk.get_activation("sigmoid"))), 6)
        0.541645
    """
    check_kernel_activation(activation)
    return jnp.sqrt(second_moment(activation))


def hermite_coefficients(activation: KernelActivation, num_coefficients: int) -> Float[Array, " K"]:
    """The normalised Hermite coefficients c_0, …, c_{K−1} of φ / C (P2 eq. for κ).

    Computed by Gauss–Hermite quadrature (split at the activation's kinks); jit-able and
    differentiable in the activation's parameters. Accurate while K stays well below the
    quadrature order (200 Gauss–Hermite nodes, or 128 Gauss–Legendre nodes per piece between
    kinks): a ValueError guards K > 64.

    Raises:
        ValueError: unless `activation` is a `KernelActivation` and `num_coefficients` an
            integer in [1, 64].

    Example:
        >>> import jaxfp.kernels as jk
        >>> c = jk.hermite_coefficients(jk.get_activation("relu"), 3)
        >>> [round(float(v), 6) for v in c]  # 1/sqrt(pi), 1/sqrt(2), 1/sqrt(2 pi)
        [0.56419, 0.707107, 0.398942]
    """
    check_kernel_activation(activation)
    num_coefficients = check_count(num_coefficients, "num_coefficients", maximum=64)
    return _hermite_coefficients(activation, num_coefficients)


@eqx.filter_jit
def _hermite_coefficients(activation: KernelActivation, num_coefficients: int) -> Array:
    def moments(x):
        return activation(x) * normalized_hermite(num_coefficients, x)

    nodes, weights = gaussian_rule(activation.kinks)
    raw = jnp.sum(weights * moments(nodes), axis=-1)
    return raw / normalization_constant(activation)


def hermite_tail_mass(activation: KernelActivation, num_coefficients: int) -> Scalar:
    """1 − Σ_{k<K} c_k^2: the part of κ(1) = 1 that the first K coefficients miss.

    Raises:
        ValueError: unless 1 <= `num_coefficients` <= 64.

    Example:
        >>> import jaxfp.kernels as jk
        >>> float(hermite_tail_mass(jk.get_activation("hermite:2"), 3)) < 1e-12
        True
    """
    coefficients = hermite_coefficients(activation, num_coefficients)
    return 1.0 - jnp.sum(coefficients**2)


def hermite_series_kernel(
    coefficients: Float[ArrayLike, " K"], rho: Float[ArrayLike, "*shape"]
) -> Float[Array, "*shape"]:
    """The truncated Mehler series Σ_k c_k^2 ρ^k (an approximation of κ; see the κ'(1) trap).

    Raises:
        ValueError: if `coefficients` is not 1-D.

    Example:
        >>> import jaxfp.kernels as jk
        >>> import jax.numpy as jnp
        >>> float(hermite_series_kernel(jnp.array([0.0, 0.6, 0.8]), 0.5))
        0.34
    """
    coefficients = jnp.asarray(coefficients, dtype=float)
    if coefficients.ndim != 1:
        raise ValueError(f"`coefficients` must be 1-D, got shape {coefficients.shape}.")
    rho = jnp.asarray(rho, dtype=float)
    return jnp.polyval(coefficients[::-1] ** 2, rho)
