"""The one solver loop shared by every jaxfp solver (the forward solve of `fixed_point`)."""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, Scalar

from .._misc import all_finite
from .._solution import RESULTS, Solution, Stats

# `while_loop(cond_fun, body_fun, init_val, *, max_steps) -> final_val`, as
# `equinox.internal.while_loop`; `max_steps` bounds the number of loop iterations.
WhileLoop = Callable[..., Any]

# A residual must fall below `reference * (1 - _MIN_PROGRESS)` to count as progress for the
# stagnation test: steady linear convergence always passes, a cycle or a precision floor never.
_MIN_PROGRESS = 1e-3


class MonitorOptions(eqx.Module):
    """Loop settings of `fixed_point` that are not solver hyperparameters (all static)."""

    max_steps: int = eqx.field(static=True)
    check_every: int = eqx.field(static=True)
    trace_length: int = eqx.field(static=True)
    stagnation_patience: int | None = eqx.field(static=True)
    divergence_ratio: float | None = eqx.field(static=True)

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
        trace=jnp.full(options.trace_length, jnp.nan, dtype),
        result=RESULTS.where(finite_input, RESULTS.successful, RESULTS.nonfinite_input),
        running=finite_input,
    )


def advance(carry: _Carry, fn, solver, args, options: MonitorOptions) -> _Carry:
    """Take `check_every` solver steps, then test convergence and every failure mode."""
    y, state, aux, trace, steps = carry.y, carry.state, carry.aux, carry.trace, carry.num_steps
    dtype = carry.residual.dtype
    for _ in range(options.check_every):
        # The residual measured in a step belongs to its input `y`; on convergence we keep
        # the step's output, which is at least as accurate.
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

    result = RESULTS.where(~converged & state.failed, solver.failure_result, RESULTS.successful)
    if options.stagnation_patience is not None:
        stagnated = ~converged & (since_progress >= options.stagnation_patience)
        result = RESULTS.where(stagnated, RESULTS.stagnated, result)
    if options.divergence_ratio is not None:
        diverged = ~converged & (norm > options.divergence_ratio * carry.best_norm)
        result = RESULTS.where(diverged, RESULTS.diverged, result)
    result = RESULTS.where(finite, result, RESULTS.nonfinite_iterate)
    return _Carry(
        num_steps=steps,
        y=y,
        state=state,
        aux=aux,
        residual=residual,
        best=jnp.minimum(carry.best, residual),
        best_norm=jnp.minimum(carry.best_norm, norm),
        reference=jnp.where(progress, residual, carry.reference),
        since_progress=since_progress,
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
