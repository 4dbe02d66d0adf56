"""Weight reparameterizations that keep an equilibrium cell well behaved.

Weight normalization is `equinox.nn.WeightNorm` (use it as it is, from equinox): it is
stateless and works inside a fixed-point solve as it is. Equinox's spectral normalization keeps
its power-iteration vectors in an `eqx.nn.State`, which a cell called inside a solver loop cannot
thread; `SpectralNorm` below is the stateless equivalent.
"""

from typing import Generic, TypeVar

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._misc import check_key, check_positive
from .._validation import check_count
from ._preparable import AbstractPreparable

_Layer = TypeVar("_Layer")


class SpectralNorm(AbstractPreparable, Generic[_Layer]):
    """Spectral normalization (Miyato et al. 2018) of a layer's weight, stateless.

    Each call replaces the weight W by `scale · W / σ̂(W)`, with σ̂ the largest singular value
    estimated by `num_iterations` power iterations from a stored vector (not differentiated
    through the iteration, as in Miyato et al.). With `scale < 1` a cell z ↦ φ(W z + U x) with
    1-Lipschitz φ is a contraction, so its fixed point exists, is unique and Picard converges.
    The normalized weight depends only on parameters: inside `jaxfp.nn.DEQ` it is computed once
    per solve (by `prepare`, the layer's `AbstractPreparable` hook), not at every solver step,
    and under `vmap` once per batch, not per example.

    Args:
        layer: the wrapped layer (e.g. `eqx.nn.Linear`); called with the normalized weight.
        weight_name: name of the weight field of `layer`.
        scale: target spectral norm of the weight.
        num_iterations: power iterations per call.
        key: random key for the stored power-iteration vector.

    Raises:
        ValueError: if `layer` has no weight `weight_name` or it is not a matrix, `scale` is
            not a finite number > 0, `num_iterations` not a positive int, or `key` not a JAX
            random key.

    Example:
        >>> import equinox as eqx, jax, jax.numpy as jnp
        >>> layer = eqx.nn.Linear(8, 8, key=jax.random.key(0))
        >>> normalized = SpectralNorm(layer, scale=0.9, key=jax.random.key(1))
        >>> sigma = jnp.linalg.norm(normalized.weight(), ord=2)
        >>> bool(abs(sigma - 0.9) < 1e-3)
        True
    """

    layer: _Layer
    vector: Float[Array, " rows"]
    weight_name: str = eqx.field(static=True)
    scale: float = eqx.field(static=True)
    num_iterations: int = eqx.field(static=True)

    def __init__(
        self,
        layer: _Layer,
        weight_name: str = "weight",
        *,
        scale: float = 1.0,
        num_iterations: int = 20,
        key: PRNGKeyArray,
    ):
        if not isinstance(weight_name, str) or not hasattr(layer, weight_name):
            raise ValueError(
                f"`layer` ({type(layer).__name__}) has no weight named {weight_name!r}; pass "
                "the name of its weight matrix as `weight_name`."
            )
        weight = getattr(layer, weight_name)
        if jnp.ndim(weight) != 2:
            raise ValueError(
                f"`layer.{weight_name}` must be a matrix; got shape {jnp.shape(weight)}."
            )
        scale = check_positive(scale, "scale")
        num_iterations = check_count(num_iterations, "num_iterations")
        check_key(key)
        self.layer = layer
        self.weight_name = weight_name
        self.scale = scale
        self.num_iterations = num_iterations
        vector = jax.random.normal(key, (weight.shape[0],), weight.dtype)
        self.vector = vector / jnp.linalg.norm(vector)

    def weight(self) -> Float[Array, "rows columns"]:
        """The normalized weight `scale · W / σ̂(W)`."""
        weight = getattr(self.layer, self.weight_name)
        matrix = jax.lax.stop_gradient(weight)

        def power_step(u, _):
            v = matrix.T @ u
            v = v / jnp.linalg.norm(v)
            u = matrix @ v
            return u / jnp.linalg.norm(u), None

        u, _ = jax.lax.scan(
            power_step, jax.lax.stop_gradient(self.vector), None, length=self.num_iterations
        )
        v = matrix.T @ u
        v = jax.lax.stop_gradient(v / jnp.linalg.norm(v))
        sigma = u @ weight @ v
        return self.scale * weight / sigma

    def prepare(self, key: PRNGKeyArray | None = None) -> _Layer:
        """The wrapped layer with its weight replaced by the normalized weight (`key` unused)."""
        del key
        weight_of = lambda inner: getattr(inner, self.weight_name)
        return eqx.tree_at(weight_of, self.layer, self.weight())

    def __call__(self, *args, **kwargs):
        """Call the wrapped layer with the normalized weight."""
        return self.prepare()(*args, **kwargs)
