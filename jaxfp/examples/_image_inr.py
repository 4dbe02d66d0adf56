"""An implicit neural representation (INR) as a DEQ: pixel coordinates ↦ intensity, fitted to
scikit-learn's bundled photograph `china.jpg` (grayscale, downsampled; no download), and the
same model unrolled for a fixed number of steps as the baseline."""

import dataclasses
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, Float, PRNGKeyArray

from .. import Anderson
from .._misc import check_positive, check_positive_int
from ..nn import DEQ, prepare_cell
from ._digits_mlp import TanhCell

MAX_SIDE = 427  # the photograph's height


def load_sample_image_gray(side: int = 32) -> np.ndarray:
    """scikit-learn's `china.jpg` as a `side × side` grayscale image in [0, 1] (float32).

    The photograph (427 × 640) is cropped to its central square and block-averaged.

    Raises:
        ValueError: if `side` is not an int in [2, 427] (`MAX_SIDE`).

    Example:
        >>> load_sample_image_gray(16).shape
        (16, 16)
    """
    from sklearn.datasets import load_sample_image

    if not (isinstance(side, int) and 2 <= side <= MAX_SIDE):
        raise ValueError(f"`side` must be an int in [2, {MAX_SIDE}], got {side!r}.")
    image = load_sample_image("china.jpg").mean(axis=-1) / 255.0
    block = image.shape[0] // side
    top, left = (image.shape[0] - block * side) // 2, (image.shape[1] - block * side) // 2
    square = image[top : top + block * side, left : left + block * side]
    return square.reshape(side, block, side, block).mean(axis=(1, 3)).astype(np.float32)


def pixel_coordinates(side: int) -> Float[Array, "pixels 2"]:
    """The centres of a `side × side` grid in [-1, 1]², row-major like `image.ravel()`."""
    axis = (jnp.arange(side) + 0.5) / side * 2 - 1
    rows, cols = jnp.meshgrid(axis, axis, indexing="ij")
    return jnp.stack([rows.ravel(), cols.ravel()], axis=-1)


def fourier_features(coordinate: Float[Array, " 2"], frequencies: int) -> Float[Array, " n"]:
    """(c, sin(2^k π c), cos(2^k π c)) for k < `frequencies`: 2 + 4 `frequencies` features.

    Example:
        >>> fourier_features(jnp.zeros(2), 3).shape
        (14,)
    """
    scaled = jnp.pi * 2.0 ** jnp.arange(frequencies)[:, None] * coordinate
    return jnp.concatenate([coordinate, jnp.sin(scaled).ravel(), jnp.cos(scaled).ravel()])


class ImageDEQ(eqx.Module):
    """Fourier features of (row, column) → linear → DEQ(`TanhCell`) → linear → intensity.

    `__call__` solves the equilibrium; `unrolled(coordinate, steps)` runs the same cell with the
    same parameters for a fixed number of steps from zero (the unrolled baseline).

    Args:
        width: size of the equilibrium state.
        frequencies: Fourier feature octaves (features sin/cos(2^k π c), k < frequencies).
        max_steps: most forward steps of the DEQ.
        tolerance: rtol = atol of its Anderson solve.
        key: random key.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> model = ImageDEQ(width=8, key=jax.random.key(0))
        >>> model(jnp.zeros(2)).shape, model.unrolled(jnp.zeros(2), 3).shape
        ((), ())
    """

    encoder: eqx.nn.Linear
    deq: DEQ
    head: eqx.nn.Linear
    frequencies: int = eqx.field(static=True)

    def __init__(
        self,
        width: int = 64,
        *,
        frequencies: int = 6,
        max_steps: int = 20,
        tolerance: float = 1e-3,
        key: PRNGKeyArray,
    ):
        key_encoder, key_cell, key_head = jax.random.split(key, 3)
        self.frequencies = frequencies
        self.encoder = eqx.nn.Linear(2 + 4 * frequencies, width, key=key_encoder)
        solver = Anderson(rtol=tolerance, atol=tolerance)
        self.deq = DEQ(TanhCell(width, key=key_cell), solver, max_steps=max_steps)
        self.head = eqx.nn.Linear(width, "scalar", key=key_head)

    def features(self, coordinate: Float[Array, " 2"]) -> Float[Array, " width"]:
        """The DEQ input of one pixel coordinate."""
        return self.encoder(fourier_features(coordinate, self.frequencies))

    def __call__(self, coordinate: Float[Array, " 2"], *, return_stats: bool = False):
        """The intensity at `coordinate` (and the DEQ's `DEQStats` with `return_stats=True`)."""
        z, stats = self.deq(self.features(coordinate), return_stats=True)
        value = self.head(z)
        return (value, stats) if return_stats else value

    def unrolled(self, coordinate: Float[Array, " 2"], steps: int) -> Float[Array, ""]:
        """The intensity after `steps` cell steps from z = 0, differentiated through the steps."""
        x = self.features(coordinate)
        cell = prepare_cell(self.deq.cell)
        z, _ = jax.lax.scan(lambda z, _: (cell(z, x), None), jnp.zeros_like(x), length=steps)
        return self.head(z)


