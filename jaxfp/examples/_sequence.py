"""A sequence DEQ: one weight-tied cell over the whole sequence state, trained on running parity.

The state z holds one vector per position; the cell updates every position from its
predecessor's vector and its own input bit, z_t ← g(z_{t−1}, x_t), all positions at once. Its
fixed point is the recurrent network's hidden sequence (the Jacobian is nilpotent, so Picard
iteration reaches it exactly in `length` steps), found by Picard iteration and differentiated
implicitly: no backpropagation through time.
"""

import dataclasses
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, Int, PRNGKeyArray

from .. import Picard
from .._misc import check_positive, check_positive_int
from ..nn import DEQ


class SequenceCell(eqx.Module):
    """z_t ← tanh(W₂ relu(W₁ [z_{t−1}; x_t] + b₁) + b₂) at every position t (z_{−1} = 0).

    `z` is `(length, width)`, the injection `x` is `(length, width)` (the embedded inputs).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> cell = SequenceCell(8, 16, key=jax.random.key(0))
        >>> cell(jnp.zeros((5, 8)), jnp.ones((5, 8))).shape
        (5, 8)
    """

    hidden: eqx.nn.Linear
    out: eqx.nn.Linear

    def __init__(self, width: int, hidden: int, *, key: PRNGKeyArray):
        key_hidden, key_out = jax.random.split(key)
        self.hidden = eqx.nn.Linear(2 * width, hidden, key=key_hidden)
        self.out = eqx.nn.Linear(hidden, width, key=key_out)

    def __call__(self, z: Float[Array, "length width"], x: Float[Array, "length width"]):
        previous = jnp.concatenate([jnp.zeros_like(z[:1]), z[:-1]])
        step = lambda p, xt: jnp.tanh(self.out(jax.nn.relu(self.hidden(jnp.concatenate([p, xt])))))
        return jax.vmap(step)(previous, x)


class ParityDEQ(eqx.Module):
    """Bits → embedding → DEQ(`SequenceCell`) → per-position logit of the running parity.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> model = ParityDEQ(8, 16, max_steps=10, key=jax.random.key(0))
        >>> model(jnp.array([0, 1, 1, 0])).shape
        (4,)
    """

    embedding: eqx.nn.Embedding
    deq: DEQ
    head: eqx.nn.Linear

    def __init__(self, width: int, hidden: int, *, max_steps: int, tolerance: float = 1e-4, key):
        key_embed, key_cell, key_head = jax.random.split(key, 3)
        self.embedding = eqx.nn.Embedding(2, width, key=key_embed)
        # Picard: the map is nilpotent in z, so Picard is exact after `length` steps.
        solver = Picard(rtol=tolerance, atol=tolerance)
        self.deq = DEQ(SequenceCell(width, hidden, key=key_cell), solver, max_steps=max_steps)
        self.head = eqx.nn.Linear(width, "scalar", key=key_head)

    def __call__(self, bits: Int[Array, " length"], *, return_stats: bool = False):
        """Logits of the parity of each prefix (and `DEQStats` with `return_stats=True`)."""
        z, stats = self.deq(jax.vmap(self.embedding)(bits), return_stats=True)
        logits = jax.vmap(self.head)(z)
        return (logits, stats) if return_stats else logits


def parity_batch(rng: np.random.Generator, batch: int, length: int):
    """Random bits `(batch, length)` and their running parities (XOR of each prefix).

    Example:
        >>> import numpy as np
        >>> bits, parity = parity_batch(np.random.default_rng(0), 2, 5)
        >>> bool(np.all(parity[:, -1] == bits.sum(axis=1) % 2))
        True
    """
    bits = rng.integers(0, 2, (batch, length))
    return bits, np.cumsum(bits, axis=1) % 2


