"""Scalar parameters of a looped network that continuation can follow."""

import abc
from typing import ClassVar

import equinox as eqx
import jax.numpy as jnp
from equinox import AbstractVar
from jaxtyping import Array, ArrayLike, Float

from .._misc import split_name
from ..looped import LoopedNet


class AbstractParameter(eqx.Module):
    """A scalar parameter λ of a looped network: `value(net)` reads it, `replace(net, λ)` gives
    the network with λ set (differentiable in λ), `name` is its CLI spelling (a class attribute
    when it is a constant, a property when it names an index)."""

    name: AbstractVar[str]

    @abc.abstractmethod
    def value(self, net: LoopedNet) -> Float[Array, ""]: ...

    @abc.abstractmethod
    def replace(self, net: LoopedNet, value: ArrayLike) -> LoopedNet: ...

    def check(self, net: LoopedNet) -> None:
        """Raise `ValueError` if the parameter does not exist in `net` (default: always ok)."""


def _check_index(index: int, dim: int, what: str) -> None:
    if not 0 <= index < dim:
        raise ValueError(
            f"`{what}` index {index} is out of range for a network of dimension {dim}."
        )


class Gain(AbstractParameter):
    """The gain λ scaling the weights: the network with W replaced by λ·W (λ = 1 is `net`).

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(1, gain=2.0)
        >>> jaxfp.probe.parameter_from_name("gain").replace(net, 0.5).W.tolist()
        [[1.0]]
    """

    name: ClassVar[str] = "gain"

    def value(self, net: LoopedNet) -> Float[Array, ""]:
        return jnp.ones((), net.W.dtype)

    def replace(self, net: LoopedNet, value: ArrayLike) -> LoopedNet:
        return eqx.tree_at(lambda n: n.W, net, value * net.W)


class Bias(AbstractParameter):
    """The bias entry b_i.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(2)
        >>> jaxfp.probe.parameter_from_name("bias:1").replace(net, 0.5).b.tolist()
        [0.0, 0.5]
    """

    index: int = eqx.field(static=True)

    def value(self, net: LoopedNet) -> Float[Array, ""]:
        return net.b[self.index]

    def replace(self, net: LoopedNet, value: ArrayLike) -> LoopedNet:
        return eqx.tree_at(lambda n: n.b, net, net.b.at[self.index].set(value))

    @property
    def name(self) -> str:
        return f"bias:{self.index}"

    def check(self, net: LoopedNet) -> None:
        _check_index(self.index, net.dim, "bias")


class Weight(AbstractParameter):
    """The weight entry W_ij (a mixing weight between units j → i).

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(2)
        >>> jaxfp.probe.parameter_from_name("weight:0,1").replace(net, 0.5).W.tolist()
        [[2.0, 0.5], [0.0, 2.0]]
    """

    row: int = eqx.field(static=True)
    column: int = eqx.field(static=True)

    def value(self, net: LoopedNet) -> Float[Array, ""]:
        return net.W[self.row, self.column]

    def replace(self, net: LoopedNet, value: ArrayLike) -> LoopedNet:
        return eqx.tree_at(lambda n: n.W, net, net.W.at[self.row, self.column].set(value))

    @property
    def name(self) -> str:
        return f"weight:{self.row},{self.column}"

    def check(self, net: LoopedNet) -> None:
        _check_index(self.row, net.dim, "weight row")
        _check_index(self.column, net.dim, "weight column")


_SPELLINGS = "'gain', 'bias:I' or 'weight:I,J' (0-based indices)"


def _indices(text: str, count: int, full: str) -> list[int]:
    parts = [part.strip() for part in text.split(",")]
    try:
        values = [int(part) for part in parts]
    except ValueError:
        values = []
    if len(values) != count or any(value < 0 for value in values):
        raise ValueError(
            f"parameter {full!r}: expected {count} non-negative integer index(es), got {text!r}; "
            f"valid parameters: {_SPELLINGS}."
        )
    return values


def parameter_from_name(text: str) -> AbstractParameter:
    """The parameter named by `text`: `gain`, `bias:I` or `weight:I,J` (0-based indices).

    Raises:
        ValueError: for an unknown name or malformed indices (the message lists the spellings).

    Example:
        >>> import jaxfp
        >>> jaxfp.probe.parameter_from_name("weight:0,1").name
        'weight:0,1'
    """
    name = split_name(text, "parameter", _SPELLINGS)
    if name.head == "gain" and name.parameter is None:
        return Gain()
    if name.head == "bias" and name.parameter is not None:
        return Bias(*_indices(name.parameter, 1, name.text))
    if name.head == "weight" and name.parameter is not None:
        return Weight(*_indices(name.parameter, 2, name.text))
    raise ValueError(f"unknown parameter {name.text!r}; valid parameters: {_SPELLINGS}.")
