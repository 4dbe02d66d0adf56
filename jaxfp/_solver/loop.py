"""The one solver loop shared by every jaxfp solver (the forward solve of `fixed_point`)."""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
from jaxtyping import Array, Bool, Float, Int, Scalar

from .._misc import all_finite
from .._solution import RESULTS, Solution, Stats

# `while_loop(cond_fun, body_fun, init_val, *, max_steps) -> final_val`, as
# `equinox.internal.while_loop`; `max_steps` bounds the number of loop iterations.
WhileLoop = Callable[..., Any]

# Stagnation. A residual below `reference * (1 - _MIN_PROGRESS)` is progress (and the new
# reference). A window of `stagnation_patience` steps without it is a *slow* window; the solve
# stagnated only when a slow window's relative decrease is also at most `_LEVELLING` times the
# previous slow window's (0 after progress): the residual levels off (a cycle, a precision
# floor, the approach to a cycle). A residual that keeps falling slowly (sublinear convergence,
# e.g. a derivative -1 at the fixed point) keeps similar decreases window after window and goes
# on until it converges or reaches `max_steps`.
_MIN_PROGRESS = 1e-3
_LEVELLING = 0.5


class MonitorOptions(eqx.Module):
    """Loop settings of `fixed_point` that are not solver hyperparameters (all static)."""

    max_steps: int = eqx.field(static=True)
    check_every: int = eqx.field(static=True)
    trace_length: int = eqx.field(static=True)
    stagnation_patience: int | None = eqx.field(static=True)
    divergence_ratio: float | None = eqx.field(static=True)
    best_effort: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        for name, minimum in (("max_steps", 1), ("check_every", 1), ("trace_length", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                kind = "positive" if minimum else "non-negative"
                raise ValueError(f"`{name}` must be a {kind} integer, got {value!r}.")
        patience = self.stagnation_patience
        if patience is not None and (not isinstance(patience, int) or patience < 1):
            raise ValueError(
                f"`stagnation_patience` must be a positive integer or None, got {patience!r}."
            )
        ratio = self.divergence_ratio
        if ratio is not None and not ratio > 1:
            raise ValueError(f"`divergence_ratio` must exceed 1 (or be None), got {ratio!r}.")
        if not isinstance(self.best_effort, bool):
            raise ValueError(f"`best_effort` must be True or False, got {self.best_effort!r}.")


class _Carry(eqx.Module):
    num_steps: Int[Array, ""]
    y: Any
    state: Any
    aux: Any
    residual: Scalar
    best: Scalar
    best_norm: Scalar
    reference: Scalar
    since_progress: Int[Array, ""]
    slow_decrease: Scalar  # relative decrease of the last slow window (0 after progress)
    best_y: Any  # the iterate of residual `best` (`best_effort` only, else None)
    best_aux: Any
    trace: Float[Array, " trace"]
    result: RESULTS
    running: Bool[Array, ""]


def initial_carry(fn, solver, y0, args, options: MonitorOptions) -> _Carry:
    """The loop state before the first step (result `nonfinite_input` if inputs are bad)."""
    f_struct, aux_struct = jax.eval_shape(fn, y0, args)
    state0 = solver.init(fn, y0, args, {}, f_struct, aux_struct, frozenset())
    aux0 = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), aux_struct)
    dtype = jnp.result_type(*jax.tree.leaves(f_struct))
    inf = jnp.array(jnp.inf, dtype)
    finite_input = all_finite(eqx.filter((y0, args, fn), eqx.is_inexact_array))
    return _Carry(
        num_steps=jnp.array(0),
        y=y0,
        state=state0,
        aux=aux0,
        residual=inf,
        best=inf,
        best_norm=inf,
        reference=inf,
        since_progress=jnp.array(0),
        slow_decrease=jnp.zeros((), dtype),
        best_y=y0 if options.best_effort else None,
        best_aux=aux0 if options.best_effort else None,
        trace=jnp.full(options.trace_length, jnp.nan, dtype),
        result=RESULTS.where(finite_input, RESULTS.successful, RESULTS.nonfinite_input),
        running=finite_input,
    )


