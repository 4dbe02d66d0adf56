"""A convolutional DEQ classifier for scikit-learn's digits: conv encoder → DEQ(conv residual
cell with GroupNorm) → linear head, the architecture of the DEQ tutorials (Kolter, Duvenaud,
Johnson, "Deep implicit layers", ch. 4) at the digits' 8×8 size."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .. import AbstractAdjoint, AbstractFixedPointSolver, Anderson, ImplicitAdjoint
from ..nn import DEQ
from ._digits_data import IMAGE_SIDE, NUM_CLASSES


class ConvCell(eqx.Module):
    """The residual conv cell z ↦ GN(relu(z + GN(x + conv₂(GN(relu(conv₁ z)))))).

    `z` and the injection `x` are `(channels, 8, 8)` feature maps. The GroupNorms keep every
    iterate's scale fixed, so the solver's residual stays comparable from step to step.

    Args:
        channels: feature channels of the state.
        hidden: channels between the two convolutions.
        groups: GroupNorm groups (must divide `channels` and `hidden`).
        key: random key.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> cell = ConvCell(8, 16, groups=4, key=jax.random.key(0))
        >>> cell(jnp.zeros((8, 8, 8)), jnp.ones((8, 8, 8))).shape
        (8, 8, 8)
    """

    conv1: eqx.nn.Conv2d
    conv2: eqx.nn.Conv2d
    norm1: eqx.nn.GroupNorm
    norm2: eqx.nn.GroupNorm
    norm3: eqx.nn.GroupNorm

    def __init__(self, channels: int, hidden: int, *, groups: int = 8, key: PRNGKeyArray):
        key1, key2 = jax.random.split(key)
        self.conv1 = eqx.nn.Conv2d(channels, hidden, 3, padding=1, use_bias=False, key=key1)
        self.conv2 = eqx.nn.Conv2d(hidden, channels, 3, padding=1, use_bias=False, key=key2)
        # Small initial weights keep the cell a contraction at the start of training.
        self.conv1 = eqx.tree_at(lambda c: c.weight, self.conv1, 0.1 * self.conv1.weight)
        self.conv2 = eqx.tree_at(lambda c: c.weight, self.conv2, 0.1 * self.conv2.weight)
        self.norm1 = eqx.nn.GroupNorm(groups, hidden)
        self.norm2 = eqx.nn.GroupNorm(groups, channels)
        self.norm3 = eqx.nn.GroupNorm(groups, channels)

    def __call__(self, z: Float[Array, "c 8 8"], x: Float[Array, "c 8 8"]):
        y = self.norm1(jax.nn.relu(self.conv1(z)))
        return self.norm3(jax.nn.relu(z + self.norm2(x + self.conv2(y))))


class ConvDigitsDEQ(eqx.Module):
    """Conv encoder → DEQ(`ConvCell`) → linear head: a 10-class classifier of one 8×8 image.

    Args:
        channels: channels of the equilibrium state.
        hidden: channels inside the cell.
        groups: GroupNorm groups.
        solver: forward solver (default `jaxfp.Anderson(rtol=1e-3, atol=1e-3)`).
        adjoint: differentiation strategy (default `jaxfp.ImplicitAdjoint()`).
        max_steps: most forward steps.
        key: random key.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> model = ConvDigitsDEQ(channels=8, hidden=8, groups=4, key=jax.random.key(0))
        >>> model(jax.random.uniform(jax.random.key(1), (64,))).shape
        (10,)
    """

    encoder: eqx.nn.Conv2d
    encoder_norm: eqx.nn.GroupNorm
    deq: DEQ
    head_norm: eqx.nn.GroupNorm
    head: eqx.nn.Linear

    def __init__(
        self,
        channels: int = 32,
        hidden: int = 64,
        *,
        groups: int = 8,
        solver: AbstractFixedPointSolver | None = None,
        adjoint: AbstractAdjoint | None = None,
        max_steps: int = 30,
        key: PRNGKeyArray,
    ):
        key_encoder, key_cell, key_head = jax.random.split(key, 3)
        self.encoder = eqx.nn.Conv2d(1, channels, 3, padding=1, key=key_encoder)
        self.encoder_norm = eqx.nn.GroupNorm(groups, channels)
        solver = Anderson(rtol=1e-3, atol=1e-3) if solver is None else solver
        adjoint = ImplicitAdjoint() if adjoint is None else adjoint
        cell = ConvCell(channels, hidden, groups=groups, key=key_cell)
        self.deq = DEQ(cell, solver, adjoint, max_steps)
        self.head_norm = eqx.nn.GroupNorm(groups, channels)
        self.head = eqx.nn.Linear(channels * IMAGE_SIDE**2, NUM_CLASSES, key=key_head)

    def features(self, image: Float[Array, " 64"]) -> Float[Array, "c 8 8"]:
        """The DEQ input (the encoded image)."""
        pixels = image.reshape(1, IMAGE_SIDE, IMAGE_SIDE).astype(self.encoder.weight.dtype)
        return self.encoder_norm(self.encoder(pixels))

    def classify(self, z: Float[Array, "c 8 8"]) -> Float[Array, " 10"]:
        """Class logits of an equilibrium state."""
        return self.head(jnp.ravel(self.head_norm(z)))

    def __call__(self, image: Float[Array, " 64"], *, return_stats: bool = False):
        """Class logits (and the DEQ's `DEQStats` with `return_stats=True`)."""
        z, stats = self.deq(self.features(image), return_stats=True)
        logits = self.classify(z)
        return (logits, stats) if return_stats else logits
