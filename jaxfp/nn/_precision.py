"""Mixed precision for equilibrium cells: the cell in a low dtype, the solver state in its own."""

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp


def with_cell_dtype(cell: Callable, dtype: Any) -> Callable:
    """`cell(z, x)` evaluated on `z` and `x` cast to `dtype`, its output cast back to `z`'s dtypes.

    Only floating leaves are cast; `dtype=None` returns `cell` itself.

    Example:
        >>> import jax.numpy as jnp
        >>> mixed = with_cell_dtype(lambda z, x: z + x, jnp.bfloat16)
        >>> mixed(jnp.ones(2, jnp.float32), jnp.ones(2)).dtype
        dtype('float32')
    """
    if dtype is None:
        return cell

    def cast(tree, dtypes):
        return jax.tree.map(
            lambda a, d: a.astype(d) if jnp.issubdtype(a.dtype, jnp.floating) else a,
            tree,
            dtypes,
        )

    def mixed(z, x):
        low = lambda tree: cast(tree, jax.tree.map(lambda _: dtype, tree))
        out = cell(low(z), low(x))
        return cast(out, jax.tree.map(lambda a: a.dtype, z))

    return mixed
