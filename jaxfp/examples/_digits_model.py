"""What the digits classifiers (`DigitsDEQ`, `ConvDigitsDEQ`) share: image → `features` → DEQ →
`classify` → logits, and the settings of the DEQ (`DEQSettings`)."""

import abc
import functools as ft
from collections.abc import Callable

import equinox as eqx
from jaxtyping import Array, Float

from .. import AbstractAdjoint, AbstractFixedPointSolver, Anderson, ImplicitAdjoint
from .._adjoint.base import check_adjoint
from .._solver.base import check_solver
from .._validation import check_count
from ..nn import DEQ


class AbstractDigitsDEQ(eqx.Module):
    """A 10-class classifier of one 8×8 image: `features` (the DEQ's input), the equilibrium
    layer `deq`, then `classify` (the logits of its equilibrium state)."""

    deq: eqx.AbstractVar[DEQ]

    @abc.abstractmethod
    def features(self, image: Float[Array, " 64"]) -> Array:
        """The DEQ input (the encoded image)."""

    @abc.abstractmethod
    def classify(self, z: Array) -> Float[Array, " 10"]:
        """Class logits of an equilibrium state."""

    def __call__(self, image: Float[Array, " 64"], *, return_stats: bool = False):
        """Class logits (and the DEQ's `DEQStats` with `return_stats=True`)."""
        z, stats = self.deq(self.features(image), return_stats=True)
        logits = self.classify(z)
        return (logits, stats) if return_stats else logits


class DEQSettings(eqx.Module):
    """The settings of a digits classifier's equilibrium layer, one record for `DigitsDEQ` and
    `ConvDigitsDEQ` alike; `layer(cell)` builds the `jaxfp.nn.DEQ` they describe.

    Args:
        max_steps: most forward solver steps.
        solver: the forward solver (default `jaxfp.Anderson(rtol=1e-3, atol=1e-3)`).
        adjoint: the differentiation strategy (default `jaxfp.ImplicitAdjoint()`).

    Raises:
        ValueError: naming the field, for a `solver` that is not a jaxfp solver, an `adjoint`
            that is not a jaxfp adjoint, or a `max_steps` that is not a positive integer.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> settings = DEQSettings(max_steps=40, adjoint=jaxfp.PhantomAdjoint())
        >>> deq = settings.layer(lambda z, x: 0.5 * z + x)
        >>> round(float(deq(jnp.ones(()))), 2), deq.max_steps
        (2.0, 40)
    """

    max_steps: int = eqx.field(static=True, converter=ft.partial(check_count, name="max_steps"))
    solver: AbstractFixedPointSolver = Anderson(rtol=1e-3, atol=1e-3)
    adjoint: AbstractAdjoint = ImplicitAdjoint()

    def __check_init__(self):
        check_solver(self.solver)
        check_adjoint(self.adjoint)

    def layer(self, cell: Callable) -> DEQ:
        """`jaxfp.nn.DEQ(cell, solver, adjoint, max_steps)`: the equilibrium layer of `cell`."""
        return DEQ(cell, self.solver, self.adjoint, self.max_steps)
