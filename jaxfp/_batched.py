"""`jaxfp.fixed_point_batched`: many independent problems, lanes refilled as they finish."""

from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Int, PyTree

from ._fixed_point import prepare
from ._misc import as_inexact
from ._solution import Solution
from ._solver.base import AbstractFixedPointSolver, check_solver
from ._solver.loop import advance, finish, initial_carry, monitor_options
from ._solver.monitor import Monitor
from ._validation import check_count, with_array_inputs

# Compaction stages: each is `_SHRINK` times narrower, down to `_MIN_WIDTH` lanes; a narrow
# stage runs up to `_SHRINK` test intervals per round.
_SHRINK = 8
_MIN_WIDTH = 4


class _Lanes(eqx.Module):
    carry: Any  # the per-lane loop state, leading axis `lanes`
    args: Any  # each lane's own arguments (`_per_problem`: the shared ones are not copied)
    problem: Int[Array, " lanes"]  # the problem a lane solves; -1 when idle
    next_problem: Int[Array, ""]
    outputs: Solution  # leading axis `num_problems`


def _is_none(node) -> bool:
    return node is None


def _select_args(args, args_axes, index):
    """Problem `index`'s arguments: leaves under axis 0 are indexed, under None shared."""
    return _join_args(_per_problem(args, args_axes, index), args, args_axes)


def _per_problem(args, args_axes, index):
    """Problem `index`'s own arguments (the parts under axis 0); the shared parts are None."""
    return jax.tree.map(
        lambda axis, sub: None if axis is None else jax.tree.map(lambda a: a[index], sub),
        args_axes,
        args,
        is_leaf=_is_none,
    )


def _join_args(own, args, args_axes):
    """A problem's arguments from its own parts (`_per_problem`) and the shared parts of `args`."""
    return jax.tree.map(
        lambda axis, mine, shared: shared if axis is None else mine,
        args_axes,
        own,
        args,
        is_leaf=_is_none,
    )


@jax.custom_jvp
def _not_differentiated(x):
    return x


@_not_differentiated.defjvp
def _refuse_derivative(primals, tangents):
    # Called only for an input that carries a tangent (JAX skips it for symbolic zeros).
    raise ValueError(
        "`fixed_point_batched` is not differentiable (its lanes are refilled as problems "
        "finish); differentiate `jax.vmap(jaxfp.fixed_point)` instead."
    )


def _undifferentiable(tree):
    """`tree` whose arrays raise a `ValueError` when differentiated, instead of a silent 0."""
    return jax.tree.map(lambda x: _not_differentiated(x) if eqx.is_inexact_array(x) else x, tree)


def _check_axes(args_axes, args, num_problems: int) -> None:
    """`args_axes` is a prefix of `args` with entries 0 or None; axis-0 leaves are per problem."""
    is_none = lambda node: node is None  # noqa: E731
    for axis in jax.tree.leaves(args_axes, is_leaf=is_none):
        if axis not in (0, None):
            raise ValueError(f"`args_axes` entries must be 0 or None, got {axis!r}.")
    try:
        subtrees = jax.tree.structure(args_axes, is_leaf=is_none).flatten_up_to(args)
    except ValueError as error:
        raise ValueError(
            f"`args_axes` must be a prefix of the structure of `args`: {error}"
        ) from None
    for axis, sub in zip(jax.tree.leaves(args_axes, is_leaf=is_none), subtrees, strict=True):
        if axis == 0 and any(jnp.shape(a)[:1] != (num_problems,) for a in jax.tree.leaves(sub)):
            raise ValueError(
                f"Arguments batched with `args_axes=0` need leading axis {num_problems} (the "
                "number of problems in `y0s`)."
            )


