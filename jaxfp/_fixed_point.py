"""`jaxfp.fixed_point`: the entry point of the solver core, above the solvers and adjoints."""

import dataclasses
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool

from ._adjoint import AbstractAdjoint, ImplicitAdjoint
from ._adjoint.base import ForwardSolve, check_adjoint
from ._misc import WithoutAux, as_inexact
from ._solution import RESULTS, Solution
from ._solver.base import AbstractFixedPointSolver, check_solver
from ._solver.loop import monitor_options, run_loop
from ._solver.monitor import Monitor
from ._validation import check_bool, with_array_inputs


def prepare(fn: Callable, y0: Any, args: Any, has_aux: bool) -> tuple[Callable, Any, Any]:
    """Validate the problem and closure-convert `fn` to `fn(y, args) -> (f(y), aux)`.

    Returns:
        `(fn, y0, args)` with `y0` as floating or complex arrays and the Python floats of
        `args` as arrays (so they are traced, differentiable inputs like any other).

    Raises:
        ValueError: at trace time, when `fn` is not callable, `has_aux` not a bool, `y0` has
            no array leaves or a non-numeric one, or when `fn`'s output does not have the
            structure, shapes and dtypes of `y0`.
    """
    if not callable(fn):
        raise ValueError(f"`fn` must be a function `fn(y, args)`, got {type(fn).__name__}.")
    check_bool(has_aux, "has_aux")
    if not jax.tree.leaves(y0):
        raise ValueError("`y0` must contain at least one array; got an empty pytree.")
    try:
        y0 = jax.tree.map(as_inexact, y0)
    except TypeError as error:
        raise ValueError(f"`y0` must be a pytree of numeric arrays: {error}") from None
    args = jax.tree.map(lambda a: jnp.asarray(a) if isinstance(a, float) else a, args)
    if not has_aux:
        fn = WithoutAux(fn)
    fn = eqx.filter_closure_convert(fn, y0, args)
    out_struct = fn.out_struct
    if not (isinstance(out_struct, tuple) and len(out_struct) == 2):
        raise ValueError(
            "With `has_aux=True`, `fn` must return a pair `(f(y), aux)`; got "
            f"{jax.tree.structure(out_struct)}."
        )
    f_struct = out_struct[0]
    y_struct = jax.eval_shape(lambda: y0)
    if jax.tree.structure(f_struct) != jax.tree.structure(y_struct):
        raise ValueError(
            "`fn(y, args)` must return a pytree with the structure of `y0`: `y0` has "
            f"{jax.tree.structure(y_struct)} but `fn` returned {jax.tree.structure(f_struct)}."
        )
    for (path, leaf_y), leaf_f in zip(
        jax.tree_util.tree_leaves_with_path(y_struct), jax.tree.leaves(f_struct), strict=True
    ):
        where = jax.tree_util.keystr(path) or "the root"
        if not isinstance(leaf_f, jax.ShapeDtypeStruct):
            raise ValueError(
                f"`fn(y, args)` must return JAX arrays: at {where} it returned "
                f"{type(leaf_f).__name__} {leaf_f!r}. Wrap a constant in `jnp.asarray`, with "
                "the dtype of `y0`."
            )
        if leaf_f.shape != leaf_y.shape:
            raise ValueError(
                "`fn(y, args)` must return arrays of the shapes of `y0`: at "
                f"{where}, `y0` has shape {leaf_y.shape} but `fn` returned shape {leaf_f.shape}."
            )
        if leaf_f.dtype != leaf_y.dtype:
            raise ValueError(
                "`fn(y, args)` must return arrays of the dtypes of `y0`: at "
                f"{where}, `y0` has dtype {leaf_y.dtype} but `fn` returned {leaf_f.dtype}. "
                "Cast `y0` (or the arrays `fn` uses) to one dtype."
            )
    return fn, y0, args


def _check_adjoint_inputs(fn, solver, y0, args, *, adjoint=None, **options) -> None:
    """The adjoint's own input check (`AbstractAdjoint.check_inputs`), before the jit."""
    del solver, options
    if isinstance(adjoint, AbstractAdjoint):
        adjoint.check_inputs(fn, y0, args)


