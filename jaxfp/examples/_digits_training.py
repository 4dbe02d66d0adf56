"""Training loop of the digits DEQs (dense or convolutional cell) with Optax, with per-epoch
solver diagnostics."""

import dataclasses
import math
import time
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
import optimistix as optx

from .. import (
    Anderson,
    AndersonLinearSolver,
    ImplicitAdjoint,
    OneStepAdjoint,
    PhantomAdjoint,
    UnrolledAdjoint,
)
from .._misc import check_nonnegative, check_positive, check_positive_int
from .._validation import check_real
from ..nn import DEQ, jacobian_penalty
from ._digits_conv import ConvDigitsDEQ
from ._digits_data import IMAGE_SIDE, DigitsData, load_digits_split
from ._digits_mlp import DigitsDEQ
from ._digits_model import DEQSettings

# The adjoints `DigitsTrainingConfig.adjoint` names (also the CLI's `--adjoint` choices).
ADJOINTS = {
    "implicit": ImplicitAdjoint,
    "phantom": PhantomAdjoint,
    "one-step": OneStepAdjoint,
    "unrolled": UnrolledAdjoint,
}

# The norms of the forward stopping rule `DigitsTrainingConfig.norm` names (the CLI's `--norm`).
NORMS = {"max": optx.max_norm, "rms": optx.rms_norm}

# The models `DigitsTrainingConfig.model` names (also the CLI's `--model` choices), each with
# the settings `DigitsTrainingConfig.for_model` starts from.
MODELS = {
    "mlp": {},
    "conv": {
        "width": 16,
        "epochs": 15,
        "learning_rate": 2e-3,
        # The RMS norm at 5e-4 stops every sample no earlier than torchdeq's per-sample
        # ‖f(z) − z‖ / ‖f(z)‖ < 1e-3 (benchmarks/README.md, "DEQ models").
        "tolerance": 5e-4,
        "norm": "rms",
        "max_steps": 30,
        "backward_tolerance": 1e-4,
        "backward_max_steps": 40,
        "augment": True,
    },
}


@dataclasses.dataclass(frozen=True)
class DigitsTrainingConfig:
    """Settings of `train_digits_deq` (the defaults train the dense model to ≥ 96% test
    accuracy; `DigitsTrainingConfig.for_model("conv")` trained the convolutional one to 98.9%
    in benchmarks/results/deq_conv_training.json).

    - `model`: one of `MODELS`: "mlp" (`DigitsDEQ`) or "conv" (`ConvDigitsDEQ`).
    - `width`: size of the equilibrium state ("mlp") or its channels ("conv", with twice as
      many inside the cell).
    - `epochs`, `batch_size`, `learning_rate`: Adam with cosine decay.
    - `jacobian_penalty`: weight of the Hutchinson ‖J‖_F² / width penalty at z* (0 = off).
    - `tolerance`: rtol = atol of the forward Anderson solve.
    - `norm`: the norm of its stopping rule, one of `NORMS`: "max" (`optimistix.max_norm`, every
      entry within tolerance) or "rms" (`optimistix.rms_norm`, their root mean square).
    - `max_steps`: most forward steps.
    - `adjoint`: one of `ADJOINTS` ("implicit", "phantom", "one-step", "unrolled").
    - `backward_tolerance`, `backward_max_steps`: rtol (atol a tenth of it) and most steps of
      the implicit adjoint's backward solve (`jaxfp.AndersonLinearSolver`); under the DEQ's
      best-effort default a backward solve that stops at `backward_max_steps` keeps its
      lowest-residual iterate.
    - `augment`: shift every training image by up to one pixel in each direction (a new
      random shift per epoch).
    - `test_fraction`, `seed`: the held-out split and all randomness.
    """

    model: str = "mlp"
    width: int = 64
    epochs: int = 30
    batch_size: int = 64
    learning_rate: float = 3e-3
    jacobian_penalty: float = 0.0
    tolerance: float = 1e-3
    norm: str = "max"
    max_steps: int = 40
    adjoint: str = "implicit"
    backward_tolerance: float = 1e-5
    backward_max_steps: int = 200
    augment: bool = False
    test_fraction: float = 0.2
    seed: int = 0

    def __post_init__(self):
        for name in ("width", "epochs", "batch_size", "max_steps", "backward_max_steps"):
            object.__setattr__(self, name, check_positive_int(getattr(self, name), name))
        for name in ("learning_rate", "tolerance", "backward_tolerance"):
            object.__setattr__(self, name, check_positive(getattr(self, name), name))
        penalty = check_nonnegative(self.jacobian_penalty, "jacobian_penalty")
        object.__setattr__(self, "jacobian_penalty", penalty)
        if self.model not in MODELS:
            raise ValueError(f"`model` must be one of {sorted(MODELS)}, got {self.model!r}.")
        if self.norm not in NORMS:
            raise ValueError(f"`norm` must be one of {sorted(NORMS)}, got {self.norm!r}.")
        if self.adjoint not in ADJOINTS:
            raise ValueError(f"`adjoint` must be one of {sorted(ADJOINTS)}, got {self.adjoint!r}.")
        check_real(self.test_fraction, "test_fraction", 0, 1, open_lower=True)

    @classmethod
    def for_model(cls, model: str, **overrides) -> "DigitsTrainingConfig":
        """The default settings of `model` (one of `MODELS`), with `overrides` applied.

        Raises:
            ValueError: for an unknown `model` or a bad setting.

        Example:
            >>> DigitsTrainingConfig.for_model("conv", epochs=2).width
            16
        """
        if model not in MODELS:
            raise ValueError(f"`model` must be one of {sorted(MODELS)}, got {model!r}.")
        return cls(**{"model": model, **MODELS[model], **overrides})


