"""The interface every differentiation strategy of `jaxfp.fixed_point` implements."""

import abc
from collections.abc import Callable
from typing import Any

import equinox as eqx

from .._solve.solution import Solution

# forward(fn, y0, args, *, loop_kind, checkpoints) -> Solution
#   fn: `fn(y, args) -> (f(y), aux)`, a closure-converted pytree whose array leaves include
#       every closed-over array (so they are differentiable inputs, like `args`).
#   loop_kind: "lax" (fast, not reverse-differentiable) or "checkpointed" (reverse-mode
#       differentiable through the iterations, `checkpoints` stored states; None = automatic).
ForwardSolve = Callable[..., Solution]


class AbstractAdjoint(eqx.Module):
    """How `jaxfp.fixed_point` is differentiated.

    A strategy receives the forward solve and returns a `Solution` whose `value` carries the
    strategy's derivative (reverse and, where the strategy supports it, forward mode).
    """

    @abc.abstractmethod
    def apply(
        self, forward: ForwardSolve, fn: Callable, y0: Any, args: Any, *, throw: bool
    ) -> Solution:
        """Run `forward(fn, y0, args, loop_kind=..., checkpoints=...)`; return its Solution
        with a differentiable `value`."""
