"""The library of activations of P2 and the ones people use now, looked up by name.

`get_activation("leaky_relu:0.1")` is the one entry point; each activation's raw function is
defined once at module level, so two lookups of one name give equal activations (and `jit`
compiles once for both).
"""

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from .._misc import split_name
from . import _closed_forms as closed
from ._activation_type import KernelActivation
from ._quadrature import HERMITE_NODES

# he_k² has degree 2k: exact under the HERMITE_NODES-point rule for 2k <= 2 HERMITE_NODES - 1.
MAX_HERMITE_DEGREE = HERMITE_NODES - 1

# SELU's constants (Klambauer et al. 2017).
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


def _leaky_relu(x, negative_slope):
    return jnp.where(x >= 0.0, x, negative_slope * x)


def _elu(x, alpha):
    return jnp.where(x > 0.0, x, alpha * jnp.expm1(jnp.minimum(x, 0.0)))


def _celu(x, alpha):
    return jnp.where(x > 0.0, x, alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha))


def _hermite_function(x, params, degree):
    del params
    previous, current = jnp.ones_like(x), x
    if degree == 0:
        return previous
    for k in range(1, degree):
        # he_{k+1} = (x he_k - sqrt(k) he_{k-1}) / sqrt(k + 1), normalised Hermite polynomials.
        previous, current = current, (x * current - math.sqrt(k) * previous) / math.sqrt(k + 1)
    return current


def _parameterless(function):
    """`function(x)` as the `(x, params)` form of a `KernelActivation` without parameters."""
    return lambda x, params: function(x)


# name → (φ(x, params), kinks, continuous, closed form); each raw function is built once here.
_NO_PARAMETER = {
    "relu": (_parameterless(lambda x: jnp.maximum(x, 0.0)), (0.0,), True, closed.RELU),
    "tanh": (_parameterless(jnp.tanh), (), True, None),
    "sigmoid": (_parameterless(jax.nn.sigmoid), (), True, None),
    "exp": (_parameterless(jnp.exp), (), True, closed.EXP),
    "gelu": (
        _parameterless(functools.partial(jax.nn.gelu, approximate=False)),
        (),
        True,
        closed.GELU,
    ),
    "gelu_tanh": (_parameterless(functools.partial(jax.nn.gelu, approximate=True)), (), True, None),
    "selu": (_parameterless(lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA)), (0.0,), True, None),
    "erf": (_parameterless(jax.scipy.special.erf), (), True, closed.ERF),
    "sign": (_parameterless(jnp.sign), (0.0,), False, closed.SIGN),
    "sin": (_parameterless(jnp.sin), (), True, closed.SIN),
    "softplus": (_parameterless(jax.nn.softplus), (), True, None),
    "silu": (_parameterless(jax.nn.silu), (), True, None),
    "mish": (_parameterless(lambda x: x * jnp.tanh(jax.nn.softplus(x))), (), True, None),
}
_ALIASES = {"swish": "silu"}


