"""`jaxfp.Monitor`: how the solver loop watches a solve (tests, trace, failure detection)."""

import equinox as eqx

from .._validation import MAX_CHECK_EVERY, check_count
from .progress import check_stopping_options


class Monitor(eqx.Module):
    """How `jaxfp.fixed_point` and `jaxfp.fixed_point_batched` watch a solve.

    These settings are not the solver's hyperparameters: they say how often the loop tests
    the stopping rule, what it records, and when it gives up on a solve that does not
    converge. All fields are static (a change recompiles).

    Attributes:
        check_every: test convergence and failure every k steps (cheaper for small problems),
            1 … 1024 (the k steps are unrolled into the loop body). None, the default, means
            the entry point's own: 1 for `fixed_point`, 8 for `fixed_point_batched`.
        trace_length: keep the scaled residual of the first `trace_length` steps in
            `Solution.stats.trace` (default 0: no trace).
        stagnation_patience: a window of steps without a 0.1% decrease of the scaled residual
            whose decrease also levels off (at most half the previous window's) ends the solve
            with `RESULTS.stagnated`; slow but steady progress does not (default 64; None
            disables).
        divergence_ratio: stop with `RESULTS.diverged` when `norm(f(y) - y)` exceeds this
            multiple of its best value (default 1e8; None disables). This and
            `stagnation_patience` reach the solver as its `options` (see
            `jaxfp.AbstractFixedPointSolver.terminate`), as they do through
            `optimistix.fixed_point(..., options=...)`.

    Raises:
        ValueError: when built, naming the field, for a value outside its range.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> monitor = jaxfp.Monitor(trace_length=5, stagnation_patience=None)
        >>> sol = jaxfp.fixed_point(lambda y, a: jnp.cos(y), jaxfp.Picard(1e-8, 1e-8), 0.5,
        ...                         monitor=monitor)
        >>> sol.stats.trace.shape
        (5,)
    """

    check_every: int | None = eqx.field(static=True, default=None)
    trace_length: int = eqx.field(static=True, default=0)
    stagnation_patience: int | None = eqx.field(static=True, default=64)
    divergence_ratio: float | None = eqx.field(static=True, default=1e8)

    def __check_init__(self):
        check_count(self.check_every, "check_every", maximum=MAX_CHECK_EVERY, allow_none=True)
        check_count(self.trace_length, "trace_length", minimum=0)
        check_stopping_options(self.stagnation_patience, self.divergence_ratio)


def check_monitor(monitor) -> None:
    """Refuse a `monitor` that is not a `jaxfp.Monitor`.

    Raises:
        ValueError: naming the type that was given.
    """
    if not isinstance(monitor, Monitor):
        raise ValueError(f"`monitor` must be a jaxfp.Monitor, got {type(monitor).__name__}.")
