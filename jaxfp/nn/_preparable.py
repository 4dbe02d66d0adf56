"""Work a cell does once per solve, not once per solver step: the "prepare the cell" hook."""

import abc
from collections.abc import Callable

import equinox as eqx
import jax
from jaxtyping import PRNGKeyArray

from .._misc import check_key


class AbstractPreparable(eqx.Module):
    """A part of a cell whose per-call work depends only on parameters (and a random key).

    `jaxfp.nn.DEQ` calls `prepare` once before each solve and iterates the prepared callable, so
    a power iteration (`SpectralNorm`, `MonotoneCell`) or a dropout mask (`VariationalDropout`)
    is computed once per solve instead of at every solver step. Gradients reach the parameters
    through `prepare`. Subclass it and implement `prepare` to give a layer of your own the hook.
    """

    @abc.abstractmethod
    def prepare(self, key: PRNGKeyArray | None) -> Callable:
        """The callable to use during one solve (`key`: this solve's random key, or None)."""


def _is_preparable(node) -> bool:
    return isinstance(node, AbstractPreparable)


def prepare_cell(cell: Callable, key: PRNGKeyArray | None = None) -> Callable:
    """Replace every `AbstractPreparable` inside `cell` by its prepared form.

    Args:
        cell: a cell (any pytree; preparable parts may sit at any depth).
        key: random key, split over the preparable parts (None when no part needs one).

    Returns:
        The cell with each preparable part `p` replaced by `p.prepare(key_p)`.

    Raises:
        ValueError: when `key` is neither None nor one JAX random key.

    Example:
        >>> import equinox as eqx, jax, jax.numpy as jnp, jaxfp
        >>> layer = eqx.nn.Linear(3, 3, key=jax.random.key(0))
        >>> normalized = jaxfp.nn.SpectralNorm(layer, scale=0.5, key=jax.random.key(1))
        >>> prepared = prepare_cell([normalized])
        >>> type(prepared[0]).__name__
        'Linear'
    """
    if key is not None:
        check_key(key)
    parts, structure = jax.tree.flatten(cell, is_leaf=_is_preparable)
    count = sum(map(_is_preparable, parts))
    keys = [None] * count if key is None else list(jax.random.split(key, max(count, 1)))
    prepared = []
    for part in parts:
        prepared.append(part.prepare(keys.pop()) if _is_preparable(part) else part)
    return jax.tree.unflatten(structure, prepared)
