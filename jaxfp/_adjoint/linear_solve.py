"""Matrix-free solvers for the linear fixed point v = r + A v of implicit differentiation.

`ImplicitAdjoint` needs (I − J) v = r in forward mode and u = g + Jᵀu in reverse mode
(docs/theory.md). Both are the linear fixed point v = r + A v with A = J or Jᵀ, and A is
available only as a function (a JVP or a VJP). The solvers here iterate on it with fixed-size
state; a lineax solver (`lineax.GMRES`, `lineax.BiCGStab`, ...) may be used instead on the
operator I − A.
"""

import abc
import functools as ft
import math
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.flatten_util as jfu
import jax.lax as lax
import jax.numpy as jnp
import lineax as lx
import optimistix as optx
from jaxtyping import Array, Bool, Int, PyTree

from .._misc import cast_like
from .._solver.mixing import affine_mixing_weights
from .._validation import (
    check_count,
    check_linear_solver_tolerance,
    check_reachable_tolerance,
    check_real,
    check_tolerances,
    solve_dtype,
)


class LinearSolveResult(eqx.Module):
    """The outcome of one backward linear solve.

    - `value`: the solution v of v = r + A v (when the solve failed: the lowest-residual
      iterate of jaxfp's solvers, the last one of a lineax solver).
    - `num_steps`: iterations taken (applications of A).
    - `converged`: whether the stopping rule was met with finite values.
    """

    value: PyTree[Array]
    num_steps: Int[Array, ""]
    converged: Bool[Array, ""]


class AbstractLinearFixedPointSolver(eqx.Module):
    """Interface of the iterative solvers of v = r + A v used by `ImplicitAdjoint`.

    Stopping rule: `norm((r + A v − v) / (atol + rtol·|v|)) < 1`, jaxfp's forward rule with
    the scale taken from the current iterate v.
    """

    @abc.abstractmethod
    def solve(self, operator: Callable[[Any], Any], rhs: PyTree[Array]) -> LinearSolveResult:
        """Solve v = rhs + operator(v) with `operator` linear; start from v = rhs."""


def _check_reachable(solver, rhs) -> None:
    dtype = jnp.result_type(*jax.tree_util.tree_leaves(rhs))
    check_reachable_tolerance(solver.rtol, solver.atol, dtype, type(solver).__name__)


def _keep_best(value, error, best, best_error):
    """The lowest-residual iterate so far: `(value, error)` if `error` beats `best_error`."""
    better = error < best_error
    best = jax.tree_util.tree_map(lambda a, b: jnp.where(better, a, b), value, best)
    return best, jnp.where(better, error, best_error)


def _scaled_residual(norm, residual, value, rtol, atol):
    """`norm(residual / (atol + rtol |value|))`; the real scale is cast to the residual's dtype,
    so a complex state promotes nothing (`jax_numpy_dtype_promotion="strict"`)."""
    scale = jax.tree_util.tree_map(lambda v: atol + rtol * jnp.abs(v), value)
    return norm(jax.tree_util.tree_map(lambda r, s: r / cast_like(s, r), residual, scale))


