"""Training loop of the digits DEQ with Optax, with per-epoch solver diagnostics."""

import dataclasses
import time
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from .. import Anderson, ImplicitAdjoint, OneStepAdjoint, PhantomAdjoint, UnrolledAdjoint
from ..nn import jacobian_penalty
from ._digits_data import DigitsData, load_digits_split
from ._digits_mlp import DigitsDEQ

# The adjoints `DigitsTrainingConfig.adjoint` names (also the CLI's `--adjoint` choices).
ADJOINTS = {
    "implicit": ImplicitAdjoint,
    "phantom": PhantomAdjoint,
    "one-step": OneStepAdjoint,
    "unrolled": UnrolledAdjoint,
}


@dataclasses.dataclass(frozen=True)
class DigitsTrainingConfig:
    """Settings of `train_digits_deq` (the defaults reach ≥ 96% test accuracy).

    - `width`: size of the equilibrium state.
    - `epochs`, `batch_size`, `learning_rate`: Adam with cosine decay.
    - `jacobian_penalty`: weight of the Hutchinson ‖J‖_F² / width penalty at z* (0 = off).
    - `tolerance`: rtol = atol of the forward Anderson solve.
    - `max_steps`: most forward steps.
    - `adjoint`: one of `ADJOINTS` ("implicit", "phantom", "one-step", "unrolled").
    - `test_fraction`, `seed`: the held-out split and all randomness.
    """

    width: int = 64
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 3e-3
    jacobian_penalty: float = 0.0
    tolerance: float = 1e-3
    max_steps: int = 40
    adjoint: str = "implicit"
    test_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self):
        for name in ("width", "epochs", "batch_size", "max_steps"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= 1):
                raise ValueError(f"`{name}` must be a positive int, got {value!r}.")
        if not self.learning_rate > 0:
            raise ValueError(f"`learning_rate` must be > 0, got {self.learning_rate}.")
        if not self.tolerance > 0:
            raise ValueError(f"`tolerance` must be > 0, got {self.tolerance}.")
        if not self.jacobian_penalty >= 0:
            raise ValueError(f"`jacobian_penalty` must be >= 0, got {self.jacobian_penalty}.")
        if self.adjoint not in ADJOINTS:
            raise ValueError(f"`adjoint` must be one of {sorted(ADJOINTS)}, got {self.adjoint!r}.")
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"`test_fraction` must lie in (0, 1), got {self.test_fraction}.")


@dataclasses.dataclass(frozen=True)
class EpochRecord:
    """Diagnostics after one epoch: mean training loss, test accuracy, mean forward steps (over
    the epoch's training batches), mean backward steps (implicit backward solves on the test
    set; -1 for other adjoints), and seconds since training started."""

    epoch: int
    train_loss: float
    test_accuracy: float
    forward_steps: float
    backward_steps: float
    elapsed: float


@dataclasses.dataclass(frozen=True)
class DigitsTrainingResult:
    """What `train_digits_deq` returns: the trained model, the per-epoch history, the final
    test accuracy, the wall time (seconds, compilation included) and mean solver steps."""

    model: DigitsDEQ
    history: list[EpochRecord]
    test_accuracy: float
    wall_time: float
    mean_forward_steps: float
    mean_backward_steps: float


def _loss(model: DigitsDEQ, images, labels, key, penalty_weight: float):
    features = jax.vmap(model.features)(images)
    z, stats = jax.vmap(lambda x: model.deq(x, return_stats=True))(features)
    logits = jax.vmap(model.head)(z)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
    if penalty_weight > 0:
        keys = jax.random.split(key, images.shape[0])
        penalties = jax.vmap(lambda zi, xi, k: jacobian_penalty(model.deq.cell, zi, xi, key=k))(
            z, features, keys
        )
        loss = loss + penalty_weight * jnp.mean(penalties) / z.shape[-1]
    return loss, stats


@eqx.filter_jit
def _train_step(model, opt_state, optimizer, images, labels, key, penalty_weight):
    (loss, stats), grads = eqx.filter_value_and_grad(_loss, has_aux=True)(
        model, images, labels, key, penalty_weight
    )
    updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_array))
    model = eqx.apply_updates(model, updates)
    return model, opt_state, loss, jnp.mean(stats.num_steps)


