"""Picard iteration with damping: y <- (1 - damping) f(y) + damping y."""

from collections.abc import Callable

import jax.tree_util as jtu
import optimistix as optx
from jaxtyping import PyTree, Scalar

from .._validation import check_real, residual_dtype
from .base import AbstractFixedPointSolver, Convergence, SolverState, residuals


class Picard(AbstractFixedPointSolver):
    """Damped fixed-point (Picard) iteration `y <- (1 - damping) f(y) + damping y`.

    Converges linearly at the rate of the map's contraction; the cheapest step of all.
    `damping` in [0, 1) trades speed for stability (0 is the plain iteration).

    Args:
        rtol: relative tolerance of the stopping rule (see `jaxfp.AbstractFixedPointSolver`).
        atol: absolute tolerance of the stopping rule.
        norm: a function `PyTree -> Scalar` (default `optimistix.max_norm`).
        damping: weight of the old iterate, in [0, 1); 0 is plain Picard iteration.

    Raises:
        ValueError: for a bad tolerance, norm or `damping`.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> sol = jaxfp.fixed_point(lambda y, a: jnp.cos(y), jaxfp.Picard(1e-6, 1e-6), 1.0)
        >>> round(float(sol.value), 4)
        0.7391
    """

    rtol: float
    atol: float
    norm: Callable[[PyTree], Scalar] = optx.max_norm
    damping: float = 0.0

    def __check_init__(self):
        check_real(self.damping, "damping", 0, 1)

    def init(self, fn, y, args, options, f_struct, aux_struct, tags):
        del fn, args, options, aux_struct, tags
        return SolverState(Convergence.start(residual_dtype(f_struct)))

    def step(self, fn, y, args, options, state, tags):
        del tags
        fy, aux = fn(y, args)
        _, scaled, raw = residuals(fy, y, self.rtol, self.atol, self.norm)
        if self.damping == 0.0:
            new_y = fy
        else:
            new_y = jtu.tree_map(lambda a, b: (1 - self.damping) * a + self.damping * b, fy, y)
        return new_y, SolverState(state.convergence.after(scaled, raw, options)), aux
