"""Variational dropout for equilibrium cells: one mask per solve (Gal & Ghahramani 2016)."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, PRNGKeyArray

from .._misc import check_key, check_positive_int
from .._validation import check_bool, check_real
from ._preparable import AbstractPreparable


class VariationalDropout(AbstractPreparable):
    """Dropout whose mask stays fixed during one fixed-point solve and is redrawn per solve.

    Ordinary dropout inside a cell would draw a new mask at every solver step, so the map whose
    fixed point is sought would change from step to step. Inside `jaxfp.nn.DEQ`, the layer's
    `key` (pass a new one per batch) draws one mask per solve (`prepare`); the prepared cell
    multiplies by that mask / (1 − p) at every step. With `inference=True`, or with no key, it
    is the identity.

    Args:
        shape: shape of the array the mask multiplies.
        probability: the probability p of dropping an entry, in [0, 1).
        inference: if True, the identity (for evaluation).

    Raises:
        ValueError: if `probability` is not a number in [0, 1), `shape` not a tuple of
            positive ints or `inference` not a bool; at `prepare`, if `key` is not a JAX random
            key.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> dropout = VariationalDropout((4,), 0.5)
        >>> masked = dropout.prepare(jax.random.key(0))
        >>> bool(jnp.all(masked(jnp.ones(4)) == masked(jnp.ones(4))))  # one mask per solve
        True
    """

    shape: tuple[int, ...] = eqx.field(static=True, converter=tuple)
    probability: float = eqx.field(static=True)
    inference: bool = eqx.field(static=True, default=False)

    def __check_init__(self):
        for size in self.shape:
            check_positive_int(size, "shape")
        check_real(self.probability, "probability", 0, 1)
        check_bool(self.inference, "inference")

    def prepare(self, key: PRNGKeyArray | None = None) -> "_FixedMask":
        """The mask of one solve: the identity when inference, p = 0, or `key` is None."""
        if key is not None:
            check_key(key)
        if self.inference or self.probability == 0 or key is None:
            return _FixedMask(None)
        keep = jax.random.bernoulli(key, 1 - self.probability, self.shape)
        return _FixedMask(keep / (1 - self.probability))

    def __call__(self, x: Array, *, key: PRNGKeyArray | None = None) -> Array:
        """Apply a mask drawn from `key` (the identity without a key or in inference)."""
        return self.prepare(key)(x)


class _FixedMask(eqx.Module):
    scale: Array | None

    def __call__(self, x: Array) -> Array:
        return x if self.scale is None else x * self.scale.astype(jnp.result_type(x))
