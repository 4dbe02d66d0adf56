"""Anderson acceleration (type II) with relative ridge, safeguarding and restarts."""

import functools as ft
import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Inexact, Int, PyTree, Scalar

from .._validation import check_count, check_real, residual_dtype, solve_dtype
from .base import AbstractFixedPointSolver, AbstractSolverState, Convergence, residuals
from .mixing import affine_mixing_weights


class AndersonState(AbstractSolverState):
    convergence: Convergence
    iterates: Inexact[Array, "history n"]
    differences: Inexact[Array, "history n"]
    gram: Inexact[Array, "history history"]  # in `solve_dtype` of the state (≥ float32)
    head: Int[Array, ""]  # the slot of the newest history entry
    tested: Int[Array, ""]  # the slot of the iterate the last step evaluated (its residual)
    count: Int[Array, ""]  # entries since the last restart (only the newest `history` count)
    previous_norm: Scalar
    restarts: Int[Array, ""]


class Anderson(AbstractFixedPointSolver):
    """Anderson acceleration, type II (Walker & Ni 2011), for fixed points y = f(y).

    Keeps the last `history` pairs (y_i, g_i = f(y_i) - y_i) in fixed-size buffers, finds the
    affine combination `alpha` (sum 1) minimising `|sum_i alpha_i g_i|^2 + ridge * scale *
    |alpha|^2`, with `scale` the mean squared residual of the history (so the ridge is relative
    to the residual's size), and steps to `sum_i alpha_i (y_i + mixing * g_i)`.

    Safeguards: when the residual `norm(f(y) - y)` at a new iterate exceeds `safeguard_factor`
    times the previous one, the mixed step is rejected and replaced by a plain damped step from the
    previous iterate, and the history restarts; when the mixing coefficients blow up
    (`sum |alpha_i| > restart_threshold`, an ill-conditioned history) the history restarts.
    Under `jax.vmap` every problem gets its own coefficients. Complex states use the Hermitian
    Gram matrix `<g_i, g_j>` (complex coefficients); bfloat16 and float16 states keep the Gram
    matrix and its small solve in float32. The value returned is the iterate whose residual
    was tested last (not the untested mixed step after it).

    Args:
        rtol: relative tolerance of the stopping rule (see `jaxfp.AbstractFixedPointSolver`).
        atol: absolute tolerance of the stopping rule.
        norm: a function `PyTree -> Scalar` (default `optimistix.max_norm`).
        history: number of past iterates mixed (m, fixed-size buffers).
        mixing: the weight beta of f(y) in the mixed step, in (0, 1] (1 is undamped).
        ridge: Tikhonov regularisation (finite, ≥ 0), relative to the mean squared residual.
        safeguard: reject mixed steps whose residual grows by more than `safeguard_factor`.
        safeguard_factor: the growth (> 0) beyond which a mixed step is rejected.
        restart_threshold: restart the history when `sum |alpha|` exceeds it (> 0).

    Raises:
        ValueError: for a bad tolerance, norm or hyperparameter.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> fn = lambda y, a: jnp.tanh(0.99 * y[::-1] + a)
        >>> sol = jaxfp.fixed_point(fn, jaxfp.Anderson(1e-8, 1e-8), jnp.zeros(3), jnp.ones(3))
        >>> bool(sol.result == jaxfp.RESULTS.successful)
        True
    """

    rtol: float
    atol: float
    norm: Callable[[PyTree], Scalar] = optx.max_norm
    history: int = eqx.field(default=5, converter=ft.partial(check_count, name="history"))
    mixing: float = 1.0
    ridge: float = 1e-8
    safeguard: bool = True
    safeguard_factor: float = 1e4
    restart_threshold: float = 1e4

    def __check_init__(self):
        check_real(self.mixing, "mixing", 0, 1, open_lower=True, open_upper=False)
        check_real(self.ridge, "ridge", 0, math.inf)
        check_real(self.safeguard_factor, "safeguard_factor", 0, None, open_lower=True)
        check_real(self.restart_threshold, "restart_threshold", 0, None, open_lower=True)
        if not isinstance(self.safeguard, (bool, np.bool_)):
            raise ValueError(f"`safeguard` must be True or False, got {self.safeguard!r}.")

    def init(self, fn, y, args, options, f_struct, aux_struct, tags):
        del fn, args, options, f_struct, aux_struct, tags
        flat, _ = ravel_pytree(y)
        m, n = self.history, flat.size
        dtype = residual_dtype(flat)
        inf = jnp.array(jnp.inf, dtype)
        return AndersonState(
            convergence=Convergence.start(dtype),
            iterates=jnp.zeros((m, n), flat.dtype),
            differences=jnp.zeros((m, n), flat.dtype),
            gram=jnp.zeros((m, m), solve_dtype(flat.dtype)),
            head=jnp.array(m - 1),
            tested=jnp.array(0),
            count=jnp.array(0),
            previous_norm=inf,
            restarts=jnp.array(0),
        )

    def step(self, fn, y, args, options, state, tags):
        del tags
        fy, aux = fn(y, args)
        difference, scaled, raw = residuals(fy, y, self.rtol, self.atol, self.norm)
        flat_y, unravel = ravel_pytree(y)
        flat_g = ravel_pytree(difference)[0]

        # The history is a ring buffer; a restart only resets `count`, so no step copies or
        # clears the (history x n) buffers: every step costs O(history * n) reads and O(n)
        # writes. The safeguard compares the solver's own residual norm (`residual_norm`).
        m = self.history
        rejected = (
            self.safeguard
            # Only a mixed step can be rejected: with a single stored pair (the first step, or
            # right after a restart) the step that produced `y` was already a plain one.
            & (state.count > 1)
            & ~(raw <= self.safeguard_factor * state.previous_norm)
        )
        # The new pair always goes into the next ring slot. A rejected iterate is then left out
        # by not advancing `head`: the history restarts from the previous point alone (its pair
        # is still at `head`), and the slot just written is ignored and overwritten next step.
        # Never reading a buffer row back keeps the buffer updates in place.
        written = (state.head + 1) % m
        iterates = state.iterates.at[written].set(flat_y)
        differences = state.differences.at[written].set(flat_g)
        # The Hermitian Gram matrix G[i, j] = <g_i, g_j> = sum(conj(g_i) g_j), accumulated in
        # `solve_dtype` (at least float32).
        dtype = state.gram.dtype
        row = differences.astype(dtype) @ jnp.conj(flat_g).astype(dtype)
        gram = state.gram.at[written].set(row).at[:, written].set(jnp.conj(row))
        slot = jnp.where(rejected, state.head, written)
        count = jnp.where(rejected, 1, state.count + 1)
        alpha = self._coefficients(gram, slot, count)
        ill = ~jnp.all(jnp.isfinite(alpha)) | (jnp.sum(jnp.abs(alpha)) > self.restart_threshold)
        plain = rejected | ill
        # Restart: only the newest entry stays (alpha = one-hot), i.e. a plain damped step.
        alpha = jnp.where(plain, jax.nn.one_hot(slot, m, dtype=alpha.dtype), alpha)
        alpha = alpha.astype(flat_y.dtype)
        flat_next = alpha @ iterates + self.mixing * (alpha @ differences)
        new_state = AndersonState(
            convergence=state.convergence.after(scaled, raw, options),
            iterates=iterates,
            differences=differences,
            gram=gram,
            head=slot,
            tested=written,
            count=jnp.where(plain, 1, count),
            previous_norm=jnp.where(rejected, state.previous_norm, raw),
            restarts=state.restarts + plain.astype(state.restarts.dtype),
        )
        return unravel(flat_next), new_state, aux

    def postprocess(self, fn, y, aux, args, options, state, tags, result):
        """Return the iterate the last step evaluated, whose residual `terminate` tested.

        `y`, the mixed step taken from it, was never evaluated: the tested iterate is the one
        that meets the tolerance on success (and `aux` belongs to it). Before any step (a
        solve that never started) `y` is returned unchanged.
        """
        del fn, args, options, tags, result
        flat, unravel = ravel_pytree(y)
        tested = jnp.where(state.count > 0, state.iterates[state.tested], flat)
        return unravel(tested), aux, {}

    def _coefficients(self, gram, head, count):
        """Solve min |sum_i alpha_i g_i|^2 + ridge * scale |alpha|^2 subject to sum(alpha) = 1.

        `gram` is Hermitian (G[i, j] = <g_i, g_j>), so the same weights hold for complex
        states as for real ones. Only the newest `min(count, history)` ring-buffer entries
        (ending at `head`) count.
        """
        m = self.history
        valid = (head - jnp.arange(m)) % m < jnp.minimum(count, m)
        scale = jnp.sum(jnp.where(valid, jnp.real(jnp.diagonal(gram)), 0)) / jnp.minimum(count, m)
        eye = jnp.eye(m, dtype=gram.dtype)
        # The real ridge is cast to the (possibly complex) Gram dtype: no implicit promotion.
        ridge = (self.ridge * scale + jnp.finfo(gram.dtype).tiny).astype(gram.dtype)
        regularised = jnp.where(valid[:, None] & valid[None, :], gram + ridge * eye, eye)
        return affine_mixing_weights(regularised, valid)
