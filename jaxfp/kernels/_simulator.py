"""A finite-width simulator of random MLPs, to hold P2's mean-field kernel maps against.

Layer ℓ maps h to sqrt(1 − r²) N_post(φ(N_pre(W h / sqrt(d))) / C) + r P h / sqrt(d), with W and
P of i.i.d. zero-mean unit-variance entries (normal, or uniform on [−sqrt 3, sqrt 3]), N_pre and
N_post the chosen LayerNorm / RMSNorm (or nothing), φ / C the normalised activation (P2 §2, §5).
Input pairs have unit mean square and exact cosine ρ_0. Everything is batched with `vmap`:
over seeds (each seed draws its own weights and inputs) and over input pairs (which share a
network, as in a real model).

The faithful check of the mean field (docs/theory.md, "Finite width") uses RMSNorm after the
activation and cosine similarity; without normalisation the squared norm drifts when the
variance map V has V'(1) > 1 (GELU, exp), and the raw similarity drifts with it.
"""

import math
from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, PRNGKeyArray

from .._misc import check_key, is_floating_dtype
from .._validation import check_callable
from ._activation_type import KernelActivation
from ._architectures import Architecture, as_architecture
from ._hermite import normalization_constant
from ._kernel_maps import check_correlations
from ._theorem1 import kernel_sequence

WEIGHT_DISTRIBUTIONS = ("normal", "uniform")
# Keeps LayerNorm / RMSNorm finite on an all-zero vector; far below any real variance.
_NORM_EPSILON = 1e-12
# A `progress` callback hears of the layers done this many times per run at the most.
_PROGRESS_REPORTS = 1000


class SimulationResult(eqx.Module):
    """Empirical similarity sequences of simulated networks beside the mean-field prediction.

    The fields (L = depth; index 0 is the input):
    - `rho0`: the input cosines, shape `(pairs,)`.
    - `cosine`: cosine similarity ⟨h_x, h_y⟩ / (‖h_x‖ ‖h_y‖), shape `(seeds, pairs, L + 1)`.
    - `raw`: raw similarity ⟨h_x, h_y⟩ / d, same shape.
    - `squared_norm`: (‖h_x‖² + ‖h_y‖²) / (2d), same shape (1 in the mean field).
    - `mean_field`: ρ_ℓ = κ^ℓ(ρ_0), shape `(pairs, L + 1)`.

    Read off as properties: `cosine_mean`, `cosine_stderr`, `raw_mean`, `raw_stderr`,
    `max_deviation` and `first_undefined_layer`.

    Example:
        >>> import jax, jaxfp.kernels as jk
        >>> tanh = jk.get_activation("tanh")
        >>> result = jk.simulate_similarity(tanh, [0.5], width=64, depth=3, num_seeds=2,
        ...                                 key=jax.random.key(0))
        >>> result.cosine.shape
        (2, 1, 4)
    """

    rho0: Float[Array, " pairs"]
    cosine: Float[Array, "seeds pairs layers"]
    raw: Float[Array, "seeds pairs layers"]
    squared_norm: Float[Array, "seeds pairs layers"]
    mean_field: Float[Array, "pairs layers"]

    @property
    def cosine_mean(self) -> Float[Array, "pairs layers"]:
        """Mean cosine similarity over seeds."""
        return jnp.mean(self.cosine, axis=0)

    @property
    def cosine_stderr(self) -> Float[Array, "pairs layers"]:
        """Standard error of the mean cosine over seeds (NaN with one seed: one sample shows
        no spread)."""
        return _stderr(self.cosine)

    @property
    def raw_mean(self) -> Float[Array, "pairs layers"]:
        """Mean raw similarity over seeds."""
        return jnp.mean(self.raw, axis=0)

    @property
    def raw_stderr(self) -> Float[Array, "pairs layers"]:
        """Standard error of the mean raw similarity over seeds (NaN with one seed)."""
        return _stderr(self.raw)

    @property
    def max_deviation(self) -> float:
        """max over pairs and layers of |mean cosine − mean field|; NaN when some layer's cosine
        is undefined (see `first_undefined_layer`)."""
        if self.first_undefined_layer is not None:
            return math.nan
        return float(jnp.max(jnp.abs(self.cosine_mean - self.mean_field)))

    @property
    def first_undefined_layer(self) -> int | None:
        """The first layer where some seed's cosine is not finite (a state vector underflowed
        to 0 or overflowed: deep networks without normalisation in float32), or None."""
        bad = np.flatnonzero(~np.all(np.isfinite(np.asarray(self.cosine)), axis=(0, 1)))
        return int(bad[0]) if bad.size else None


