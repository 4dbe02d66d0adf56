"""The type of an activation for kernel-map analysis, and user functions wrapped as one.

A `KernelActivation` is the raw (unnormalised) elementwise function φ plus what the quadrature
and the closed forms need: where φ is not smooth (`kinks`), whether it is continuous, and its
closed-form kernel map if one exists. The kernel maps normalise φ by C = sqrt(E φ(X)^2).
"""

import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, PyTree, Scalar

from .._validation import check_bool
from ._closed_forms import ClosedFormKernel
from ._quadrature import gaussian_expectation


class KernelActivation(eqx.Module):
    """An elementwise activation φ, as the kernel-map analysis of P2 sees it.

    Get one from the library by name with `get_activation("leaky_relu:0.1")`, or wrap any
    function with `activation_from_function`.

    Attributes:
    - `function`: `function(x, params)`, elementwise, unnormalised.
    - `params`: the function's numeric parameters (arrays: they can be differentiated).
    - `name`: a readable name.
    - `kinks`: points where φ or φ' is not smooth; the quadrature splits there.
    - `continuous`: whether φ is continuous (a jump, as in sign, has no derivative E φ'φ').
    - `closed_form`: the closed-form normalised kernel map, or `None`.

    Building one computes E φ(X)² once (unless the parameters are traced) and refuses, with a
    `ValueError`, an activation for which it is 0 or not finite: no C normalises it.

    Example:
        >>> import jaxfp.kernels as jk
        >>> act = jk.get_activation("leaky_relu:0.1")
        >>> float(act(-2.0))
        -0.2
    """

    function: Callable[[Array, PyTree], Array] = eqx.field(static=True)
    params: PyTree[Array]
    name: str = eqx.field(static=True)
    kinks: tuple[float, ...] = eqx.field(static=True, default=())
    continuous: bool = eqx.field(static=True, default=True)
    closed_form: ClosedFormKernel | None = None

    def __check_init__(self):
        if not callable(self.function):
            raise ValueError(f"`function` must be callable, got {type(self.function).__name__}.")
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("`name` must be a non-empty string.")
        for kink in self.kinks:
            if not math.isfinite(kink):
                raise ValueError(f"`kinks` must be finite numbers, got {self.kinks}.")
        _check_normalisable(self)

    def __call__(self, x: Float[ArrayLike, "*shape"]) -> Float[Array, "*shape"]:
        """φ(x), elementwise."""
        return self.function(jnp.asarray(x, dtype=float), self.params)

    def derivative(self, x: Float[ArrayLike, "*shape"]) -> Float[Array, "*shape"]:
        """φ'(x), elementwise, by automatic differentiation (almost everywhere)."""
        scalar = lambda t: self.function(t, self.params)
        return jnp.vectorize(jax.grad(scalar))(jnp.asarray(x, dtype=float))


def second_moment(activation: KernelActivation) -> Scalar:
    """E φ(X)², X ~ N(0, 1), by quadrature split at the kinks: C², the square of the constant
    that normalises every kernel map."""
    return gaussian_expectation(lambda x: activation(x) ** 2, activation.kinks)


def _check_normalisable(activation: KernelActivation) -> None:
    """A `ValueError` unless E φ(X)² is finite and positive, so that C = sqrt(E φ(X)²) can
    normalise every kernel map (φ = 0 almost everywhere has no kernel map; κ would be 0 / 0).
    Activations whose parameters are traced cannot be checked here and pass."""
    moment = second_moment(activation)
    if isinstance(moment, jax.core.Tracer):
        return
    value = float(moment)
    if not 0.0 < value < math.inf:
        raise ValueError(
            f"The activation {activation.name!r} has E φ(X)² = {value:g} for X ~ N(0, 1): the "
            "kernel maps normalise φ by C = sqrt(E φ(X)²), which must be finite and positive "
            "(φ must not vanish almost everywhere, nor overflow on Gaussian inputs)."
        )


def check_kernel_activation(activation) -> None:
    """A `ValueError` that says how to get one unless `activation` is a `KernelActivation` (a
    `jaxfp.looped` activation, for looped networks, is the usual mistake)."""
    if not isinstance(activation, KernelActivation):
        raise ValueError(
            "`activation` must be a jaxfp.kernels.KernelActivation (for example "
            f"jaxfp.kernels.get_activation('tanh')), got {type(activation).__name__}."
        )


def activation_from_function(
    function: Callable[[Array], Array],
    *,
    name: str = "custom",
    kinks: tuple[float, ...] = (),
    continuous: bool = True,
) -> KernelActivation:
    """Wrap a user's elementwise `function(x)` (jnp code) as a `KernelActivation`.

    List every point where `function` or its derivative is not smooth in `kinks`: the
    quadrature splits there and stays accurate. Set `continuous=False` for a function with
    jumps (its κ' cannot be computed without a closed form).

    Raises:
        ValueError: if `function` is not callable, `kinks` is not a tuple of finite numbers,
            `continuous` is not a bool, or E φ(X)² is 0 or not finite for X ~ N(0, 1) (no
            normalisation C exists).

    Example:
        >>> import jax.numpy as jnp
        >>> import jaxfp.kernels as jk
        >>> hard_tanh = jk.activation_from_function(
        ...     lambda x: jnp.clip(x, -1.0, 1.0), name="hard_tanh", kinks=(-1.0, 1.0))
        >>> float(hard_tanh(3.0))
        1.0
    """
    if not callable(function):
        raise ValueError(f"`function` must be callable, got {type(function).__name__}.")
    try:
        kink_tuple = tuple(float(k) for k in kinks)
    except (TypeError, ValueError):
        raise ValueError(f"`kinks` must be a tuple of finite numbers, got {kinks!r}.") from None
    continuous = check_bool(continuous, "continuous")
    return KernelActivation(
        lambda x, params: function(x), (), name, kinks=kink_tuple, continuous=continuous
    )
