"""What the digits classifiers (`DigitsDEQ`, `ConvDigitsDEQ`) share: image → `features` → DEQ →
`classify` → logits, and the DEQ's default solver and adjoint."""

import abc

import equinox as eqx
from jaxtyping import Array, Float

from .. import AbstractAdjoint, AbstractFixedPointSolver, Anderson, ImplicitAdjoint
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


def digits_deq(
    cell,
    solver: AbstractFixedPointSolver | None,
    adjoint: AbstractAdjoint | None,
    max_steps: int,
) -> DEQ:
    """`DEQ(cell, solver, adjoint, max_steps)`, the solver defaulting to
    `jaxfp.Anderson(rtol=1e-3, atol=1e-3)` and the adjoint to `jaxfp.ImplicitAdjoint()`.

    Example:
        >>> import jax.numpy as jnp
        >>> deq = digits_deq(lambda z, x: 0.5 * z + x, None, None, 40)
        >>> round(float(deq(jnp.ones(()))), 2)
        2.0
    """
    solver = Anderson(rtol=1e-3, atol=1e-3) if solver is None else solver
    adjoint = ImplicitAdjoint() if adjoint is None else adjoint
    return DEQ(cell, solver, adjoint, max_steps)
