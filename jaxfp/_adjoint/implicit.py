"""Implicit differentiation of a fixed point, matrix-free, in forward and reverse mode."""

import dataclasses
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.flatten_util as jfu
import jax.numpy as jnp
import jax.tree_util as jtu
import lineax as lx

from .._misc import all_finite
from .._solution import RESULTS, Solution
from .base import AbstractAdjoint, ForwardSolve, lax_while_loop
from .common import with_differentiable_aux
from .linear_solve import (
    AbstractLinearFixedPointSolver,
    AndersonLinearSolver,
    LinearSolveResult,
    as_linear_fixed_point_solver,
)


class ImplicitAdjoint(AbstractAdjoint):
    """Differentiate the fixed point y* = f(y*, θ) by the implicit function theorem.

    With J = ∂f/∂y at y* (Bai, Kolter, Koltun 2019; docs/theory.md):

    - forward mode: ẏ = (I − J)⁻¹ (∂f/∂θ) θ̇, one solve of v = r + J v with JVPs;
    - reverse mode: u = g + Jᵀu for the cotangent g, then θ̄ = (∂f/∂θ)ᵀ u, with VJPs.

    Both are one `jax.lax.custom_linear_solve`, so reverse mode is the exact transpose of forward
    mode and every composition of `jit`, `vmap`, `grad`, `jvp`, `jacfwd`, `jacrev` and
    Hessian-vector products works. No Jacobian is ever materialised and memory does not grow
    with the number of forward iterations (the forward loop is not differentiated). Gradients
    reach every differentiable input: `args`, the arrays closed over by `fn`, and parameters.

    A backward solve that misses its tolerance raises `RESULTS.backward_failed` when the solve
    has `throw=True`; with `throw=False` its result is NaN (never zeros, never a silent
    approximation), and `ImplicitAdjoint.backward_solve` reports its steps and convergence.
    Under the best-effort policy (`jaxfp.fixed_point(..., best_effort=True)`) it returns the
    linear solver's lowest-residual iterate instead (NaN or a raise only if that is not finite).

    Args:
        linear_solver: solver of the linear fixed point: `jaxfp.AndersonLinearSolver()`
            (default), `jaxfp.NeumannLinearSolver()`, or any lineax solver acting on the
            matrix-free operator I − J, e.g. `lineax.GMRES(rtol=1e-6, atol=1e-6)`. It carries its
            own `rtol`, `atol` and `max_steps`. (lineax's `BiCGStab` is unreliable in float32.)
            For a complex state a lineax solver acts on the real form of I − J (real and
            imaginary parts as real unknowns), so a non-holomorphic map (`conj`, `abs`) is
            differentiated correctly, dense solvers such as `lineax.LU()` included.

    Raises:
        ValueError: if `linear_solver` is not one of the above.

    Example:
        >>> import jax, jax.numpy as jnp, jaxfp
        >>> def cos_fixed_point(a):
        ...     fn = lambda y, a: jnp.cos(a * y)
        ...     solver = jaxfp.Anderson(rtol=1e-6, atol=1e-6)
        ...     adjoint = jaxfp.ImplicitAdjoint()
        ...     return jaxfp.fixed_point(fn, solver, jnp.array(0.0), a, adjoint=adjoint).value
        >>> round(float(jax.grad(cos_fixed_point)(jnp.array(1.0))), 4)  # -y* sin y*/(1 + sin y*)
        -0.2975
    """

    linear_solver: AbstractLinearFixedPointSolver | lx.AbstractLinearSolver = AndersonLinearSolver()

    def __check_init__(self):
        as_linear_fixed_point_solver(self.linear_solver)

    def apply(self, forward: ForwardSolve, fn: Callable, y0: Any, args: Any) -> Solution:
        solution = _implicit_fixed_point((fn, args), y0, forward=forward, adjoint=self)
        return with_differentiable_aux(solution, fn, args)

    def backward_solve(
        self, fn: Callable, root: Any, args: Any, cotangent: Any, *, transpose: bool = True
    ) -> LinearSolveResult:
        """Run the adjoint's linear solve on its own, for diagnostics.

        Solves u = g + Jᵀu (`transpose=True`, the reverse-mode solve) or v = g + J v (the
        forward-mode solve) at `root`, with `fn(y, args) -> (f(y), aux)` as given to `apply`.

        Args:
            fn: the normalised map `fn(y, args) -> (f(y), aux)`.
            root: the fixed point y*.
            args: the arguments of `fn`.
            cotangent: the right-hand side g, a pytree like `root`.
            transpose: solve with Jᵀ (reverse mode) or with J (forward mode).

        Returns:
            A `LinearSolveResult` (`value`, `num_steps`, `converged`).

        Example:
            >>> import jax.numpy as jnp
            >>> fn = lambda y, a: (0.5 * y + a, None)
            >>> out = ImplicitAdjoint().backward_solve(fn, jnp.ones(2), jnp.ones(2), jnp.ones(2))
            >>> [round(float(x), 4) for x in out.value]
            [2.0, 2.0]
        """
        map_value = lambda y: fn(y, args)[0]
        solver = as_linear_fixed_point_solver(self.linear_solver)
        if transpose:
            _, vjp = jax.vjp(map_value, root)
            return solver.solve(lambda u: vjp(u)[0], cotangent)
        _, jvp = jax.linearize(map_value, root)
        return solver.solve(jvp, cotangent)