@with_array_inputs(check_inputs=_check_adjoint_inputs)
def fixed_point(
    fn: Callable,
    solver: AbstractFixedPointSolver,
    y0: Any,
    args: Any = None,
    *,
    max_steps: int = 256,
    adjoint: AbstractAdjoint | None = None,
    throw: bool = True,
    has_aux: bool = False,
    monitor: Monitor = Monitor(),
    best_effort: bool = False,
) -> Solution:
    """Find y with `fn(y, args) = y`.

    Stops by the solvers' one stopping rule (stated in `jaxfp.AbstractFixedPointSolver`) with
    the solver's `rtol`, `atol`, `norm`.

    Failure policy. A solve that does not converge either raises (`throw=True`) or returns its
    result code (`throw=False`); then its value is the last iterate and every derivative through
    `value` and `aux` is NaN, whichever the adjoint. With `best_effort=True` non-convergence
    (max steps, stagnation, divergence, a singular Newton system) is not a failure: the value is
    the lowest-residual iterate, `result` still says why it did not converge, nothing raises,
    the gradient is the adjoint's at that value (an implicit backward solve that misses its
    tolerance returns its own lowest-residual iterate too), and `stats.best_residual` says
    how far from converged it is (the scaled residual: below 1 means converged). Non-finite
    input or iterates remain failures under every policy.

    Args:
        fn: `fn(y, args) -> f(y)`, a pytree of the structure, shapes and dtypes of `y` (`(f(y),
            aux)` with `has_aux=True`). Closed-over arrays are differentiated too.
        solver: `jaxfp.Picard`, `jaxfp.Anderson`, `jaxfp.Broyden`, `jaxfp.Newton` (or any
            `jaxfp.AbstractFixedPointSolver`).
        y0: the initial value, any pytree of floating or complex arrays (complex states: residuals
            measured by `|f(y) - y|`; Newton, Broyden assume `fn` holomorphic).
        args: passed to `fn`; differentiable inputs go here (or are closed over).
        max_steps: the most steps taken (rounded up to a multiple of `monitor.check_every`), at most
            2**24 (the solvers count steps in their float progress tracker).
        adjoint: how to differentiate: `jaxfp.ImplicitAdjoint()` (default), `PhantomAdjoint`,
            `OneStepAdjoint`, `UnrolledAdjoint`.
        throw: raise (inside jit, with the result's message) when the solve fails; with `False`,
            read `Solution.result`. Under `jax.vmap` a raise stops the whole batch: use
            `throw=False` (or `jaxfp.fixed_point_batched`) to keep every problem's own result.
        has_aux: `fn` returns `(f(y), aux)`; `Solution.aux` holds the last aux.
        monitor: how the loop watches the solve: the test interval (default 1 here), a
            residual trace, stagnation and divergence detection (see `jaxfp.Monitor`).
        best_effort: the best-effort failure policy above (default False: strict).

    Returns:
        A `jaxfp.Solution` (`value`, `result`, `aux`, `stats`, `state`).

    Raises:
        ValueError: at trace time, before `fn` is traced, for structure, shape or option
            mistakes (a non-bool `throw`, `has_aux` or `best_effort`, a `monitor` that is not a
            `jaxfp.Monitor` too).
        TypeError: for forward-mode differentiation (`jax.jvp`, `jax.jacfwd`) through
            `UnrolledAdjoint`, which is reverse-mode only.
        EqxRuntimeError: with `throw=True`, carrying the result's message, when the solve
            fails.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> sol = jaxfp.fixed_point(lambda y, a: jnp.cos(y), jaxfp.Anderson(1e-8, 1e-8), 0.5)
        >>> round(float(sol.value), 6), int(sol.stats.num_steps) < 20
        (0.739085, True)
    """
    check_solver(solver)
    check_bool(throw, "throw")
    options = monitor_options(monitor, max_steps, best_effort, default_check_every=1)
    if adjoint is None:
        adjoint = ImplicitAdjoint()
    check_adjoint(adjoint)
    fn, y0, args = prepare(fn, y0, args, has_aux)

    def run(fn, y0, args, *, while_loop):
        return run_loop(fn, solver, y0, args, options, while_loop=while_loop)

    solution = adjoint.apply(ForwardSolve(run, throw, best_effort), fn, y0, args)
    failed = failed_result(solution.result, best_effort)
    value, aux = nan_derivative_where(failed, (solution.value, solution.aux))
    solution = dataclasses.replace(solution, value=value, aux=aux)
    if throw:
        solution = solution.result.error_if(solution, failed)
    return solution


def failed_result(result: RESULTS, best_effort: bool) -> Bool[Array, ""]:
    """Whether `result` is a failure under the policy (best effort: only non-finite values)."""
    if best_effort:
        return (result == RESULTS.nonfinite_input) | (result == RESULTS.nonfinite_iterate)
    return result != RESULTS.successful


@jax.custom_jvp
def _nan_tangent_where(x, failed):
    return x


@_nan_tangent_where.defjvp
def _nan_tangent_where_jvp(primals, tangents):
    x, failed = primals
    t_x, _ = tangents
    # Linear in the tangent, so reverse mode transposes it: the cotangent is NaN as well.
    return x, t_x * jnp.where(failed, jnp.nan, 1).astype(t_x.dtype)


def nan_derivative_where(failed: Bool[Array, ""], tree: Any) -> Any:
    """`tree` unchanged, with every derivative (forward and reverse) NaN where `failed`."""
    return jax.tree.map(
        lambda leaf: _nan_tangent_where(leaf, failed) if eqx.is_inexact_array(leaf) else leaf,
        tree,
    )
