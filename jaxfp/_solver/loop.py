"""The one solver loop shared by every jaxfp solver (the forward solve of `fixed_point`)."""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
from jaxtyping import Array, Bool, Float, Scalar

from .._misc import all_finite
from .._solution import RESULTS, Solution, Stats, from_optimistix
from .._validation import MAX_CHECK_EVERY, MAX_STEPS, check_bool, check_count
from .monitor import Monitor, check_monitor

# `while_loop(cond_fun, body_fun, init_val, *, max_steps) -> final_val`, as
# `equinox.internal.while_loop`; `max_steps` bounds the number of loop iterations.
WhileLoop = Callable[..., Any]


class MonitorOptions(eqx.Module):
    """The loop settings of one solve: a `Monitor` resolved for its entry point (all static)."""

    max_steps: int = eqx.field(static=True)
    check_every: int = eqx.field(static=True)  # the monitor's, or the entry point's default
    monitor: Monitor = eqx.field(static=True)
    best_effort: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        check_count(self.max_steps, "max_steps", maximum=MAX_STEPS)
        check_count(self.check_every, "check_every", maximum=MAX_CHECK_EVERY)
        check_bool(self.best_effort, "best_effort")

    @property
    def trace_length(self) -> int:
        """How many steps' scaled residuals `Solution.stats.trace` keeps."""
        return self.monitor.trace_length

    @property
    def solver_options(self) -> dict:
        """The `options` the solver's `init`, `step` and `terminate` receive."""
        return {
            "stagnation_patience": self.monitor.stagnation_patience,
            "divergence_ratio": self.monitor.divergence_ratio,
        }


def monitor_options(
    monitor: Monitor, max_steps: int, best_effort: bool, *, default_check_every: int
) -> MonitorOptions:
    """The loop settings of an entry point whose test interval defaults to `default_check_every`.

    Raises:
        ValueError: when `monitor` is not a `jaxfp.Monitor`, or `max_steps` or `best_effort`
            is out of range.
    """
    check_monitor(monitor)
    check_every = default_check_every if monitor.check_every is None else monitor.check_every
    return MonitorOptions(max_steps, check_every, monitor, best_effort)


class _Carry(eqx.Module):
    # What a step changes, plus `input_ok` and `running`. The loop's verdict is not carried but
    # read off the final state by the solver's `terminate` (a function of the state alone), the
    # scaled residual is the state's and the step count its tracker's, so a step costs few
    # bookkeeping kernels of its own. `running` is carried rather than recomputed by the loop's
    # condition: under `vmap` the loop's select of every carried leaf would recompute
    # `terminate` once per leaf.
    y: Any
    state: Any
    aux: Any
    best: Scalar
    best_y: Any  # the iterate of residual `best` (`best_effort` only, else None)
    best_aux: Any
    trace: Float[Array, " trace"]
    input_ok: Bool[Array, ""]  # `y0`, `args` and the arrays of `fn` are finite
    running: Bool[Array, ""]  # the loop takes another `check_every` steps


def initial_carry(fn, solver, y0, args, options: MonitorOptions) -> _Carry:
    """The loop state before the first step (`input_ok` False if inputs are not finite)."""
    f_struct, aux_struct = jax.eval_shape(fn, y0, args)
    state0 = solver.init(fn, y0, args, options.solver_options, f_struct, aux_struct, frozenset())
    aux0 = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), aux_struct)
    dtype = jnp.result_type(*jax.tree.leaves(f_struct))
    input_ok = all_finite(eqx.filter((y0, args, fn), eqx.is_inexact_array))
    return _Carry(
        y=y0,
        state=state0,
        aux=aux0,
        best=jnp.array(jnp.inf, state0.convergence.scaled_residual.dtype),
        best_y=y0 if options.best_effort else None,
        best_aux=aux0 if options.best_effort else None,
        trace=jnp.full(options.trace_length, jnp.nan, dtype),
        input_ok=input_ok,
        running=input_ok,
    )


