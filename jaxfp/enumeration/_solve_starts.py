"""The batched kernel of the iterative enumeration: solve one chunk of starts.

Per start, two solves with the lane-refilling batched driver (`jaxfp.fixed_point_batched`):

1. the iterated map itself: cheap Picard steps x ← F(x) from the start (this is the trajectory
   whose limit defines the start's sign basin; a 2-cycle shows up as stagnation, an escape as
   divergence), then a Newton polish of the Picard limit to full precision;
2. Newton's method from the start (optional, on by default), which converges to saddles and
   repelling fixed points too; the iterated map never reaches those.

Both Newton solves run as one batched call (the polish problems finish in a step or two and free
their lanes for the others). The kernel returns raw values and result codes; the host turns them
into outcomes, deduplicates and classifies.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

from .._batched import fixed_point_batched
from .._numerics import max_abs
from .._solver import Monitor, Newton, Picard


class SolveOptions(eqx.Module):
    """Settings of the iterative enumeration's solves (all static).

    - `picard_steps`: most steps of the iterated map per start.
    - `picard_tolerance`: `rtol = atol` of the Picard phase (loose; the polish tightens it).
    - `newton_steps`: most Newton steps, for the polish and for the Newton-from-start solve.
    - `newton_tolerance`: `rtol = atol` of Newton (raised to 64 machine epsilons in float32).
    - `lanes`: problems solved at once per device by the batched driver.
    - `check_every`: Picard steps between convergence tests.
    - `stagnation_patience`: Picard steps without progress before a start counts as stuck (a
      cycle, e.g. the 2-cycles of construction (E)).
    - `find_saddles`: run Newton from every start as well (finds saddles and repellers).
    - `accept_residual`: a point is a fixed point when ‖F(x) − x‖_∞ ≤ accept_residual·(1 + ‖x‖_∞).
    - `dedupe_tolerance`: points within `dedupe_tolerance·(1 + ‖x‖_∞)` (∞-norm) are one point.
    - `cycle_tolerance`: a stuck start whose F(F(x)) is within this of x (relative) is a 2-cycle.
    """

    picard_steps: int = eqx.field(static=True, default=256)
    picard_tolerance: float = eqx.field(static=True, default=1e-8)
    newton_steps: int = eqx.field(static=True, default=32)
    newton_tolerance: float = eqx.field(static=True, default=1e-12)
    lanes: int = eqx.field(static=True, default=1024)
    check_every: int = eqx.field(static=True, default=4)
    stagnation_patience: int = eqx.field(static=True, default=48)
    find_saddles: bool = eqx.field(static=True, default=True)
    accept_residual: float = eqx.field(static=True, default=1e-7)
    dedupe_tolerance: float = eqx.field(static=True, default=1e-6)
    cycle_tolerance: float = eqx.field(static=True, default=1e-6)

    def __check_init__(self):
        for name in ("picard_steps", "newton_steps", "lanes", "check_every", "stagnation_patience"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"SolveOptions `{name}` must be a positive integer, got {value!r}."
                )
        for name in (
            "picard_tolerance",
            "newton_tolerance",
            "accept_residual",
            "dedupe_tolerance",
            "cycle_tolerance",
        ):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0):
                raise ValueError(f"SolveOptions `{name}` must be a positive number, got {value!r}.")


class SolveEnds(eqx.Module):
    """Where one batched solve left each start (leading axis: the starts): its result code
    (`jaxfp.RESULTS`), value and relative residual ‖F(x) − x‖_∞ / (1 + ‖x‖_∞)."""

    result: Int[Array, " n"]
    value: Float[Array, "n d"]
    residual: Float[Array, " n"]


class ChunkSolution(eqx.Module):
    """Raw per-start results of one chunk (leading axis: the starts): the Picard trajectory's
    end (`picard`, with its step count and the 2-cycle gap ‖F(F(x)) − x‖_∞ / (1 + ‖x‖_∞)), the
    Newton polish of that end (`polish`) and Newton's method from the start (`newton`; result
    −1, NaN values and infinite residuals when saddles are not searched)."""

    picard: SolveEnds
    picard_steps: Int[Array, " n"]
    cycle_gap: Float[Array, " n"]
    polish: SolveEnds
    newton: SolveEnds


def _apply(y, net):
    return net(y)


def _relative_residual(net, values):
    images = jax.vmap(net)(values)
    scale = 1.0 + max_abs(values, axis=1)
    return max_abs(images - values, axis=1) / scale, images


def solve_chunk(net, starts: Float[Array, "n d"], options: SolveOptions) -> ChunkSolution:
    """Solve every start of a chunk (see the module docstring). Traceable; never raises."""
    eps = float(jnp.finfo(starts.dtype).eps)
    picard_tol = max(options.picard_tolerance, 64 * eps)
    newton_tol = max(options.newton_tolerance, 64 * eps)
    lanes = min(options.lanes, starts.shape[0])
    picard = fixed_point_batched(
        _apply,
        Picard(picard_tol, picard_tol),
        starts,
        net,
        lanes=lanes,
        max_steps=options.picard_steps,
        monitor=Monitor(
            check_every=options.check_every, stagnation_patience=options.stagnation_patience
        ),
    )
    n = starts.shape[0]
    problems = jnp.concatenate([picard.value, starts]) if options.find_saddles else picard.value
    newton = fixed_point_batched(
        _apply,
        Newton(newton_tol, newton_tol),
        problems,
        net,
        lanes=min(options.lanes, problems.shape[0]),
        max_steps=options.newton_steps,
        monitor=Monitor(check_every=1),
    )
    picard_residual, images = _relative_residual(net, picard.value)
    twice = jax.vmap(net)(images)
    cycle_gap = max_abs(twice - picard.value, axis=1) / (1.0 + max_abs(picard.value, axis=1))
    residual, _ = _relative_residual(net, newton.value)
    ends = SolveEnds(newton.result._value, newton.value, residual)
    if options.find_saddles:
        from_starts = jax.tree.map(lambda a: a[n:], ends)
    else:
        from_starts = SolveEnds(
            jnp.full((n,), -1, dtype=newton.result._value.dtype),
            jnp.full_like(starts, jnp.nan),
            jnp.full((n,), jnp.inf, dtype=starts.dtype),
        )
    return ChunkSolution(
        picard=SolveEnds(picard.result._value, picard.value, picard_residual),
        picard_steps=picard.stats.num_steps,
        cycle_gap=cycle_gap,
        polish=jax.tree.map(lambda a: a[:n], ends),
        newton=from_starts,
    )
