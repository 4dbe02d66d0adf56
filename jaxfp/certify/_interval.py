"""Intervals and boxes: a small interval-arithmetic pytree with outward rounding, and the
boxes in ℝ^d that the certificates report."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float

from ..looped._rounding import (
    add,
    as_float,
    interval_matmul,
    midpoint_radius,
    multiply,
    point_matmul,
    subtract,
)


def _bounds(value) -> tuple[Array, Array]:
    if isinstance(value, Interval):
        return value.lower, value.upper
    value = as_float(value)
    return value, value


def _lifted(operation):
    """The method `self ∘ other` of `Interval` for a bounds operation
    `operation(lower, upper, other_lower, other_upper) -> (lower, upper)`; `other` is an
    `Interval` or a point array."""

    def method(self, other) -> "Interval":
        return Interval(*operation(self.lower, self.upper, *_bounds(other)))

    return method


class _Bounds(eqx.Module):
    """Bounds [lower, upper] (broadcast together), with their midpoint, radius and width."""

    lower: Float[Array, "..."]
    upper: Float[Array, "..."]

    @property
    def midpoint(self) -> Float[Array, "..."]:
        """A float midpoint, finite even where `lower + upper` overflows."""
        return midpoint_radius(self.lower, self.upper)[0]

    @property
    def radius(self) -> Float[Array, "..."]:
        """A radius r with [lower, upper] ⊆ [midpoint − r, midpoint + r]."""
        return midpoint_radius(self.lower, self.upper)[1]

    @property
    def width(self) -> Float[Array, "..."]:
        return self.upper - self.lower


class Interval(_Bounds):
    """Elementwise intervals [lower, upper] of any shape, with outward-rounded arithmetic.

    Every operation returns an interval that contains the exact real result for every choice of
    points in the operands (IEEE round-to-nearest assumed; see `jaxfp.looped` for the error
    model). An `Interval` is a pytree, so it passes through `jax.jit` and `jax.vmap`.

    Supported: `+`, `-` (binary and unary), `*` (elementwise, with intervals or point arrays),
    `@` (interval matrix @ interval or point vector/matrix, and point matrix @ interval via
    `__rmatmul__`, both in midpoint–radius form), `midpoint`, `radius`, `width`, `contains`,
    `subset_of`, `interior_subset_of`, `intersect`, `hull`, `is_empty`.

    Args:
        lower: lower bounds.
        upper: upper bounds (defaults to `lower`: a point interval). Broadcast with `lower`.

    Raises:
        ValueError: if the shapes do not broadcast, or (for concrete values) some lower bound
            exceeds its upper bound.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxfp.certify import Interval
        >>> x = Interval(jnp.array([1.0, -1.0]), jnp.array([2.0, 1.0]))
        >>> y = jnp.array([[1.0, 1.0], [0.0, 2.0]]) @ x
        >>> bool(y.contains(jnp.array([2.5, 0.0])).all())
        True
    """

    def __init__(self, lower: ArrayLike, upper: ArrayLike | None = None):
        lower = as_float(lower)
        upper = lower if upper is None else as_float(upper)
        try:
            lower, upper = jnp.broadcast_arrays(lower, upper)
        except ValueError as error:
            raise ValueError(
                f"Interval `lower` and `upper` must broadcast, got shapes {jnp.shape(lower)} and "
                f"{jnp.shape(upper)}."
            ) from error
        if not isinstance(lower, jax.core.Tracer) and not isinstance(upper, jax.core.Tracer):
            if bool(np.any(np.asarray(lower) > np.asarray(upper))):
                raise ValueError("Interval needs `lower` <= `upper` everywhere.")
        self.lower = lower
        self.upper = upper

    @property
    def shape(self) -> tuple[int, ...]:
        return self.lower.shape

    __add__ = __radd__ = _lifted(add)
    __sub__ = _lifted(subtract)
    __mul__ = __rmul__ = _lifted(multiply)
    __matmul__ = _lifted(interval_matmul)

    def __rsub__(self, other) -> "Interval":
        return Interval(*subtract(*_bounds(other), self.lower, self.upper))

    def __neg__(self) -> "Interval":
        return Interval(-self.upper, -self.lower)

    def __rmatmul__(self, matrix) -> "Interval":
        return Interval(*point_matmul(matrix, self.lower, self.upper))

    def contains(self, x: ArrayLike) -> Bool[Array, "..."]:
        """Elementwise lower ≤ x ≤ upper."""
        x = jnp.asarray(x)
        return (self.lower <= x) & (x <= self.upper)

    def subset_of(self, other: "Interval") -> Bool[Array, ""]:
        """Whether self ⊆ other (all elements)."""
        return jnp.all((self.lower >= other.lower) & (self.upper <= other.upper))

    def interior_subset_of(self, other: "Interval") -> Bool[Array, ""]:
        """Whether self lies in the interior of other (all elements, strict)."""
        return jnp.all((self.lower > other.lower) & (self.upper < other.upper))

    def intersect(self, other: "Interval") -> "Interval":
        """The elementwise intersection (check `is_empty` before using it)."""
        low = jnp.maximum(self.lower, other.lower)
        high = jnp.minimum(self.upper, other.upper)
        return Interval._unchecked(low, high)

    def hull(self, other: "Interval") -> "Interval":
        return Interval(jnp.minimum(self.lower, other.lower), jnp.maximum(self.upper, other.upper))

    def is_empty(self) -> Bool[Array, ""]:
        """Whether some element is empty (lower > upper), e.g. after `intersect`."""
        return jnp.any(self.lower > self.upper)

    @staticmethod
    def _unchecked(lower: Array, upper: Array) -> "Interval":
        interval = object.__new__(Interval)
        object.__setattr__(interval, "lower", lower)
        object.__setattr__(interval, "upper", upper)
        return interval


class Box(_Bounds):
    """A closed axis-aligned box [lower, upper] in ℝ^d, or a batch of boxes: `lower` and
    `upper` have shape (..., d), the last axis being the coordinate. The certificates report
    their boxes as `Box`es (`Certificate.box`, `CompleteCertificate.boxes`, ...).

    - `midpoint`, `radius`, `width`: per coordinate, shape (..., d).
    - `contains(points)`: whether each point lies in the box, in every coordinate.
    - `intersect(other)`: the box of points in both (check `is_empty()` before using it).
    - `is_empty()`: whether some side is empty (lower > upper), as an intersection can be.

    Example:
        >>> import jax.numpy as jnp
        >>> from jaxfp.certify import Box
        >>> boxes = Box(jnp.array([[0.0, 0.0], [1.0, -1.0]]), jnp.array([[1.0, 2.0], [3.0, 1.0]]))
        >>> boxes.contains(jnp.array([0.5, 0.5])).tolist()  # one point, two boxes
        [True, False]
        >>> boxes.width.tolist(), boxes.is_empty().tolist()
        ([[1.0, 2.0], [2.0, 2.0]], [False, False])

    Raises:
        ValueError: unless `lower` and `upper` are arrays of one shape (..., d) with d ≥ 1.
    """

    def __check_init__(self):
        for name, bound in (("lower", self.lower), ("upper", self.upper)):
            if not isinstance(bound, (jax.Array, np.ndarray)):
                raise ValueError(f"Box `{name}` must be an array, got {type(bound).__name__}.")
        shape = self.lower.shape
        if self.upper.shape != shape or not shape or shape[-1] == 0:
            raise ValueError(
                "Box needs `lower` and `upper` of one shape (..., d) with d ≥ 1, got shapes "
                f"{shape} and {self.upper.shape}."
            )

    def contains(self, points: ArrayLike, atol: ArrayLike = 0.0) -> Bool[Array, "..."]:
        """Whether lower − atol ≤ point ≤ upper + atol in every coordinate; `points` (..., d)
        broadcasts against the boxes' batch shape."""
        points = jnp.asarray(points)
        inside = (self.lower - atol <= points) & (points <= self.upper + atol)
        return jnp.all(inside, axis=-1)

    def intersect(self, other: "Box") -> "Box":
        """The boxes of points in both `self` and `other` (broadcast)."""
        return Box(jnp.maximum(self.lower, other.lower), jnp.minimum(self.upper, other.upper))

    def is_empty(self) -> Bool[Array, "*batch"]:
        """Whether some side is empty (lower > upper)."""
        return jnp.any(self.lower > self.upper, axis=-1)

    def nan_as_unbounded(self) -> "Box":
        """The box with each NaN bound (an interval extension that could not handle an infinite
        argument: it says nothing) replaced by −∞ (lower) or +∞ (upper)."""
        return Box(
            jnp.where(jnp.isnan(self.lower), -jnp.inf, self.lower),
            jnp.where(jnp.isnan(self.upper), jnp.inf, self.upper),
        )
