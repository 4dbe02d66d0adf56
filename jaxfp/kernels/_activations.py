"""Activations for kernel-map analysis: the library of P2 and user functions.

An `Activation` is the raw (unnormalised) elementwise function φ plus what the quadrature and
the closed forms need: where φ is not smooth (`kinks`), whether it is continuous, and its
closed-form kernel map if one exists. The kernel maps normalise φ by C = sqrt(E φ(X)^2).
"""

import functools
import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PyTree

from . import _closed_forms as closed
from ._closed_forms import ClosedFormKernel
from ._quadrature import HERMITE_NODES

# he_k² has degree 2k: exact under the HERMITE_NODES-point rule for 2k <= 2 HERMITE_NODES - 1.
MAX_HERMITE_DEGREE = HERMITE_NODES - 1

# SELU's constants (Klambauer et al. 2017).
_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


class Activation(eqx.Module):
    """An elementwise activation φ, as the kernel-map analysis of P2 sees it.

    Build one from the library (`relu()`, `tanh()`, `leaky_relu(0.1)`, ...), by name with
    `get_activation("leaky_relu:0.1")`, or from any function with `activation_from_function`.

    **Fields:**
    - `function`: `function(x, params)`, elementwise, unnormalised.
    - `params`: the function's numeric parameters (arrays: they can be differentiated).
    - `name`: a readable name.
    - `kinks`: points where φ or φ' is not smooth; the quadrature splits there.
    - `continuous`: whether φ is continuous (a jump, as in sign, has no derivative E φ'φ').
    - `closed_form`: the closed-form normalised kernel map, or `None`.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> act = jk.leaky_relu(0.1)
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

    def __call__(self, x: Float[ArrayLike, "*shape"]) -> Float[Array, "*shape"]:
        """φ(x), elementwise."""
        return self.function(jnp.asarray(x, dtype=float), self.params)

    def derivative(self, x: Float[ArrayLike, "*shape"]) -> Float[Array, "*shape"]:
        """φ'(x), elementwise, by automatic differentiation (almost everywhere)."""
        scalar = lambda t: self.function(t, self.params)
        return jnp.vectorize(jax.grad(scalar))(jnp.asarray(x, dtype=float))


def _relu(x, params):
    del params
    return jnp.maximum(x, 0.0)


def _leaky_relu(x, negative_slope):
    return jnp.where(x >= 0.0, x, negative_slope * x)


def _tanh(x, params):
    del params
    return jnp.tanh(x)


def _sigmoid(x, params):
    del params
    return jax.nn.sigmoid(x)


def _exp(x, params):
    del params
    return jnp.exp(x)


def _gelu_exact(x, params):
    del params
    return jax.nn.gelu(x, approximate=False)


def _gelu_tanh(x, params):
    del params
    return jax.nn.gelu(x, approximate=True)


def _elu(x, alpha):
    return jnp.where(x > 0.0, x, alpha * jnp.expm1(jnp.minimum(x, 0.0)))


def _celu(x, alpha):
    return jnp.where(x > 0.0, x, alpha * jnp.expm1(jnp.minimum(x, 0.0) / alpha))


def _selu(x, params):
    del params
    return _SELU_SCALE * _elu(x, _SELU_ALPHA)


def _erf(x, params):
    del params
    return jax.scipy.special.erf(x)


def _softplus(x, params):
    del params
    return jax.nn.softplus(x)


def _silu(x, params):
    del params
    return jax.nn.silu(x)


def _mish(x, params):
    del params
    return x * jnp.tanh(jax.nn.softplus(x))


def _sign(x, params):
    del params
    return jnp.sign(x)


def _sin(x, params):
    del params
    return jnp.sin(x)


def _hermite_function(x, params, degree):
    del params
    previous, current = jnp.ones_like(x), x
    if degree == 0:
        return previous
    for k in range(1, degree):
        # he_{k+1} = (x he_k - sqrt(k) he_{k-1}) / sqrt(k + 1), normalised Hermite polynomials.
        previous, current = current, (x * current - math.sqrt(k) * previous) / math.sqrt(k + 1)
    return current


def _scalar_parameter(value: float, argument: str) -> np.ndarray:
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"`{argument}` must be a real number, got {value!r}.") from error
    if not math.isfinite(number):
        raise ValueError(f"`{argument}` must be finite, got {value!r}.")
    return np.asarray(number, dtype=float)


def relu() -> Activation:
    """ReLU, φ(x) = max(x, 0); closed-form kernel (arc-cosine kernel, P2 §3).

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> round(float(jk.normalization_constant(jk.relu())), 6)
        0.707107
    """
    return Activation(_relu, (), "relu", kinks=(0.0,), closed_form=closed.RELU)


