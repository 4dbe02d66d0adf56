"""Polynomial activations σ(u) = Σ c_k u^k, and P1's exponential of a polynomial 2^{q(u)}.

The interval extension splits the real line at the critical points of the polynomial (roots of
σ', found once with numpy when the activation is built, each wrapped in a tiny box). On the
pieces between them σ is monotone, which is *checked* with an enclosure of σ' computed by the
same algorithm one degree lower (so an inaccurate root can only cost tightness, never rigour),
and the range there is the hull of the endpoint values; a piece whose monotonicity is not
proved gets the naive interval evaluation Σ c_k [u]^k, and each tiny box around a critical
point a mean-value form. The union is the exact range up to a few ulps.
"""

import math
from fractions import Fraction

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._activation_base import Activation
from ._rounding import add, as_float, exp2_ulps, multiply, round_down, round_up

_Pair = tuple[Float[Array, "..."], Float[Array, "..."]]
# Half-width of the box around each numerically found critical point, relative to 1 + |t|.
_CRITICAL_BOX = 1e-8
# Roots of σ' with |imaginary part| below this (relative to 1 + |t|) are treated as real.
_REAL_ROOT_TOLERANCE = 1e-6


def _format_number(value: float) -> str:
    return repr(float(value)).removesuffix(".0") if float(value).is_integer() else repr(value)


