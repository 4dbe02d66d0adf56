"""A convolutional DEQ classifier for scikit-learn's digits: conv encoder → DEQ(conv residual
cell with GroupNorm) → linear head, the architecture of the DEQ tutorials (Kolter, Duvenaud,
Johnson, "Deep implicit layers", ch. 4) at the digits' 8×8 size. The equilibrium state is
channels-last (8, 8, C), the layout XLA:CPU convolves fast inside a solver loop
(`_channels_last`)."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..nn import DEQ
from ._channels_last import ChannelsLastConv, ChannelsLastGroupNorm
from ._digits_data import IMAGE_SIDE, NUM_CLASSES
from ._digits_model import AbstractDigitsDEQ, DEQSettings


class ConvCell(eqx.Module):
    """The residual conv cell z ↦ GN(relu(z + GN(x + conv₂(GN(relu(conv₁ z)))))).

    `z` and the injection `x` are channels-last `(8, 8, channels)` feature maps. The GroupNorms
    keep every iterate's scale fixed, so the solver's residual stays comparable from step to
    step.

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

    conv1: ChannelsLastConv
    conv2: ChannelsLastConv
    norm1: ChannelsLastGroupNorm
    norm2: ChannelsLastGroupNorm
    norm3: ChannelsLastGroupNorm

    def __init__(self, channels: int, hidden: int, *, groups: int = 8, key: PRNGKeyArray):
        key1, key2 = jax.random.split(key)
        # Small initial weights keep the cell a contraction at the start of training.
        self.conv1 = ChannelsLastConv(channels, hidden, scale=0.1, key=key1)
        self.conv2 = ChannelsLastConv(hidden, channels, scale=0.1, key=key2)
        self.norm1 = ChannelsLastGroupNorm(groups, hidden)
        self.norm2 = ChannelsLastGroupNorm(groups, channels)
        self.norm3 = ChannelsLastGroupNorm(groups, channels)

    def __call__(self, z: Float[Array, "8 8 c"], x: Float[Array, "8 8 c"]):
        y = self.norm1(jax.nn.relu(self.conv1(z)))
        return self.norm3(jax.nn.relu(z + self.norm2(x + self.conv2(y))))


class ConvDigitsDEQ(AbstractDigitsDEQ):
    """Conv encoder → DEQ(`ConvCell`) → linear head: a 10-class classifier of one 8×8 image.

    Args:
        channels: channels of the equilibrium state.
        hidden: channels inside the cell.
        groups: GroupNorm groups.
        equilibrium: the settings of the DEQ (default `DEQSettings(max_steps=30)`: Anderson at
            rtol = atol = 1e-3, implicit adjoint).
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
    head_norm: ChannelsLastGroupNorm
    head: eqx.nn.Linear

    def __init__(
        self,
        channels: int = 32,
        hidden: int = 64,
        *,
        groups: int = 8,
        equilibrium: DEQSettings = DEQSettings(max_steps=30),
        key: PRNGKeyArray,
    ):
        key_encoder, key_cell, key_head = jax.random.split(key, 3)
        self.encoder = eqx.nn.Conv2d(1, channels, 3, padding=1, key=key_encoder)
        self.encoder_norm = eqx.nn.GroupNorm(groups, channels)
        cell = ConvCell(channels, hidden, groups=groups, key=key_cell)
        self.deq = equilibrium.layer(cell)
        self.head_norm = ChannelsLastGroupNorm(groups, channels)
        self.head = eqx.nn.Linear(channels * IMAGE_SIDE**2, NUM_CLASSES, key=key_head)

    def features(self, image: Float[Array, " 64"]) -> Float[Array, "8 8 c"]:
        """The DEQ input (the encoded image, channels-last)."""
        pixels = image.reshape(1, IMAGE_SIDE, IMAGE_SIDE).astype(self.encoder.weight.dtype)
        return jnp.transpose(self.encoder_norm(self.encoder(pixels)), (1, 2, 0))

    def classify(self, z: Float[Array, "8 8 c"]) -> Float[Array, " 10"]:
        """Class logits of an equilibrium state."""
        return self.head(jnp.ravel(self.head_norm(z)))
