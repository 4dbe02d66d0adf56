"""The base class of jaxfp's fixed-point solvers and the stopping rule they share.

Every solver implements optimistix's fixed-point protocol (`init / step / terminate /
postprocess`), so `optimistix.fixed_point(fn, jaxfp.Anderson(...), y0)` works too. On top of
the protocol, each solver's state carries, as its `convergence` (a `Convergence`), what the
stopping rule reads of the iterate it just evaluated:

- `scaled_residual = norm((f(y) - y) / (atol + rtol * |f(y)|))`: the stopping rule, `< 1`
  means converged. This is the one stopping rule of every jaxfp solver.
- `residual_norm = norm(f(y) - y)`: unscaled, used to detect divergence.
- `failed`: the solver could not take its step (e.g. a singular Newton system).
- `progress`: the divergence and stagnation tracker (`progress.Progress`).

The solvers' one `terminate` decides from these fields alone, so `jaxfp.fixed_point` and
`optimistix.fixed_point` stop on the same step with the same result.
"""

import abc
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.tree_util as jtu
import optimistix as optx
from jaxtyping import Array, Bool, PyTree, Scalar

from .._validation import check_scalar_norm, check_tolerances, residual_dtype
from .progress import Progress


class Convergence(eqx.Module):
    """What the stopping rule reads of the iterate a solver evaluated last (see the module
    docstring); every jaxfp solver state carries one as its `convergence`."""

    scaled_residual: Scalar
    residual_norm: Scalar
    failed: Bool[Array, ""]
    progress: Progress

    @classmethod
    def start(cls, dtype) -> "Convergence":
        """Before the first step: infinite residuals of the real `dtype`, a fresh tracker."""
        inf = jnp.array(jnp.inf, dtype)
        return cls(inf, inf, jnp.array(False), Progress.start(dtype))

    def after(self, scaled: Scalar, raw: Scalar, options, failed=False) -> "Convergence":
        """After a step whose iterate had scaled residual `scaled` and norm `raw` (`residuals`);
        `failed`: the step could not be taken; `options`: the solver's."""
        progress = self.progress.update(scaled, raw, options)
        return Convergence(scaled, raw, jnp.asarray(failed), progress)


class AbstractSolverState(eqx.Module):
    """A jaxfp solver's state: its `convergence`, and whatever else the solver carries."""

    convergence: eqx.AbstractVar[Convergence]


class SolverState(AbstractSolverState):
    """The state of a solver that carries nothing from step to step but its `convergence`
    (`Picard`, `Newton`)."""

    convergence: Convergence


def _squared_magnitude(x):
    return jnp.square(jnp.abs(x)) if jnp.iscomplexobj(x) else jnp.square(x)


# For optimistix's own norms, both residual norms come from one variadic reduction: one pass
# over the iterate instead of two (on CPU the convergence test is a large part of a cheap step).
# Each entry: (elementwise map to a real value, pairwise combine, finish(total, size)).
_FUSED_NORMS = {
    optx.max_norm: (jnp.abs, jax.lax.max, lambda total, size: total),
    optx.two_norm: (_squared_magnitude, jax.lax.add, lambda total, size: jnp.sqrt(total)),
    optx.rms_norm: (_squared_magnitude, jax.lax.add, lambda total, size: jnp.sqrt(total / size)),
}


def _fused_norms(norm: Callable, scaled: PyTree[Array], difference: PyTree[Array], dtype):
    """`(norm(scaled), norm(difference))` in one pass for optimistix's max/two/rms norms.

    Each leaf is reduced in `dtype` (the real dtype of the widest leaf), so leaves of
    different float or complex dtypes combine.
    """
    elementwise, combine, finish = _FUSED_NORMS[norm]
    zero = jnp.zeros((), dtype)
    totals = None
    size = 0
    for s, d in zip(jtu.tree_leaves(scaled), jtu.tree_leaves(difference), strict=True):
        pair = jax.lax.reduce(
            (elementwise(s).astype(dtype), elementwise(d).astype(dtype)),
            (zero, zero),
            lambda a, b: (combine(a[0], b[0]), combine(a[1], b[1])),
            tuple(range(s.ndim)),
        )
        totals = pair if totals is None else tuple(map(combine, totals, pair))
        size += s.size
    return tuple(finish(total, max(size, 1)) for total in totals)


def _scale_residual(difference, fy, rtol, atol):
    """`difference / (atol + rtol |f(y)|)`, where a zero difference stays 0 even at a zero scale
    (`atol = 0` and `f(y) = 0`): an exact fixed point converges instead of giving 0/0.

    The real scale is cast to the difference's dtype (complex for a complex state), so the
    division promotes nothing (`jax_numpy_dtype_promotion="strict"` refuses complex / real)."""
    scale = (atol + rtol * jnp.abs(fy)).astype(difference.dtype)
    if isinstance(atol, (int, float)) and atol > 0:
        return difference / scale
    return difference / jnp.where(difference == 0, 1, scale)