def _validate_coefficients(coefficients) -> tuple[float, ...]:
    try:
        array = np.asarray(coefficients, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Polynomial `coefficients` must be a sequence of real numbers c0, c1, ..., got "
            f"{coefficients!r}."
        ) from error
    if array.ndim != 1 or array.size == 0:
        raise ValueError(
            "Polynomial `coefficients` must be a non-empty 1-D sequence c0, c1, ..., got shape "
            f"{array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"Polynomial `coefficients` must be finite, got {array.tolist()}.")
    nonzero = np.flatnonzero(array)
    degree = int(nonzero[-1]) if nonzero.size else 0
    return tuple(float(c) for c in array[: degree + 1])


def _critical_points(coefficients: tuple[float, ...]) -> tuple[float, ...]:
    """Sorted real roots of σ' (numerically; near-real complex pairs count as real)."""
    if len(coefficients) <= 2:
        return ()
    derivative = np.polynomial.polynomial.polyder(np.asarray(coefficients))
    roots = np.polynomial.polynomial.polyroots(derivative)
    return tuple(
        sorted(
            float(r.real)
            for r in np.atleast_1d(roots)
            if abs(r.imag) <= _REAL_ROOT_TOLERANCE * (1.0 + abs(r.real))
        )
    )


def _boundaries(critical_points: tuple[float, ...], dtype) -> tuple[float, ...]:
    """Sorted boundaries a_1 < b_1 < a_2 < ... of the boxes around the critical points, wide
    enough for the precision of `dtype` (overlapping boxes are merged)."""
    relative = max(_CRITICAL_BOX, 64.0 * float(jnp.finfo(dtype).eps))
    boxes: list[list[float]] = []
    for t in critical_points:
        half = relative * (1.0 + abs(t))
        if boxes and t - half <= boxes[-1][1]:
            boxes[-1][1] = t + half
        else:
            boxes.append([t - half, t + half])
    return tuple(x for box in boxes for x in box)


def _magnitude(coefficients, bound) -> Array:
    """Σ |c_k| m^k (Horner on |c|), the scale of the rounding error of a polynomial at |x| ≤ m."""
    total = jnp.zeros_like(bound)
    for c in reversed(coefficients):
        total = total * bound + abs(c)
    return total


def _widen(coefficients, low, high, bound) -> _Pair:
    """Widen bounds computed in floating point by the γ_{2n+4} error bound of evaluating
    Σ c_k x^k for |x| ≤ bound (each bound is a sum of n products of ≤ n roundings each)."""
    n = len(coefficients)
    eps = jnp.finfo(low.dtype).eps
    tiny = jnp.finfo(low.dtype).smallest_normal
    error = (2 * n + 4) * eps * _magnitude(coefficients, bound) + tiny
    low, high = low - error, high + error
    finite = jnp.isfinite(low) & jnp.isfinite(high)
    return jnp.where(finite, low, -jnp.inf), jnp.where(finite, high, jnp.inf)


def _naive(coefficients, lower, upper) -> _Pair:
    """Σ c_k [u]^k with exact interval powers, outward rounded."""
    total_low = jnp.zeros_like(lower)
    total_high = jnp.zeros_like(lower)
    straddles = (lower <= 0) & (upper >= 0)
    for k, c in enumerate(coefficients):
        if c == 0.0:
            continue
        if k == 0:
            low_power = high_power = jnp.ones_like(lower)
        elif k % 2 == 1:
            low_power, high_power = lower**k, upper**k
        else:
            at_lower, at_upper = lower**k, upper**k
            low_power = jnp.where(straddles, 0.0, jnp.minimum(at_lower, at_upper))
            high_power = jnp.maximum(at_lower, at_upper)
        if c > 0:
            total_low, total_high = total_low + c * low_power, total_high + c * high_power
        else:
            total_low, total_high = total_low + c * high_power, total_high + c * low_power
    return _widen(coefficients, total_low, total_high, jnp.maximum(jnp.abs(lower), jnp.abs(upper)))


def _horner(coefficients, x) -> Array:
    """Σ c_k x^k by Horner's rule (floating point, not rounded outward)."""
    value = jnp.zeros_like(x)
    for c in reversed(coefficients):
        value = value * x + c
    return value


def _point(coefficients, x) -> _Pair:
    """Rigorous enclosure of p(x) at points: Horner plus the γ_{2n+4} error bound. At x = ±∞
    it is p's limit there (±∞ for degree ≥ 1), so that the hull over a monotone piece that
    reaches infinity is its range."""
    value = _horner(coefficients, x)
    low, high = _widen(coefficients, value, value, jnp.abs(x))
    degree = len(coefficients) - 1
    if degree == 0:
        return low, high
    limit = math.copysign(math.inf, coefficients[-1]) * jnp.sign(x) ** degree
    at_infinity = jnp.isinf(x)
    return jnp.where(at_infinity, limit, low), jnp.where(at_infinity, limit, high)


def _monotone_tails(coefficients, edges) -> tuple[bool, bool]:
    """Whether p is proved monotone on (−∞, edges[1]] and on [edges[-2], ∞), the two unbounded
    pieces, where the enclosure of p' cannot decide it. Exactly, in rational arithmetic: p'
    shifted to the edge, p'(a ± t) = Σ d_k t^k, has constant sign for t ≥ 0 when all d_k share
    one sign (Descartes' rule of signs: no sign change, no positive root)."""
    derivative = [Fraction(k) * Fraction(c) for k, c in enumerate(coefficients)][1:]

    def signs(edge: float, direction: int) -> set[int]:
        # Signs of the Taylor coefficients of p'(edge + direction·t) in t (synthetic division,
        # exact).
        shifted, point = list(derivative), Fraction(edge)
        for k in range(len(shifted)):
            for j in range(len(shifted) - 2, k - 1, -1):
                shifted[j] += point * shifted[j + 1]
        return {(1 if d > 0 else -1) * direction**k for k, d in enumerate(shifted) if d != 0}

    if len(edges) == 2:  # no critical point: one piece, the whole line (both halves, one sign)
        whole = len(signs(0.0, -1) | signs(0.0, 1)) <= 1
        return whole, whole
    return len(signs(float(edges[1]), -1)) <= 1, len(signs(float(edges[-2]), 1)) <= 1


def polynomial_interval(coefficients, critical_points, lower, upper) -> _Pair:
    """Tight rigorous range of Σ c_k u^k over [lower, upper] (see the module docstring).

    The segments between and around the critical points are handled together along a trailing
    axis, so the compiled program does not grow with their number.
    """
    lower, upper = jnp.broadcast_arrays(as_float(lower), as_float(upper))
    if len(coefficients) <= 2:  # constant or affine: the naive form is exact
        return _naive(coefficients, lower, upper)
    derivative = tuple(k * c for k, c in enumerate(coefficients))[1:]
    edges = np.asarray((-math.inf, *_boundaries(critical_points, lower.dtype), math.inf))
    is_box = jnp.asarray(np.arange(edges.size - 1) % 2 == 1)
    low, high = lower[..., None], upper[..., None]
    start = jnp.maximum(low, jnp.asarray(edges[:-1], lower.dtype))
    stop = jnp.minimum(high, jnp.asarray(edges[1:], lower.dtype))
    valid = start <= stop
    start, stop = jnp.where(valid, start, low), jnp.where(valid, stop, low)
    naive_low, naive_high = _naive(coefficients, start, stop)
    # σ' on each segment, tightly (the same algorithm one degree lower).
    slope_low, slope_high = polynomial_interval(
        derivative, _critical_points(derivative), start, stop
    )
    # Monotone pieces: the hull of the endpoint values.
    start_low, start_high = _point(coefficients, start)
    stop_low, stop_high = _point(coefficients, stop)
    left_tail, right_tail = _monotone_tails(coefficients, edges)
    tail = np.zeros(edges.size - 1, dtype=bool)
    tail[0], tail[-1] = left_tail, right_tail
    monotone = ((slope_low > 0) | (slope_high < 0) | jnp.asarray(tail)) & ~is_box
    piece_low = jnp.where(monotone, jnp.minimum(start_low, stop_low), naive_low)
    piece_high = jnp.where(monotone, jnp.maximum(start_high, stop_high), naive_high)
    # Tiny boxes around critical points: the mean-value form p(m) + σ'([t])·([t] − m).
    middle = start + 0.5 * (stop - start)
    middle = jnp.where(jnp.isfinite(middle), middle, start)
    value_low, value_high = _point(coefficients, middle)
    offset_low, offset_high = round_down(start - middle), round_up(stop - middle)
    change_low, change_high = multiply(slope_low, slope_high, offset_low, offset_high)
    centered_low, centered_high = add(value_low, value_high, change_low, change_high)
    box_low = jnp.maximum(naive_low, centered_low)
    box_high = jnp.minimum(naive_high, centered_high)
    segment_low = jnp.where(is_box, box_low, piece_low)
    segment_high = jnp.where(is_box, box_high, piece_high)
    return (
        jnp.min(jnp.where(valid, segment_low, jnp.inf), axis=-1),
        jnp.max(jnp.where(valid, segment_high, -jnp.inf), axis=-1),
    )


def polynomial_output_range(coefficients, critical_points) -> tuple[float, float]:
    """A-priori (lower, upper) bounds of a polynomial over ℝ."""
    degree = len(coefficients) - 1
    if degree == 0:
        return (coefficients[0], coefficients[0])
    if degree % 2 == 1:
        return (-math.inf, math.inf)
    boxes = np.asarray(_boundaries(critical_points, jnp.result_type(float)))
    values = polynomial_interval(
        coefficients, critical_points, jnp.asarray(boxes[0::2]), jnp.asarray(boxes[1::2])
    )
    if coefficients[-1] > 0:
        return (float(jnp.min(values[0])), math.inf)
    return (-math.inf, float(jnp.max(values[1])))


class Polynomial(Activation):
    """σ(u) = Σ_k c_k u^k for any degree, with a tight rigorous interval extension.

    Args:
        coefficients: c_0, c_1, ..., c_n (lowest degree first; trailing zeros are dropped).
        label: optional name (the built-in P1 polynomial is `"p1_poly"`); by default the name is
            `"poly:c0,c1,..."`, which `activation_from_name` parses back.

    Raises:
        ValueError: if `coefficients` is empty, not 1-D or not finite.

    Example:
        >>> import jaxfp
        >>> sigma = jaxfp.looped.Polynomial([0.0, 3.0, 0.0, -4.0])  # P1's 3u − 4u³
        >>> float(sigma(0.5)), float(sigma.derivative(0.5))
        (1.0, 0.0)
    """

    coefficients: tuple[float, ...] = eqx.field(static=True)
    critical_points: tuple[float, ...] = eqx.field(static=True)
    label: str | None = eqx.field(static=True)

    def __init__(self, coefficients, label: str | None = None):
        self.coefficients = _validate_coefficients(coefficients)
        self.critical_points = _critical_points(self.coefficients)
        self.label = label

    @property
    def derivative_coefficients(self) -> tuple[float, ...]:
        """Coefficients of σ' (lowest degree first)."""
        return tuple(k * c for k, c in enumerate(self.coefficients))[1:] or (0.0,)

    def __call__(self, u: ArrayLike) -> Float[Array, "..."]:
        return _horner(self.coefficients, as_float(u))

    def derivative(self, u: ArrayLike) -> Float[Array, "..."]:
        return _horner(self.derivative_coefficients, as_float(u))

    def interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        return polynomial_interval(self.coefficients, self.critical_points, lower, upper)

    def derivative_interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        return Polynomial(self.derivative_coefficients).interval(lower, upper)

    @property
    def output_range(self) -> tuple[float, float]:
        return polynomial_output_range(self.coefficients, self.critical_points)

    @property
    def polynomial_coefficients(self) -> tuple[float, ...]:
        return self.coefficients

    @property
    def name(self) -> str:
        if self.label is not None:
            return self.label
        return "poly:" + ",".join(_format_number(c) for c in self.coefficients)


class ExpPolynomial(Activation):
    """σ(u) = 2^{q(u)} for a polynomial q(u) = Σ c_k u^k; σ'(u) = ln 2 · q'(u) · σ(u).

    P1's exponential-of-polynomial activation is `p1_exponential()`, with
    q(u) = 3(2u − 1)² − 2(2u − 1)³ (Ke et al. 2024, arXiv:2410.11279, construction (E)).

    Args:
        coefficients: c_0, ..., c_n of the exponent q (lowest degree first).
        label: optional name (the built-in is `"p1_exp"`).

    Raises:
        ValueError: if `coefficients` is empty, not 1-D or not finite.

    Example:
        >>> import jaxfp
        >>> sigma = p1_exponential()
        >>> float(sigma(0.5)), float(sigma(1.0))
        (1.0, 2.0)
    """

    exponent: Polynomial
    label: str | None = eqx.field(static=True)

    def __init__(self, coefficients, label: str | None = None):
        self.exponent = Polynomial(coefficients)
        self.label = label

    def __call__(self, u: ArrayLike) -> Float[Array, "..."]:
        return jnp.exp2(self.exponent(u))

    def derivative(self, u: ArrayLike) -> Float[Array, "..."]:
        return math.log(2.0) * self.exponent.derivative(u) * jnp.exp2(self.exponent(u))

    def interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        low, high = self.exponent.interval(lower, upper)
        # 2^(−∞) = 0 and 2^∞ = ∞ exactly; the ulp allowance of exp2 is for finite arguments.
        finite_low, finite_high = jnp.isfinite(low), jnp.isfinite(high)
        low, high = jnp.where(finite_low, low, 0.0), jnp.where(finite_high, high, 0.0)
        value_low = jnp.maximum(round_down(jnp.exp2(low), exp2_ulps(low)), 0.0)
        value_high = round_up(jnp.exp2(high), exp2_ulps(high))
        return jnp.where(finite_low, value_low, 0.0), jnp.where(finite_high, value_high, jnp.inf)

    def derivative_interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        ln2 = math.log(2.0)
        slope_low, slope_high = self.exponent.derivative_interval(lower, upper)
        value_low, value_high = self.interval(lower, upper)
        scaled_low, scaled_high = multiply(slope_low, slope_high, round_down(ln2), round_up(ln2))
        return multiply(scaled_low, scaled_high, value_low, value_high)

    @property
    def output_range(self) -> tuple[float, float]:
        low, high = self.exponent.output_range
        return (float(2.0**low) if low > -math.inf else 0.0, float(2.0**high))

    @property
    def name(self) -> str:
        if self.label is not None:
            return self.label
        return "exp2poly:" + ",".join(_format_number(c) for c in self.exponent.coefficients)


def p1_polynomial() -> Polynomial:
    """P1's polynomial activation σ(z) = 3z − 4z³ (construction (P); Ke et al. 2024,
    arXiv:2410.11279). With W = ½I it gives the scalar map g(x) = (3x − x³)/2.

    Example:
        >>> import jaxfp
        >>> float(p1_polynomial()(0.5))
        1.0
    """
    return Polynomial((0.0, 3.0, 0.0, -4.0), label="p1_poly")


def p1_exponential() -> ExpPolynomial:
    """P1's exponential-of-polynomial activation σ(z) = 2^{p(2z − 1)}, p(t) = 3t² − 2t³
    (construction (E); Ke et al. 2024, arXiv:2410.11279), i.e. 2^{q(z)} with q expanded.

    Example:
        >>> import jaxfp
        >>> float(p1_exponential()(0.0))
        32.0
    """
    inner = np.polynomial.Polynomial([-1.0, 2.0])  # t = 2z − 1
    exponent = 3.0 * inner**2 - 2.0 * inner**3
    return ExpPolynomial(tuple(exponent.coef.tolist()), label="p1_exp")
