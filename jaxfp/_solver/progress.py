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
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Int, Scalar

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


class Progress(eqx.Module):
    """Whether the residuals of a solve still make progress (see the module docstring).

    `stagnated` and `diverged` are latched: once set they stay set, so a loop that asks
    `terminate` only every few steps still sees them. `started` is False before the first
    step (optimistix asks `terminate` of the initial state too).
    """

    best_norm: Scalar
    reference: Scalar
    since_progress: Int[Array, ""]
    slow_decrease: Scalar  # relative decrease of the last slow window (0 after progress)
    stagnated: Bool[Array, ""]
    diverged: Bool[Array, ""]
    started: Bool[Array, ""]

    @classmethod
    def start(cls, dtype) -> "Progress":
        """The tracker before the first step, in the real `dtype` of the residuals."""
        inf = jnp.array(jnp.inf, dtype)
        false = jnp.array(False)
        return cls(inf, inf, jnp.array(0), jnp.zeros((), dtype), false, false, false)

    def update(self, scaled: Scalar, raw: Scalar, options: dict[str, Any] | None) -> "Progress":
        """The tracker after a step whose iterate had scaled residual `scaled`, norm `raw`."""
        patience, ratio = stopping_options(options)
        scaled, raw = scaled.astype(self.reference.dtype), raw.astype(self.reference.dtype)
        converged = scaled < 1
        progress = scaled < self.reference * (1 - _MIN_PROGRESS)
        since_progress = jnp.where(progress, 0, self.since_progress + 1)
        reference = jnp.where(progress, scaled, self.reference)
        slow_decrease = jnp.where(progress, 0, self.slow_decrease)
        stagnated = self.stagnated
        if patience is not None:
            slow_window = ~progress & (since_progress >= patience)
            decrease = jnp.maximum(1 - scaled / self.reference, 0)
            levelled = decrease <= _LEVELLING * self.slow_decrease
            stagnated = stagnated | (~converged & slow_window & levelled)
            # A slow window that did not level off starts the next window from here.
            new_window = slow_window & ~levelled
            since_progress = jnp.where(new_window, 0, since_progress)
            reference = jnp.where(new_window, scaled, reference)
            slow_decrease = jnp.where(new_window, decrease, slow_decrease)
        diverged = self.diverged
        if ratio is not None:
            diverged = diverged | (~converged & (raw > ratio * self.best_norm))
        return Progress(
            best_norm=jnp.minimum(self.best_norm, raw),
            reference=reference,
            since_progress=since_progress,
            slow_decrease=slow_decrease,
            stagnated=stagnated,
            diverged=diverged,
            started=jnp.array(True),
        )
