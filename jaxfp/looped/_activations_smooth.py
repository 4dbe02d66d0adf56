"""Smooth standard activations: tanh, sigmoid, exp, sin, square, cube."""

import math
from typing import ClassVar

import jax
import jax.numpy as jnp
from equinox import AbstractClassVar
from jaxtyping import Array, ArrayLike, Float

from ._activation_base import Activation
from ._rounding import TRANSCENDENTAL_ULPS, as_float, power, round_down, round_up

_Pair = tuple[Float[Array, "..."], Float[Array, "..."]]


def _increasing(fn, lower, upper, floor=-jnp.inf, ceiling=jnp.inf) -> _Pair:
    """Enclosure of a monotone increasing library function over [lower, upper]."""
    lower, upper = as_float(lower), as_float(upper)
    low = round_down(fn(lower), TRANSCENDENTAL_ULPS)
    high = round_up(fn(upper), TRANSCENDENTAL_ULPS)
    return jnp.clip(low, floor, ceiling), jnp.clip(high, floor, ceiling)


def _unimodal(fn, peak: float, lower, upper, floor=-jnp.inf, ceiling=jnp.inf) -> _Pair:
    """Enclosure of a function increasing left of `peak` and decreasing right of it."""
    lower, upper = as_float(lower), as_float(upper)
    at_lower, at_upper = fn(lower), fn(upper)
    contains_peak = (lower <= peak) & (upper >= peak)
    low = jnp.minimum(at_lower, at_upper)
    high = jnp.where(
        contains_peak,
        fn(jnp.asarray(peak, lower.dtype)),
        jnp.where(upper < peak, at_upper, at_lower),
    )
    low = round_down(low, TRANSCENDENTAL_ULPS)
    high = round_up(high, TRANSCENDENTAL_ULPS)
    return jnp.clip(low, floor, ceiling), jnp.clip(high, floor, ceiling)


class _AbstractSigmoidal(Activation):
    """An increasing σ onto the bounded `output_range` whose derivative rises to its peak
    `derivative_peak` = σ'(0) and falls after it: its range and its derivative's range over a
    box follow from the end points (and 0)."""

    derivative_peak: AbstractClassVar[float]

    def interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        return _increasing(self, lower, upper, *self.output_range)

    def derivative_interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        return _unimodal(self.derivative, 0.0, lower, upper, 0.0, self.derivative_peak)


class Tanh(_AbstractSigmoidal):
    """σ(u) = tanh(u); σ'(u) = sech²(u) ∈ (0, 1], peak at 0; output range (−1, 1).

    Example:
        >>> import jaxfp
        >>> float(jaxfp.looped.Tanh().derivative(0.0))
        1.0
    """

    name: ClassVar[str] = "tanh"
    output_range: ClassVar[tuple[float, float]] = (-1.0, 1.0)
    derivative_peak: ClassVar[float] = 1.0

    def __call__(self, u: ArrayLike) -> Float[Array, "..."]:
        return jnp.tanh(as_float(u))

    def derivative(self, u: ArrayLike) -> Float[Array, "..."]:
        return 1.0 / jnp.cosh(as_float(u)) ** 2


class Sigmoid(_AbstractSigmoidal):
    """σ(u) = 1 / (1 + e^{−u}); σ' = σ(u)σ(−u) ∈ (0, 1/4], peak at 0; output range (0, 1).

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> sigmoid = jaxfp.looped.activation_from_name("sigmoid")
        >>> low, high = sigmoid.derivative_interval(jnp.array(-1.0), jnp.array(2.0))
        >>> float(high)  # the peak σ'(0) = 1/4 lies in [−1, 2]
        0.25
    """

    name: ClassVar[str] = "sigmoid"
    output_range: ClassVar[tuple[float, float]] = (0.0, 1.0)
    derivative_peak: ClassVar[float] = 0.25

    def __call__(self, u: ArrayLike) -> Float[Array, "..."]:
        return jax.nn.sigmoid(as_float(u))

    def derivative(self, u: ArrayLike) -> Float[Array, "..."]:
        u = as_float(u)
        return jax.nn.sigmoid(u) * jax.nn.sigmoid(-u)


class Exp(Activation):
    """σ(u) = e^u = σ'(u); output range (0, ∞).

    Example:
        >>> import jaxfp
        >>> exp = jaxfp.looped.activation_from_name("exp")
        >>> exp.output_range, bool(exp.derivative(1.5) == exp(1.5))
        ((0.0, inf), True)
    """

    name: ClassVar[str] = "exp"
    output_range: ClassVar[tuple[float, float]] = (0.0, math.inf)

    def __call__(self, u: ArrayLike) -> Float[Array, "..."]:
        return jnp.exp(as_float(u))

    def derivative(self, u: ArrayLike) -> Float[Array, "..."]:
        return jnp.exp(as_float(u))

    def interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        return _increasing(jnp.exp, lower, upper, 0.0)

    def derivative_interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        return self.interval(lower, upper)