def advance(carry: _Carry, fn, solver, args, options: MonitorOptions) -> _Carry:
    """Take `check_every` solver steps, then test convergence and every failure mode."""
    y, state, aux, trace, steps = carry.y, carry.state, carry.aux, carry.trace, carry.num_steps
    dtype = carry.residual.dtype
    for _ in range(options.check_every):
        # The residual measured in a step belongs to its input `tested` (and so does `aux`);
        # on convergence the loop keeps the step's output (then the solver's `postprocess`).
        tested = y
        y, state, aux = solver.step(fn, y, args, {}, state, frozenset())
        if options.trace_length:
            trace = trace.at[steps].set(state.scaled_residual.astype(dtype), mode="drop")
        steps = steps + 1
    residual = state.scaled_residual.astype(dtype)
    norm = state.residual_norm.astype(dtype)
    converged = residual < 1
    # A non-finite iterate makes the next step's residual non-finite (f(y) - y holds y), so
    # the scalar residuals suffice here; `finish` checks the returned iterate itself.
    finite = jnp.isfinite(residual) & jnp.isfinite(norm)
    progress = residual < carry.reference * (1 - _MIN_PROGRESS)
    since_progress = jnp.where(progress, 0, carry.since_progress + options.check_every)
    reference = jnp.where(progress, residual, carry.reference)
    slow_decrease = jnp.where(progress, 0, carry.slow_decrease)

    result = RESULTS.where(~converged & state.failed, solver.failure_result, RESULTS.successful)
    if options.stagnation_patience is not None:
        slow_window = ~progress & (since_progress >= options.stagnation_patience)
        decrease = jnp.maximum(1 - residual / carry.reference, 0)
        levelled = decrease <= _LEVELLING * carry.slow_decrease
        stagnated = ~converged & slow_window & levelled
        result = RESULTS.where(stagnated, RESULTS.stagnated, result)
        # A slow window that did not level off starts the next window from here.
        new_window = slow_window & ~levelled
        since_progress = jnp.where(new_window, 0, since_progress)
        reference = jnp.where(new_window, residual, reference)
        slow_decrease = jnp.where(new_window, decrease, slow_decrease)
    if options.divergence_ratio is not None:
        diverged = ~converged & (norm > options.divergence_ratio * carry.best_norm)
        result = RESULTS.where(diverged, RESULTS.diverged, result)
    result = RESULTS.where(finite, result, RESULTS.nonfinite_iterate)
    best_y, best_aux = carry.best_y, carry.best_aux
    if options.best_effort:
        better = residual < carry.best
        best_y, best_aux = jtu.tree_map(
            lambda new, old: jnp.where(better, new, old), (tested, aux), (best_y, best_aux)
        )
    return _Carry(
        num_steps=steps,
        y=y,
        state=state,
        aux=aux,
        residual=residual,
        best=jnp.minimum(carry.best, residual),
        best_norm=jnp.minimum(carry.best_norm, norm),
        reference=reference,
        since_progress=since_progress,
        slow_decrease=slow_decrease,
        best_y=best_y,
        best_aux=best_aux,
        trace=trace,
        result=result,
        running=~converged & (result == RESULTS.successful) & (steps < options.max_steps),
    )


def finish(carry: _Carry, fn, solver, args, options: MonitorOptions) -> Solution:
    """Turn the final loop state into a `Solution` (a run that never ended is max-steps)."""
    ran_out = (carry.residual >= 1) & (carry.result == RESULTS.successful)
    result = RESULTS.where(ran_out, RESULTS.max_steps_reached, carry.result)
    bad_value = (result == RESULTS.successful) & ~all_finite(carry.y)
    result = RESULTS.where(bad_value, RESULTS.nonfinite_iterate, result)
    y, aux, _ = solver.postprocess(fn, carry.y, carry.aux, args, {}, carry.state, frozenset(), None)
    if options.best_effort:
        # Not converged: return the lowest-residual iterate (its residual is `best_residual`).
        use_best = result != RESULTS.successful
        y, aux = jtu.tree_map(
            lambda best, last: jnp.where(use_best, best, last),
            (carry.best_y, carry.best_aux),
            (y, aux),
        )
    stats = Stats(
        num_steps=carry.num_steps,
        residual=carry.residual,
        best_residual=carry.best,
        trace=carry.trace if options.trace_length else None,
    )
    return Solution(value=y, result=result, aux=aux, stats=stats, state=carry.state)


def run_loop(fn, solver, y0, args, options: MonitorOptions, *, while_loop: WhileLoop) -> Solution:
    """Iterate `solver` on `fn(y, args) -> (f(y), aux)` from `y0`; return a `Solution`.

    Stops when the solver's scaled residual is below 1 (`successful`), at `max_steps`
    (`max_steps_reached`), or on a failure: non-finite input or iterate, divergence,
    stagnation, or the solver's own failure (e.g. a singular Newton system). The convergence
    test runs every `check_every` steps (the steps in between skip it).

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
