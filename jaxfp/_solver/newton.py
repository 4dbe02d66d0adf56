"""Newton's method on f(y) - y = 0 with a lineax linear solve."""

from collections.abc import Callable
from typing import Literal

import jax
import jax.numpy as jnp
import lineax as lx
import optimistix as optx
from jax.flatten_util import ravel_pytree
from jaxtyping import PyTree, Scalar

from .._validation import check_linear_solver_tolerance, check_real, residual_dtype, solve_dtype
from .base import AbstractFixedPointSolver, Convergence, SolverState, residuals
from .vectorized_lu import SIZE_LIMITS, VectorizedLU


class Newton(AbstractFixedPointSolver):
    """Newton's method on g(y) = f(y) - y = 0: `y <- y - damping * J_g(y)^{-1} g(y)`.

    Quadratic convergence near a regular fixed point, attracting or not (it finds saddles and
    repelling fixed points that the iteration itself never reaches): the workhorse of the
    enumeration engine for states up to a few hundred entries.

    `jacobian="dense"` builds J_g with one linearisation and a batch of JVPs (`jacfwd`-like)
    and is solved by `linear_solver`; `jacobian="jvp"` keeps J_g matrix-free as a lineax
    operator (pair it with `lineax.GMRES(...)`) for large states. A failed linear solve
    (singular J_g) stops the solve with `RESULTS.linear_solve_failed`.

    The default `linear_solver=None` chooses LU with partial pivoting: on CPU, for a dense J_g
    of at most 16 unknowns in float64 (8 in float32), an elimination written in `jax.numpy`
    whose steps are vectorised across a `vmap`ped batch (Newton over many starts: 1.1-3.7x
    faster than LAPACK once per matrix, `benchmarks/batched_newton.py`); otherwise (and on
    accelerators, where it is not measured) `lineax.LU()`. Pass `lineax.LU()` to always use
    LAPACK.
    bfloat16 and float16 states are solved in float32 (LAPACK has no such kernels) and cast
    back; complex states assume `fn` holomorphic (J_g complex-linear), as in optimistix.

    Args:
        rtol: relative tolerance of the stopping rule (see `jaxfp.AbstractFixedPointSolver`).
        atol: absolute tolerance of the stopping rule.
        norm: a function `PyTree -> Scalar` (default `optimistix.max_norm`).
        linear_solver: a lineax solver for J_g delta = -g, or None (default) for LU with
            partial pivoting, batch-vectorised for small dense J_g (see above).
        jacobian: "dense" (materialise J_g, best for small states) or "jvp" (matrix-free).
        damping: step length in (0, 1].

    Raises:
        ValueError: for a bad tolerance, norm, `jacobian`, `damping`, a `linear_solver` that
            is not a lineax solver, or an iterative
            `linear_solver` whose tolerance lies below the state's precision (at the solve).

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> fn = lambda y, a: jnp.tanh(2.0 * y)   # 0 is a repelling fixed point
        >>> sol = jaxfp.fixed_point(fn, jaxfp.Newton(1e-10, 1e-10), jnp.array([0.1, -0.1]))
        >>> [round(float(v), 6) for v in sol.value]
        [0.0, 0.0]
    """

    rtol: float
    atol: float
    norm: Callable[[PyTree], Scalar] = optx.max_norm
    linear_solver: lx.AbstractLinearSolver | None = None
    jacobian: Literal["dense", "jvp"] = "dense"
    damping: float = 1.0

    def __check_init__(self):
        if self.jacobian not in ("dense", "jvp"):
            raise ValueError(f"`jacobian` must be 'dense' or 'jvp', got {self.jacobian!r}.")
        check_real(self.damping, "damping", 0, 1, open_lower=True, open_upper=False)
        if self.linear_solver is not None and not isinstance(
            self.linear_solver, lx.AbstractLinearSolver
        ):
            raise ValueError(
                "`linear_solver` must be a lineax solver (`lineax.LU()`, `lineax.GMRES(rtol, "
                f"atol)`, ...) or None, got {type(self.linear_solver).__name__}."
            )

    def init(self, fn, y, args, options, f_struct, aux_struct, tags):
        del fn, args, options, aux_struct, tags
        state_dtype = jnp.result_type(*jax.tree.leaves(f_struct))
        check_linear_solver_tolerance(
            self.linear_solver, solve_dtype(state_dtype), "Newton's `linear_solver`"
        )
        return SolverState(Convergence.start(residual_dtype(f_struct)))

    def _linear_solver(self, size: int, dtype) -> lx.AbstractLinearSolver:
        if self.linear_solver is not None:
            return self.linear_solver
        small = size <= SIZE_LIMITS.get(jnp.dtype(dtype), 0)
        if self.jacobian == "dense" and small and jax.default_backend() == "cpu":
            return VectorizedLU()
        return lx.LU()

    def step(self, fn, y, args, options, state, tags):
        del tags
        flat_y, unravel = ravel_pytree(y)

        def g(flat):
            fy, aux = fn(unravel(flat), args)
            return ravel_pytree(fy)[0] - flat, (fy, aux)

        g_value, g_jvp, (fy, aux) = jax.linearize(g, flat_y, has_aux=True)
        _, scaled, raw = residuals(fy, y, self.rtol, self.atol, self.norm)
        # The linear solve runs in at least float32 (`solve_dtype`), the state keeps its dtype.
        dtype = solve_dtype(flat_y.dtype)
        if self.jacobian == "dense":
            matrix = jax.vmap(g_jvp, out_axes=1)(jnp.eye(flat_y.size, dtype=flat_y.dtype))
            operator = lx.MatrixLinearOperator(matrix.astype(dtype))
        else:
            operator = lx.FunctionLinearOperator(
                lambda v: g_jvp(v.astype(flat_y.dtype)).astype(dtype),
                jax.ShapeDtypeStruct(flat_y.shape, dtype),
            )
        solution = lx.linear_solve(
            operator, -g_value.astype(dtype), self._linear_solver(flat_y.size, dtype), throw=False
        )
        delta = solution.value.astype(flat_y.dtype)
        failed = (solution.result != lx.RESULTS.successful) | ~jnp.all(jnp.isfinite(delta))
        flat_next = jnp.where(failed, flat_y, flat_y + self.damping * delta)
        convergence = state.convergence.after(scaled, raw, options, failed)
        return unravel(flat_next), SolverState(convergence), aux