class NeumannLinearSolver(AbstractLinearFixedPointSolver):
    """Fixed-point (Neumann series) iteration v ← r + A v for the backward solve.

    Converges when the spectral radius of A = J is below 1, which is the case whenever Picard
    iteration converges on the forward problem; the rate is that radius. Cheapest per step.

    Args:
        rtol: relative tolerance of the stopping rule.
        atol: absolute tolerance of the stopping rule.
        max_steps: most applications of A before the solve is reported as failed.
        norm: norm of the stopping rule (default `optimistix.max_norm`).

    Raises:
        ValueError: for negative tolerances or a non-positive `max_steps`.

    Example:
        >>> import jax.numpy as jnp
        >>> solver = NeumannLinearSolver(rtol=1e-8, atol=1e-8)
        >>> out = solver.solve(lambda v: 0.5 * v, jnp.ones(3))
        >>> bool(jnp.allclose(out.value, 2.0))
        True
    """

    rtol: float = 1e-5
    atol: float = 1e-6
    max_steps: int = eqx.field(
        static=True, default=200, converter=ft.partial(check_count, name="max_steps")
    )
    norm: Callable = optx.max_norm

    def __check_init__(self):
        check_tolerances(self.rtol, self.atol)

    def solve(self, operator, rhs):
        _check_reachable(self, rhs)

        def residual(v):
            return jax.tree_util.tree_map(lambda r, av, vv: r + av - vv, rhs, operator(v), v)

        def cond(carry):
            _, _, step, error, _, _ = carry
            return (step < self.max_steps) & (error >= 1) & jnp.isfinite(error)

        def body(carry):
            v, res, step, _, best, best_error = carry
            v = jax.tree_util.tree_map(lambda a, b: a + b, v, res)
            res = residual(v)
            error = _scaled_residual(self.norm, res, v, self.rtol, self.atol)
            best, best_error = _keep_best(v, error, best, best_error)
            return v, res, step + 1, error, best, best_error

        res0 = residual(rhs)
        error0 = _scaled_residual(self.norm, res0, rhs, self.rtol, self.atol)
        init = (rhs, res0, jnp.array(1), error0, rhs, error0)
        v, _, steps, error, best, _ = lax.while_loop(cond, body, init)
        converged = error < 1
        value = jax.tree_util.tree_map(lambda a, b: jnp.where(converged, a, b), v, best)
        return LinearSolveResult(value, steps, converged)


class AndersonLinearSolver(AbstractLinearFixedPointSolver):
    """Anderson acceleration (Walker & Ni 2011) of v ← r + A v for the backward solve.

    Keeps the last `history` iterates in fixed-size buffers and mixes them by the regularised
    least-squares weights that minimise the combined residual; on a linear problem this is
    close to GMRES at the cost of one application of A per step. The default of
    `ImplicitAdjoint`: robust in float32 and usually a few times faster than plain iteration.

    Args:
        rtol: relative tolerance of the stopping rule.
        atol: absolute tolerance of the stopping rule.
        max_steps: most applications of A before the solve is reported as failed.
        history: number of past iterates mixed (memory: `history` copies of the state).
        ridge: Tikhonov regularisation of the mixing least squares, relative to its scale.
        norm: norm of the stopping rule (default `optimistix.max_norm`).

    Raises:
        ValueError: for negative tolerances, a non-positive `max_steps`, `history` < 1 or a
            negative or infinite `ridge`.

    Example:
        >>> import jax.numpy as jnp
        >>> matrix = jnp.array([[0.5, 0.4], [-0.3, 0.6]])
        >>> solver = AndersonLinearSolver(rtol=1e-10, atol=1e-10)
        >>> out = solver.solve(lambda v: matrix @ v, jnp.ones(2))
        >>> bool(jnp.allclose(out.value, jnp.linalg.solve(jnp.eye(2) - matrix, jnp.ones(2))))
        True
    """

    rtol: float = 1e-5
    atol: float = 1e-6
    max_steps: int = eqx.field(
        static=True, default=200, converter=ft.partial(check_count, name="max_steps")
    )
    history: int = eqx.field(
        static=True, default=5, converter=ft.partial(check_count, name="history")
    )
    ridge: float = 1e-6
    norm: Callable = optx.max_norm

    def __check_init__(self):
        check_tolerances(self.rtol, self.atol)
        check_real(self.ridge, "ridge", 0, math.inf)

    def solve(self, operator, rhs):
        _check_reachable(self, rhs)
        flat_rhs, unravel = jfu.ravel_pytree(rhs)
        dtype = flat_rhs.dtype
        # The mixing weights solve a small Hermitian system (G[i, j] = <r_i, r_j>) in at least
        # float32: complex states mix with complex weights, bfloat16 ones solve in float32.
        small = solve_dtype(dtype)
        m = self.history

        def image(v_flat):
            return flat_rhs + jfu.ravel_pytree(operator(unravel(v_flat)))[0]

        def error_of(g, v):
            return _scaled_residual(self.norm, unravel(g - v), unravel(v), self.rtol, self.atol)

        g0 = image(flat_rhs)
        values = jnp.zeros((m, flat_rhs.size), dtype).at[0].set(g0)
        residuals = jnp.zeros((m, flat_rhs.size), dtype).at[0].set(g0 - flat_rhs)
        error0 = error_of(g0, flat_rhs)
        init = (g0, values, residuals, jnp.array(1), error0, flat_rhs, error0)

        def cond(carry):
            *_, step, error, _, _ = carry
            return (step < self.max_steps) & (error >= 1) & jnp.isfinite(error)

        def body(carry):
            _, values, residuals, step, _, best, best_error = carry
            filled = jnp.arange(m) < jnp.minimum(step, m)
            wide = residuals.astype(small)
            gram = jnp.conj(wide) @ wide.T
            gram = jnp.where(filled[:, None] & filled[None, :], gram, 0.0)
            scale = jnp.max(jnp.where(filled, jnp.real(jnp.diag(gram)), 0.0))
            regulariser = jnp.where(filled, self.ridge * scale + jnp.finfo(small).tiny, 1.0)
            regulariser = cast_like(regulariser, gram)  # real, and the Gram matrix may be complex
            weights = affine_mixing_weights(gram + jnp.diag(regulariser), filled).astype(dtype)
            v = weights @ values
            g = image(v)
            slot = step % m
            values = values.at[slot].set(g)
            residuals = residuals.at[slot].set(g - v)
            error = error_of(g, v)  # the residual of the mixed iterate v
            best, best_error = _keep_best(v, error, best, best_error)
            return g, values, residuals, step + 1, error, best, best_error

        g, _, _, steps, error, best, _ = lax.while_loop(cond, body, init)
        converged = error < 1
        return LinearSolveResult(unravel(jnp.where(converged, g, best)), steps, converged)


