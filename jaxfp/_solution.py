"""The result of a fixed-point solve: `RESULTS` codes, `Stats` and `Solution`.

Below every other part of the solver core: solvers, adjoints and entry points import it, it
imports none of them.
"""

from typing import Any, Generic, TypeVar

import equinox as eqx
import jax
import numpy as np
import optimistix as optx
from jaxtyping import Array, Float, Int


class _ResultsMeta(type(eqx.Enumeration)):
    """equinox's enumeration metaclass, but `RESULTS[item]` (hence `repr(item)`) of an empty
    batch of codes is `[]`: equinox maps the codes with `np.vectorize`, which refuses size-0
    arrays (the result of `fixed_point_batched` over zero problems)."""

    def __getitem__(cls, item) -> str:
        if isinstance(item, cls) and not isinstance(item._value, jax.core.Tracer):
            if isinstance(item._value, (np.ndarray, Array)) and item._value.size == 0:
                return str(np.asarray(item._value))
        return super().__getitem__(item)


class RESULTS(eqx.Enumeration, metaclass=_ResultsMeta):
    """Why a solve stopped. `RESULTS[code]` gives the message; `successful` has none.

    Compare with `sol.result == jaxfp.RESULTS.successful`; under `vmap` this is elementwise.
    """

    successful = ""
    max_steps_reached = (
        "The fixed-point solver used all `max_steps` steps without meeting the tolerance "
        "`norm((f(y) - y) / (atol + rtol * |f(y)|)) < 1`. Increase `max_steps`, loosen `rtol` / "
        "`atol`, or use a faster solver (`jaxfp.Anderson`, `jaxfp.Newton`)."
    )
    nonfinite_input = (
        "The initial value `y0` or the arguments `args` contain NaN or infinity. Check the "
        "inputs before solving; nothing was iterated."
    )
    nonfinite_iterate = (
        "An iterate or its residual became NaN or infinite. The map is unstable from this "
        "start: use damping (`Picard(damping=...)`, `Anderson(mixing=...)`), a smaller step, "
        "another initial value, or check `fn` for overflow."
    )
    diverged = (
        "The residual grew to more than `divergence_ratio` times its best value: the iteration "
        "is diverging. The map is probably not contractive near this start; try damping, "
        "`jaxfp.Newton`, or another initial value."
    )
    stagnated = (
        "The residual has not decreased for `stagnation_patience` steps without meeting the "
        "tolerance: the iteration is stuck (for example in a cycle such as a 2-cycle, or at the "
        "limit of floating-point precision). Try `jaxfp.Anderson` or `jaxfp.Newton`, looser "
        "`rtol` / `atol`, or float64."
    )
    linear_solve_failed = (
        "The linear solve inside `jaxfp.Newton` failed (a singular or ill-conditioned "
        "Jacobian of f(y) - y). The start may sit on a bifurcation or a fold; try another initial "
        "value, `damping`, or a least-squares linear solver such as `lineax.SVD()`."
    )
    backward_failed = (
        "The backward (adjoint) linear solve u = g + J^T u did not converge, so the gradient "
        "through the fixed point cannot be trusted. Increase the adjoint's `max_steps`, use a "
        "Krylov linear solver (`ImplicitAdjoint(linear_solver=lineax.GMRES(...))`), or "
        "regularise the model so that I - J stays well conditioned."
    )


# `optimistix.RESULTS` (the result of the solvers' `terminate` and of `optimistix.fixed_point`)
# by name -> `RESULTS`. Every other optimistix code is one of lineax's linear-solve failures
# (`singular`, `breakdown`, `conlim`, ...): `linear_solve_failed`.
_FROM_OPTIMISTIX = {
    "nonlinear_max_steps_reached": "max_steps_reached",
    "max_steps_reached": "max_steps_reached",
    "nonlinear_divergence": "diverged",
    "stagnation": "stagnated",
    "nonfinite": "nonfinite_iterate",
    "nonfinite_input": "nonfinite_iterate",
}


def from_optimistix(result: optx.RESULTS) -> RESULTS:
    """The `RESULTS` code of an `optimistix.RESULTS` code (elementwise under `vmap`).

    Example:
        >>> import optimistix as optx
        >>> from_optimistix(optx.RESULTS.stagnation) == RESULTS.stagnated
        Array(True, dtype=bool)
    """
    success = result == optx.RESULTS.successful
    out = RESULTS.where(success, RESULTS.successful, RESULTS.linear_solve_failed)
    for optx_name, name in _FROM_OPTIMISTIX.items():
        out = RESULTS.where(result == getattr(optx.RESULTS, optx_name), getattr(RESULTS, name), out)
    return out


Y = TypeVar("Y")
Aux = TypeVar("Aux")


class Stats(eqx.Module):
    """Diagnostics of one solve (batched leaves under `vmap` or the batched driver).

    - `num_steps`: steps taken (function evaluations of the iteration).
    - `residual`: final scaled residual (the stopping rule's left-hand side, see
      `jaxfp.AbstractFixedPointSolver`); below 1 means converged.
    - `best_residual`: smallest scaled residual seen at a convergence test; with
      `best_effort=True` an unconverged value is the iterate of this residual, so it says how
      far from converged the value is.
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