@dataclasses.dataclass(frozen=True)
class EpochRecord:
    """Diagnostics after one epoch, as means over its training steps' `StepMetrics`: training
    loss, forward steps, backward steps (the implicit backward solves of the training batches;
    -1 for other adjoints) and the fraction of samples whose forward solve missed its
    tolerance (`DEQStats.inexact`); then the test accuracy and the seconds since training
    started."""

    epoch: int
    train_loss: float
    test_accuracy: float
    forward_steps: float
    backward_steps: float
    inexact_fraction: float
    elapsed_time_s: float


@dataclasses.dataclass(frozen=True)
class DigitsTrainingResult:
    """What `train_digits_deq` returns: the trained model, the per-epoch history, the final
    test accuracy, the wall time (seconds, compilation included) and mean solver steps."""

    model: DigitsDEQ | ConvDigitsDEQ
    history: list[EpochRecord]
    test_accuracy: float
    wall_time_s: float
    mean_forward_steps: float
    mean_backward_steps: float


def build_model(config: DigitsTrainingConfig, key) -> DigitsDEQ | ConvDigitsDEQ:
    """The untrained model `config` describes: its `model` and `width`, with the `DEQSettings`
    of its forward solve (`tolerance`, `norm`, `max_steps`) and its `adjoint`.

    Example:
        >>> import jax
        >>> config = DigitsTrainingConfig.for_model("conv", width=8)
        >>> type(build_model(config, jax.random.key(0))).__name__
        'ConvDigitsDEQ'
    """
    equilibrium = DEQSettings(
        max_steps=config.max_steps,
        solver=Anderson(rtol=config.tolerance, atol=config.tolerance, norm=NORMS[config.norm]),
        adjoint=_adjoint(config),
    )
    if config.model == "conv":
        groups = math.gcd(8, config.width)
        return ConvDigitsDEQ(
            config.width, 2 * config.width, groups=groups, equilibrium=equilibrium, key=key
        )
    return DigitsDEQ(config.width, equilibrium=equilibrium, key=key)


def _adjoint(config: DigitsTrainingConfig):
    if config.adjoint != "implicit":
        return ADJOINTS[config.adjoint]()
    tolerance = config.backward_tolerance
    linear_solver = AndersonLinearSolver(
        rtol=tolerance, atol=tolerance / 10, max_steps=config.backward_max_steps
    )
    return ImplicitAdjoint(linear_solver)