def leaky_relu(negative_slope: float = 0.01) -> Activation:
    """Leaky ReLU with slope `negative_slope` for x < 0; closed form, a residual blend of ReLU.

    Raises `ValueError` if `negative_slope` is not a finite real number.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.leaky_relu(0.2)(-1.0))
        -0.2
    """
    slope = _scalar_parameter(negative_slope, "negative_slope")
    return Activation(
        _leaky_relu,
        slope,
        f"leaky_relu:{float(slope):g}",
        kinks=(0.0,),
        closed_form=closed.LEAKY_RELU,
    )


def absolute_value() -> Activation:
    """φ(x) = |x| (leaky ReLU with slope −1); closed-form kernel.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.absolute_value()(-3.0))
        3.0
    """
    return Activation(
        _leaky_relu, np.asarray(-1.0), "abs", kinks=(0.0,), closed_form=closed.LEAKY_RELU
    )


def tanh() -> Activation:
    """tanh; no closed form, 2-D Gauss–Hermite quadrature.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> round(float(jk.normalization_constant(jk.tanh())), 6)
        0.627929
    """
    return Activation(_tanh, (), "tanh")


def sigmoid() -> Activation:
    """The logistic sigmoid 1 / (1 + e^{−x}).

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.sigmoid()(0.0))
        0.5
    """
    return Activation(_sigmoid, (), "sigmoid")


def exp() -> Activation:
    """The exponential; closed form κ(ρ) = e^{ρ − 1}.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.exp()(0.0))
        1.0
    """
    return Activation(_exp, (), "exp", closed_form=closed.EXP)


def gelu(approximate: bool = False) -> Activation:
    """GELU x Φ(x); the exact (erf) form has a closed-form kernel, the tanh form does not.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> jk.gelu(approximate=True).name
        'gelu_tanh'
    """
    if approximate:
        return Activation(_gelu_tanh, (), "gelu_tanh")
    return Activation(_gelu_exact, (), "gelu", closed_form=closed.GELU)


def elu(alpha: float = 1.0) -> Activation:
    """ELU: x for x > 0, α (e^x − 1) otherwise.

    Raises `ValueError` if `alpha` is not a finite real number ≥ 0 (α = 0 is ReLU; a negative
    α folds the negative half upwards, which is not ELU and not covered by the analysis).

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.elu(1.0)(1.5))
        1.5
    """
    alpha_value = _scalar_parameter(alpha, "alpha")
    if alpha_value < 0.0:
        raise ValueError(f"`alpha` of ELU must be >= 0 (ELU's domain), got {float(alpha_value):g}.")
    return Activation(_elu, alpha_value, f"elu:{float(alpha_value):g}", kinks=(0.0,))


def celu(alpha: float = 1.0) -> Activation:
    """CELU: x for x > 0, α (e^{x/α} − 1) otherwise.

    Raises `ValueError` unless `alpha` is a finite real number > 0 (CELU's domain).

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.celu(2.0)(3.0))
        3.0
    """
    alpha_value = _scalar_parameter(alpha, "alpha")
    if alpha_value <= 0.0:
        raise ValueError(
            f"`alpha` of CELU must be > 0 (CELU's domain), got {float(alpha_value):g}."
        )
    return Activation(_celu, alpha_value, f"celu:{float(alpha_value):g}", kinks=(0.0,))


def selu() -> Activation:
    """SELU (Klambauer et al. 2017): λ·ELU_α with λ ≈ 1.0507, α ≈ 1.6733.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> round(float(jk.selu()(1.0)), 4)
        1.0507
    """
    return Activation(_selu, (), "selu", kinks=(0.0,))


def erf() -> Activation:
    """The error function; closed form κ(ρ) = arcsin(2ρ/3) / arcsin(2/3).

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.erf()(0.0))
        0.0
    """
    return Activation(_erf, (), "erf", closed_form=closed.ERF)


def sign() -> Activation:
    """The sign function (discontinuous); closed form κ(ρ) = (2/π) arcsin ρ.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.sign()(-0.3))
        -1.0
    """
    return Activation(_sign, (), "sign", kinks=(0.0,), continuous=False, closed_form=closed.SIGN)


def softplus() -> Activation:
    """Softplus, φ(x) = log(1 + e^x); smooth, its kernel map by Gauss–Hermite quadrature.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> round(float(jk.softplus()(0.0)), 6)
        0.693147
    """
    return Activation(_softplus, (), "softplus")


def silu() -> Activation:
    """SiLU (swish), φ(x) = x σ(x) with σ the logistic sigmoid; kernel map by quadrature.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.silu()(0.0))
        0.0
    """
    return Activation(_silu, (), "silu")


