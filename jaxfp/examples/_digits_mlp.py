"""A DEQ classifier (dense cell) for scikit-learn's bundled digits (8×8 images, no download)."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from ..nn import DEQ, SpectralNorm
from ._digits_data import NUM_CLASSES, NUM_PIXELS
from ._digits_model import AbstractDigitsDEQ, DEQSettings


class TanhCell(eqx.Module):
    """The equilibrium cell z ↦ tanh(W z + x) with spectrally normalized W (‖W‖₂ = `scale`).

    With `scale` < 1 the cell is a contraction in z, so its fixed point is unique and both the
    forward and the implicit backward solves converge geometrically.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> cell = TanhCell(16, key=jax.random.key(0))
        >>> cell(jnp.zeros(16), jnp.ones(16)).shape
        (16,)
    """

    linear: SpectralNorm[eqx.nn.Linear]

    def __init__(self, width: int, *, scale: float = 0.9, key: PRNGKeyArray):
        key_linear, key_vector = jax.random.split(key)
        linear = eqx.nn.Linear(width, width, key=key_linear)
        self.linear = SpectralNorm(linear, scale=scale, key=key_vector)

    def __call__(self, z: Float[Array, " width"], x: Float[Array, " width"]):
        return jnp.tanh(self.linear(z) + x)


class DigitsDEQ(AbstractDigitsDEQ):
    """Encoder → DEQ(`TanhCell`) → linear head: a 10-class classifier of one 8×8 image.

    Args:
        width: size of the equilibrium state.
        equilibrium: the settings of the DEQ (default `DEQSettings(max_steps=40)`: Anderson at
            rtol = atol = 1e-3, implicit adjoint).
        key: random key.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> model = DigitsDEQ(16, equilibrium=DEQSettings(max_steps=20), key=jax.random.key(0))
        >>> model(jnp.zeros(64)).shape, model.deq.max_steps
        ((10,), 20)
    """

    encoder: eqx.nn.Linear
    deq: DEQ
    head: eqx.nn.Linear

    def __init__(
        self,
        width: int = 64,
        *,
        equilibrium: DEQSettings = DEQSettings(max_steps=40),
        key: PRNGKeyArray,
    ):
        key_encoder, key_cell, key_head = jax.random.split(key, 3)
        self.encoder = eqx.nn.Linear(NUM_PIXELS, width, key=key_encoder)
        self.deq = equilibrium.layer(TanhCell(width, key=key_cell))
        self.head = eqx.nn.Linear(width, NUM_CLASSES, key=key_head)

    def features(self, image: Float[Array, " 64"]) -> Float[Array, " width"]:
        """The DEQ input (the encoded image)."""
        return self.encoder(image)

    def classify(self, z: Float[Array, " width"]) -> Float[Array, " 10"]:
        """Class logits of an equilibrium state."""
        return self.head(z)


def accuracy(model: DigitsDEQ, images: Float[Array, "n 64"], labels) -> Float[Array, ""]:
    """Fraction of `images` whose arg-max logit is the label."""
    logits = jax.vmap(model)(images)
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels)
