"""LU with partial pivoting written in `jax.numpy`, vectorised across a `vmap`ped batch.

Under `jax.vmap`, `jnp.linalg.solve` (and `lineax.LU`) call LAPACK once per matrix: for
systems of a few unknowns the per-call overhead, not the arithmetic, sets the cost. Here the
batch axis is moved last, so every step of the elimination is one elementwise operation over
the whole batch that XLA vectorises in SIMD lanes, run over cache-sized chunks of the batch.
`benchmarks/batched_newton.py` measures it against LAPACK; `jaxfp.Newton` uses it for small
dense Jacobians (`SIZE_LIMITS`).
"""

from typing import Any

import jax
import jax.numpy as jnp
import lineax as lx
from jaxtyping import Array, Inexact

# Largest system, per real dtype, that `jaxfp.Newton` solves with it by default: on CPU, solved
# in cache-sized chunks of the batch, it beat batched LAPACK in the Newton benchmark up to 16
# unknowns (1.1-1.8x at 16; slower at 32). In float32 at 16 rounding flipped 10% of the chaotic
# starts of a tanh network to other outcomes than with LAPACK, so float32 stops at 8
# (`benchmarks/batched_newton.py`).
SIZE_LIMITS = {jnp.dtype(jnp.float32): 8, jnp.dtype(jnp.float64): 16}


def _solve_batch_last(
    matrix: Inexact[Array, "n n batch"], vector: Inexact[Array, "n batch"]
) -> Inexact[Array, "n batch"]:
    """x with matrix[..., i] @ x[:, i] = vector[:, i] for every batch entry i.

    Gaussian elimination with partial pivoting (the largest |entry| of the column, first one on
    ties, as LAPACK's getrf), unrolled over the columns at trace time; each step works on the
    trailing block only. A zero pivot (a singular matrix) gives non-finite entries.
    """
    size = matrix.shape[0]
    block = jnp.concatenate([matrix, vector[:, None]], axis=1)  # (rows, columns + 1, batch)
    pivot_rows = []
    for rows in range(size, 0, -1):
        if rows == 1:
            pivot_rows.append(block[0])
            break
        # The pivot search runs over the minor axis, and the pivot row is gathered: both far
        # faster on XLA:CPU than a reduction over the (leading) row axis.
        pivot = jnp.argmax(jnp.abs(block[:, 0]).T, axis=1)
        pivot_row = jnp.take_along_axis(block, pivot[None, None, :], axis=0)[0]
        below = jnp.arange(1, rows)[:, None, None] == pivot[None, None, :]
        rest = jnp.where(below, block[0][None], block[1:])
        factor = rest[:, 0] / pivot_row[:1]  # (rows - 1, batch) / (1, batch): no rank promotion
        block = rest[:, 1:] - factor[:, None] * pivot_row[None, 1:]
        pivot_rows.append(pivot_row)
    solution = []
    for row in reversed(pivot_rows):  # row k holds U[k, k:] and the reduced right-hand side
        total = row[-1]
        if solution:
            total = total - jnp.sum(row[1:-1] * jnp.stack(solution[::-1]), axis=0)
        solution.append(total / row[0])
    return jnp.stack(solution[::-1])


# Bytes of the augmented block (rows x columns x lanes) that one pass of the elimination works on:
# small enough to stay in a core's L2 cache (1 MiB on the benchmark machine) between the d steps.
CHUNK_BYTES = 2**18