@with_array_inputs
def fixed_point_batched(
    fn: Callable,
    solver: AbstractFixedPointSolver,
    y0s: PyTree[Array],
    args: Any = None,
    *,
    args_axes: Any = None,
    lanes: int = 256,
    max_steps: int = 256,
    has_aux: bool = False,
    monitor: Monitor = Monitor(),
    best_effort: bool = False,
) -> Solution:
    """Solve many independent fixed-point problems `fn(y_i, args_i) = y_i`.

    Each problem keeps its own termination, result code and step count: one failing problem
    never spoils another, and nothing raises. Problems run in `lanes` fixed-size lanes; every
    `monitor.check_every` steps, lanes whose problem has finished write it out and take the next
    unstarted problem, so the cost follows the total number of steps, not the slowest
    problem times the number of batches (as a plain `vmap` over a while loop would). When no
    problem is waiting and at most 1/8 of the lanes are busy, the busy lanes are compacted
    into 8x fewer lanes (down to 4), so a few slow problems step alone, cheaply; those narrow
    stages write finished problems out once per 8 test intervals. Every problem is tested every
    `monitor.check_every` steps, in every stage, so its step count and result are those of
    `jaxfp.fixed_point` with the same settings (`max_steps` is rounded up to the test interval).

    Zero problems (leading axis 0) give an empty `Solution` (every leaf with leading axis 0).

    Args:
        fn: as in `jaxfp.fixed_point`.
        solver: as in `jaxfp.fixed_point`.
        y0s: the initial values, every leaf with the same leading axis (the problems).
        args: the arguments, per problem or shared as `args_axes` says.
        args_axes: as for `jax.vmap`'s `in_axes`, which parts of `args` are per problem (0:
            leading axis indexed by problem) and which shared (None, the default).
        lanes: how many problems run at once (clipped to the number of problems).
        max_steps: as in `jaxfp.fixed_point`, per problem.
        has_aux: as in `jaxfp.fixed_point`.
        monitor: as in `jaxfp.fixed_point`, per problem; its `check_every` defaults to 8 here.
        best_effort: as in `jaxfp.fixed_point`: an unconverged problem's value is its
            lowest-residual iterate, and its `stats.best_residual` says how far from converged.

    Returns:
        A `jaxfp.Solution` whose leaves have a leading problem axis (`value`, `result`, `aux`,
        `stats`); `state` is `None`. The values are not differentiable (use
        `jax.vmap(jaxfp.fixed_point)` for gradients).

    Raises:
        ValueError: for inconsistent leading axes, bad `args_axes` or options, and when
            differentiated (`jax.grad`, `jax.jvp`) with respect to `y0s`, `args` or `fn`.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> gains = jnp.linspace(0.1, 0.9, 5)
        >>> fn = lambda y, gain: jnp.tanh(gain * y + 1.0)
        >>> sol = jaxfp.fixed_point_batched(fn, jaxfp.Picard(1e-6, 1e-6), jnp.zeros((5, 2)),
        ...                                 gains, args_axes=0, lanes=2)
        >>> sol.value.shape, bool(jnp.all(sol.result == jaxfp.RESULTS.successful))
        ((5, 2), True)
    """
    check_solver(solver)
    options = monitor_options(monitor, max_steps, best_effort, default_check_every=8)
    leaves = jax.tree.leaves(y0s)
    if not leaves:
        raise ValueError("`y0s` must contain at least one array.")
    sizes = {jnp.shape(leaf)[0] if jnp.ndim(leaf) else None for leaf in leaves}
    if len(sizes) != 1 or None in sizes:
        raise ValueError(
            "Every leaf of `y0s` needs the same leading (problem) axis; got leading sizes "
            f"{sorted(str(s) for s in sizes)}."
        )
    (num_problems,) = sizes
    lanes = check_count(lanes, "lanes")
    _check_axes(args_axes, args, num_problems)
    y0s = _undifferentiable(jax.tree.map(as_inexact, y0s))
    args = _undifferentiable(args)
    if num_problems == 0:
        return _empty_solution(fn, solver, y0s, args, args_axes, has_aux, options)
    lanes = min(lanes, num_problems)
    first_args = _select_args(args, args_axes, 0)
    fn, _, _ = prepare(fn, jax.tree.map(lambda a: a[0], y0s), first_args, has_aux)
    fn = _undifferentiable(fn)

    # A lane holds its problem's own arguments only: shared ones stay unbatched, so that `fn`
    # sees them as under `vmap` with `in_axes=None` (one matrix product for all lanes, not a
    # batch of matrix-vector products over per-lane copies).
    def start(index):
        y0 = jax.tree.map(lambda a: a[index], y0s)
        own = _per_problem(args, args_axes, index)
        return initial_carry(fn, solver, y0, _join_args(own, args, args_axes), options), own

    first = jnp.arange(lanes)
    carry, lane_args = jax.vmap(start)(first)
    template = jax.eval_shape(
        lambda: finish(jax.tree.map(lambda a: a[0], carry), fn, solver, first_args, options)
    )
    template = eqx.tree_at(lambda s: s.state, template, None)
    outputs = jax.tree.map(lambda s: jnp.zeros((num_problems, *s.shape), s.dtype), template)
    state = _Lanes(carry, lane_args, first, jnp.array(lanes), outputs)

    def advance_if_running(carry, own):
        # A lane whose problem never started (non-finite input) is written out untouched. (Not
        # a `lax.cond`: under `vmap` it turns into this select anyway, after broadcasting the
        # shared arguments it closes over to every lane.)
        advanced = advance(carry, fn, solver, _join_args(own, args, args_axes), options)
        return jax.tree.map(lambda new, old: jnp.where(carry.running, new, old), advanced, carry)

    def advance_rounds(carry, own):
        lane_args = _join_args(own, args, args_axes)

        # Up to `_SHRINK` test intervals; a lane stops at the interval its problem finishes.
        def more(operands):
            carry, rounds = operands
            return carry.running & (rounds < _SHRINK)

        def one_round(operands):
            carry, rounds = operands
            return advance(carry, fn, solver, lane_args, options), rounds + 1

        return jax.lax.while_loop(more, one_round, (carry, jnp.array(0)))[0]

    def write_out(lanes_state, carry):
        """Write the lanes whose problem finished; returns the outputs and which finished."""
        done = (lanes_state.problem >= 0) & ~carry.running
        solutions = jax.vmap(
            lambda c, own: finish(c, fn, solver, _join_args(own, args, args_axes), options)
        )(carry, lanes_state.args)
        solutions = eqx.tree_at(lambda s: s.state, solutions, None)
        target = jnp.where(done, lanes_state.problem, num_problems)
        outputs = jax.tree.map(
            lambda out, new: out.at[target].set(new, mode="drop"),
            lanes_state.outputs,
            solutions,
        )
        return outputs, done

    def refilling_body(lanes_state):
        carry = jax.vmap(advance_if_running)(lanes_state.carry, lanes_state.args)
        outputs, done = write_out(lanes_state, carry)
        free = done | (lanes_state.problem < 0)
        new_index = lanes_state.next_problem + jnp.cumsum(free) - 1
        takes = free & (new_index < num_problems)
        problem = jnp.where(takes, new_index, jnp.where(free, -1, lanes_state.problem))
        next_problem = lanes_state.next_problem + jnp.sum(takes)

        def refill(operands):
            carry, lane_args = operands
            fresh_carry, fresh_args = jax.vmap(start)(jnp.clip(new_index, 0, num_problems - 1))
            pick = lambda fresh, old: jnp.where(
                takes.reshape(takes.shape + (1,) * (old.ndim - 1)), fresh, old
            )
            return jax.tree.map(pick, fresh_carry, carry), jax.tree.map(pick, fresh_args, lane_args)

        carry, lane_args = jax.lax.cond(
            jnp.any(takes), refill, lambda operands: operands, (carry, lanes_state.args)
        )
        return _Lanes(carry, lane_args, problem, next_problem, outputs)

    def narrow_body(lanes_state):
        # No problem is waiting in a narrow stage: no refill, and several test intervals per
        # round, so the write-out is paid once per `_SHRINK` intervals.
        carry = jax.vmap(advance_rounds)(lanes_state.carry, lanes_state.args)
        outputs, done = write_out(lanes_state, carry)
        problem = jnp.where(done, -1, lanes_state.problem)
        return _Lanes(carry, lanes_state.args, problem, lanes_state.next_problem, outputs)

    # Compaction: once no problem is waiting and at most width / 8 lanes are still busy, the
    # busy lanes move into a loop 8x narrower, so a few slow problems do not keep every lane
    # of the full width stepping (the cost follows the total work, not the slowest problem).
    width, body_fun = lanes, refilling_body
    while True:
        narrower = width // _SHRINK if width >= _SHRINK * _MIN_WIDTH else 0

        def cond_fun(lanes_state, narrower=narrower):
            active = lanes_state.problem >= 0
            waiting = lanes_state.next_problem < num_problems
            return jnp.any(active) & (waiting | (jnp.sum(active) > narrower))

        state = jax.lax.while_loop(cond_fun, body_fun, state)
        if not narrower:
            return state.outputs
        state = _compact(state, narrower)
        width, body_fun = narrower, narrow_body


