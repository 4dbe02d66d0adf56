"""The deep equilibrium (DEQ) layer."""

from collections.abc import Callable
from typing import Any, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int, PRNGKeyArray, PyTree

from .._adjoint import AbstractAdjoint, ImplicitAdjoint, LinearSolveResult
from .._fixed_point import fixed_point
from .._misc import WithoutAux, check_positive_int
from .._solution import RESULTS
from .._solver import AbstractFixedPointSolver, Anderson
from ._preparable import prepare_cell


class DEQStats(eqx.Module):
    """Diagnostics of one DEQ forward solve (per sample under `jax.vmap`).

    - `num_steps`: solver steps taken.
    - `residual`: final scaled residual (below 1 means converged).
    - `best_residual`: smallest scaled residual of the solve.
    - `result`: a `jaxfp.RESULTS` code.
    - `inexact`: True when the solve did not meet its tolerance (`result` is not successful).
    - `trace`: scaled residual per step for the first `trace_length` steps of the layer (NaN
      after the last step), or None.

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


class DEQ(eqx.Module):
    """A deep equilibrium layer (Bai, Kolter, Koltun 2019): x ↦ z* with z* = cell(z*, x).

    Works on one example (batch it with `jax.vmap`, like every Equinox layer); the state z may be
    any pytree. Gradients reach the cell's parameters and the input through `adjoint`
    (implicit by default: memory does not grow with the solver's iterations).

    Before each solve the layer prepares the cell (`jaxfp.nn.prepare_cell`): every
    `jaxfp.nn.AbstractPreparable` part (`SpectralNorm`, `MonotoneCell`, `VariationalDropout`)
    does its parameter-only work once per solve (power iterations, dropout masks drawn from
    `key`) instead of at every solver step.

    Args:
        cell: any callable `cell(z, x) -> z` (normally an `eqx.Module` holding parameters).
        solver: the fixed-point solver (default `jaxfp.Anderson(rtol=1e-4, atol=1e-4)`).
        adjoint: differentiation strategy (default `jaxfp.ImplicitAdjoint()`).
        max_steps: most forward solver steps.
        initial_state: where the solve starts when no `z0` is given: `"zeros"` (zeros shaped
            like `state_shape`, or like `x` when `state_shape` is None), `"input"` (z0 = x), or a
            callable `x -> z0`.
        state_shape: pytree of `jax.ShapeDtypeStruct` of the state, for `"zeros"`.
        throw: raise when a solve fails (under `best_effort`, only non-finite input or
            iterates count as failing); with False, read `DEQStats.result`.
        best_effort: the failure policy made for training (default True): a solve that misses
            its tolerance within `max_steps` returns its lowest-residual iterate, keeps its
            non-converged `result` (`DEQStats.inexact` says so, per sample), does not raise,
            and its gradient is the adjoint's at that point (the implicit backward solve keeps
            its lowest-residual iterate too). With False (strict), such a solve raises
            (`throw=True`) or gives NaN gradients (`throw=False`).
        trace_length: keep the scaled residual of the first `trace_length` forward steps in
            `DEQStats.trace` (0: no trace).
        cell_dtype: mixed precision: call the cell on the state and input cast to this dtype
            (e.g. `jnp.bfloat16`) and cast its output back, so the solver iterates in the
            state's own dtype (e.g. float32). None: no casting.

    Raises:
        ValueError: for an unknown `initial_state`, a non-positive `max_steps`, a negative
            `trace_length` or a non-floating `cell_dtype`.

    Example:
        >>> import equinox as eqx, jax, jax.numpy as jnp, jaxfp
        >>> class Cell(eqx.Module):
        ...     linear: eqx.nn.Linear
        ...     def __call__(self, z, x):
        ...         return jnp.tanh(0.5 * self.linear(z) + x)
        >>> deq = jaxfp.nn.DEQ(Cell(eqx.nn.Linear(4, 4, key=jax.random.key(0))))
        >>> z, stats = deq(jnp.ones(4), return_stats=True)
        >>> bool(stats.residual < 1), bool(stats.inexact)
        (True, False)
    """

    cell: Callable
    solver: AbstractFixedPointSolver = Anderson(rtol=1e-4, atol=1e-4)
    adjoint: AbstractAdjoint = ImplicitAdjoint()
    max_steps: int = eqx.field(static=True, default=50)
    initial_state: Literal["zeros", "input"] | Callable = eqx.field(static=True, default="zeros")
    state_shape: PyTree[jax.ShapeDtypeStruct] | None = eqx.field(static=True, default=None)
    throw: bool = eqx.field(static=True, default=True)
    best_effort: bool = eqx.field(static=True, default=True)
    trace_length: int = eqx.field(static=True, default=0)
    cell_dtype: Any = eqx.field(static=True, default=None)

    def __check_init__(self):
        check_positive_int(self.max_steps, "max_steps")
        if isinstance(self.trace_length, bool) or not (
            isinstance(self.trace_length, int) and self.trace_length >= 0
        ):
            raise ValueError(
                f"`trace_length` must be a non-negative integer, got {self.trace_length!r}."
            )
        if not (callable(self.initial_state) or self.initial_state in ("zeros", "input")):
            raise ValueError(
                "`initial_state` must be 'zeros', 'input' or a callable x -> z0; got "
                f"{self.initial_state!r}."
            )
        if self.cell_dtype is not None and not jnp.issubdtype(self.cell_dtype, jnp.floating):
            raise ValueError(
                f"`cell_dtype` must be a floating dtype (e.g. jnp.bfloat16) or None, got "
                f"{self.cell_dtype!r}."
            )

    def initial_value(self, x: PyTree[Array]) -> PyTree[Array]:
        """The starting state z0 for input `x` (see `initial_state`).

        Raises:
            ValueError: with `"zeros"` and no `state_shape`, when the cell does not map a state
                shaped like `x` to one of the same structure and shapes (a state that is not
                shaped like the input needs `state_shape`).
        """
        if callable(self.initial_state):
            return self.initial_state(x)
        if self.initial_state == "input":
            return x
        if self.state_shape is not None:
            return jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), self.state_shape)
        z0 = jax.tree.map(jnp.zeros_like, x)
        self._check_state_like_input(z0, x)
        return z0

    def _check_state_like_input(self, z0: PyTree[Array], x: PyTree[Array]) -> None:
        advice = (
            "`DEQ` starts from zeros shaped like `x` when `state_shape` is None; pass "
            "`state_shape=` (a pytree of `jax.ShapeDtypeStruct` like the state), "
            "`initial_state=` or `z0=`."
        )
        try:
            out = jax.eval_shape(self._cell_map(self.cell), z0, x)
        except (TypeError, IndexError, KeyError, ValueError, AttributeError) as error:
            raise ValueError(f"{advice} The cell failed on such a state: {error}") from error
        shapes = lambda tree: [leaf.shape for leaf in jax.tree.leaves(tree)]
        if jax.tree.structure(out) != jax.tree.structure(z0) or shapes(out) != shapes(z0):
            raise ValueError(
                f"{advice} On a state shaped like `x` the cell returned "
                f"{jax.tree.map(lambda o: o.shape, out)}, not {jax.tree.map(jnp.shape, z0)}."
            )

    def _cell_map(self, cell: Callable) -> Callable:
        """`cell`, with the mixed-precision casts of `cell_dtype` around it."""
        if self.cell_dtype is None:
            return cell
        dtype = self.cell_dtype

        def cast(tree, dtypes):
            return jax.tree.map(
                lambda a, d: a.astype(d) if jnp.issubdtype(a.dtype, jnp.floating) else a,
                tree,
                dtypes,
            )

        def mixed(z, x):
            low = lambda tree: cast(tree, jax.tree.map(lambda _: dtype, tree))
            out = cell(low(z), low(x))
            return cast(out, jax.tree.map(lambda a: a.dtype, z))

        return mixed

    def solve(
        self,
        x: PyTree[Array],
        z0: PyTree[Array] | None = None,
        *,
        key: PRNGKeyArray | None = None,
    ):
        """The full `jaxfp.Solution` of z = cell(z, x) (value, result, stats, solver state).

        `key` draws this solve's random parts of the cell (`VariationalDropout` masks).
        """
        z0 = self.initial_value(x) if z0 is None else z0
        return fixed_point(
            self._cell_map(prepare_cell(self.cell, key)),
            self.solver,
            z0,
            x,
            max_steps=self.max_steps,
            adjoint=self.adjoint,
            throw=self.throw,
            best_effort=self.best_effort,
            trace_length=self.trace_length,
        )

    def __call__(
        self,
        x: PyTree[Array],
        z0: PyTree[Array] | None = None,
        *,
        key: PRNGKeyArray | None = None,
        return_stats: bool = False,
    ):
        """Return z* (and `DEQStats` with `return_stats=True`) for one example `x`.

        Args:
            x: the input (injection) of one example.
            z0: where the solve starts; a warm start from a previous z* (e.g. of the same
                example in the last epoch, passed through `jax.lax.stop_gradient`) saves steps.
                Default: `initial_state`.
            key: random key of this solve's dropout masks (a new one per batch); None for
                none.
            return_stats: also return the solve's `DEQStats`.
        """
        solution = self.solve(x, z0, key=key)
        if not return_stats:
            return solution.value
        stats = DEQStats(
            num_steps=solution.stats.num_steps,
            residual=solution.stats.residual,
            best_residual=solution.stats.best_residual,
            result=solution.result,
            inexact=solution.result != RESULTS.successful,
            trace=solution.stats.trace,
        )
        return solution.value, stats

    def backward_solve(
        self, x: PyTree[Array], z_star: PyTree[Array], cotangent: PyTree[Array]
    ) -> LinearSolveResult:
        """Run the implicit backward solve u = g + Jᵀu at z* on its own, for diagnostics.

        Returns its `LinearSolveResult` (`value`, `num_steps`, `converged`): the number of
        backward steps a gradient through this layer costs for the cotangent `g`. (The cell is
        prepared without a key: dropout is off.)

        Raises:
            ValueError: if the layer's adjoint is not a `jaxfp.ImplicitAdjoint`.
        """
        if not isinstance(self.adjoint, ImplicitAdjoint):
            raise ValueError(
                "`backward_solve` needs `adjoint=jaxfp.ImplicitAdjoint(...)`; this layer uses "
                f"{type(self.adjoint).__name__}."
            )
        cell = self._cell_map(prepare_cell(self.cell))
        return self.adjoint.backward_solve(WithoutAux(cell), z_star, x, cotangent)
