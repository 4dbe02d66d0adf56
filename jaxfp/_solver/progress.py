"""Divergence and stagnation tracking, carried in every jaxfp solver's state.

Each solver's `step` updates a `Progress` with the residuals of the iterate it evaluated, and
the solvers' shared `terminate` reads its verdicts, so `jaxfp.fixed_point` and
`optimistix.fixed_point` (which both ask `terminate`) stop on the same step with the same
result. The two settings come from the solver's `options` dict (optimistix's way to pass
per-solve settings): `optimistix.fixed_point(..., options=dict(stagnation_patience=...))`, or
the keywords of `jaxfp.fixed_point`; both default to `DEFAULT_OPTIONS`.

Stagnation. A scaled residual below `reference * (1 - _MIN_PROGRESS)` is progress (and the new
reference). A window of `stagnation_patience` steps without it is a *slow* window; the solve
stagnated only when a slow window's relative decrease is also at most `_LEVELLING` times the
previous slow window's (0 after progress): the residual levels off (a cycle, a precision floor,
the approach to a cycle). A residual that keeps falling slowly (sublinear convergence, e.g. a
derivative -1 at the fixed point) keeps similar decreases window after window and goes on until
it converges or reaches `max_steps`.

Divergence. The unscaled residual norm exceeding `divergence_ratio` times its best value so far.
"""

import numbers
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int, Scalar

_MIN_PROGRESS = 1e-3
_LEVELLING = 0.5

# The defaults of both settings, shared by `jaxfp.fixed_point`, `jaxfp.fixed_point_batched` and
# `optimistix.fixed_point` with a jaxfp solver.
DEFAULT_OPTIONS = {"stagnation_patience": 64, "divergence_ratio": 1e8}


def check_stopping_options(stagnation_patience, divergence_ratio) -> None:
    """Check the two settings (None disables either).

    Raises:
        ValueError: naming the setting and its value.

    Example:
        >>> check_stopping_options(64, 1e8)
        >>> check_stopping_options(0, 1e8)
        Traceback (most recent call last):
        ...
        ValueError: `stagnation_patience` must be a positive integer or None, got 0.
    """
    patience = stagnation_patience
    if patience is not None and (
        isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 1
    ):
        raise ValueError(
            f"`stagnation_patience` must be a positive integer or None, got {patience!r}."
        )
    ratio = divergence_ratio
    if ratio is not None and (
        isinstance(ratio, bool)
        or not isinstance(ratio, numbers.Real)
        or not (np.isfinite(ratio) and ratio > 1)
    ):
        raise ValueError(
            f"`divergence_ratio` must be a finite number > 1 (or None), got {ratio!r}."
        )


def stopping_options(options: dict[str, Any] | None) -> tuple[int | None, float | None]:
    """`(stagnation_patience, divergence_ratio)` from a solver's `options`, checked."""
    options = {} if options is None else options
    patience = options.get("stagnation_patience", DEFAULT_OPTIONS["stagnation_patience"])
    ratio = options.get("divergence_ratio", DEFAULT_OPTIONS["divergence_ratio"])
    check_stopping_options(patience, ratio)
    return patience, ratio


# The tracker's entries, packed in one small array so that a step updates all of them in one
# kernel: separate scalars cost a kernel each, and XLA:CPU runs a loop body of more than 8
# kernels through its slower concurrent executor. Counts and flags are stored as floats of at
# least float32, so counts are exact up to `jaxfp._validation.MAX_STEPS` = 2**24.
_BEST_NORM, _REFERENCE, _SINCE_PROGRESS, _SLOW_DECREASE, _STAGNATED, _DIVERGED, _STEPS = range(7)