def _linear_solve_checked(solver, operator, rhs, throw: bool, best_effort: bool):
    out = solver.solve(operator, rhs)
    # Best effort keeps the solver's lowest-residual iterate unless it is not finite.
    failed = ~all_finite(out.value) if best_effort else jnp.logical_not(out.converged)
    if throw:
        return eqx.error_if(out.value, failed, RESULTS[RESULTS.backward_failed])
    return jtu.tree_map(lambda x: jnp.where(failed, jnp.nan, x), out.value)


@eqx.filter_custom_jvp
def _implicit_fixed_point(inputs, y0, *, forward, adjoint):
    del adjoint
    fn, args = inputs
    return forward(fn, y0, args, while_loop=lax_while_loop)


@_implicit_fixed_point.def_jvp
def _implicit_fixed_point_jvp(primals, tangents, *, forward, adjoint):
    inputs, y0 = primals
    t_inputs, _ = tangents
    fn, args = inputs
    # Recursing (instead of calling `forward`) keeps higher derivatives implicit as well.
    solution = _implicit_fixed_point(inputs, y0, forward=forward, adjoint=adjoint)
    root = solution.value

    differentiated = jtu.tree_map(lambda t: t is not None, t_inputs, is_leaf=lambda x: x is None)
    no_tangent = jtu.tree_map(lambda _: None, solution)
    if not any(jtu.tree_leaves(differentiated)):
        # Only y0 is differentiated: the fixed point does not depend on it (zero tangent).
        return solution, no_tangent
    diff_inputs, static_inputs = eqx.partition(inputs, differentiated)
    diff_tangents, _ = eqx.partition(t_inputs, differentiated, is_leaf=lambda x: x is None)

    def map_of_inputs(dynamic):
        fn_, args_ = eqx.combine(dynamic, static_inputs)
        return fn_(root, args_)[0]

    _, rhs = jax.jvp(map_of_inputs, (diff_inputs,), (diff_tangents,))
    # The linear solve runs on one flat vector: a state leaf whose tangent does not depend on
    # the inputs would otherwise be a constant right-hand side, which JAX cannot transpose.
    flat_rhs, unravel = jfu.ravel_pytree(rhs)
    _, map_jvp = jax.linearize(lambda y: fn(y, args)[0], root)
    solver = as_linear_fixed_point_solver(adjoint.linear_solver)

    def identity_minus_jacobian(v):
        return v - jfu.ravel_pytree(map_jvp(unravel(v)))[0]

    def solve(operator, b):
        return _linear_solve_checked(
            solver, lambda v: v - operator(v), b, forward.throw, forward.best_effort
        )

    t_root = unravel(jax.lax.custom_linear_solve(identity_minus_jacobian, flat_rhs, solve, solve))
    return solution, dataclasses.replace(no_tangent, value=t_root)