@dataclasses.dataclass(frozen=True)
class SequenceTrainingConfig:
    """Settings of `train_parity_deq`: sequence `length`, state `width`, cell `hidden` size,
    Adam `iterations` at `learning_rate` (cosine decay) on fresh batches of `batch_size`, the
    DEQ's `max_steps` (default `length + 4`), `test_size` held-out sequences and `seed`."""

    length: int = 8
    width: int = 32
    hidden: int = 64
    iterations: int = 600
    batch_size: int = 128
    learning_rate: float = 5e-3
    max_steps: int | None = None
    test_size: int = 1000
    seed: int = 0

    def initial_model(self) -> ParityDEQ:
        """The untrained `ParityDEQ` of these settings (initialised from `seed`)."""
        max_steps = self.length + 4 if self.max_steps is None else self.max_steps
        return ParityDEQ(
            self.width, self.hidden, max_steps=max_steps, key=jax.random.key(self.seed)
        )

    def __post_init__(self):
        for name in ("length", "width", "hidden", "iterations", "batch_size", "test_size"):
            object.__setattr__(self, name, check_positive_int(getattr(self, name), name))
        if self.max_steps is not None:
            object.__setattr__(self, "max_steps", check_positive_int(self.max_steps, "max_steps"))
        object.__setattr__(
            self, "learning_rate", check_positive(self.learning_rate, "learning_rate")
        )


@dataclasses.dataclass(frozen=True)
class SequenceTrainingResult:
    """What `train_parity_deq` returns: the model; held-out accuracy of the last position's
    parity (the parity of the whole sequence) and of every position; mean forward steps on the
    test set; the training losses and the last of them; the wall time (s)."""

    model: ParityDEQ
    sequence_accuracy: float
    position_accuracy: float
    forward_steps: float
    losses: list[float]
    final_loss: float
    wall_time_s: float


def parity_step(config: SequenceTrainingConfig):
    """The training step of `train_parity_deq`: `(optimizer, step)` with
    `step(model, state, bits, parity) -> (model, state, loss)` one compiled Adam step (cosine
    decay) on the mean binary cross-entropy of every position's parity logit.

    Example:
        >>> import jax, jax.numpy as jnp, equinox as eqx
        >>> config = SequenceTrainingConfig(length=4, width=8, hidden=8, iterations=2)
        >>> model = ParityDEQ(8, 8, max_steps=8, key=jax.random.key(0))
        >>> optimizer, step = parity_step(config)
        >>> bits, parity = parity_batch(np.random.default_rng(0), 3, 4)
        >>> state = optimizer.init(eqx.filter(model, eqx.is_array))
        >>> model, state, loss = step(model, state, jnp.asarray(bits), jnp.asarray(parity, float))
        >>> bool(loss > 0)
        True
    """
    optimizer = optax.adam(optax.cosine_decay_schedule(config.learning_rate, config.iterations))

    def loss(model, bits, parity):
        logits = jax.vmap(model)(bits)
        return optax.sigmoid_binary_cross_entropy(logits, parity).mean()

    @eqx.filter_jit
    def step(model, state, bits, parity):
        value, grads = eqx.filter_value_and_grad(loss)(model, bits, parity)
        updates, state = optimizer.update(grads, state, eqx.filter(model, eqx.is_array))
        return eqx.apply_updates(model, updates), state, value

    return optimizer, step


def train_parity_deq(config: SequenceTrainingConfig = SequenceTrainingConfig()):
    """Train `ParityDEQ` on running parity and evaluate it on fresh sequences.

    Args:
        config: a `SequenceTrainingConfig`.

    Returns:
        A `SequenceTrainingResult`.

    Example:
        >>> config = SequenceTrainingConfig(length=4, width=8, hidden=8, iterations=3)
        >>> result = train_parity_deq(config)
        >>> 0.0 <= result.sequence_accuracy <= 1.0
        True
    """
    start = time.perf_counter()
    model = config.initial_model()
    optimizer, step = parity_step(config)
    state = optimizer.init(eqx.filter(model, eqx.is_array))
    rng = np.random.default_rng(config.seed)
    losses = []
    for _ in range(config.iterations):
        bits, parity = parity_batch(rng, config.batch_size, config.length)
        model, state, value = step(model, state, jnp.asarray(bits), jnp.asarray(parity, float))
        losses.append(float(value))
    bits, parity = parity_batch(
        np.random.default_rng(config.seed + 1), config.test_size, config.length
    )
    logits, stats = eqx.filter_jit(jax.vmap(lambda b: model(b, return_stats=True)))(bits)
    correct = np.asarray(logits > 0) == parity.astype(bool)
    return SequenceTrainingResult(
        model=model,
        sequence_accuracy=float(correct[:, -1].mean()),
        position_accuracy=float(correct.mean()),
        forward_steps=float(jnp.mean(stats.num_steps)),
        losses=losses,
        final_loss=losses[-1],
        wall_time_s=time.perf_counter() - start,
    )