def _empty_solution(fn, solver, y0s, args, args_axes, has_aux, options) -> Solution:
    """The `Solution` of zero problems: every leaf with leading axis 0 (`fn` is traced once,
    on zeros shaped like one problem, so its shape and dtype mistakes are still reported)."""
    one = lambda tree: jax.tree.map(lambda a: jnp.zeros(a.shape[1:], a.dtype), tree)  # noqa: E731
    y0 = one(y0s)
    one_args = jax.tree.map(
        lambda axis, sub: sub if axis is None else one(sub),
        args_axes,
        args,
        is_leaf=lambda node: node is None,
    )
    fn, y0, one_args = prepare(fn, y0, one_args, has_aux)
    template = jax.eval_shape(
        lambda: finish(
            initial_carry(fn, solver, y0, one_args, options), fn, solver, one_args, options
        )
    )
    template = eqx.tree_at(lambda s: s.state, template, None)
    return jax.tree.map(lambda s: jnp.zeros((0, *s.shape), s.dtype), template)


def _compact(state: _Lanes, width: int) -> _Lanes:
    """Keep `width` lanes, the busy ones first (idle lanes fill the rest)."""
    keep = jnp.argsort(state.problem < 0, stable=True)[:width]
    take = lambda tree: jax.tree.map(lambda a: a[keep], tree)  # noqa: E731
    return _Lanes(
        take(state.carry),
        take(state.args),
        state.problem[keep],
        state.next_problem,
        state.outputs,
    )