def shift_images(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Shift each flattened 8×8 image by −1, 0 or 1 pixel per axis (zeros fill the edge).

    Example:
        >>> import numpy as np
        >>> shifted = shift_images(np.ones((5, 64)), np.random.default_rng(0))
        >>> shifted.shape, bool(shifted.sum(axis=1).min() >= 49)
        ((5, 64), True)
    """
    count = len(images)
    padded = np.pad(images.reshape(count, IMAGE_SIDE, IMAGE_SIDE), ((0, 0), (1, 1), (1, 1)))
    offsets = rng.integers(0, 3, (2, count))
    rows = offsets[0][:, None] + np.arange(IMAGE_SIDE)
    cols = offsets[1][:, None] + np.arange(IMAGE_SIDE)
    shifted = padded[np.arange(count)[:, None, None], rows[:, :, None], cols[:, None, :]]
    return shifted.reshape(count, IMAGE_SIDE**2)


def _loss(params, images, labels, key, penalty_weight: float):
    model, probe = params
    features = jax.vmap(model.features)(images)
    if probe is None:
        z, stats = jax.vmap(lambda x: model.deq(x, return_stats=True))(features)
    else:
        solve = lambda x, p: model.deq(x, return_stats=True, backward_probe=p)
        z, stats = jax.vmap(solve)(features, probe)
    logits = jax.vmap(model.classify)(z)
    loss = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
    if penalty_weight > 0:
        keys = jax.random.split(key, images.shape[0])
        penalties = jax.vmap(lambda zi, xi, k: jacobian_penalty(model.deq.cell, zi, xi, key=k))(
            z, features, keys
        )
        loss = loss + penalty_weight * jnp.mean(penalties) / z[0].size
    return loss, stats


class StepMetrics(eqx.Module):
    """One training step's loss and its batch's solver statistics: mean forward steps, the
    fraction of inexact forward solves, and mean implicit backward steps (-1 for other
    adjoints), all per sample through `jaxfp.nn.DEQStats` and `jaxfp.nn.DEQ.backward_stats`."""

    loss: jax.Array
    forward_steps: jax.Array
    inexact_fraction: jax.Array
    backward_steps: jax.Array


@eqx.filter_jit
def train_step(model, opt_state, optimizer, images, labels, key, penalty_weight: float = 0.0):
    """One Adam step of a digits DEQ on a batch; returns `(model, opt_state, StepMetrics)`.

    With an implicit adjoint the per-sample backward statistics come from a
    `jaxfp.nn.DEQ.backward_probe` differentiated with the parameters (no extra backward solve).

    Example:
        >>> import equinox as eqx, jax, jax.numpy as jnp, optax
        >>> model = build_model(DigitsTrainingConfig(width=8), jax.random.key(0))
        >>> optimizer = optax.adam(1e-3)
        >>> opt_state = optimizer.init(eqx.filter(model, eqx.is_array))
        >>> images, labels = jnp.zeros((4, 64)), jnp.arange(4)
        >>> model, opt_state, metrics = train_step(
        ...     model, opt_state, optimizer, images, labels, jax.random.key(1))
        >>> bool(metrics.backward_steps >= 0)
        True
    """
    implicit = isinstance(model.deq.adjoint, ImplicitAdjoint)
    probe = DEQ.backward_probe(labels.shape) if implicit else None
    (loss, stats), (grads, probe_grad) = eqx.filter_value_and_grad(_loss, has_aux=True)(
        (model, probe), images, labels, key, penalty_weight
    )
    updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(model, eqx.is_array))
    model = eqx.apply_updates(model, updates)
    if implicit:
        backward = DEQ.backward_stats(probe_grad).num_steps
        backward_steps = jnp.mean(backward.astype(jnp.float32))
    else:
        backward_steps = jnp.array(-1.0)
    metrics = StepMetrics(loss, jnp.mean(stats.num_steps), stats.inexact_fraction, backward_steps)
    return model, opt_state, metrics


@eqx.filter_jit
def _test_accuracy(model, images, labels):
    logits = jax.vmap(model.classify)(jax.vmap(model.deq)(jax.vmap(model.features)(images)))
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels)


def train_digits_deq(
    config: DigitsTrainingConfig = DigitsTrainingConfig(),
    *,
    data: DigitsData | None = None,
    on_step: Callable[[int, float], None] | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> DigitsTrainingResult:
    """Train `DigitsDEQ` or `ConvDigitsDEQ` (`config.model`) on scikit-learn's digits with Adam
    and report test accuracy.

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
    model = build_model(config, model_key)
    num_train = data.train_images.shape[0]
    steps_per_epoch = num_train // config.batch_size
    schedule = optax.cosine_decay_schedule(config.learning_rate, config.epochs * steps_per_epoch)
    optimizer = optax.adam(schedule)
    opt_state = optimizer.init(eqx.filter(model, eqx.is_array))
    rng = np.random.default_rng(config.seed)
    train_images, train_labels = np.asarray(data.train_images), np.asarray(data.train_labels)
    history, step = [], 0
    for epoch in range(1, config.epochs + 1):
        order = rng.permutation(num_train)
        images = train_images[order]
        if config.augment:
            images = shift_images(images, rng)
        metrics = []
        for batch in range(steps_per_epoch):
            index = slice(batch * config.batch_size, (batch + 1) * config.batch_size)
            key, step_key = jax.random.split(key)
            model, opt_state, step_metrics = train_step(
                model,
                opt_state,
                optimizer,
                images[index],
                train_labels[order][index],
                step_key,
                config.jacobian_penalty,
            )
            metrics.append(step_metrics)
            step += 1
            if on_step is not None:
                on_step(step, float(step_metrics.loss))
        means = {
            field.name: float(np.mean(jax.device_get([getattr(m, field.name) for m in metrics])))
            for field in dataclasses.fields(StepMetrics)
        }
        record = EpochRecord(
            epoch=epoch,
            train_loss=means["loss"],
            test_accuracy=float(_test_accuracy(model, data.test_images, data.test_labels)),
            forward_steps=means["forward_steps"],
            backward_steps=means["backward_steps"],
            inexact_fraction=means["inexact_fraction"],
            elapsed_time_s=time.perf_counter() - start,
        )
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return DigitsTrainingResult(
        model=model,
        history=history,
        test_accuracy=history[-1].test_accuracy,
        wall_time_s=time.perf_counter() - start,
        mean_forward_steps=float(np.mean([r.forward_steps for r in history])),
        mean_backward_steps=float(np.mean([r.backward_steps for r in history])),
    )
