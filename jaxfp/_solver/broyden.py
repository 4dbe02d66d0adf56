"""Limited-memory ("good") Broyden's method for f(y) - y = 0, with fixed-size buffers."""

from collections.abc import Callable

import jax.numpy as jnp
import optimistix as optx
from jax.flatten_util import ravel_pytree
from jaxtyping import Array, Bool, Float, Int, PyTree, Scalar

from .base import AbstractFixedPointSolver, AbstractSolverState, residuals


class BroydenState(AbstractSolverState):
    scaled_residual: Scalar
    residual_norm: Scalar
    failed: Bool[Array, ""]
    left: Float[Array, "memory n"]
    right: Float[Array, "memory n"]
    count: Int[Array, ""]
    previous_y: Float[Array, " n"]
    previous_g: Float[Array, " n"]
    started: Bool[Array, ""]


class Broyden(AbstractFixedPointSolver):
    """Limited-memory Broyden's method on g(y) = f(y) - y = 0.

    Keeps an approximation of the inverse Jacobian of g as `H = -I + sum_i u_i v_i^T`, with at
    most `memory` rank-one terms in fixed-size buffers (memory does not grow with `max_steps`;
    when the buffers are full they restart from `H = -I`). Each step is `y <- y - H g(y)`;
    the first step (H = -I) is a Picard step. Superlinear near a regular fixed point, and it
    can converge to fixed points the plain iteration repels.

    >>> import jax.numpy as jnp, jaxfp
    >>> fn = lambda y, a: jnp.tanh(0.99 * y[::-1] + a)
    >>> sol = jaxfp.fixed_point(fn, jaxfp.Broyden(1e-8, 1e-8), jnp.zeros(3), jnp.ones(3))
    >>> bool(sol.result == jaxfp.RESULTS.successful)
    True
    """

    rtol: float
    atol: float
    norm: Callable[[PyTree], Scalar] = optx.max_norm
    memory: int = 20

    def __check_init__(self):
        if self.memory < 1:
            raise ValueError(f"`memory` must be at least 1, got {self.memory}.")

    def init(self, fn, y, args, options, f_struct, aux_struct, tags):
        del fn, args, options, f_struct, aux_struct, tags
        flat, _ = ravel_pytree(y)
        inf = jnp.array(jnp.inf, flat.dtype)
        zeros = jnp.zeros((self.memory, flat.size), flat.dtype)
        return BroydenState(
            inf,
            inf,
            jnp.array(False),
            zeros,
            zeros,
            jnp.array(0),
            jnp.zeros_like(flat),
            jnp.zeros_like(flat),
            jnp.array(False),
        )

    def step(self, fn, y, args, options, state, tags):
        del options, tags
        fy, aux = fn(y, args)
        _, scaled, raw = residuals(fy, y, self.rtol, self.atol, self.norm)
        flat_y, unravel = ravel_pytree(y)
        g = ravel_pytree(fy)[0] - flat_y

        def apply_h(vector, left, right):
            return -vector + (right @ vector) @ left

        def apply_h_transpose(vector, left, right):
            return -vector + (left @ vector) @ right

        # Rank-one inverse update from the last step: s = dy, q = dg.
        full = state.count >= self.memory
        left = jnp.where(full, 0, state.left)
        right = jnp.where(full, 0, state.right)
        count = jnp.where(full, 0, state.count)
        s = flat_y - state.previous_y
        q = g - state.previous_g
        h_q = apply_h(q, left, right)
        denominator = s @ h_q
        usable = state.started & (jnp.abs(denominator) > jnp.finfo(g.dtype).eps * (s @ s + 1e-300))
        u = (s - h_q) / jnp.where(usable, denominator, 1)
        v = apply_h_transpose(s, left, right)
        slot = count
        left = jnp.where(usable, left.at[slot].set(u), left)
        right = jnp.where(usable, right.at[slot].set(v), right)
        count = count + usable.astype(count.dtype)

        flat_next = flat_y - apply_h(g, left, right)
        new_state = BroydenState(
            scaled, raw, jnp.array(False), left, right, count, flat_y, g, jnp.array(True)
        )
        return unravel(flat_next), new_state, aux


Broyden.__init__.__doc__ = """**Arguments:**

- `rtol`, `atol`, `norm`: the stopping rule (see `jaxfp.AbstractFixedPointSolver`).
- `memory`: number of rank-one updates kept before restarting from H = -I.
"""