def _stderr(samples: Array) -> Array:
    count = samples.shape[0]
    if count < 2:
        return jnp.full(samples.shape[1:], jnp.nan, samples.dtype)
    return jnp.std(samples, axis=0, ddof=1) / math.sqrt(count)


def _layer_norm(x: Array) -> Array:
    centered = x - jnp.mean(x, axis=-1, keepdims=True)
    return centered / jnp.sqrt(jnp.mean(centered**2, axis=-1, keepdims=True) + _NORM_EPSILON)


def _rms_norm(x: Array) -> Array:
    return x / jnp.sqrt(jnp.mean(x**2, axis=-1, keepdims=True) + _NORM_EPSILON)


def _sample(key: PRNGKeyArray, shape: tuple[int, ...], weights: str, dtype) -> Array:
    if weights == "normal":
        return jax.random.normal(key, shape, dtype)
    bound = math.sqrt(3.0)
    return jax.random.uniform(key, shape, dtype, -bound, bound)


def _input_pairs(key: PRNGKeyArray, rho0: Array, width: int, dtype) -> Array:
    """x, y with ‖x‖² = ‖y‖² = d and cosine exactly ρ_0; shape (2 · pairs, d)."""

    def one(pair_key, rho):
        first, second = jax.random.normal(pair_key, (2, width), dtype)
        u = first / jnp.linalg.norm(first)
        v = second - jnp.dot(u, second) * u
        v = v / jnp.linalg.norm(v)
        scale = math.sqrt(width)
        return jnp.stack([u * scale, (rho * u + jnp.sqrt(1.0 - rho * rho) * v) * scale])

    pairs = jax.vmap(one)(jax.random.split(key, rho0.shape[0]), rho0.astype(dtype))
    return pairs.reshape(-1, width)


def _statistics(h: Array) -> tuple[Array, Array, Array]:
    x, y = h[0::2], h[1::2]
    width = h.shape[-1]
    dot = jnp.sum(x * y, axis=-1)
    norm_x, norm_y = jnp.sum(x * x, axis=-1), jnp.sum(y * y, axis=-1)
    cosine = dot / jnp.sqrt(norm_x * norm_y)
    return cosine, dot / width, 0.5 * (norm_x + norm_y) / width


