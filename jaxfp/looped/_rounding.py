"""Outward-rounded interval primitives on (lower, upper) array pairs.

Floating-point results are widened so that the true real-number result always lies inside the
returned interval. The bounds assume IEEE-754 round-to-nearest arithmetic (every `+`, `-`, `*`
exact to half an ulp) and library functions (`exp`, `tanh`, `sin`, ...) accurate to
`TRANSCENDENTAL_ULPS` ulps; a sum of `n` products is bounded with the classical γ_n = n·u error
bound (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1), so the order of
summation does not matter. `jaxfp.certify.Interval` is the public face of these primitives.
"""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

# Error allowed for the library's elementary functions and the activations' closed forms built
# from them (tanh, tanh' = 1/cosh², sigmoid, sigmoid', exp, sin, cos), in units of eps·|f(u)|.
# Measured against mpmath at 200 bits on 15 000 random arguments per function and range, XLA
# CPU, float64 and float32 (tests/certify/test_rounding.py repeats the check): the worst is
# tanh' with 19 (float64, |u| ≤ 700) and 25.4 (float32, |u| ≤ 88); the issue reported 35 for
# tanh' where 8 were assumed. 64 leaves a margin of 1.8 over the worst seen anywhere.
TRANSCENDENTAL_ULPS = 64.0


def exp2_ulps(u: Array) -> Array:
    """Error allowance of `jnp.exp2(u)`, in units of eps·|2^u|: it grows with |u| (XLA
    computes exp(u·ln 2), whose rounded argument carries an error of about |u|·ln 2·eps/2;
    measured 0.29·|u| at |u| ≤ 700), so `TRANSCENDENTAL_ULPS + |u|` (a margin over 3)."""
    return TRANSCENDENTAL_ULPS + jnp.abs(as_float(u))


def _eps(x: Array) -> Array:
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.float64
    return jnp.asarray(jnp.finfo(dtype).eps, dtype)


def _tiny(x: Array) -> Array:
    dtype = x.dtype if jnp.issubdtype(x.dtype, jnp.floating) else jnp.float64
    return jnp.asarray(jnp.finfo(dtype).smallest_normal, dtype)


def as_float(x: ArrayLike) -> Float[Array, "..."]:
    """`x` as a floating-point array (integers become the default float dtype)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def round_down(x: Array, ulps: float = 1.0) -> Array:
    """A float ≤ every real within `ulps` ulps of `x` (−inf stays −inf, NaN stays NaN)."""
    x = as_float(x)
    widened = x - (ulps * _eps(x) * jnp.abs(x) + _tiny(x))
    return jnp.where(jnp.isinf(x), x, widened)


def round_up(x: Array, ulps: float = 1.0) -> Array:
    """A float ≥ every real within `ulps` ulps of `x` (+inf stays +inf, NaN stays NaN)."""
    x = as_float(x)
    widened = x + (ulps * _eps(x) * jnp.abs(x) + _tiny(x))
    return jnp.where(jnp.isinf(x), x, widened)


def add(a_lower, a_upper, b_lower, b_upper):
    """Enclosure of [a] + [b]."""
    return round_down(a_lower + b_lower), round_up(a_upper + b_upper)


def subtract(a_lower, a_upper, b_lower, b_upper):
    """Enclosure of [a] − [b]."""
    return round_down(a_lower - b_upper), round_up(a_upper - b_lower)


def _product(a, b):
    # Interval convention 0 · ∞ = 0 (the zero is exact, the infinity a bound).
    return jnp.where((a == 0) | (b == 0), jnp.zeros_like(a * b), a * b)


def multiply(a_lower, a_upper, b_lower, b_upper):
    """Enclosure of [a] · [b] elementwise (broadcasting)."""
    products = jnp.stack(
        jnp.broadcast_arrays(
            _product(a_lower, b_lower),
            _product(a_lower, b_upper),
            _product(a_upper, b_lower),
            _product(a_upper, b_upper),
        )
    )
    return round_down(jnp.min(products, axis=0)), round_up(jnp.max(products, axis=0))


def midpoint_radius(lower, upper):
    """A float midpoint m and radius r with [lower, upper] ⊆ [m − r, m + r]."""
    lower, upper = as_float(lower), as_float(upper)
    mid = lower + 0.5 * (upper - lower)
    mid = jnp.where(jnp.isfinite(mid), mid, 0.5 * lower + 0.5 * upper)
    radius = round_up(jnp.maximum(mid - lower, upper - mid), 2.0)
    return mid, radius


def _sum_error(n: int, magnitude: Array) -> Array:
    # γ_{n+2} bound for a dot product of length n plus one extra rounding, relative to Σ|a||b|.
    eps = _eps(magnitude)
    gamma = (n + 2) * eps / (1 - (n + 2) * eps)
    return round_up(gamma * magnitude, 2.0)


def point_matmul(matrix: Array, lower: Array, upper: Array):
    """Enclosure of A·[x] for a point matrix A (d_out × d_in) and an interval vector [x]."""
    matrix = as_float(matrix)
    mid, radius = midpoint_radius(lower, upper)
    center = matrix @ mid
    absolute = jnp.abs(matrix)
    spread = absolute @ radius
    error = _sum_error(matrix.shape[-1], absolute @ (jnp.abs(mid) + radius))
    total = round_up(spread + error, 2.0)
    return round_down(center - total), round_up(center + total)


def interval_matmul(matrix_lower, matrix_upper, lower, upper):
    """Enclosure of [A]·[x] for an interval matrix and an interval vector (midpoint–radius
    form, Rump 1999: overestimates the exact hull by at most a factor 1.5 in radius)."""
    matrix_mid, matrix_radius = midpoint_radius(matrix_lower, matrix_upper)
    mid, radius = midpoint_radius(lower, upper)
    center = matrix_mid @ mid
    abs_mid = jnp.abs(matrix_mid)
    spread = abs_mid @ radius + matrix_radius @ (jnp.abs(mid) + radius)
    error = _sum_error(matrix_mid.shape[-1], (abs_mid + matrix_radius) @ (jnp.abs(mid) + radius))
    total = round_up(spread + error, 3.0)
    return round_down(center - total), round_up(center + total)


def hull(lower_values: Array, upper_values: Array, axis: int = 0):
    """Smallest interval containing every interval stacked along `axis`."""
    return jnp.min(lower_values, axis=axis), jnp.max(upper_values, axis=axis)


def power(lower: Array, upper: Array, exponent: int):
    """Enclosure of [x]^k for an integer k ≥ 0 (exact hull, outward rounded)."""
    if exponent == 0:
        ones = jnp.ones_like(as_float(lower))
        return ones, ones
    ulps = float(exponent)
    low_power, high_power = lower**exponent, upper**exponent
    if exponent % 2 == 1:
        return round_down(low_power, ulps), round_up(high_power, ulps)
    straddles = (lower <= 0) & (upper >= 0)
    smallest = jnp.where(straddles, 0.0, jnp.minimum(low_power, high_power))
    largest = jnp.maximum(low_power, high_power)
    return jnp.where(straddles, 0.0, round_down(smallest, ulps)), round_up(largest, ulps)