@dataclasses.dataclass(frozen=True)
class ImageFitConfig:
    """Settings of `fit_image`: image `side`, model `width` and `frequencies`, full-batch Adam
    `iterations` at `learning_rate` (cosine decay), the DEQ's `max_steps` and `tolerance`, the
    baseline's `unrolled_steps` (default: `max_steps`), and `seed`."""

    side: int = 32
    width: int = 64
    frequencies: int = 6
    iterations: int = 500
    learning_rate: float = 3e-3
    max_steps: int = 20
    tolerance: float = 1e-3
    unrolled_steps: int | None = None
    seed: int = 0

    def initial_model(self) -> ImageDEQ:
        """The untrained `ImageDEQ` of these settings (initialised from `seed`)."""
        return ImageDEQ(
            self.width,
            frequencies=self.frequencies,
            max_steps=self.max_steps,
            tolerance=self.tolerance,
            key=jax.random.key(self.seed),
        )

    def __post_init__(self):
        if not (isinstance(self.side, int) and 2 <= self.side <= MAX_SIDE):
            raise ValueError(f"`side` must be an int in [2, {MAX_SIDE}], got {self.side!r}.")
        for name in ("width", "frequencies", "iterations", "max_steps"):
            object.__setattr__(self, name, check_positive_int(getattr(self, name), name))
        if self.unrolled_steps is not None:
            steps = check_positive_int(self.unrolled_steps, "unrolled_steps")
            object.__setattr__(self, "unrolled_steps", steps)
        for name in ("learning_rate", "tolerance"):
            object.__setattr__(self, name, check_positive(getattr(self, name), name))


@dataclasses.dataclass(frozen=True)
class ImageFitResult:
    """What `fit_image` returns: PSNR (dB) of the DEQ and of the unrolled baseline (same
    initial parameters, same parameter count), the DEQ's mean forward steps at the end, the
    baseline's steps, both reconstructions, the target and the wall times (s)."""

    deq_psnr_db: float
    unrolled_psnr_db: float
    deq_forward_steps: float
    unrolled_steps: int
    parameter_count: int
    deq_image: np.ndarray
    unrolled_image: np.ndarray
    target: np.ndarray
    deq_time_s: float
    unrolled_time_s: float


def psnr(estimate, target) -> float:
    """Peak signal-to-noise ratio (dB) for intensities in [0, 1]: 10 log10(1 / MSE)."""
    return float(10 * jnp.log10(1.0 / jnp.mean((jnp.asarray(estimate) - target) ** 2)))


def fit_step(predict, coordinates, target, config: "ImageFitConfig"):
    """The full-batch training step of `fit_image`: `(optimizer, step)` with
    `step(model, state) -> (model, state)` one compiled Adam step (cosine decay) on the mean
    squared error of `predict(model, coordinate)` over every pixel.

    Example:
        >>> config = ImageFitConfig(side=4, width=4, iterations=2)
        >>> coordinates = pixel_coordinates(4)
        >>> target = jnp.zeros(16)
        >>> optimizer, step = fit_step(lambda m, c: m(c), coordinates, target, config)
        >>> model = ImageDEQ(4, key=jax.random.key(0))
        >>> model, state = step(model, optimizer.init(eqx.filter(model, eqx.is_array)))
    """
    optimizer = optax.adam(optax.cosine_decay_schedule(config.learning_rate, config.iterations))

    def loss(model):
        return jnp.mean((jax.vmap(lambda c: predict(model, c))(coordinates) - target) ** 2)

    @eqx.filter_jit
    def step(model, state):
        grads = eqx.filter_grad(loss)(model)
        updates, state = optimizer.update(grads, state, eqx.filter(model, eqx.is_array))
        return eqx.apply_updates(model, updates), state

    return optimizer, step


def _fit(model, predict, coordinates, target, config):
    optimizer, step = fit_step(predict, coordinates, target, config)
    start = time.perf_counter()
    state = optimizer.init(eqx.filter(model, eqx.is_array))
    for _ in range(config.iterations):
        model, state = step(model, state)
    image = eqx.filter_jit(jax.vmap(lambda c: predict(model, c)))(coordinates)
    return model, np.asarray(image), time.perf_counter() - start


def fit_image(config: ImageFitConfig = ImageFitConfig()) -> ImageFitResult:
    """Fit `ImageDEQ` and its unrolled baseline to `load_sample_image_gray(config.side)`.

    Args:
        config: an `ImageFitConfig`.

    Returns:
        An `ImageFitResult`.

    Example:
        >>> result = fit_image(ImageFitConfig(side=8, width=8, iterations=5))
        >>> result.deq_image.shape, result.deq_psnr_db > 0
        ((64,), True)
    """
    target = jnp.asarray(load_sample_image_gray(config.side).ravel())
    coordinates = pixel_coordinates(config.side)
    model = config.initial_model()
    steps = config.max_steps if config.unrolled_steps is None else config.unrolled_steps
    deq_model, deq_image, deq_time_s = _fit(model, lambda m, c: m(c), coordinates, target, config)
    _, unrolled_image, unrolled_time_s = _fit(
        model, lambda m, c: m.unrolled(c, steps), coordinates, target, config
    )
    _, stats = jax.vmap(lambda c: deq_model(c, return_stats=True))(coordinates)
    return ImageFitResult(
        deq_psnr_db=psnr(deq_image, target),
        unrolled_psnr_db=psnr(unrolled_image, target),
        deq_forward_steps=float(jnp.mean(stats.num_steps)),
        unrolled_steps=steps,
        parameter_count=sum(leaf.size for leaf in jax.tree.leaves(eqx.filter(model, eqx.is_array))),
        deq_image=deq_image,
        unrolled_image=unrolled_image,
        target=np.asarray(target),
        deq_time_s=deq_time_s,
        unrolled_time_s=unrolled_time_s,
    )
