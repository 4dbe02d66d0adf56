"""Bisection for a scalar root with a known sign change: traceable under `jit` and `vmap`
(`bisect`, `bisection_bracket`), or on the host in float64 for a plain Python function
(`bisect_host`)."""

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

# Enough halvings to shrink any float64 bracket (or a geometric one over 600 decades) to an ulp.
_STEPS = 2100


def bisection_bracket(
    function, lower: ArrayLike, upper: ArrayLike, *, geometric: bool = False, steps: int = 200
) -> tuple[Float[Array, ""], Float[Array, ""]]:
    """The final bracket `(low, high)` of `steps` bisections of [lower, upper].

    `low` keeps the sign of `function(lower)`, `high` the other; with `geometric=True` the
    midpoint is √(low·high) (for a bracket of positive numbers spanning decades).

    Example:
        >>> low, high = bisection_bracket(lambda x: x**2 - 2.0, 0.0, 2.0)
        >>> round(float(high), 12)
        1.414213562373
    """
    steps = min(int(steps), _STEPS)
    middle_of = (lambda a, b: jnp.sqrt(a * b)) if geometric else (lambda a, b: 0.5 * (a + b))
    lower, upper = jnp.asarray(lower, float), jnp.asarray(upper, float)
    lower_sign = jnp.sign(function(lower))

    def body(_, bracket):
        low, high = bracket
        middle = middle_of(low, high)
        same = jnp.sign(function(middle)) == lower_sign
        return jnp.where(same, middle, low), jnp.where(same, high, middle)

    return jax.lax.fori_loop(0, steps, body, (lower, upper))


def bisect(
    function, lower: ArrayLike, upper: ArrayLike, *, geometric: bool = False, steps: int = 200
) -> Float[Array, ""]:
    """The root of `function` in [lower, upper], given a sign change there: the midpoint of
    `bisection_bracket`'s final bracket.

    Example:
        >>> round(float(bisect(lambda x: x**3 - 8.0, 0.0, 5.0)), 12)
        2.0
    """
    low, high = bisection_bracket(function, lower, upper, geometric=geometric, steps=steps)
    return jnp.sqrt(low * high) if geometric else 0.5 * (low + high)


def bisect_host(function, lower: float, upper: float) -> float:
    """The root of a Python function with a sign change on [lower, upper], to full float64: the
    midpoint of the bracket once halving no longer moves it (at most 2100 halvings).

    Example:
        >>> round(bisect_host(lambda x: x**2 - 2.0, 0.0, 2.0), 15)
        1.414213562373095
    """
    low, high = float(lower), float(upper)
    f_low = function(low)
    for _ in range(_STEPS):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        f_middle = function(middle)
        if (f_middle < 0) == (f_low < 0):
            low, f_low = middle, f_middle
        else:
            high = middle
    return 0.5 * (low + high)
