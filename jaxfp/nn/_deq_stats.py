"""`DEQStats`: the diagnostics of one DEQ forward solve."""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

from .._solution import RESULTS, Solution


class DEQStats(eqx.Module):
    """Diagnostics of one DEQ forward solve (per sample under `jax.vmap`).

    - `num_steps`: forward solver steps taken, at most the layer's `max_steps` (one cell
      evaluation each for `jaxfp.Picard`, `jaxfp.Anderson` and `jaxfp.Broyden`).
    - `residual`: final scaled residual (below 1 means converged).
    - `best_residual`: smallest scaled residual of the solve.
    - `result`: a `jaxfp.RESULTS` code.
    - `inexact`: True when the solve did not meet its tolerance (`result` is not successful).
    - `trace`: scaled residual per step for the first `monitor.trace_length` steps of the
      layer (NaN after the last step), or None.

    `inexact_fraction` is the batch's fraction of inexact solves.
    """

    num_steps: Int[Array, ""]
    residual: Float[Array, ""]
    best_residual: Float[Array, ""]
    result: RESULTS
    inexact: Bool[Array, ""]
    trace: Float[Array, " trace_length"] | None = None

    @property
    def inexact_fraction(self) -> Float[Array, ""]:
        """Fraction of the (batched) solves that missed their tolerance."""
        return jnp.mean(self.inexact.astype(self.residual.dtype))


def solution_stats(solution: Solution) -> DEQStats:
    """The `DEQStats` of a forward solve's `jaxfp.Solution`."""
    return DEQStats(
        num_steps=solution.stats.num_steps,
        residual=solution.stats.residual,
        best_residual=solution.stats.best_residual,
        result=solution.result,
        inexact=solution.result != RESULTS.successful,
        trace=solution.stats.trace,
    )