def _scalar_parameter(value: float, argument: str) -> np.ndarray:
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{argument}` must be a real number, got {value!r}.") from error
    if not math.isfinite(number):
        raise ValueError(f"`{argument}` must be finite, got {value!r}.")
    return np.asarray(number, dtype=float)


def _abs() -> KernelActivation:
    # |x| is leaky ReLU with slope −1: it shares that closed form.
    return KernelActivation(
        _leaky_relu, np.asarray(-1.0), "abs", kinks=(0.0,), closed_form=closed.LEAKY_RELU
    )


def _leaky_relu_activation(negative_slope: float = 0.01) -> KernelActivation:
    slope = _scalar_parameter(negative_slope, "negative_slope")
    name = f"leaky_relu:{float(slope):g}"
    return KernelActivation(_leaky_relu, slope, name, (0.0,), closed_form=closed.LEAKY_RELU)


def _elu_activation(alpha: float = 1.0) -> KernelActivation:
    # α = 0 is ReLU; a negative α folds the negative half upwards, which is not ELU.
    alpha_value = _scalar_parameter(alpha, "alpha")
    if alpha_value < 0.0:
        raise ValueError(f"`alpha` of ELU must be >= 0 (ELU's domain), got {float(alpha_value):g}.")
    return KernelActivation(_elu, alpha_value, f"elu:{float(alpha_value):g}", kinks=(0.0,))


def _celu_activation(alpha: float = 1.0) -> KernelActivation:
    alpha_value = _scalar_parameter(alpha, "alpha")
    if alpha_value <= 0.0:
        raise ValueError(
            f"`alpha` of CELU must be > 0 (CELU's domain), got {float(alpha_value):g}."
        )
    return KernelActivation(_celu, alpha_value, f"celu:{float(alpha_value):g}", kinks=(0.0,))


@functools.cache
def _hermite_activation(degree: int) -> KernelActivation:
    """he_k = He_k / sqrt(k!), κ(ρ) = ρ^k (Mehler), for 1 ≤ k ≤ `MAX_HERMITE_DEGREE`: the
    Gauss–Hermite rule integrates he_k², of degree 2k, exactly only up to there."""
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 1:
        raise ValueError(f"`degree` must be an integer >= 1, got {degree!r}.")
    if degree > MAX_HERMITE_DEGREE:
        raise ValueError(
            f"`degree` {degree} is above {MAX_HERMITE_DEGREE}, the largest degree the "
            f"{HERMITE_NODES}-node Gauss–Hermite quadrature integrates exactly."
        )
    degree = int(degree)
    return KernelActivation(
        functools.partial(_hermite_function, degree=degree),
        (),
        f"hermite:{degree}",
        closed_form=closed.hermite_closed_form(degree),
    )


_ONE_PARAMETER = {
    "leaky_relu": _leaky_relu_activation,
    "elu": _elu_activation,
    "celu": _celu_activation,
    "hermite": lambda value: _hermite_activation(int(value) if value.is_integer() else value),
}
ACTIVATION_NAMES = (
    *_NO_PARAMETER,
    "abs",
    *_ALIASES,
    *(f"{name}:VALUE" for name in _ONE_PARAMETER),
)


def get_activation(name: str) -> KernelActivation:
    """The library activation called `name`; a parameter follows a colon: `"leaky_relu:0.1"`.

    Names (case-insensitive): relu, abs, tanh, sigmoid, exp, gelu, gelu_tanh, selu, erf, sign,
    sin, softplus, silu (alias swish), mish, leaky_relu[:a] (default 0.01), elu[:α] (α ≥ 0),
    celu[:α] (α > 0; default 1 for both), hermite:k (1 ≤ k ≤ 199). ReLU, leaky ReLU, abs, exp,
    GELU (erf form), erf, sign, sin and hermite:k have closed-form kernel maps; the others are
    computed by Gauss–Hermite quadrature (split at their kinks).

    Args:
        name: the activation's name, with its parameter after a colon.

    Returns:
        The `KernelActivation`; two lookups of one name give equal activations.

    Raises:
        ValueError: for a name that is not a string, an unknown name, a missing hermite degree
            or a parameter that is not a number or lies outside the activation's domain.

    Example:
        >>> import jaxfp.kernels as jk
        >>> jk.get_activation("hermite:3").name
        'hermite:3'
        >>> float(jk.get_activation("leaky_relu:0.2")(-1.0))
        -0.2
    """
    _, base, parameter = split_name(name, "activation", ", ".join(ACTIVATION_NAMES))
    base = _ALIASES.get(base, base)
    if parameter is None and base in _NO_PARAMETER:
        function, kinks, continuous, closed_form = _NO_PARAMETER[base]
        return KernelActivation(function, (), base, kinks, continuous, closed_form)
    if parameter is None and base == "abs":
        return _abs()
    if base in _ONE_PARAMETER:
        if parameter is None:
            if base == "hermite":
                raise ValueError("`name` hermite needs a degree, e.g. 'hermite:2'.")
            return _ONE_PARAMETER[base]()
        try:
            value = float(parameter)
        except ValueError as error:
            message = f"`name` {name!r}: parameter {parameter!r} is not a number."
            raise ValueError(message) from error
        return _ONE_PARAMETER[base](value)
    known = ", ".join(ACTIVATION_NAMES)
    raise ValueError(f"`name` {name!r} is not a known activation; known: {known}.")
