"""Cheap approximate gradients of a fixed point: phantom gradients and Jacobian-free backprop."""

import abc
import dataclasses
import functools as ft
from collections.abc import Callable
from typing import Any

import equinox as eqx
import jax
import jax.tree_util as jtu

from .._solution import Solution
from .._validation import check_count, check_real
from .base import AbstractAdjoint, ForwardSolve, lax_while_loop
from .common import with_differentiable_aux


def _value_with_gradient_of(value: Any, surrogate: Any) -> Any:
    """`value` in the forward pass, with the derivative of `surrogate` (straight-through)."""
    return jtu.tree_map(
        lambda v, s: jax.lax.stop_gradient(v) + (s - jax.lax.stop_gradient(s)), value, surrogate
    )


class _StraightThroughAdjoint(AbstractAdjoint):
    """An approximate gradient: the value is the fixed point y* (solved without differentiating
    the loop); its derivative is that of `surrogate(fn, stop_gradient(y*), args)`."""

    @abc.abstractmethod
    def surrogate(self, fn: Callable, root: Any, args: Any) -> Any:
        """The map of the (not differentiated) fixed point `root` whose derivative is used."""

    def apply(self, forward: ForwardSolve, fn: Callable, y0: Any, args: Any) -> Solution:
        solution = forward(fn, y0, args, while_loop=lax_while_loop)
        root = jax.lax.stop_gradient(solution.value)
        value = _value_with_gradient_of(root, self.surrogate(fn, root, args))
        return with_differentiable_aux(dataclasses.replace(solution, value=value), fn, args)


class PhantomAdjoint(_StraightThroughAdjoint):
    """Phantom gradient (Geng et al. 2021): differentiate `steps` damped steps taken from y*.

    The returned value is the fixed point y* itself; its derivative (forward and reverse mode) is
    that of z_k, where z_0 = y* (not differentiated) and z_{i+1} = (1 − λ) z_i + λ f(z_i, θ).
    Memory and time grow with `steps`, not with the forward iterations. As `steps` grows (and
    for λ ≤ 1 with a contractive f) it approaches the implicit gradient.

    Args:
        steps: number of damped steps differentiated (≥ 1).
        damping: λ in (0, 1].

    Raises:
        ValueError: if `steps` < 1 or `damping` is outside (0, 1].

    Example:
        >>> import jax, jaxfp
        >>> fn, solver = lambda y, a: 0.5 * y + a, jaxfp.Picard(1e-8, 1e-8)  # dy*/da = 2
        >>> def phantom_gradient(steps):
        ...     adjoint = jaxfp.PhantomAdjoint(steps=steps, damping=0.8)
        ...     solve = lambda a: jaxfp.fixed_point(fn, solver, 0.0, a, adjoint=adjoint).value
        ...     return round(float(jax.grad(solve)(1.0)), 4)
        >>> [phantom_gradient(steps) for steps in (1, 5, 20)]  # 2(1 − (1 − λ/2)^steps)
        [0.8, 1.8445, 1.9999]
    """

    steps: int = eqx.field(static=True, default=5, converter=ft.partial(check_count, name="steps"))
    damping: float = 0.5

    def __check_init__(self):
        check_real(self.damping, "damping", 0, 1, open_lower=True, open_upper=False)

    def surrogate(self, fn: Callable, root: Any, args: Any) -> Any:
        """z_steps, from z_0 = `root` (the differentiable inputs are those of `fn` and `args`)."""
        z = root
        for _ in range(self.steps):
            z = jtu.tree_map(
                lambda zi, fi: (1 - self.damping) * zi + self.damping * fi, z, fn(z, args)[0]
            )
        return z


class OneStepAdjoint(_StraightThroughAdjoint):
    """Jacobian-free backprop (Fung et al. 2022): differentiate one step f(y*, θ) from y*.

    The returned value is y*; its derivative is that of f(stop_gradient(y*), θ), i.e. the
    implicit gradient with (I − J)⁻¹ replaced by I. Cheapest possible backward pass; a descent
    direction for contractive f, not the exact gradient.

    Example:
        >>> import jax, jaxfp
        >>> fn, solver = lambda y, a: 0.5 * y + a, jaxfp.Picard(1e-8, 1e-8)  # dy*/da = 2
        >>> solve = lambda a: jaxfp.fixed_point(fn, solver, 0.0, a, adjoint=jaxfp.OneStepAdjoint())
        >>> value, gradient = jax.value_and_grad(lambda a: solve(a).value)(1.0)  # y*, ∂f/∂a
        >>> round(float(value), 6), float(gradient)
        (2.0, 1.0)
    """

    def surrogate(self, fn: Callable, root: Any, args: Any) -> Any:
        """f(`root`, `args`)."""
        return fn(root, args)[0]
