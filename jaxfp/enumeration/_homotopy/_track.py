"""Path tracking on the device: fixed-size lanes of paths, refilled as paths finish.

One path's step (`_step`) is an RK4 predictor on the path's ODE dz/dt = −H_z⁻¹ H_t and a
two-iteration Newton corrector at the new t, in complex128. A step is accepted only when the
first Newton correction is below the tolerance and the second contracts it by `_CONTRACTION`
(the corrector must converge fast: the guard against jumping onto another path); otherwise the
step is halved. Accepted steps grow by the usual fifth-root rule. A path ends when it reaches
t = 1, when its step underflows (near t = 1: a singular end, classified by the endgame;
elsewhere: a failure) or when it runs out of steps.

The endgame records, each time 1 − t passes a power of ten, log(1 − t) and log(|z_0| / ‖z‖);
the slope between the last two samples estimates the order at which z_0 → 0 (Sommese & Wampler
2005, §10.3, power-series endgame): a positive order means the path goes to infinity.

`track_paths` runs `lanes` paths at a time inside one `jax.lax.while_loop`: every step, lanes
whose path ended write their state out (one `jax.tree.map`) and take the next path (their start
solution is computed from the path's number), so the work is the total number of steps, not
lanes × the slowest path. The endgame slope (`endgame_slope`) is read off the written states
after the loop, not for every lane every step.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Complex, Float, Int

from ._linear import SOLVERS
from ._system import HomogeneousSystem, start_point

RUNNING, REACHED, STALLED_NEAR_END, STALLED, OUT_OF_STEPS, NOT_FINITE = range(6)
# Second Newton correction must be below this fraction of the first.
_CONTRACTION = 0.1
# Steps grow at most by this factor, and shrink by half on a rejection.
_GROWTH = 2.0
# A step below this (absolute, in t) has underflowed.
_MIN_STEP = 1e-14
# An underflow with 1 − t below this is a singular end (handed to the endgame).
_ENDGAME_ZONE = 1e-4


class TrackOptions(eqx.Module):
    """Hyperparameters of the tracker (all traced, so retries do not recompile)."""

    tolerance: Float[Array, ""]  # the first Newton correction, relative to max(1, ‖z‖∞)
    max_step: Float[Array, ""]  # the largest step in t
    max_steps: Int[Array, ""]  # accepted + rejected steps per path


class PathState(eqx.Module):
    """One path's tracking state; a batch of them, with a leading axis, is what `track_paths`
    returns (each path's last state).

    - `z`: the chart point; `t`: the homotopy parameter reached; `step`: the next step in t;
      `steps`: steps taken (accepted + rejected); `status`: `RUNNING` or how tracking ended.
    - `decade`, `sample_old`, `sample_new`: the endgame's record, the power of ten 1 − t last
      passed and the last two samples (log(1 − t), log(|z_0| / ‖z‖)) (`endgame_slope`).
    """

    z: Complex[Array, "*p n"]
    t: Float[Array, "*p"]
    step: Float[Array, "*p"]
    steps: Int[Array, "*p"]
    status: Int[Array, "*p"]
    decade: Int[Array, "*p"]
    sample_old: Float[Array, "*p 2"]
    sample_new: Float[Array, "*p 2"]


def endgame_slope(path: PathState) -> Float[Array, "*p"]:
    """d log(|z_0|/‖z‖) / d log(1 − t) between the last two endgame samples (0 without two):
    the order at which z_0 → 0, for one path or a batch."""
    run = path.sample_new[..., 0] - path.sample_old[..., 0]
    rise = path.sample_new[..., 1] - path.sample_old[..., 1]
    return jnp.where((path.decade <= -2) & (run != 0), rise / run, 0.0)


def _new_path(system: HomogeneousSystem, index, options: TrackOptions, dim: int) -> PathState:
    return PathState(
        z=start_point(system, jnp.maximum(index, 0), dim),
        t=jnp.zeros((), jnp.float64),
        step=jnp.minimum(options.max_step, 0.05),
        steps=jnp.zeros((), jnp.int64),
        status=jnp.asarray(RUNNING, jnp.int64),
        decade=jnp.zeros((), jnp.int64),
        sample_old=jnp.zeros(2),
        sample_new=jnp.zeros(2),
    )


def _step(system: HomogeneousSystem, path: PathState, options: TrackOptions, solve) -> PathState:
    def velocity(z, t):
        _, jacobian, derivative = system.homotopy(z, t)
        return -solve(jacobian, derivative)

    def newton(z, t):
        value, jacobian, _ = system.homotopy(z, t)
        correction = solve(jacobian, -value)
        return z + correction, jnp.max(jnp.abs(correction))

    remaining = 1.0 - path.t
    h = jnp.minimum(path.step, remaining)
    reaches_end = h >= remaining
    t_new = jnp.where(reaches_end, 1.0, path.t + h)
    z, t = path.z, path.t

    # RK4 as a scan over its four stages, and the two Newton iterations as a scan: each traced
    # once, so the compiled loop body holds one velocity and one Newton solve (compile time).
    def stage(carry, nodes):
        previous, total = carry
        offset, weight = nodes
        slope = velocity(
            z + (offset * h) * previous, jnp.where(offset == 1.0, t_new, t + offset * h)
        )
        return (slope, total + weight * slope), None

    nodes = (jnp.asarray([0.0, 0.5, 0.5, 1.0]), jnp.asarray([1.0, 2.0, 2.0, 1.0]) / 6.0)
    (_, increment), _ = jax.lax.scan(stage, (jnp.zeros_like(z), jnp.zeros_like(z)), nodes)
    predicted = z + h * increment

    def correct(current, _):
        return newton(current, t_new)

    corrected, sizes = jax.lax.scan(correct, predicted, None, length=2)
    first, second = sizes[0], sizes[1]
    scale = jnp.maximum(1.0, jnp.max(jnp.abs(corrected)))
    finite = jnp.all(jnp.isfinite(corrected)) & jnp.isfinite(first) & jnp.isfinite(second)
    accept = (
        finite
        & (first <= options.tolerance * scale)
        & (second <= _CONTRACTION * first + 1e-13 * scale)
    )
    growth = jnp.clip(0.9 * (options.tolerance * scale / jnp.maximum(first, 1e-300)) ** 0.2, 0.5)
    new_step = jnp.where(
        accept, jnp.minimum(h * jnp.minimum(growth, _GROWTH), options.max_step), 0.5 * h
    )
    z = jnp.where(accept, corrected, path.z)
    t = jnp.where(accept, t_new, path.t)
    # Endgame samples each time 1 − t passes a power of ten.
    distance = jnp.maximum(1.0 - t, 1e-300)
    decade = jnp.floor(jnp.log10(distance)).astype(jnp.int64)
    ratio = jnp.abs(z[0]) / jnp.maximum(jnp.max(jnp.abs(z)), 1e-300)
    sample = jnp.stack([jnp.log(distance), jnp.log(jnp.maximum(ratio, 1e-300))])
    record = accept & (t < 1.0) & (decade < path.decade)
    sample_old = jnp.where(record, path.sample_new, path.sample_old)
    sample_new = jnp.where(record, sample, path.sample_new)
    steps = path.steps + 1
    status = jnp.select(
        [
            accept & reaches_end,
            ~finite & ~jnp.all(jnp.isfinite(path.z)),
            (new_step < _MIN_STEP) & (1.0 - t < _ENDGAME_ZONE),
            new_step < _MIN_STEP,
            steps >= options.max_steps,
        ],
        [REACHED, NOT_FINITE, STALLED_NEAR_END, STALLED, OUT_OF_STEPS],
        RUNNING,
    )
    return PathState(
        z=z,
        t=t,
        step=new_step,
        steps=steps,
        status=status,
        decade=jnp.where(record, decade, path.decade),
        sample_old=sample_old,
        sample_new=sample_new,
    )


def _select(lanes: Bool[Array, " lanes"], new: PathState, old: PathState) -> PathState:
    """`new`'s paths in the lanes where `lanes` holds, `old`'s elsewhere."""
    return jax.tree.map(
        lambda a, b: jnp.where(lanes.reshape((-1,) + (1,) * (a.ndim - 1)), a, b), new, old
    )


def track_paths(
    system: HomogeneousSystem,
    indices: Int[Array, " p"],
    count: Int[Array, ""],
    options: TrackOptions,
    lanes: int,
    solver: str = "lapack",
) -> PathState:
    """Tracks paths `indices[:count]` (the rest is padding) in `lanes` lanes; see the module
    docstring. Returns each path's last state, in the order of `indices` (padding rows are
    zero: `RUNNING`, slope 0). Pure: compile it with `jax.jit` (`lanes` and `solver` static)."""
    solve = SOLVERS[solver]
    size = indices.shape[0]
    dim = system.bias.shape[0]
    lanes = min(lanes, size)
    new_paths = jax.vmap(lambda index: _new_path(system, index, options, dim))
    step = jax.vmap(lambda path: _step(system, path, options, solve))

    def init():
        slot = jnp.arange(lanes)
        slot = jnp.where(slot < count, slot, -1)
        paths = new_paths(jnp.where(slot >= 0, indices[jnp.maximum(slot, 0)], 0))
        # Each path's final state, one row per path (row `size`: the discard row of the lanes
        # that did not finish); padding rows stay zero: RUNNING, slope 0.
        outputs = jax.tree.map(lambda a: jnp.zeros((size + 1, *a.shape[1:]), a.dtype), paths)
        return paths, slot, jnp.minimum(lanes, count), outputs

    def cond(carry):
        _, slot, _, _ = carry
        return jnp.any(slot >= 0)

    def body(carry):
        paths, slot, next_slot, outputs = carry
        active = slot >= 0
        paths = _select(active, step(paths), paths)
        done = active & (paths.status != RUNNING)
        target = jnp.where(done, slot, size)
        outputs = jax.tree.map(lambda out, new: out.at[target].set(new), outputs, paths)
        free = done | ~active
        candidate = next_slot + jnp.cumsum(free) - 1
        takes = free & (candidate < count)
        slot = jnp.where(takes, candidate, jnp.where(free, -1, slot))
        fresh = new_paths(indices[jnp.clip(candidate, 0, size - 1)])
        paths = _select(takes, fresh, paths)
        return paths, slot, next_slot + jnp.sum(takes), outputs

    _, _, _, outputs = jax.lax.while_loop(cond, body, init())
    return jax.tree.map(lambda array: array[:size], outputs)
