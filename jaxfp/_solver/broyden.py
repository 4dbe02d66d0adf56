"""Limited-memory ("good") Broyden's method for f(y) - y = 0, with fixed-size buffers."""

import functools as ft
from collections.abc import Callable

import equinox as eqx
import jax.numpy as jnp
import optimistix as optx
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Bool, Inexact, Int, PyTree, Scalar

from .._validation import check_count, residual_dtype
from .base import AbstractFixedPointSolver, AbstractSolverState, Convergence, residuals


class BroydenState(AbstractSolverState):
    convergence: Convergence
    left: Inexact[Array, "memory n"]
    right: Inexact[Array, "memory n"]
    count: Int[Array, ""]
    previous_y: Inexact[Array, " n"]
    previous_g: Inexact[Array, " n"]
    started: Bool[Array, ""]


class Broyden(AbstractFixedPointSolver):
    """Limited-memory Broyden's method on g(y) = f(y) - y = 0.

    Keeps an approximation of the inverse Jacobian of g as `H = -I + sum_i u_i v_i^T`, with at
    most `memory` rank-one terms in fixed-size buffers (memory does not grow with `max_steps`;
    when the buffers are full they restart from `H = -I`). Each step is `y <- y - H g(y)`;
    the first step (H = -I) is a Picard step. Superlinear near a regular fixed point, and it
    can converge to fixed points the plain iteration repels. Complex states use the complex
    (Hermitian) update, which assumes `fn` holomorphic, as optimistix's quasi-Newton methods do.

    Args:
        rtol: relative tolerance of the stopping rule (see `jaxfp.AbstractFixedPointSolver`).
        atol: absolute tolerance of the stopping rule.
        norm: a function `PyTree -> Scalar` (default `optimistix.max_norm`).
        memory: number of rank-one updates kept before restarting from H = -I.

    Raises:
        ValueError: for a bad tolerance, norm or `memory`.

    Example:
        The fixed point y* = a of f(y) = 2y − a repels the plain iteration (f' = 2); Broyden's
        secant step finds it:

        >>> import jaxfp
        >>> sol = jaxfp.fixed_point(lambda y, a: 2.0 * y - a, jaxfp.Broyden(1e-8, 1e-8), 0.0, 1.0)
        >>> float(sol.value), int(sol.stats.num_steps)
        (1.0, 3)
    """

    rtol: float
    atol: float
    norm: Callable[[PyTree], Scalar] = optx.max_norm
    memory: int = eqx.field(default=20, converter=ft.partial(check_count, name="memory"))

    def init(self, fn, y, args, options, f_struct, aux_struct, tags):
        del fn, args, options, f_struct, aux_struct, tags
        flat, _ = ravel_pytree(y)
        zeros = jnp.zeros((self.memory, flat.size), flat.dtype)
        return BroydenState(
            Convergence.start(residual_dtype(flat)),
            zeros,
            zeros,
            jnp.array(0),
            jnp.zeros_like(flat),
            jnp.zeros_like(flat),
            jnp.array(False),
        )

    def step(self, fn, y, args, options, state, tags):
        del tags
        fy, aux = fn(y, args)
        _, scaled, raw = residuals(fy, y, self.rtol, self.atol, self.norm)
        flat_y, unravel = ravel_pytree(y)
        g = ravel_pytree(fy)[0] - flat_y

        def apply_h(vector, left, right):
            return -vector + (right @ vector) @ left

        def apply_h_transpose(vector, left, right):
            return -vector + (left @ vector) @ right

        # Rank-one inverse update from the last step, s = dy, q = dg ("good" Broyden):
        # H <- H + (s - H q) (s^H H) / (s^H H q), with H = -I + sum_i left_i right_i^T.
        full = state.count >= self.memory
        left = jnp.where(full, 0, state.left)
        right = jnp.where(full, 0, state.right)
        count = jnp.where(full, 0, state.count)
        s = flat_y - state.previous_y
        q = g - state.previous_g
        h_q = apply_h(q, left, right)
        s_conj = jnp.conj(s)
        denominator = s_conj @ h_q
        s_norm2 = jnp.real(s_conj @ s)
        usable = state.started & (
            jnp.abs(denominator) > jnp.finfo(g.dtype).eps * (s_norm2 + 1e-300)
        )
        u = (s - h_q) / jnp.where(usable, denominator, 1)
        v = apply_h_transpose(s_conj, left, right)
        slot = count
        left = jnp.where(usable, left.at[slot].set(u), left)
        right = jnp.where(usable, right.at[slot].set(v), right)
        count = count + usable.astype(count.dtype)

        flat_next = flat_y - apply_h(g, left, right)
        convergence = state.convergence.after(scaled, raw, options)
        new_state = BroydenState(convergence, left, right, count, flat_y, g, jnp.array(True))
        return unravel(flat_next), new_state, aux