@eqx.filter_jit
def _evaluate(model: DigitsDEQ, images, labels, batch_size: int):
    """Test accuracy, and mean implicit backward steps for the batch-mean cross-entropy."""
    features = jax.vmap(model.features)(images)
    z = jax.vmap(model.deq)(features)
    logits = jax.vmap(model.head)(z)
    correct = jnp.mean(jnp.argmax(logits, axis=-1) == labels)
    if not isinstance(model.deq.adjoint, ImplicitAdjoint):
        return correct, jnp.array(-1.0)

    def cotangent(zi, label):
        ce = lambda zz: optax.softmax_cross_entropy_with_integer_labels(model.head(zz), label)
        return jax.grad(ce)(zi) / batch_size

    cotangents = jax.vmap(cotangent)(z, labels)
    backward = jax.vmap(model.deq.backward_solve)(features, z, cotangents)
    return correct, jnp.mean(backward.num_steps.astype(jnp.float32))


def train_digits_deq(
    config: DigitsTrainingConfig = DigitsTrainingConfig(),
    *,
    data: DigitsData | None = None,
    on_step: Callable[[int, float], None] | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> DigitsTrainingResult:
    """Train `DigitsDEQ` on scikit-learn's digits with Adam and report test accuracy.

    Args:
        config: a `DigitsTrainingConfig`.
        data: a `DigitsData` split (default: `load_digits_split(config.test_fraction,
            config.seed)`).
        on_step: called after every training step with (step, loss), e.g. a progress bar.
        on_epoch: called with each `EpochRecord`.

    Returns:
        A `DigitsTrainingResult`.

    Example:
        >>> config = DigitsTrainingConfig(width=16, epochs=1)
        >>> result = train_digits_deq(config)
        >>> 0.0 <= result.test_accuracy <= 1.0
        True
    """
    start = time.perf_counter()
    data = load_digits_split(config.test_fraction, config.seed) if data is None else data
    key = jax.random.key(config.seed)
    key, model_key = jax.random.split(key)
    solver = Anderson(rtol=config.tolerance, atol=config.tolerance)
    model = DigitsDEQ(
        config.width,
        solver=solver,
        adjoint=ADJOINTS[config.adjoint](),
        max_steps=config.max_steps,
        key=model_key,
    )
    num_train = data.train_images.shape[0]
    steps_per_epoch = num_train // config.batch_size
    schedule = optax.cosine_decay_schedule(config.learning_rate, config.epochs * steps_per_epoch)
    optimizer = optax.adam(schedule)
    opt_state = optimizer.init(eqx.filter(model, eqx.is_array))
    rng = np.random.default_rng(config.seed)
    history, step = [], 0
    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(num_train)
        losses, forward_steps = [], []
        for batch in range(steps_per_epoch):
            index = order[batch * config.batch_size : (batch + 1) * config.batch_size]
            key, step_key = jax.random.split(key)
            model, opt_state, loss, steps = _train_step(
                model,
                opt_state,
                optimizer,
                data.train_images[index],
                data.train_labels[index],
                step_key,
                config.jacobian_penalty,
            )
            losses.append(loss)
            forward_steps.append(steps)
            step += 1
            if on_step is not None:
                on_step(step, float(loss))
        test_accuracy, backward_steps = _evaluate(
            model, data.test_images, data.test_labels, config.batch_size
        )
        record = EpochRecord(
            epoch=epoch,
            train_loss=float(np.mean(jax.device_get(losses))),
            test_accuracy=float(test_accuracy),
            forward_steps=float(np.mean(jax.device_get(forward_steps))),
            backward_steps=float(backward_steps),
            elapsed=time.perf_counter() - start,
        )
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return DigitsTrainingResult(
        model=model,
        history=history,
        test_accuracy=history[-1].test_accuracy,
        wall_time=time.perf_counter() - start,
        mean_forward_steps=float(np.mean([r.forward_steps for r in history])),
        mean_backward_steps=float(np.mean([r.backward_steps for r in history])),
    )
