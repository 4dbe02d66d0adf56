"""Exact backpropagation through the solver's iterations."""

import functools as ft
from collections.abc import Callable
from typing import Any

import equinox as eqx
import equinox.internal as eqxi
import jax
from jax.interpreters import ad

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
        TypeError: from `jaxfp.fixed_point`, before anything is traced, when it is called
            under forward mode (`jax.jvp`, `jax.jacfwd`) with a tangent in `y0`, `args`, `fn`'s
            fields or the variables `fn` closes over. (Forward mode applied outside a `jit`
            that calls `fixed_point` cannot be seen there; JAX then raises its own "can't apply
            forward-mode autodiff (jvp) to a custom_vjp function".)

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

    def check_inputs(self, fn: Callable, y0: Any, args: Any) -> None:
        closure = [cell.cell_contents for cell in getattr(fn, "__closure__", None) or ()]
        if any(isinstance(leaf, ad.JVPTracer) for leaf in jax.tree.leaves((fn, closure, y0, args))):
            raise TypeError(
                "UnrolledAdjoint differentiates in reverse mode only (jax.grad, jax.vjp, "
                "jax.jacrev): its loop is a checkpointed custom_vjp. For forward mode (jax.jvp, "
                "jax.jacfwd) use jaxfp.ImplicitAdjoint(), which supports both modes."
            )

    def apply(self, forward: ForwardSolve, fn: Callable, y0: Any, args: Any) -> Solution:
        while_loop = ft.partial(eqxi.while_loop, kind="checkpointed", checkpoints=self.checkpoints)
        return forward(fn, y0, args, while_loop=while_loop)
