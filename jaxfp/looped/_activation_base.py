"""The activation interface every looped network uses."""

import abc
from typing import ClassVar

import equinox as eqx
from equinox import AbstractVar
from jaxtyping import Array, ArrayLike, Float


class Activation(eqx.Module):
    """An elementwise activation σ with its derivative and rigorous interval extensions.

    Subclasses implement:

    - `__call__(u)`: σ(u) elementwise.
    - `derivative(u)`: σ'(u) elementwise (the one-sided value `jax.grad` gives at kinks).
    - `interval(lower, upper) -> (lower, upper)`: an enclosure of σ([lower, upper]) for every
      element; *rigorous* (outward rounded, it always contains the exact range) and *tight*
      (built from monotone pieces and critical points, so it is the exact range up to a few ulps).
    - `derivative_interval(lower, upper)`: a rigorous enclosure of σ' over each interval (for
      kinks, of the Clarke generalised derivative: every slope of a piece touching the interval).
    - `output_range`: a-priori bounds (lower, upper) of σ over ℝ as Python floats, ±inf when
      unbounded (used as the search box of certified-complete enumeration).
    - `name`: the spelling `jaxfp.looped.activation_from_name` parses back to this activation.

    `output_range` and `name` are a class attribute (`name: ClassVar[str] = "tanh"`) when they
    are constants, a property when they depend on the activation's parameters.

    Optional: `polynomial_coefficients` (c_0, …, c_k) when σ is a polynomial Σ c_j u^j (the
    enumeration chooses its method from it), else None (the default).

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> sigma = jaxfp.looped.activation_from_name("tanh")
        >>> lower, upper = sigma.interval(jnp.array([-1.0]), jnp.array([2.0]))
        >>> bool(lower[0] <= jnp.tanh(-1.0)) and bool(upper[0] >= jnp.tanh(2.0))
        True
    """

    output_range: AbstractVar[tuple[float, float]]
    name: AbstractVar[str]
    polynomial_coefficients: ClassVar[tuple[float, ...] | None] = None

    @abc.abstractmethod
    def __call__(self, u: ArrayLike) -> Float[Array, "..."]: ...

    @abc.abstractmethod
    def derivative(self, u: ArrayLike) -> Float[Array, "..."]: ...

    @abc.abstractmethod
    def interval(
        self, lower: ArrayLike, upper: ArrayLike
    ) -> tuple[Float[Array, "..."], Float[Array, "..."]]: ...

    @abc.abstractmethod
    def derivative_interval(
        self, lower: ArrayLike, upper: ArrayLike
    ) -> tuple[Float[Array, "..."], Float[Array, "..."]]: ...