def residuals(
    fy: PyTree[Array], y: PyTree[Array], rtol: float, atol: float, norm: Callable
) -> tuple[PyTree[Array], Scalar, Scalar]:
    """Return `(f(y) - y, scaled residual, unscaled residual norm)` for the stopping rule.

    The two norms only steer the loop (they are never differentiated), so they are computed
    on stopped gradients, as real scalars of `residual_dtype(fy)`; for `optimistix.max_norm`,
    `two_norm` and `rms_norm` in one pass. Complex states are measured by `|f(y) - y|`.

    Raises:
        ValueError: at trace time, when `norm` does not return a scalar.
    """
    difference = jtu.tree_map(lambda a, b: a - b, fy, y)
    scaled = jtu.tree_map(lambda r, a: _scale_residual(r, a, rtol, atol), difference, fy)
    scaled_sg, difference_sg = jax.lax.stop_gradient((scaled, difference))
    dtype = residual_dtype(fy)
    if any(norm is known for known in _FUSED_NORMS) and jtu.tree_leaves(scaled_sg):
        scaled_norm, raw_norm = _fused_norms(norm, scaled_sg, difference_sg, dtype)
    else:
        scaled_norm, raw_norm = norm(scaled_sg), norm(difference_sg)
        check_scalar_norm(scaled_norm)
        scaled_norm, raw_norm = jnp.real(scaled_norm), jnp.real(raw_norm)
    return difference, scaled_norm.astype(dtype), raw_norm.astype(dtype)


class AbstractFixedPointSolver(optx.AbstractFixedPointSolver):
    """A jaxfp fixed-point solver: hyperparameters only, never the problem.

    The stopping rule of every jaxfp solver (stated here once): an iterate y is converged when
    `norm((f(y) - y) / (atol + rtol * |f(y)|)) < 1`, with the solver's `rtol`, `atol` and
    `norm`; this left-hand side is the scaled residual of `jaxfp.Stats`.

    Subclasses set `rtol`, `atol`, `norm` and implement `init` and `step`; their state is an
    `AbstractSolverState`.
    """

    rtol: eqx.AbstractVar[float]
    atol: eqx.AbstractVar[float]
    norm: eqx.AbstractVar[Callable[[PyTree], Scalar]]

    def __check_init__(self):
        # equinox runs this for every subclass too, before the subclass's own checks.
        check_tolerances(self.rtol, self.atol)
        if not callable(self.norm):
            raise ValueError(
                f"`norm` must be a function mapping a pytree to a scalar, got {self.norm!r}."
            )

    @abc.abstractmethod
    def init(self, fn, y, args, options, f_struct, aux_struct, tags) -> AbstractSolverState: ...

    @abc.abstractmethod
    def step(self, fn, y, args, options, state, tags) -> tuple[Any, AbstractSolverState, Any]: ...

    def terminate(self, fn, y, args, options, state, tags):
        """Stop when `y` (the iterate the last step evaluated) is converged or a failure shows.

        Returns `(stop, result)` with an `optimistix.RESULTS` result: `successful` when the
        scaled residual is below 1, else `nonfinite` (a non-finite residual),
        `nonlinear_divergence`, `stagnation` (see `Progress`) or `singular` (the solver could
        not take its step, e.g. a singular Newton system), in this order of precedence.
        `jaxfp.fixed_point` reports them as the `jaxfp.RESULTS` of the same names.
        """
        del fn, y, args, options, tags
        results = optx.RESULTS
        convergence = state.convergence
        residual, norm = convergence.scaled_residual, convergence.residual_norm
        converged = residual < 1
        progress = convergence.progress
        result = results.where(convergence.failed, results.singular, results.successful)
        result = results.where(progress.stagnated, results.stagnation, result)
        result = results.where(progress.diverged, results.nonlinear_divergence, result)
        result = results.where(converged, results.successful, result)
        finite = (jnp.isfinite(residual) & jnp.isfinite(norm)) | ~progress.started
        result = results.where(finite, result, results.nonfinite)
        return converged | (result != results.successful), result

    def postprocess(self, fn, y, aux, args, options, state, tags, result):
        del fn, args, options, state, tags, result
        return y, aux, {}


def check_solver(solver) -> None:
    """Raise a `ValueError` naming `solver` unless it is a jaxfp solver."""
    if not isinstance(solver, AbstractFixedPointSolver):
        raise ValueError(
            "`solver` must be a jaxfp solver (jaxfp.Picard, Anderson, Broyden, Newton); got "
            f"{type(solver).__name__}."
        )