def advance(carry: _Carry, fn, solver, args, options: MonitorOptions) -> _Carry:
    """Take `check_every` solver steps, then ask the solver's `terminate` whether to stop."""
    y, state, aux, trace = carry.y, carry.state, carry.aux, carry.trace
    solver_options = options.solver_options
    for _ in range(options.check_every):
        # The residual measured in a step belongs to its input `tested` (and so does `aux`);
        # on convergence the loop keeps the step's output (then the solver's `postprocess`).
        tested, steps = y, state.convergence.progress.num_steps
        y, state, aux = solver.step(fn, y, args, solver_options, state, frozenset())
        if options.trace_length:
            trace = trace.at[steps].set(
                state.convergence.scaled_residual.astype(trace.dtype), mode="drop"
            )
    residual = state.convergence.scaled_residual
    best_y, best_aux = carry.best_y, carry.best_aux
    if options.best_effort:
        better = residual < carry.best
        best_y, best_aux = jtu.tree_map(
            lambda new, old: jnp.where(better, new, old), (tested, aux), (best_y, best_aux)
        )
    stop, _ = solver.terminate(fn, tested, args, solver_options, state, frozenset())
    return _Carry(
        y=y,
        state=state,
        aux=aux,
        best=jnp.minimum(carry.best, residual),
        best_y=best_y,
        best_aux=best_aux,
        trace=trace,
        input_ok=carry.input_ok,
        running=~stop & (state.convergence.progress.num_steps < options.max_steps),
    )


def finish(carry: _Carry, fn, solver, args, options: MonitorOptions) -> Solution:
    """Turn the final loop state into a `Solution` (a run that never ended is max-steps)."""
    # `terminate` reads the state alone (its `y` argument is unused), so the verdict of the last
    # test interval is read off the final state.
    terminated, solver_result = solver.terminate(
        fn, carry.y, args, options.solver_options, carry.state, frozenset()
    )
    result = RESULTS.where(terminated, from_optimistix(solver_result), RESULTS.max_steps_reached)
    result = RESULTS.where(carry.input_ok, result, RESULTS.nonfinite_input)
    y, aux, _ = solver.postprocess(
        fn, carry.y, carry.aux, args, options.solver_options, carry.state, frozenset(), None
    )
    bad_value = (result == RESULTS.successful) & ~all_finite(y)
    result = RESULTS.where(bad_value, RESULTS.nonfinite_iterate, result)
    if options.best_effort:
        # Not converged: return the lowest-residual iterate (its residual is `best_residual`).
        use_best = result != RESULTS.successful
        y, aux = jtu.tree_map(
            lambda best, last: jnp.where(use_best, best, last),
            (carry.best_y, carry.best_aux),
            (y, aux),
        )
    stats = Stats(
        num_steps=carry.state.convergence.progress.num_steps,
        residual=carry.state.convergence.scaled_residual,
        best_residual=carry.best,
        trace=carry.trace if options.trace_length else None,
    )
    return Solution(value=y, result=result, aux=aux, stats=stats, state=carry.state)


def run_loop(fn, solver, y0, args, options: MonitorOptions, *, while_loop: WhileLoop) -> Solution:
    """Iterate `solver` on `fn(y, args) -> (f(y), aux)` from `y0`; return a `Solution`.

    Stops when the solver's `terminate` says so (the iterate converged, or a failure:
    non-finite iterate, divergence, stagnation, or the solver's own failure such as a singular
    Newton system), at `max_steps` (`max_steps_reached`), or before the first step on a
    non-finite input. `terminate` is asked every `check_every` steps.

    `while_loop(cond_fun, body_fun, init_val, *, max_steps)` runs the loop; the adjoint chooses
    it (`jax.lax.while_loop` semantics, or a reverse-differentiable checkpointed loop).
    """
    carry0 = initial_carry(fn, solver, y0, args, options)

    def body_fun(carry):
        return advance(carry, fn, solver, args, options)

    def cond_fun(carry):
        return carry.running

    max_loops = -(-options.max_steps // options.check_every)
    final = while_loop(cond_fun, body_fun, carry0, max_steps=max_loops)
    return finish(final, fn, solver, args, options)