def _solve_in_chunks(
    matrix: Inexact[Array, "n n batch"], vector: Inexact[Array, "n batch"]
) -> Inexact[Array, "n batch"]:
    """`_solve_batch_last` over chunks of the batch, one after the other (`lax.map`).

    Each step of the elimination streams the whole trailing block; over the full batch that block
    outgrows the cache from d = 16 (1024 lanes, float64: 2.2 MB), and the solve runs at memory
    speed. A chunk of at most `CHUNK_BYTES` stays in cache for all d steps. The batch is padded
    with identity systems to a whole number of chunks. On an accelerator the batch is solved in
    one pass (its lanes run in parallel; a sequential map over chunks would serialise them).
    """
    size, batch = vector.shape
    lane_bytes = size * (size + 1) * matrix.dtype.itemsize
    chunk = max(8, 1 << max(0, (CHUNK_BYTES // lane_bytes).bit_length() - 1))
    if batch <= chunk or jax.default_backend() != "cpu":  # the cache argument is a CPU's
        return _solve_batch_last(matrix, vector)
    chunks = -(-batch // chunk)
    padding = chunks * chunk - batch
    if padding:
        identity = jnp.broadcast_to(
            jnp.eye(size, dtype=matrix.dtype)[..., None], (size, size, padding)
        )
        matrix = jnp.concatenate([matrix, identity], axis=-1)
        vector = jnp.concatenate([vector, jnp.zeros((size, padding), vector.dtype)], axis=-1)
    matrix = jnp.moveaxis(matrix.reshape(size, size, chunks, chunk), 2, 0)
    vector = jnp.moveaxis(vector.reshape(size, chunks, chunk), 1, 0)
    solution = jax.lax.map(lambda pair: _solve_batch_last(*pair), (matrix, vector))
    return jnp.moveaxis(solution, 0, 1).reshape(size, chunks * chunk)[:, :batch]


@jax.custom_batching.custom_vmap
def vectorized_solve(matrix: Inexact[Array, "n n"], vector: Inexact[Array, " n"]):
    """x with matrix @ x = vector (LU with partial pivoting); under `vmap` the batch is
    vectorised (see the module docstring). Not differentiable itself: differentiate through
    `lineax.linear_solve` with `VectorizedLU`.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> matrices = jnp.array([[[2.0, 1.0], [1.0, 3.0]], [[0.0, 1.0], [1.0, 0.0]]])
        >>> jax.vmap(vectorized_solve)(matrices, jnp.ones((2, 2))).tolist()
        [[0.4, 0.2], [1.0, 1.0]]
    """
    return _solve_batch_last(matrix[..., None], vector[..., None])[..., 0]


@vectorized_solve.def_vmap
def _vectorized_solve_batched(axis_size, in_batched, matrix, vector):
    matrix_batched, vector_batched = in_batched
    if not matrix_batched:
        matrix = jnp.broadcast_to(matrix, (axis_size, *matrix.shape))
    if not vector_batched:
        vector = jnp.broadcast_to(vector, (axis_size, *vector.shape))
    dtype = jnp.result_type(matrix, vector)
    solution = _solve_in_chunks(
        jnp.moveaxis(matrix.astype(dtype), 0, -1), jnp.moveaxis(vector.astype(dtype), 0, -1)
    )
    return jnp.moveaxis(solution, -1, 0), True


class VectorizedLU(lx.AbstractLinearSolver):
    """A lineax solver: LU with partial pivoting, vectorised across a `vmap`ped batch.

    For square matrix operators with a flat vector (as `jaxfp.Newton` builds them). A singular
    matrix gives `lineax.RESULTS.singular` (lineax flags the non-finite solution). Gradients go
    through lineax's rules for `linear_solve`, which call this solver again.

    Example:
        >>> import jax.numpy as jnp, lineax as lx
        >>> operator = lx.MatrixLinearOperator(jnp.array([[2.0, 1.0], [1.0, 3.0]]))
        >>> lx.linear_solve(operator, jnp.ones(2), VectorizedLU()).value.tolist()
        [0.4, 0.2]
    """

    def init(self, operator: lx.AbstractLinearOperator, options: dict[str, Any]):
        del options
        if operator.in_size() != operator.out_size():
            raise ValueError(
                "VectorizedLU needs a square operator, got "
                f"{operator.out_size()} x {operator.in_size()}."
            )
        return operator.as_matrix()

    def compute(self, state, vector, options):
        del options
        return vectorized_solve(state, vector), lx.RESULTS.successful, {}

    def transpose(self, state, options):
        del options
        return state.T, {}

    def conj(self, state, options):
        del options
        return state.conj(), {}

    def assume_full_rank(self):
        return True
