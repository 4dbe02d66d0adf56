"""The largest magnitude of an array, with a NaN kept as a NaN."""

import jax.numpy as jnp
from jaxtyping import Array, ArrayLike


def max_abs(x: ArrayLike, axis: int | None = None) -> Array:
    """`max |x|` along `axis` (all of `x` by default); NaN wherever the reduced entries hold one.

    A residual check `max_abs(F(x) - x) <= tol` must fail on a NaN. `jnp.max` alone does not
    promise that on XLA:CPU: its vectorised reduction has been seen to return a finite value
    for arrays holding one NaN (a row-wise max over 4096 × d, a full max over ≥ 4096 entries).

    Args:
        x: a real or complex array.
        axis: the axis to reduce, or None for all of them.

    Returns:
        The largest absolute value, real, with `axis` removed.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxfp._numerics import max_abs
        >>> x = jnp.ones((4096, 3)).at[7, 1].set(jnp.nan)
        >>> bool(jnp.isnan(max_abs(x, axis=1))[7]), float(max_abs(x, axis=1)[0])
        (True, 1.0)
    """
    x = jnp.asarray(x)
    return jnp.where(jnp.isnan(x).any(axis=axis), jnp.nan, jnp.max(jnp.abs(x), axis=axis))
