"""Kernel maps κ, κ', κ'' of activations and architectures (P2 §3, docs/theory.md).

κ(ρ) = E φ(X)φ(Y) / C², (X, Y) standard normals with correlation ρ. A closed form is used
when the activation has one; otherwise the accurate 2-D quadrature of `_quadrature`. The
derivative is κ'(ρ) = E φ'(X)φ'(Y) / C² (Price's theorem), so κ'(1) = E φ'(X)² / C² is computed
directly, never from a truncated Hermite series (25 terms give 0.948 for ReLU, whose exact
κ'(1) is 1).
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._activation_type import KernelActivation
from ._architectures import Architecture, as_architecture
from ._hermite import normalization_constant
from ._quadrature import bivariate_expectation


def _quadrature_kernel(activation: KernelActivation, function, rho: Array) -> Array:
    """E f(X) f(Y) / C² by quadrature, f = φ (κ) or φ' (κ')."""
    scale = normalization_constant(activation) ** 2

    def one(r):
        return bivariate_expectation(function, function, r, activation.kinks)

    return jnp.vectorize(one)(rho) / scale


def _activation_kernel(activation: KernelActivation, rho: Array) -> Array:
    if activation.closed_form is not None:
        return activation.closed_form.kernel(rho, activation.params)
    return _quadrature_kernel(activation, activation, rho)


def _activation_kernel_derivative(activation: KernelActivation, rho: Array) -> Array:
    if activation.closed_form is not None:
        return activation.closed_form.derivative(rho, activation.params)
    if not activation.continuous:
        raise ValueError(
            f"`activation` {activation.name!r} is discontinuous and has no closed-form kernel: "
            "κ'(ρ) = E φ'(X)φ'(Y) does not apply. Give it a closed form."
        )
    return _quadrature_kernel(activation, activation.derivative, rho)


def _branch_kernel(architecture: Architecture, rho: Array) -> Array:
    kernel = _activation_kernel(architecture.activation, rho)
    if architecture.normalization == "ln-post":
        at_zero = _activation_kernel(architecture.activation, jnp.zeros(()))
        return (kernel - at_zero) / (1.0 - at_zero)
    return kernel


def _branch_kernel_derivative(architecture: Architecture, rho: Array) -> Array:
    derivative = _activation_kernel_derivative(architecture.activation, rho)
    if architecture.normalization == "ln-post":
        at_zero = _activation_kernel(architecture.activation, jnp.zeros(()))
        return derivative / (1.0 - at_zero)
    return derivative


# Correlations may exceed 1 in magnitude by float round-off (an iterated κ(1) = 1 ± 1e-16);
# up to this much they are clipped back to [-1, 1], beyond it they are an error.
_RHO_SLACK = 1e-9


def check_correlations(rho: ArrayLike, name: str = "rho") -> ArrayLike:
    """`rho`, unless it is a concrete value that is not real, not finite or outside [−1, 1]
    (beyond round-off): then a `ValueError` naming `name`, raised before anything is traced.
    Tracers pass (the kernel maps check them inside jit)."""
    if isinstance(rho, jax.core.Tracer):
        return rho
    array = np.asarray(rho)
    if array.dtype.kind not in "iuf":
        raise ValueError(f"`{name}` must be real correlations in [-1, 1], got {rho!r}.")
    if not np.all(np.isfinite(array)) or np.any(np.abs(array) > 1.0 + _RHO_SLACK):
        raise ValueError(f"`{name}` must lie in [-1, 1] (correlations), got {rho!r}.")
    return rho


def _checked_rho(rho: ArrayLike) -> Array:
    rho = jnp.asarray(rho, dtype=float)
    rho = eqx.error_if(
        rho,
        jnp.any(jnp.abs(rho) > 1.0 + _RHO_SLACK) | ~jnp.all(jnp.isfinite(rho)),
        "`rho` must lie in [-1, 1]: a correlation.",
    )
    return jnp.clip(rho, -1.0, 1.0)


def _prepared(model, rho) -> tuple[Architecture, Array, Array]:
    """The architecture of `model`, `rho` checked and clipped, and r² of the residual branch:
    what every kernel map starts from, κ_res = (1 − r²) κ_branch + r² ρ."""
    architecture = as_architecture(model)
    residual = jnp.asarray(architecture.residual, dtype=float)
    return architecture, _checked_rho(rho), residual**2


def kernel_map(
    model: KernelActivation | Architecture, rho: Float[ArrayLike, "*shape"]
) -> Float[Array, "*shape"]:
    """The normalised kernel map κ(ρ) of an activation or architecture (P2 eq. (3), §5).

    For an architecture, κ_res = (1 − r²) κ_branch + r² ρ, with κ_branch the activation's κ
    after LayerNorm-post if chosen (P2 Props. 2–3).

    Args:
        model: a `KernelActivation` or `Architecture`.
        rho: correlations in [−1, 1] (any shape).

    Returns:
        Κ(ρ), same shape as `rho`.

    Raises:
        ValueError: for a bad `model`, or a `rho` that is not real, not finite or leaves
            [−1, 1] (beyond round-off: |ρ| ≤ 1 + 1e-9 is clipped to [−1, 1], as is the result,
            since |κ(ρ)| ≤ κ(1) = 1); a traced `rho` is checked inside jit instead.

    Example:
        >>> import jaxfp.kernels as jk
        >>> round(float(jk.kernel_map(jk.get_activation("relu"), 0.0)), 6)  # 1/pi
        0.31831
    """
    return _kernel_map(model, check_correlations(rho))


@eqx.filter_jit
def _kernel_map(model, rho):
    architecture, rho, r2 = _prepared(model, rho)
    value = (1.0 - r2) * _branch_kernel(architecture, rho) + r2 * rho
    # |κ(ρ)| <= κ(1) = 1 (Cauchy–Schwarz): clipping removes quadrature round-off only.
    return jnp.clip(value, -1.0, 1.0)


def kernel_map_derivative(
    model: KernelActivation | Architecture, rho: Float[ArrayLike, "*shape"]
) -> Float[Array, "*shape"]:
    """κ'(ρ) = E φ'(X)φ'(Y) / C² (Price's theorem), composed through the architecture.

    At ρ = 1 this is E φ'(X)² / C², computed directly (exact to quadrature precision, or
    from the closed form), never from a truncated Hermite series. It may be infinite at ρ = ±1
    (sign, whose κ = (2/π) arcsin ρ).

    Raises:
        ValueError: for a discontinuous activation without a closed form, or a bad `rho`
            (as `kernel_map`).

    Example:
        >>> import jaxfp.kernels as jk
        >>> float(jk.kernel_map_derivative(jk.get_activation("relu"), 1.0))
        1.0
    """
    return _kernel_map_derivative(model, check_correlations(rho))


@eqx.filter_jit
def _kernel_map_derivative(model, rho):
    architecture, rho, r2 = _prepared(model, rho)
    return (1.0 - r2) * _branch_kernel_derivative(architecture, rho) + r2


def kernel_map_second_derivative(
    model: KernelActivation | Architecture, rho: Float[ArrayLike, "*shape"]
) -> Float[Array, "*shape"]:
    """κ''(ρ), by differentiating κ' in ρ (through the closed form or the quadrature).

    Valid for ρ in the open interval (−1, 1); at ρ = ±1 κ'' may be infinite (ReLU) and the
    result is then not finite.

    Raises:
        ValueError: as `kernel_map_derivative`.

    Example:
        >>> import jaxfp.kernels as jk
        >>> round(float(kernel_map_second_derivative(jk.get_activation("exp"), 0.5)), 6)  # e^{-1/2}
        0.606531
    """
    return _kernel_map_second_derivative(model, check_correlations(rho))


@eqx.filter_jit
def _kernel_map_second_derivative(model, rho):
    architecture, rho, r2 = _prepared(model, rho)

    def branch_derivative(r):
        return _branch_kernel_derivative(architecture, r)

    return (1.0 - r2) * jnp.vectorize(jax.grad(branch_derivative))(rho)
