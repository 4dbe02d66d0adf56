"""The interface every differentiation strategy of `jaxfp.fixed_point` implements."""

import abc
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax

from .._solution import Solution


class ForwardSolve(eqx.Module):
    """The forward solve handed to an adjoint (as optimistix hands it to its adjoints), and the
    entry point's failure policy, which the adjoint's own backward solves follow too.

    `forward(fn, y0, args, while_loop=...)` returns the forward `Solution`, where
    `fn(y, args) -> (f(y), aux)` is a closure-converted pytree whose array leaves include every
    closed-over array (so they are differentiable inputs, like `args`), and
    `while_loop(cond_fun, body_fun, init_val, *, max_steps)` runs the solver's loop:
    `lax_while_loop` (fast, not reverse-differentiable) or a reverse-differentiable loop such as
    `equinox.internal.while_loop(..., kind="checkpointed")`.
    """

    run: Callable[..., Solution]
    throw: bool = eqx.field(static=True)
    best_effort: bool = eqx.field(static=True, default=False)

    def __call__(self, fn: Callable, y0: Any, args: Any, *, while_loop: Callable) -> Solution:
        return self.run(fn, y0, args, while_loop=while_loop)


def lax_while_loop(cond_fun, body_fun, init_val, *, max_steps):
    """`jax.lax.while_loop` (the loop ends by itself within `max_steps` iterations)."""
    del max_steps
    return jax.lax.while_loop(cond_fun, body_fun, init_val)


class AbstractAdjoint(eqx.Module):
    """How `jaxfp.fixed_point` is differentiated.

    A strategy receives the forward solve and returns a `Solution` whose `value` carries the
    strategy's derivative (reverse and, where the strategy supports it, forward mode).
    """

    @abc.abstractmethod
    def apply(self, forward: ForwardSolve, fn: Callable, y0: Any, args: Any) -> Solution:
        """Run `forward(fn, y0, args, while_loop=...)`; return its Solution with a
        differentiable `value`, solving any backward problem under `forward`'s failure policy
        (`forward.throw`, `forward.best_effort`)."""

    def check_inputs(self, fn: Callable, y0: Any, args: Any) -> None:
        """Raise, before anything is traced, for inputs this strategy cannot differentiate
        (`jaxfp.fixed_point` calls it on the Python side, where the caller's tracers are
        visible). The default accepts every input."""
        del fn, y0, args


def check_adjoint(adjoint) -> None:
    """Raise a `ValueError` naming `adjoint` unless it is a jaxfp adjoint."""
    if not isinstance(adjoint, AbstractAdjoint):
        raise ValueError(f"`adjoint` must be a jaxfp adjoint; got {type(adjoint).__name__}.")