def mish() -> Activation:
    """Mish, φ(x) = x tanh(softplus(x)); kernel map by quadrature.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.mish()(0.0))
        0.0
    """
    return Activation(_mish, (), "mish")


def sin() -> Activation:
    """The sine; closed form κ(ρ) = sinh ρ / sinh 1.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.sin()(0.0))
        0.0
    """
    return Activation(_sin, (), "sin", closed_form=closed.SIN)


@functools.cache
def hermite(degree: int) -> Activation:
    """The normalised Hermite polynomial he_k = He_k / sqrt(k!); κ(ρ) = ρ^k (Mehler).

    Raises `ValueError` unless `degree` is an integer with 1 ≤ degree < `MAX_HERMITE_DEGREE + 1`
    (199: the 200-node Gauss–Hermite rule integrates he_k², a polynomial of degree 2k, exactly
    only up to k = 199; above, C and the coefficients would be wrong).

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> float(jk.hermite(2)(2.0)) == 3.0 / 2.0 ** 0.5
        True
    """
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 1:
        raise ValueError(f"`degree` must be an integer >= 1, got {degree!r}.")
    if degree > MAX_HERMITE_DEGREE:
        raise ValueError(
            f"`degree` {degree} is above {MAX_HERMITE_DEGREE}, the largest degree the "
            f"{HERMITE_NODES}-node Gauss–Hermite quadrature integrates exactly."
        )
    degree = int(degree)
    return Activation(
        functools.partial(_hermite_function, degree=degree),
        (),
        f"hermite:{degree}",
        closed_form=closed.hermite_closed_form(degree),
    )


def activation_from_function(
    function: Callable[[Array], Array],
    *,
    name: str = "custom",
    kinks: tuple[float, ...] = (),
    continuous: bool = True,
) -> Activation:
    """Wrap a user's elementwise `function(x)` (jnp code) as an `Activation`.

    List every point where `function` or its derivative is not smooth in `kinks`: the
    quadrature splits there and stays accurate. Set `continuous=False` for a function with
    jumps (its κ' cannot be computed without a closed form).

    Raises `ValueError` if `function` is not callable or a kink is not finite.

    **Example:**
        >>> import jax.numpy as jnp
        >>> import jaxfp.kernels as jk
        >>> hard_tanh = jk.activation_from_function(
        ...     lambda x: jnp.clip(x, -1.0, 1.0), name="hard_tanh", kinks=(-1.0, 1.0))
        >>> float(hard_tanh(3.0))
        1.0
    """
    if not callable(function):
        raise ValueError(f"`function` must be callable, got {type(function).__name__}.")
    kink_tuple = tuple(float(k) for k in kinks)
    return Activation(
        lambda x, params: function(x), (), name, kinks=kink_tuple, continuous=continuous
    )


_NO_PARAMETER = {
    "relu": relu,
    "abs": absolute_value,
    "tanh": tanh,
    "sigmoid": sigmoid,
    "exp": exp,
    "gelu": gelu,
    "gelu_tanh": lambda: gelu(approximate=True),
    "selu": selu,
    "erf": erf,
    "sign": sign,
    "sin": sin,
    "softplus": softplus,
    "silu": silu,
    "swish": silu,
    "mish": mish,
}
_ONE_PARAMETER = {
    "leaky_relu": leaky_relu,
    "elu": elu,
    "celu": celu,
    "hermite": lambda value: hermite(int(value)) if float(value).is_integer() else hermite(value),
}
ACTIVATION_NAMES = tuple(_NO_PARAMETER) + tuple(f"{name}:VALUE" for name in _ONE_PARAMETER)


def get_activation(name: str) -> Activation:
    """The library activation called `name`; parameters follow a colon: `"leaky_relu:0.1"`.

    Names: relu, abs, tanh, sigmoid, exp, gelu, gelu_tanh, selu, erf, sign, sin, softplus,
    silu (alias swish), mish,
    leaky_relu[:a] (default 0.01), elu[:α], celu[:α] (default 1), hermite:k.

    Raises `ValueError` for an unknown name or a malformed parameter.

    **Example:**
        >>> import jaxfp.kernels as jk
        >>> jk.get_activation("hermite:3").name
        'hermite:3'
    """
    if not isinstance(name, str):
        raise ValueError(f"`name` must be a string, got {type(name).__name__}.")
    base, _, parameter = name.strip().lower().partition(":")
    if base in _NO_PARAMETER and not parameter:
        return _NO_PARAMETER[base]()
    if base in _ONE_PARAMETER:
        if not parameter:
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
