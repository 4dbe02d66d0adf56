"""The tracker's dense complex linear solves, by name, for `jax.vmap` over paths.

For the (d + 1) × (d + 1) systems of the tracker (d ≤ ~10), `jnp.linalg.solve` under vmap
calls LAPACK once per matrix; `"vectorized"` is LU with partial pivoting whose steps run
across the whole batch of paths at once (`jaxfp/_solver/vectorized_lu.py`). Measured under
vmap over 1024 lanes, complex128, load 7–9 (µs per solve, vectorized vs LAPACK): n = 3:
0.18 vs 0.35; n = 5: 0.51 vs 0.87; n = 7: 0.86 vs 1.44; n = 11: 2.6 vs 3.4. (An elimination
unrolled entry by entry per path, replaced by it, took 6.5 µs at n = 5 and 53 µs at n = 9.)
"""

import jax.numpy as jnp
from jaxtyping import Array, Complex

from ..._solver.vectorized_lu import vectorized_solve


def lapack_solve(matrix: Complex[Array, "n n"], rhs: Complex[Array, " n"]) -> Complex[Array, " n"]:
    """x with matrix @ x = rhs by `jnp.linalg.solve` (LU with partial pivoting)."""
    return jnp.linalg.solve(matrix, rhs)


SOLVERS = {"vectorized": vectorized_solve, "lapack": lapack_solve}