class _LineaxLinearFixedPointSolver(eqx.Module):
    """Adapter: solves (I − A) v = r with a lineax solver on a matrix-free operator.

    A complex state is solved in its real form (real and imaginary parts as separate real
    unknowns): the JVP or VJP of a non-holomorphic map (one using `conj`, `abs`, `real`) is
    only real-linear, and a lineax solver on the complex operator would treat it as
    complex-linear (`lineax.LU` materialises a wrong matrix; GMRES builds a wrong Krylov space).
    """

    solver: lx.AbstractLinearSolver

    def solve(self, operator, rhs):
        dtype = jnp.result_type(*jax.tree_util.tree_leaves(rhs))
        check_linear_solver_tolerance(self.solver, dtype, "`ImplicitAdjoint`'s `linear_solver`")
        flat_rhs, unravel = jfu.ravel_pytree(rhs)
        as_real, from_real = _real_form(flat_rhs)

        def identity_minus(x):
            v = from_real(x)
            return x - as_real(jfu.ravel_pytree(operator(unravel(v)))[0])

        real_rhs = as_real(flat_rhs)
        structure = jax.eval_shape(lambda: real_rhs)
        out = lx.linear_solve(
            lx.FunctionLinearOperator(identity_minus, structure), real_rhs, self.solver, throw=False
        )
        converged = (out.result == lx.RESULTS.successful) & jnp.all(jnp.isfinite(out.value))
        value = unravel(from_real(out.value))
        return LinearSolveResult(value, out.stats.get("num_steps", jnp.array(-1)), converged)


def _real_form(flat):
    """`(as_real, from_real)` between a flat vector like `flat` and a real vector (the real
    and imaginary parts stacked for a complex `flat`; the identity for a real one)."""
    if not jnp.issubdtype(flat.dtype, jnp.complexfloating):
        return (lambda v: v), (lambda x: x)
    n = flat.size

    def as_real(v):
        return jnp.concatenate([jnp.real(v), jnp.imag(v)])

    def from_real(x):
        return jax.lax.complex(x[:n], x[n:])

    return as_real, from_real


def as_linear_fixed_point_solver(
    solver: AbstractLinearFixedPointSolver | lx.AbstractLinearSolver,
) -> AbstractLinearFixedPointSolver | _LineaxLinearFixedPointSolver:
    """Accept a jaxfp linear fixed-point solver or a lineax solver; reject anything else."""
    if isinstance(solver, AbstractLinearFixedPointSolver):
        return solver
    if isinstance(solver, lx.AbstractLinearSolver):
        return _LineaxLinearFixedPointSolver(solver)
    raise ValueError(
        "`linear_solver` must be a jaxfp linear solver (`jaxfp.AndersonLinearSolver`, "
        "`jaxfp.NeumannLinearSolver`) or a lineax solver such as `lineax.GMRES(rtol, atol)`; "
        f"got {type(solver).__name__}."
    )
