"""The base class of jaxfp's fixed-point solvers and the stopping rule they share.

Every solver implements optimistix's fixed-point protocol (`init / step / terminate /
postprocess`), so `optimistix.fixed_point(fn, jaxfp.Anderson(...), y0)` works too. On top of
the protocol, each solver's state carries the residual of the iterate it just evaluated:

- `scaled_residual = norm((f(y) - y) / (atol + rtol * |f(y)|))`: the stopping rule, `< 1`
  means converged. This is the one stopping rule of every jaxfp solver.
- `residual_norm = norm(f(y) - y)`: unscaled, used to detect divergence.
- `failed`: the solver could not take its step (e.g. a singular Newton system).
"""

import abc
from collections.abc import Callable
from typing import Any, ClassVar

import equinox as eqx
import jax.numpy as jnp
import jax.tree_util as jtu
import optimistix as optx
from jaxtyping import Array, Bool, PyTree, Scalar

from .results import RESULTS


class AbstractSolverState(eqx.Module):
    """Fields every jaxfp solver state has (see the module docstring)."""

    scaled_residual: eqx.AbstractVar[Scalar]
    residual_norm: eqx.AbstractVar[Scalar]
    failed: eqx.AbstractVar[Bool[Array, ""]]


def residuals(
    fy: PyTree[Array], y: PyTree[Array], rtol: float, atol: float, norm: Callable
) -> tuple[PyTree[Array], Scalar, Scalar]:
    """Return `(f(y) - y, scaled residual, unscaled residual norm)` for the stopping rule."""
    difference = jtu.tree_map(lambda a, b: a - b, fy, y)
    scaled = jtu.tree_map(lambda r, a: r / (atol + rtol * jnp.abs(a)), difference, fy)
    return difference, norm(scaled), norm(difference)


class AbstractFixedPointSolver(optx.AbstractFixedPointSolver):
    """A jaxfp fixed-point solver: hyperparameters only, never the problem.

    Subclasses set `rtol`, `atol`, `norm` and implement `init` and `step`; their state is an
    `AbstractSolverState`. The stopping rule is `scaled_residual < 1`.
    """

    rtol: eqx.AbstractVar[float]
    atol: eqx.AbstractVar[float]
    norm: eqx.AbstractVar[Callable[[PyTree], Scalar]]

    # Failure code reported by `jaxfp.fixed_point` when `state.failed` is set.
    failure_result: ClassVar[RESULTS] = RESULTS.linear_solve_failed

    @abc.abstractmethod
    def init(self, fn, y, args, options, f_struct, aux_struct, tags) -> AbstractSolverState: ...

    @abc.abstractmethod
    def step(self, fn, y, args, options, state, tags) -> tuple[Any, AbstractSolverState, Any]: ...

    def terminate(self, fn, y, args, options, state, tags):
        del fn, y, args, options, tags
        converged = state.scaled_residual < 1
        result = optx.RESULTS.where(state.failed, optx.RESULTS.singular, optx.RESULTS.successful)
        return converged | state.failed, result

    def postprocess(self, fn, y, aux, args, options, state, tags, result):
        del fn, args, options, state, tags, result
        return y, aux, {}