class Progress(eqx.Module):
    """Whether the residuals of a solve still make progress (see the module docstring).

    `stagnated` and `diverged` are latched: once set they stay set, so a loop that asks
    `terminate` only every few steps still sees them. `num_steps` counts the updates (a
    solver updates its tracker once per step, so this is its step count; `jaxfp.fixed_point`
    reads it from there); `started` is False before the first step (optimistix asks
    `terminate` of the initial state too).
    """

    values: Float[Array, " 7"]

    @classmethod
    def start(cls, dtype) -> "Progress":
        """The tracker before the first step, for residuals of the real `dtype`."""
        # No type promotion (it fails under `jax_numpy_dtype_promotion="strict"`).
        dtype = jnp.dtype(dtype) if jnp.finfo(dtype).bits >= 32 else jnp.dtype(jnp.float32)
        return cls(jnp.array([np.inf, np.inf, 0, 0, 0, 0, 0], dtype))

    @property
    def best_norm(self) -> Scalar:
        """The smallest unscaled residual norm so far."""
        return self.values[_BEST_NORM]

    @property
    def stagnated(self) -> Bool[Array, ""]:
        return self.values[_STAGNATED] > 0

    @property
    def diverged(self) -> Bool[Array, ""]:
        return self.values[_DIVERGED] > 0

    @property
    def num_steps(self) -> Int[Array, ""]:
        """The steps taken (updates of the tracker), exact up to 2**24."""
        return self.values[_STEPS].astype(int)

    @property
    def started(self) -> Bool[Array, ""]:
        return self.values[_STEPS] > 0

    def update(self, scaled: Scalar, raw: Scalar, options: dict[str, Any] | None) -> "Progress":
        """The tracker after a step whose iterate had scaled residual `scaled`, norm `raw`."""
        patience, ratio = stopping_options(options)
        dtype = self.values.dtype

        def entries(values, scaled, raw):
            scaled, raw = scaled.astype(dtype), raw.astype(dtype)
            new = _updated_entries(values, scaled, raw, patience, ratio)
            return [jnp.broadcast_to(jnp.asarray(e).astype(dtype), scaled.shape) for e in new]

        # Under vmap the tracker is (lanes, 7). Stacked along its last axis, XLA:CPU computes
        # each of the 7 entries of a lane in turn, re-deriving the shared tests for every entry
        # and vectorising nothing (`vmap(fixed_point)` of a d = 4 map ran 2.2x slower than with
        # separate scalars); stacked as 7 rows of lanes and transposed, each entry is one
        # vectorised row (1.2x).
        @jax.custom_batching.custom_vmap
        def packed(values, scaled, raw):
            return jnp.stack(entries(values, scaled, raw))

        @packed.def_vmap
        def packed_lanes(axis_size, in_batched, values, scaled, raw):
            operands = (values, scaled, raw)
            values, scaled, raw = (
                x if batched else jnp.broadcast_to(x, (axis_size, *x.shape))
                for x, batched in zip(operands, in_batched, strict=True)
            )
            return jnp.stack(entries(values, scaled, raw)).T, True

        # The barrier keeps each update its own kernel. Without it XLA:CPU fuses the updates of
        # the `check_every` steps a loop body unrolls into one kernel that re-emits every entry
        # for each use of it, so its cost grows exponentially with `check_every` (4 lanes of
        # d = 3 Picard: 0.6 us a step at `check_every=4`, 2 us at 6, 51 us at 8).
        return Progress(jax.lax.optimization_barrier(packed(self.values, scaled, raw)))


def _updated_entries(values, scaled, raw, patience, ratio) -> tuple:
    """The tracker's 7 entries after a step, from `values[..., k]`, the entries before it."""
    best_norm, reference = values[..., _BEST_NORM], values[..., _REFERENCE]
    converged = scaled < 1
    progress = scaled < reference * (1 - _MIN_PROGRESS)
    since_progress = jnp.where(progress, 0, values[..., _SINCE_PROGRESS] + 1)
    new_reference = jnp.where(progress, scaled, reference)
    slow_decrease = jnp.where(progress, 0, values[..., _SLOW_DECREASE])
    stagnated = values[..., _STAGNATED] > 0
    if patience is not None:
        slow_window = ~progress & (since_progress >= patience)
        decrease = jnp.maximum(1 - scaled / reference, 0)
        levelled = decrease <= _LEVELLING * values[..., _SLOW_DECREASE]
        stagnated = stagnated | (~converged & slow_window & levelled)
        # A slow window that did not level off starts the next window from here.
        new_window = slow_window & ~levelled
        since_progress = jnp.where(new_window, 0, since_progress)
        new_reference = jnp.where(new_window, scaled, new_reference)
        slow_decrease = jnp.where(new_window, decrease, slow_decrease)
    diverged = values[..., _DIVERGED] > 0
    if ratio is not None:
        diverged = diverged | (~converged & (raw > ratio * best_norm))
    return (
        jnp.minimum(best_norm, raw),
        new_reference,
        since_progress,
        slow_decrease,
        stagnated,
        diverged,
        values[..., _STEPS] + 1,
    )
