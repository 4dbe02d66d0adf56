"""The deep equilibrium (DEQ) layer."""

from collections.abc import Callable
from typing import Any, Literal

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray, PyTree

from .._adjoint import AbstractAdjoint, ImplicitAdjoint, LinearSolveResult
from .._adjoint.base import check_adjoint
from .._fixed_point import failed_result, fixed_point, nan_derivative_where
from .._misc import WithoutAux, check_positive_int, is_floating_dtype
from .._solver import AbstractFixedPointSolver, Anderson, Monitor
from .._solver.base import check_solver
from .._solver.monitor import check_monitor
from .._validation import check_bool
from ._backward_stats import BackwardStats, backward_probe, probed_fixed_point
from ._deq_stats import DEQStats, solution_stats
from ._precision import with_cell_dtype
from ._preparable import prepare_cell


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
        monitor: how the forward solve is watched, a `jaxfp.Monitor` (default `Monitor()`):
            `Monitor(trace_length=k)` keeps the scaled residual of the first k forward steps in
            `DEQStats.trace`; its stagnation and divergence tests end a hopeless solve early.
        cell_dtype: mixed precision: call the cell on the state and input cast to this dtype
            (e.g. `jnp.bfloat16`) and cast its output back, so the solver iterates in the
            state's own dtype (e.g. float32). None: no casting.

    Raises:
        ValueError: for a `cell` that is not callable, a `solver` or `adjoint` that is not
            jaxfp's, a `monitor` that is not a `jaxfp.Monitor`, an unknown `initial_state`, a
            non-positive `max_steps`, a non-floating `cell_dtype`, a `state_shape` that is not
            a pytree of `jax.ShapeDtypeStruct`, or a `throw` or `best_effort` that is not a bool.

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
    monitor: Monitor = Monitor()
    cell_dtype: Any = eqx.field(static=True, default=None)

    def __check_init__(self):
        if not callable(self.cell):
            raise ValueError(
                f"`cell` must be a callable cell(z, x), got {type(self.cell).__name__}."
            )
        check_solver(self.solver)
        check_adjoint(self.adjoint)
        check_positive_int(self.max_steps, "max_steps")
        check_monitor(self.monitor)
        if not (callable(self.initial_state) or self.initial_state in ("zeros", "input")):
            raise ValueError(
                "`initial_state` must be 'zeros', 'input' or a callable x -> z0; got "
                f"{self.initial_state!r}."
            )
        check_bool(self.throw, "throw")
        check_bool(self.best_effort, "best_effort")
        if self.state_shape is not None and not all(
            isinstance(leaf, jax.ShapeDtypeStruct) for leaf in jax.tree.leaves(self.state_shape)
        ):
            raise ValueError(
                "`state_shape` must be a pytree of `jax.ShapeDtypeStruct` (e.g. "
                f"`jax.ShapeDtypeStruct((4,), jnp.float32)`), got {self.state_shape!r}."
            )
        if self.cell_dtype is not None and not is_floating_dtype(self.cell_dtype):
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
        return with_cell_dtype(cell, self.cell_dtype)

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
        return self._solve(prepare_cell(self.cell, key), x, z0, self.max_steps, self.adjoint)

    def _solve(self, prepared, x, z0, max_steps: int, adjoint: AbstractAdjoint):
        return fixed_point(
            self._cell_map(prepared),
            self.solver,
            z0,
            x,
            max_steps=max_steps,
            adjoint=adjoint,
            throw=self.throw,
            best_effort=self.best_effort,
            monitor=self.monitor,
        )

    def __call__(
        self,
        x: PyTree[Array],
        z0: PyTree[Array] | None = None,
        *,
        key: PRNGKeyArray | None = None,
        return_stats: bool = False,
        backward_probe: Float[Array, " 3"] | None = None,
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
            backward_probe: per-sample statistics of the implicit backward solve in the
                training loop: pass `DEQ.backward_probe()` (a zero array of shape (3,),
                batched like `x`) as an input of the loss, differentiate the loss with respect
                to it too, and read `DEQ.backward_stats(gradient)` (a `BackwardStats`:
                steps, relative residual, convergence). The gradients of everything else are
                those of `ImplicitAdjoint` (reverse mode only). Needs an `ImplicitAdjoint`.

        Raises:
            ValueError: if `backward_probe` is given and the adjoint is not an
                `ImplicitAdjoint`, or its shape is not (3,); if `key` is not a JAX random key.

        Example:
            >>> import jax, jax.numpy as jnp, jaxfp
            >>> deq = jaxfp.nn.DEQ(lambda z, x: jnp.tanh(0.5 * z + x))
            >>> loss = lambda x, probe: jnp.sum(deq(x, backward_probe=probe))
            >>> probe = jaxfp.nn.DEQ.backward_probe()
            >>> _, probe_grad = jax.grad(loss, (0, 1))(jnp.ones(3), probe)
            >>> stats = jaxfp.nn.DEQ.backward_stats(probe_grad)
            >>> bool(stats.converged), int(stats.num_steps) > 0
            (True, True)
        """
        if backward_probe is not None:
            self._check_implicit("backward_probe")
            if jnp.shape(backward_probe) != (3,):
                raise ValueError(
                    "`backward_probe` must be one example's probe, shape (3,) (batch "
                    "`DEQ.backward_probe(batch_shape)` with `jax.vmap` like `x`); got shape "
                    f"{jnp.shape(backward_probe)}."
                )
        z0 = self.initial_value(x) if z0 is None else z0
        prepared = prepare_cell(self.cell, key)
        if backward_probe is None:
            solution = self._solve(prepared, x, z0, self.max_steps, self.adjoint)
            value = solution.value
        else:
            solution = self._solve(*_stopped((prepared, x, z0)), self.max_steps, self.adjoint)
            failed = failed_result(solution.result, self.best_effort)
            value = probed_fixed_point(
                (prepared, x, backward_probe),
                solution.value,
                self.adjoint,
                self.cell_dtype,
                self.best_effort,
            )
            value = nan_derivative_where(failed, value)
        if not return_stats:
            return value
        return value, solution_stats(solution)

    @staticmethod
    def backward_probe(batch_shape: tuple[int, ...] = (), dtype: Any = jnp.float32) -> Array:
        """A zero probe of shape `batch_shape + (3,)` for `__call__`'s `backward_probe`.

        Example:
            >>> DEQ.backward_probe((4,)).shape
            (4, 3)
        """
        return backward_probe(batch_shape, dtype)

    @staticmethod
    def backward_stats(probe_gradient: Float[Array, "*batch 3"]) -> BackwardStats:
        """The `BackwardStats` (`num_steps`, `residual`, `converged`, `unconverged_fraction`)
        that the gradient of a backward probe carries.

        Raises:
            ValueError: if the last axis of `probe_gradient` is not of size 3.

        Example:
            >>> import jax.numpy as jnp
            >>> int(DEQ.backward_stats(jnp.array([7.0, 1e-5, 1.0])).num_steps)
            7
        """
        return BackwardStats.from_probe_gradient(probe_gradient)

    def trajectory(
        self,
        x: PyTree[Array],
        z0: PyTree[Array] | None = None,
        *,
        num_states: int,
        key: PRNGKeyArray | None = None,
    ) -> tuple[list[PyTree[Array]], DEQStats]:
        """Several states along one solve, for fixed-point correction losses (DEQ-Flow).

        The solve runs in `num_states` segments of at most ⌊max_steps / num_states⌋ steps
        (the last takes the rest, so all take at most `max_steps`), each starting where the
        last one stopped (an Anderson solver restarts its history there).
        Returned: one state per segment. The last is the layer's z*, with the layer's adjoint's
        gradient; each earlier one is cell(z_k, x) at the segment's end z_k, with the one-step
        gradient (z_k itself not differentiated), as torchdeq's sampled trajectory. Memory
        holds `num_states` states, never an unrolled graph.

        Args:
            x: the input of one example.
            z0: where the solve starts (default: `initial_state`).
            num_states: states returned (≥ 1; at most `max_steps`).
            key: random key of this solve's dropout masks (one mask for all segments).

        Returns:
            `(states, stats)`: the list of states, and `DEQStats` whose `num_steps` counts
            every segment's steps (at most `max_steps`; the rest describes the last segment;
            `trace` is None).

        Raises:
            ValueError: if `num_states` is not an int in [1, max_steps].

        Example:
            >>> import jax.numpy as jnp, jaxfp
            >>> deq = jaxfp.nn.DEQ(lambda z, x: jnp.tanh(0.5 * z + x))
            >>> states, stats = deq.trajectory(jnp.ones(3), num_states=3)
            >>> len(states), bool(stats.residual < 1)
            (3, True)
        """
        check_positive_int(num_states, "num_states")
        if num_states > self.max_steps:
            raise ValueError(
                f"`num_states` ({num_states}) cannot exceed `max_steps` ({self.max_steps})."
            )
        segment = self.max_steps // num_states
        z = self.initial_value(x) if z0 is None else z0
        prepared = prepare_cell(self.cell, key)
        cell = self._cell_map(prepared)
        states, steps = [], 0
        for _ in range(num_states - 1):
            solution = self._solve(*_stopped((prepared, x, z)), segment, self.adjoint)
            z, steps = solution.value, steps + solution.stats.num_steps
            states.append(cell(z, x))
        last_segment = self.max_steps - (num_states - 1) * segment
        solution = self._solve(prepared, x, z, last_segment, self.adjoint)
        states.append(solution.value)
        stats = solution_stats(solution)
        stats = eqx.tree_at(
            lambda s: (s.num_steps, s.trace), stats, (stats.num_steps + steps, None)
        )
        return states, stats

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
        self._check_implicit("backward_solve")
        cell = self._cell_map(prepare_cell(self.cell))
        return self.adjoint.backward_solve(WithoutAux(cell), z_star, x, cotangent)

    def _check_implicit(self, what: str) -> None:
        if not isinstance(self.adjoint, ImplicitAdjoint):
            raise ValueError(
                f"`{what}` needs `adjoint=jaxfp.ImplicitAdjoint(...)`; this layer uses "
                f"{type(self.adjoint).__name__}."
            )


def _stopped(tree):
    """`tree` with gradients stopped at its arrays (other leaves kept)."""
    dynamic, static = eqx.partition(tree, eqx.is_array)
    return eqx.combine(jax.lax.stop_gradient(dynamic), static)
