"""Exact backpropagation through the solver's iterations."""

import functools as ft
from collections.abc import Callable
from typing import Any

import equinox as eqx
import equinox.internal as eqxi

from .._solution import Solution
from .._validation import check_count
from .base import AbstractAdjoint, ForwardSolve


class UnrolledAdjoint(AbstractAdjoint):
    """Differentiate through every iteration of the forward solve (reverse mode).

    The loop is `equinox.internal.while_loop(kind="checkpointed")`: the gradient is exactly that
    of the iterations actually run (not of the exact fixed point), and memory grows with the
    number of stored checkpoints (time by a logarithmic recomputation factor). Useful as a
    reference and when the fixed point is not reached. Reverse mode only: for forward mode use
    `ImplicitAdjoint`.

    Args:
        checkpoints: number of stored loop states; `None` lets equinox choose from `max_steps`
            (the fastest, and the most memory).

    Raises:
        ValueError: if `checkpoints` is not a positive int or `None`.

    Example:
        >>> import jax, jaxfp
        >>> def fixed_point(a, adjoint):  # y* = 2a; the loose tolerance stops after 10 steps
        ...     fn, solver = lambda y, a: 0.5 * y + a, jaxfp.Picard(rtol=1e-3, atol=1e-3)
        ...     return jaxfp.fixed_point(fn, solver, 0.0, a, adjoint=adjoint).value
        >>> float(jax.grad(fixed_point)(1.0, jaxfp.UnrolledAdjoint()))  # of y_10: 2 − 2^−9
        1.998046875
        >>> round(float(jax.grad(fixed_point)(1.0, jaxfp.ImplicitAdjoint())), 4)  # of y*
        2.0
    """

    checkpoints: int | None = eqx.field(
        static=True,
        default=None,
        converter=ft.partial(check_count, name="checkpoints", allow_none=True),
    )

    def apply(self, forward: ForwardSolve, fn: Callable, y0: Any, args: Any) -> Solution:
        while_loop = ft.partial(eqxi.while_loop, kind="checkpointed", checkpoints=self.checkpoints)
        return forward(fn, y0, args, while_loop=while_loop)
