"""The deep equilibrium (DEQ) layer."""

from collections.abc import Callable
from typing import Any, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, Int, PyTree

from .._adjoint import AbstractAdjoint, ImplicitAdjoint, LinearSolveResult
from .._fixed_point import fixed_point
from .._misc import WithoutAux
from .._solution import RESULTS
from .._solver import AbstractFixedPointSolver, Anderson


class DEQStats(eqx.Module):
    """Diagnostics of one DEQ forward solve.

    - `num_steps`: solver steps taken.
    - `residual`: final scaled residual (below 1 means converged).
    - `result`: a `jaxfp.RESULTS` code.
    """

    num_steps: Int[Array, ""]
    residual: Float[Array, ""]
    result: RESULTS


class DEQ(eqx.Module):
    """A deep equilibrium layer (Bai, Kolter, Koltun 2019): x ↦ z* with z* = cell(z*, x).

    Works on one example (batch it with `jax.vmap`, like every Equinox layer); the state z may be
    any pytree. Gradients reach the cell's parameters and the input through `adjoint`
    (implicit by default: memory does not grow with the solver's iterations).

    Args:
        cell: any callable `cell(z, x) -> z` (normally an `eqx.Module` holding parameters).
        solver: the fixed-point solver (default `jaxfp.Anderson(rtol=1e-4, atol=1e-4)`).
        adjoint: differentiation strategy (default `jaxfp.ImplicitAdjoint()`).
        max_steps: most forward solver steps.
        initial_state: where the solve starts when no `z0` is given: `"zeros"` (zeros shaped
            like `state_shape`, or like `x` when `state_shape` is None), `"input"` (z0 = x), or a
            callable `x -> z0`.
        state_shape: pytree of `jax.ShapeDtypeStruct` of the state, for `"zeros"`.
        throw: raise when the forward (or implicit backward) solve fails; with False, read
            `DEQStats.result` (failed implicit gradients are then NaN).

    Raises:
        ValueError: for an unknown `initial_state`, or a non-positive `max_steps`.

    Example:
        >>> import equinox as eqx, jax, jax.numpy as jnp, jaxfp
        >>> class Cell(eqx.Module):
        ...     linear: eqx.nn.Linear
        ...     def __call__(self, z, x):
        ...         return jnp.tanh(0.5 * self.linear(z) + x)
        >>> deq = jaxfp.nn.DEQ(Cell(eqx.nn.Linear(4, 4, key=jax.random.key(0))))
        >>> z, stats = deq(jnp.ones(4), return_stats=True)
        >>> bool(stats.residual < 1)
        True
    """

    cell: Callable
    solver: AbstractFixedPointSolver = Anderson(rtol=1e-4, atol=1e-4)
    adjoint: AbstractAdjoint = ImplicitAdjoint()
    max_steps: int = eqx.field(static=True, default=50)
    initial_state: Literal["zeros", "input"] | Callable = eqx.field(static=True, default="zeros")
    state_shape: PyTree[jax.ShapeDtypeStruct] | None = eqx.field(static=True, default=None)
    throw: bool = eqx.field(static=True, default=True)

    def __check_init__(self):
        if not (isinstance(self.max_steps, int) and self.max_steps >= 1):
            raise ValueError(f"`max_steps` must be a positive int, got {self.max_steps!r}.")
        if not (callable(self.initial_state) or self.initial_state in ("zeros", "input")):
            raise ValueError(
                "`initial_state` must be 'zeros', 'input' or a callable x -> z0; got "
                f"{self.initial_state!r}."
            )

    def initial_value(self, x: PyTree[Array]) -> PyTree[Array]:
        """The starting state z0 for input `x` (see `initial_state`)."""
        if callable(self.initial_state):
            return self.initial_state(x)
        if self.initial_state == "input":
            return x
        shape = jax.eval_shape(lambda: x) if self.state_shape is None else self.state_shape
        return jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shape)

    def solve(self, x: PyTree[Array], z0: PyTree[Array] | None = None):
        """The full `jaxfp.Solution` of z = cell(z, x) (value, result, stats, solver state)."""
        z0 = self.initial_value(x) if z0 is None else z0
        return fixed_point(
            self.cell,
            self.solver,
            z0,
            x,
            max_steps=self.max_steps,
            adjoint=self.adjoint,
            throw=self.throw,
        )

    def __call__(
        self,
        x: PyTree[Array],
        z0: PyTree[Array] | None = None,
        *,
        key: Any = None,
        return_stats: bool = False,
    ):
        """Return z* (and `DEQStats` with `return_stats=True`) for one example `x`.

        `key` is accepted for compatibility with `eqx.nn.Sequential` and unused.
        """
        del key
        solution = self.solve(x, z0)
        if not return_stats:
            return solution.value
        stats = DEQStats(solution.stats.num_steps, solution.stats.residual, solution.result)
        return solution.value, stats

    def backward_solve(
        self, x: PyTree[Array], z_star: PyTree[Array], cotangent: PyTree[Array]
    ) -> LinearSolveResult:
        """Run the implicit backward solve u = g + Jᵀu at z* on its own, for diagnostics.

        Returns its `LinearSolveResult` (`value`, `num_steps`, `converged`): the number of
        backward steps a gradient through this layer costs for the cotangent `g`.

        Raises:
            ValueError: if the layer's adjoint is not a `jaxfp.ImplicitAdjoint`.
        """
        if not isinstance(self.adjoint, ImplicitAdjoint):
            raise ValueError(
                "`backward_solve` needs `adjoint=jaxfp.ImplicitAdjoint(...)`; this layer uses "
                f"{type(self.adjoint).__name__}."
            )
        return self.adjoint.backward_solve(WithoutAux(self.cell), z_star, x, cotangent)
