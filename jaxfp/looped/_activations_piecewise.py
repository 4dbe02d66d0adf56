"""Continuous piecewise-linear activations (ReLU, leaky ReLU, hard-tanh, |u|, any PWL)."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from ._activation_base import Activation
from ._rounding import as_float, round_down, round_up

_Pair = tuple[Float[Array, "..."], Float[Array, "..."]]
# Largest relative mismatch between neighbouring pieces at a breakpoint accepted as continuous.
_CONTINUITY_TOLERANCE = 1e-9


def _format(values) -> str:
    return ",".join(
        repr(float(v)).removesuffix(".0") if float(v).is_integer() else repr(float(v))
        for v in values
    )


def _validate(breakpoints, slopes, intercepts) -> None:
    if any(isinstance(x, jax.core.Tracer) for x in (breakpoints, slopes, intercepts)):
        return
    breakpoints, slopes, intercepts = (np.asarray(x) for x in (breakpoints, slopes, intercepts))
    if breakpoints.ndim != 1:
        raise ValueError(
            f"PiecewiseLinear `breakpoints` must have shape (k,), got {breakpoints.shape}."
        )
    k = breakpoints.shape[0]
    for argument, value in (("slopes", slopes), ("intercepts", intercepts)):
        if value.shape != (k + 1,):
            raise ValueError(
                f"PiecewiseLinear `{argument}` must have shape (k + 1,) = ({k + 1},) for "
                f"breakpoints of shape ({k},), got {value.shape}."
            )
    for argument, value in (
        ("breakpoints", breakpoints),
        ("slopes", slopes),
        ("intercepts", intercepts),
    ):
        if not np.all(np.isfinite(value)):
            raise ValueError(f"PiecewiseLinear `{argument}` must be finite, got {value.tolist()}.")
    if np.any(np.diff(breakpoints) <= 0):
        raise ValueError(
            "PiecewiseLinear `breakpoints` must be strictly increasing, got "
            f"{breakpoints.tolist()}."
        )
    left = slopes[:-1] * breakpoints + intercepts[:-1]
    right = slopes[1:] * breakpoints + intercepts[1:]
    scale = 1.0 + np.abs(left) + np.abs(right)
    bad = np.flatnonzero(np.abs(left - right) > _CONTINUITY_TOLERANCE * scale)
    if bad.size:
        j = int(bad[0])
        raise ValueError(
            f"PiecewiseLinear must be continuous: at breakpoints[{j}] = {breakpoints[j]} piece "
            f"{j} gives {left[j]} but piece {j + 1} gives {right[j]} (check `intercepts`)."
        )


class PiecewiseLinear(Activation):
    """A continuous piecewise-linear σ: on piece j (between `breakpoints[j-1]` and
    `breakpoints[j]`, piece 0 left of the first breakpoint, piece k right of the last),
    σ(u) = slopes[j]·u + intercepts[j].

    Inside each activation region a looped network with this σ is affine, which is what the
    exact PWL enumeration uses. At a breakpoint `derivative` returns the left piece's slope
    (as `jax.grad` of ReLU does at 0); `derivative_interval` covers every slope of a piece that
    touches the interval (the Clarke generalised derivative).

    Args:
        breakpoints: shape (k,), strictly increasing.
        slopes: shape (k + 1,).
        intercepts: shape (k + 1,), making σ continuous at every breakpoint.
        label: optional name (`"relu"`, `"leaky_relu:0.1"`, ...); by default
            `"pwl:breakpoints=...;slopes=...;offset=σ(0)"`, which `activation_from_name` parses.

    Raises:
        ValueError: on wrong shapes, non-finite values, unsorted breakpoints, or a jump.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> hard = jaxfp.looped.hardtanh()
        >>> hard(jnp.array([-3.0, 0.5, 3.0])).tolist()
        [-1.0, 0.5, 1.0]
    """

    breakpoints: Float[Array, " k"]
    slopes: Float[Array, " k+1"]
    intercepts: Float[Array, " k+1"]
    label: str | None = eqx.field(static=True, default=None)

    def __init__(self, breakpoints, slopes, intercepts, label: str | None = None):
        _validate(breakpoints, slopes, intercepts)
        self.breakpoints = as_float(breakpoints)
        self.slopes = as_float(slopes)
        self.intercepts = as_float(intercepts)
        self.label = label

    def piece_index(self, u: ArrayLike) -> Array:
        """Index j of the piece holding u (a breakpoint belongs to the piece on its left)."""
        return jnp.searchsorted(self.breakpoints, as_float(u), side="left")

    def __call__(self, u: ArrayLike) -> Float[Array, "..."]:
        u = as_float(u)
        j = self.piece_index(u)
        return self.slopes[j] * u + self.intercepts[j]

    def derivative(self, u: ArrayLike) -> Float[Array, "..."]:
        return self.slopes[self.piece_index(u)] * jnp.ones_like(as_float(u))

    def _enclose(self, slope, intercept, u) -> _Pair:
        value = slope * u + intercept
        error = 2.0 * jnp.finfo(value.dtype).eps * (jnp.abs(slope * u) + jnp.abs(intercept))
        return round_down(value - error), round_up(value + error)

    def interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        lower, upper = as_float(lower), as_float(upper)
        first, last = self.piece_index(lower), self.piece_index(upper)
        best_low, best_high = self._enclose(self.slopes[first], self.intercepts[first], lower)
        end_low, end_high = self._enclose(self.slopes[last], self.intercepts[last], upper)
        best_low, best_high = jnp.minimum(best_low, end_low), jnp.maximum(best_high, end_high)
        b = self.breakpoints
        inside = (lower[..., None] <= b) & (b <= upper[..., None])
        # Both neighbouring pieces at each breakpoint (exactly equal up to rounding).
        for slopes, intercepts in (
            (self.slopes[:-1], self.intercepts[:-1]),
            (self.slopes[1:], self.intercepts[1:]),
        ):
            kink_low, kink_high = self._enclose(slopes, intercepts, b)
            best_low = jnp.minimum(best_low, jnp.min(jnp.where(inside, kink_low, jnp.inf), -1))
            best_high = jnp.maximum(best_high, jnp.max(jnp.where(inside, kink_high, -jnp.inf), -1))
        return best_low, best_high

    def derivative_interval(self, lower: ArrayLike, upper: ArrayLike) -> _Pair:
        lower, upper = as_float(lower), as_float(upper)
        left = jnp.concatenate([jnp.array([-jnp.inf], self.breakpoints.dtype), self.breakpoints])
        right = jnp.concatenate([self.breakpoints, jnp.array([jnp.inf], self.breakpoints.dtype)])
        touches = (left <= upper[..., None]) & (right >= lower[..., None])
        low = jnp.min(jnp.where(touches, self.slopes, jnp.inf), -1)
        high = jnp.max(jnp.where(touches, self.slopes, -jnp.inf), -1)
        return low, high

    @property
    def output_range(self) -> tuple[float, float]:
        slopes = np.asarray(self.slopes)
        b = np.asarray(self.breakpoints)
        intercepts = np.asarray(self.intercepts)
        values = np.concatenate(
            [slopes[:-1] * b + intercepts[:-1], slopes[1:] * b + intercepts[1:]]
        )
        if b.size == 0:
            values = intercepts[:1]
        low, high = float(values.min()), float(values.max())
        first, last = float(slopes[0]), float(slopes[-1])
        if first > 0 or last < 0:
            low = -math.inf
        if first < 0 or last > 0:
            high = math.inf
        return (low, high)

    @property
    def name(self) -> str:
        if self.label is not None:
            return self.label
        offset = float(self(0.0))
        return (
            f"pwl:breakpoints={_format(np.asarray(self.breakpoints))};"
            f"slopes={_format(np.asarray(self.slopes))};offset={_format([offset])}"
        )


def piecewise_linear_from_offset(breakpoints, slopes, offset: float) -> PiecewiseLinear:
    """The continuous PWL σ with the given breakpoints and slopes and σ(0) = `offset`
    (intercepts follow from continuity).

    Raises:
        ValueError: on wrong shapes, non-finite values or unsorted breakpoints.

    Example:
        >>> import jaxfp
        >>> sigma = piecewise_linear_from_offset([-1.0, 1.0], [0.0, 1.0, 0.0], 0.0)
        >>> sigma.intercepts.tolist()
        [-1.0, 0.0, 1.0]
    """
    b = np.asarray(breakpoints, dtype=np.float64)
    s = np.asarray(slopes, dtype=np.float64)
    if b.ndim != 1 or s.shape != (b.size + 1,):
        raise ValueError(
            f"piecewise-linear `slopes` must have one more entry than `breakpoints`: got "
            f"breakpoints of shape {b.shape} and slopes of shape {s.shape}."
        )
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(s)) and math.isfinite(offset)):
        raise ValueError("piecewise-linear breakpoints, slopes and offset must be finite.")
    if np.any(np.diff(b) <= 0):
        raise ValueError(
            f"piecewise-linear `breakpoints` must be strictly increasing, got {b.tolist()}."
        )
    c = np.zeros_like(s)
    origin = int(np.searchsorted(b, 0.0, side="left"))
    c[origin] = offset
    for j in range(origin, b.size):
        c[j + 1] = c[j] + (s[j] - s[j + 1]) * b[j]
    for j in range(origin, 0, -1):
        c[j - 1] = c[j] + (s[j] - s[j - 1]) * b[j - 1]
    return PiecewiseLinear(b, s, c)


def relu() -> PiecewiseLinear:
    """ReLU, max(u, 0), as a `PiecewiseLinear`.

    Example:
        >>> import jaxfp
        >>> float(jaxfp.looped.relu()(-2.0))
        0.0
    """
    return PiecewiseLinear([0.0], [0.0, 1.0], [0.0, 0.0], label="relu")


def leaky_relu(negative_slope: float = 0.01) -> PiecewiseLinear:
    """Leaky ReLU, u for u > 0 and a·u below, as a `PiecewiseLinear`.

    Raises:
        ValueError: if `negative_slope` is not finite.

    Example:
        >>> import jaxfp
        >>> round(float(leaky_relu(0.1)(-2.0)), 6)
        -0.2
    """
    if not math.isfinite(negative_slope):
        raise ValueError(f"leaky_relu `negative_slope` must be finite, got {negative_slope}.")
    label = f"leaky_relu:{_format([negative_slope])}"
    return PiecewiseLinear([0.0], [negative_slope, 1.0], [0.0, 0.0], label=label)


def hardtanh() -> PiecewiseLinear:
    """Hard tanh, clip(u, −1, 1), as a `PiecewiseLinear`.

    Example:
        >>> import jaxfp
        >>> float(jaxfp.looped.hardtanh()(5.0))
        1.0
    """
    return PiecewiseLinear([-1.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0], label="hardtanh")


def absolute() -> PiecewiseLinear:
    """|u| as a `PiecewiseLinear`.

    Example:
        >>> import jaxfp
        >>> float(absolute()(-3.0))
        3.0
    """
    return PiecewiseLinear([0.0], [-1.0, 1.0], [0.0, 0.0], label="abs")
