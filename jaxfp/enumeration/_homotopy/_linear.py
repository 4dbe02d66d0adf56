"""A small dense complex linear solve written out entry by entry, for `jax.vmap` over paths.

For the (d + 1) × (d + 1) systems of the tracker (d ≤ ~10), Gaussian elimination with partial
pivoting unrolled at trace time becomes elementwise work across the batch that XLA fuses, where
`jnp.linalg.solve` under vmap calls a batched LU kernel per matrix; `benchmarks/homotopy.py`
measures both and the tracker uses the faster (see `SOLVERS`).
"""

import jax.numpy as jnp
from jaxtyping import Array, Complex


def unrolled_solve(
    matrix: Complex[Array, "n n"], rhs: Complex[Array, " n"]
) -> Complex[Array, " n"]:
    """x with matrix @ x = rhs, by Gaussian elimination with partial pivoting unrolled for n."""
    n = matrix.shape[0]
    rows = [matrix[i] for i in range(n)]
    right = [rhs[i] for i in range(n)]
    for column in range(n):
        # Partial pivoting: move the row with the largest |entry| in this column up.
        for candidate in range(column + 1, n):
            swap = jnp.abs(rows[candidate][column]) > jnp.abs(rows[column][column])
            rows[column], rows[candidate] = (
                jnp.where(swap, rows[candidate], rows[column]),
                jnp.where(swap, rows[column], rows[candidate]),
            )
            right[column], right[candidate] = (
                jnp.where(swap, right[candidate], right[column]),
                jnp.where(swap, right[column], right[candidate]),
            )
        inverse_pivot = 1.0 / rows[column][column]
        for below in range(column + 1, n):
            factor = rows[below][column] * inverse_pivot
            rows[below] = rows[below] - factor * rows[column]
            right[below] = right[below] - factor * right[column]
    solution = [None] * n
    for row in reversed(range(n)):
        total = right[row]
        for later in range(row + 1, n):
            total = total - rows[row][later] * solution[later]
        solution[row] = total / rows[row][row]
    return jnp.stack(solution)


def lapack_solve(matrix: Complex[Array, "n n"], rhs: Complex[Array, " n"]) -> Complex[Array, " n"]:
    """x with matrix @ x = rhs by `jnp.linalg.solve` (LU with partial pivoting)."""
    return jnp.linalg.solve(matrix, rhs)


SOLVERS = {"unrolled": unrolled_solve, "lapack": lapack_solve}
