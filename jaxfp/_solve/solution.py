"""The typed result of a fixed-point solve."""

from typing import Any, Generic, TypeVar

import equinox as eqx
from jaxtyping import Array, Float, Int

from .results import RESULTS

Y = TypeVar("Y")
Aux = TypeVar("Aux")


class Stats(eqx.Module):
    """Diagnostics of one solve (batched leaves under `vmap` or the batched driver).

    - `num_steps`: steps taken (function evaluations of the iteration).
    - `residual`: final scaled residual `norm((f(y) - y) / (atol + rtol |y|))`; below 1 means
      converged.
    - `best_residual`: smallest scaled residual seen during the solve.
    - `trace`: scaled residual per step for the first `trace_length` steps (NaN after the last
      step), or `None` when `trace_length=0`.
    """

    num_steps: Int[Array, ""]
    residual: Float[Array, ""]
    best_residual: Float[Array, ""]
    trace: Float[Array, " trace_length"] | None = None


class Solution(eqx.Module, Generic[Y, Aux]):
    """What `jaxfp.fixed_point` returns.

    - `value`: the fixed point (the last iterate; on failure, read `result`).
    - `result`: a `jaxfp.RESULTS` code; `RESULTS[sol.result]` is its message.
    - `aux`: auxiliary output of `fn` at the last step when `has_aux=True`, else `None`.
    - `stats`: a `jaxfp.Stats`.
    - `state`: the solver's final internal state.
    """

    value: Y
    result: RESULTS
    aux: Aux
    stats: Stats
    state: Any