@eqx.filter_jit
def _simulate(
    architecture: Architecture,
    rho0: Array,
    keys: Array,
    constant: Array,
    width: int,
    depth: int,
    weights: str,
    dtype,
    residual_active: bool,
    progress: Callable[[int], None] | None,
):
    activation = architecture.activation
    normalization = architecture.normalization
    r = jnp.asarray(architecture.residual, dtype)
    scale = 1.0 / math.sqrt(width)

    def network(key):
        input_key, layers_key = jax.random.split(key)
        h = _input_pairs(input_key, rho0, width, dtype)

        def layer(h, scanned):
            layer_key, index = scanned
            if progress is not None:
                # `index` is not batched over seeds: one report per layer, not per seed.
                every = max(1, depth // _PROGRESS_REPORTS)
                done = index + 1
                report = lambda n: jax.debug.callback(lambda m: progress(int(m)), n)
                jax.lax.cond((done % every == 0) | (done == depth), report, lambda n: None, done)
            weight_key, skip_key = jax.random.split(layer_key)
            pre = h @ _sample(weight_key, (width, width), weights, dtype).T * scale
            if normalization == "ln-pre":
                pre = _layer_norm(pre)
            elif normalization == "rms-pre":
                pre = _rms_norm(pre)
            branch = (activation(pre) / constant).astype(dtype)
            if normalization == "ln-post":
                branch = _layer_norm(branch)
            elif normalization == "rms-post":
                branch = _rms_norm(branch)
            if residual_active:
                skip = h @ _sample(skip_key, (width, width), weights, dtype).T * scale
                branch = jnp.sqrt(1.0 - r * r) * branch + r * skip
            return branch, _statistics(branch)

        scanned = (jax.random.split(layers_key, depth), jnp.arange(depth))
        _, trajectory = jax.lax.scan(layer, h, scanned)
        first = _statistics(h)
        return tuple(
            jnp.concatenate([start[None], later], axis=0).T
            for start, later in zip(first, trajectory, strict=True)
        )

    return jax.vmap(network)(keys)


def simulate_similarity(
    model: KernelActivation | Architecture,
    rho0: Float[ArrayLike, " pairs"],
    *,
    width: int,
    depth: int,
    num_seeds: int,
    key: PRNGKeyArray,
    weights: str = "normal",
    dtype=jnp.float32,
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Simulate random MLPs of width d and depth L and record the similarity of input pairs.

    Args:
        model: a `KernelActivation` or `Architecture` (residual strength, normalisation).
        rho0: input cosines in [−1, 1], one pair per value.
        width, depth, num_seeds: d, L, and the number of independent networks.
        key: a JAX PRNG key.
        weights: `"normal"` or `"uniform"` (both zero mean, unit variance).
        dtype: dtype of the simulation (default float32; the mean field uses JAX's default).
        progress: called on the host as `progress(layers_done)` up to 1000 times while the
            layers run (the last call with `depth`), e.g. to move a progress bar; None: silent.

    Returns:
        A `SimulationResult` with the mean-field ρ_ℓ beside the empirical values.

    Raises:
        ValueError: for a bad model, a non-positive size, `rho0` outside [−1, 1] or
            not 1-D, an unknown `weights`, a `dtype` that is not floating, a `key` that is not
            a JAX random key, or a `progress` that is not callable.

    Example:
        >>> import jax, jaxfp.kernels as jk
        >>> arch = jk.Architecture(jk.get_activation("relu"), normalization="rms-post")
        >>> result = jk.simulate_similarity(arch, [0.2, 0.8], width=256, depth=5, num_seeds=2,
        ...                                 key=jax.random.key(1))
        >>> result.max_deviation < 0.1
        True
    """
    architecture = as_architecture(model)
    for name, value, minimum in (
        ("width", width, 2),
        ("depth", depth, 1),
        ("num_seeds", num_seeds, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
            raise ValueError(f"`{name}` must be an integer >= {minimum}, got {value!r}.")
    check_callable(progress, "progress")
    check_key(key)
    if weights not in WEIGHT_DISTRIBUTIONS:
        raise ValueError(f"`weights` must be one of {WEIGHT_DISTRIBUTIONS}, got {weights!r}.")
    if not is_floating_dtype(dtype):
        raise ValueError(f"`dtype` must be a floating dtype (e.g. jnp.float32), got {dtype!r}.")
    check_correlations(rho0, "rho0")
    rho0_array = np.clip(np.asarray(rho0, dtype=float), -1.0, 1.0)
    if rho0_array.ndim != 1 or rho0_array.size == 0:
        raise ValueError(f"`rho0` must be a non-empty 1-D list of cosines, got {rho0!r}.")
    residual_active = not (
        isinstance(architecture.residual, (int, float)) and architecture.residual == 0.0
    )
    constant = normalization_constant(architecture.activation).astype(dtype)
    cosine, raw, squared_norm = _simulate(
        architecture,
        jnp.asarray(rho0_array, dtype),
        jax.random.split(key, int(num_seeds)),
        constant,
        int(width),
        int(depth),
        weights,
        dtype,
        residual_active,
        progress,
    )
    mean_field = kernel_sequence(architecture, jnp.asarray(rho0_array), int(depth))
    return SimulationResult(
        rho0=jnp.asarray(rho0_array),
        cosine=cosine,
        raw=raw,
        squared_norm=squared_norm,
        mean_field=mean_field,
    )