def _sinusoid_interval(fn, peak_phase: float, lower, upper) -> _Pair:
    """Enclosure of a 2π-periodic sinusoid with maxima at peak_phase + 2πk, minima at
    peak_phase + π + 2πk, over [lower, upper] (the extremum test is widened for the rounding of
    π and of large arguments, so it can only err towards including ±1)."""
    lower, upper = as_float(lower), as_float(upper)
    two_pi = 2.0 * math.pi
    slack = 16.0 * jnp.finfo(lower.dtype).eps * (jnp.abs(lower) + jnp.abs(upper) + 1.0)

    def contains(phase):
        first = jnp.ceil((lower - phase) / two_pi - slack)
        last = jnp.floor((upper - phase) / two_pi + slack)
        return first <= last

    wide = (upper - lower) >= two_pi
    at_lower, at_upper = fn(lower), fn(upper)
    high = jnp.where(wide | contains(peak_phase), 1.0, jnp.maximum(at_lower, at_upper))
    low = jnp.where(wide | contains(peak_phase + math.pi), -1.0, jnp.minimum(at_lower, at_upper))
    low = jnp.clip(round_down(low, TRANSCENDENTAL_ULPS), -1.0, 1.0)
    high = jnp.clip(round_up(high, TRANSCENDENTAL_ULPS), -1.0, 1.0)
    return low, high


class Sin(Activation):
    """σ(u) = sin(u), σ' = cos(u); output range [−1, 1].

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> sin = jaxfp.looped.activation_from_name("sin")
        >>> low, high = sin.interval(jnp.array(1.0), jnp.array(2.0))
        >>> float(high)  # the maximum at π/2 lies in [1, 2]
        1.0
    """

    name: ClassVar[str] = "sin"
    output_range: ClassVar[tuple[float, float]] = (-1.0, 1.0)

    def __call__(self, u: ArrayLike) -> Float[Array, "..."]:
        return jnp.sin(as_float(u))

    def derivative(self, u: ArrayLike) -> Float[Array, "..."]:
        return jnp.cos(as_float(u))

    def interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        return _sinusoid_interval(jnp.sin, 0.5 * math.pi, lower, upper)

    def derivative_interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        return _sinusoid_interval(jnp.cos, 0.0, lower, upper)


class Square(Activation):
    """σ(u) = u², σ' = 2u; output range [0, ∞).

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> square = jaxfp.looped.activation_from_name("square")
        >>> lower, upper = square.interval(jnp.array(-1.0), jnp.array(2.0))
        >>> float(lower), float(upper) >= 4.0
        (0.0, True)
    """

    name: ClassVar[str] = "square"
    output_range: ClassVar[tuple[float, float]] = (0.0, math.inf)
    polynomial_coefficients: ClassVar[tuple[float, ...]] = (0.0, 0.0, 1.0)

    def __call__(self, u: ArrayLike) -> Float[Array, "..."]:
        return as_float(u) ** 2

    def derivative(self, u: ArrayLike) -> Float[Array, "..."]:
        return 2.0 * as_float(u)

    def interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        lower, upper = as_float(lower), as_float(upper)
        straddles = (lower <= 0) & (upper >= 0)
        low = jnp.where(straddles, 0.0, jnp.minimum(lower**2, upper**2))
        high = jnp.maximum(lower**2, upper**2)
        return jnp.maximum(round_down(low), 0.0), round_up(high)

    def derivative_interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        return round_down(2.0 * as_float(lower)), round_up(2.0 * as_float(upper))


class Cube(Activation):
    """σ(u) = u³ (increasing), σ' = 3u²; output range ℝ.

    Example:
        >>> import jaxfp
        >>> jaxfp.looped.activation_from_name("cube").polynomial_coefficients  # for enumeration
        (0.0, 0.0, 0.0, 1.0)
    """

    name: ClassVar[str] = "cube"
    output_range: ClassVar[tuple[float, float]] = (-math.inf, math.inf)
    polynomial_coefficients: ClassVar[tuple[float, ...]] = (0.0, 0.0, 0.0, 1.0)

    def __call__(self, u: ArrayLike) -> Float[Array, "..."]:
        return as_float(u) ** 3

    def derivative(self, u: ArrayLike) -> Float[Array, "..."]:
        return 3.0 * as_float(u) ** 2

    def interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        return power(as_float(lower), as_float(upper), 3)

    def derivative_interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        low, high = Square().interval(lower, upper)
        return jnp.maximum(round_down(3.0 * low), 0.0), round_up(3.0 * high)
