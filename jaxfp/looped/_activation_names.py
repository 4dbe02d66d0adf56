"""Parse an activation from its name (the CLI's `--activation`)."""

from .._misc import split_name
from ._activation_base import Activation
from ._activations_piecewise import (
    absolute,
    hardtanh,
    leaky_relu,
    piecewise_linear_from_offset,
    relu,
)
from ._activations_polynomial import ExpPolynomial, Polynomial, p1_exponential, p1_polynomial
from ._activations_smooth import Cube, Exp, Sigmoid, Sin, Square, Tanh

_SIMPLE = {
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "relu": relu,
    "exp": Exp,
    "sin": Sin,
    "square": Square,
    "cube": Cube,
    "p1_poly": p1_polynomial,
    "p1_exp": p1_exponential,
    "hardtanh": hardtanh,
    "abs": absolute,
    "leaky_relu": leaky_relu,
}

# Activations given by polynomial coefficients c0,c1,... after the colon.
_POLYNOMIALS = {"poly": Polynomial, "exp2poly": ExpPolynomial}

_VALID = (
    "tanh, sigmoid, relu, exp, sin, square, cube, p1_poly (3z − 4z³), p1_exp "
    "(2^{3(2z−1)² − 2(2z−1)³}), hardtanh, abs, leaky_relu or leaky_relu:SLOPE, "
    "poly:c0,c1,c2,... (σ(u) = Σ c_k u^k), exp2poly:c0,c1,c2,... (σ(u) = 2^{Σ c_k u^k}), "
    "pwl:breakpoints=b1,...,bk;slopes=s0,...,sk;offset=σ(0)"
)


def _numbers(text: str, what: str, full: str) -> list[float]:
    try:
        return [float(item) for item in text.split(",") if item.strip()]
    except ValueError as error:
        raise ValueError(
            f"activation {full!r}: {what} must be comma-separated numbers, got {text!r}."
        ) from error


def _piecewise(spec: str, full: str) -> Activation:
    fields: dict[str, str] = {}
    for part in spec.split(";"):
        key, sep, value = part.partition("=")
        if not sep or key.strip() not in ("breakpoints", "slopes", "offset"):
            raise ValueError(
                f"activation {full!r}: expected 'pwl:breakpoints=...;slopes=...;offset=...', "
                f"could not read {part!r}."
            )
        fields[key.strip()] = value
    if "slopes" not in fields:
        raise ValueError(f"activation {full!r}: 'slopes=...' is required.")
    breakpoints = _numbers(fields.get("breakpoints", ""), "breakpoints", full)
    slopes = _numbers(fields["slopes"], "slopes", full)
    offset_values = _numbers(fields.get("offset", "0"), "offset", full)
    if len(offset_values) != 1:
        raise ValueError(f"activation {full!r}: 'offset' must be one number σ(0).")
    try:
        return piecewise_linear_from_offset(breakpoints, slopes, offset_values[0])
    except ValueError as error:
        raise ValueError(f"activation {full!r}: {error}") from error


def activation_from_name(text: str) -> Activation:
    """The activation named by `text` (case-insensitive; `-` and `_` are the same).

    Accepted: `tanh`, `sigmoid`, `relu`, `exp`, `sin`, `square`, `cube`, `p1_poly` (P1's
    3z − 4z³), `p1_exp` (P1's 2^{3(2z−1)² − 2(2z−1)³}), `hardtanh`, `abs`, `leaky_relu`
    (slope 0.01) or `leaky_relu:SLOPE`, `poly:c0,c1,c2,...` (σ(u) = Σ c_k u^k),
    `exp2poly:c0,c1,c2,...` (σ(u) = 2^{Σ c_k u^k}) and
    `pwl:breakpoints=b1,...,bk;slopes=s0,...,sk;offset=σ(0)` (a continuous piecewise-linear
    σ). Every activation's `name` parses back to an equal activation.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones) or malformed numbers.

    Example:
        >>> import jaxfp
        >>> jaxfp.looped.activation_from_name("leaky_relu:0.1").name
        'leaky_relu:0.1'
    """
    name = split_name(text, "activation", _VALID)
    key = name.head.replace("-", "_")
    if key == "absolute":
        key = "abs"
    if name.parameter is None:
        if key in _SIMPLE:
            return _SIMPLE[key]()
    elif key in _POLYNOMIALS:
        try:
            return _POLYNOMIALS[key](_numbers(name.parameter, "coefficients", name.text))
        except ValueError as error:
            raise ValueError(f"activation {name.text!r}: {error}") from error
    elif key == "pwl":
        return _piecewise(name.parameter, name.text)
    elif key == "leaky_relu":
        values = _numbers(name.parameter, "the slope", name.text)
        if len(values) != 1:
            raise ValueError(f"activation {name.text!r}: leaky_relu takes one slope.")
        return leaky_relu(values[0])
    raise ValueError(f"unknown activation {name.text!r}; valid activations: {_VALID}.")
