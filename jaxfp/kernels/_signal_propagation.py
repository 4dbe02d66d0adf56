"""Mean-field signal propagation (Poole et al. 2016; Schoenholz et al. 2017) and the variance map.

With weight variance σ_w² and bias variance σ_b², for the raw (unnormalised) activation φ:

- q-map q' = σ_w² E φ(sqrt(q) Z)² + σ_b², with fixed point q* (reached from q = 1);
- c-map c' = (σ_w² E φ(u₁)φ(u₂) + σ_b²) / q*, (u₁, u₂) normal with variance q*, correlation c;
- χ₁ = σ_w² E φ'(sqrt(q*) Z)²: ordered phase χ₁ < 1 (P2 case 2), chaotic χ₁ > 1, critical
  χ₁ = 1 (P2 case 3; ReLU with σ_w² = 2);
- depth scales ξ_q = −1 / ln q-map'(q*) and ξ_c = −1 / ln c-map'(c*);
- the edge of chaos (`_edge_of_chaos.py`): the σ_w² with χ₁ = 1 at a given σ_b².

The variance map V(q) = E φ(sqrt(q) Z)² / C² (docs/theory.md, "Finite width") has V(1) = 1; when
V'(1) > 1 (GELU 1.14, exp 2) the squared norm drifts away from 1 in a finite network.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float, Scalar

from .._numerics import bisect
from .._validation import check_real
from ._activation_type import KernelActivation, check_kernel_activation
from ._hermite import normalization_constant
from ._quadrature import bivariate_expectation, gaussian_rule
from ._theorem1 import slope_stability

# χ₁ within this of 1 is "critical".
CRITICAL_TOLERANCE = 1e-9
# χ₁ is the c-map's slope at its fixed point c = 1: the phase is that point's stability.
_PHASES = {"stable": "ordered", "neutral": "critical", "unstable": "chaotic"}
_Q_GRID = 160
_Q_MAX = 1e8
_Q_MIN = 1e-12
_C_GRID = 128
_BISECTION_STEPS = 60
_STAY_TOLERANCE = 1e-12


def _scaled_kinks(activation: KernelActivation, q: Array) -> tuple:
    root = jnp.sqrt(jnp.maximum(q, jnp.finfo(jnp.result_type(float)).tiny))
    return tuple(kink / root for kink in activation.kinks)


def _moment(function, activation: KernelActivation, q: Array, weight=None) -> Array:
    """E weight(Z) function(sqrt(q) Z)², split at the moving kinks."""
    q = jnp.maximum(q, jnp.finfo(jnp.result_type(float)).tiny)
    kinks = _scaled_kinks(activation, q)
    nodes, weights = gaussian_rule(jnp.stack(kinks) if kinks else ())
    values = function(jnp.sqrt(q) * nodes) ** 2
    if weight is not None:
        values = values * weight(nodes)
    return jnp.sum(weights * values)


def _second_moment(activation: KernelActivation, q: Array) -> Array:
    return _moment(activation, activation, q)


def _second_moment_slope(activation: KernelActivation, q: Array) -> Array:
    # d/dq E f(sqrt(q) Z) = E[(Z² − 1) f(sqrt(q) Z)] / (2q): needs no derivative of φ.
    q = jnp.maximum(q, jnp.finfo(jnp.result_type(float)).tiny)
    return _moment(activation, activation, q, weight=lambda z: z * z - 1.0) / (2.0 * q)


def _derivative_moment(activation: KernelActivation, q: Array) -> Array:
    return _moment(activation.derivative, activation, q)


def _check_activation(activation: KernelActivation) -> None:
    check_kernel_activation(activation)
    if not activation.continuous:
        raise ValueError(
            f"`activation` {activation.name!r} is discontinuous: χ₁ = σ_w² E φ'² is undefined."
        )


def _check_variances(sigma_w2, sigma_b2) -> tuple[float, float]:
    """The variances as floats: σ_w² finite > 0, σ_b² finite ≥ 0 (real numbers, not strings,
    bools or arrays of several values); else a `ValueError` naming the variance."""
    check_real(sigma_w2, "sigma_w2", 0, math.inf, open_lower=True)
    check_real(sigma_b2, "sigma_b2", 0, math.inf)
    return float(sigma_w2), float(sigma_b2)


@eqx.filter_jit
def q_map(
    activation: KernelActivation,
    q: Float[ArrayLike, "*shape"],
    sigma_w2: float | Scalar,
    sigma_b2: float | Scalar,
) -> Float[Array, "*shape"]:
    """The length map q' = σ_w² E φ(sqrt(q) Z)² + σ_b² of the raw activation (Poole et al.).

    Example:
        >>> import jaxfp.kernels as jk
        >>> round(float(q_map(jk.get_activation("relu"), 3.0, 2.0, 0.0)), 12)
        3.0
    """
    q = jnp.asarray(q, dtype=float)
    return sigma_w2 * jnp.vectorize(lambda v: _second_moment(activation, v))(q) + sigma_b2


def _c_map(activation: KernelActivation, c: Array, q: Array, sigma_w2, sigma_b2) -> Array:
    root = jnp.sqrt(q)
    kinks = _scaled_kinks(activation, q)
    scaled = lambda x: activation(root * x)
    return (sigma_w2 * bivariate_expectation(scaled, scaled, c, kinks) + sigma_b2) / q


def _c_slope(activation: KernelActivation, c: Array, q: Array, sigma_w2) -> Array:
    root = jnp.sqrt(q)
    kinks = _scaled_kinks(activation, q)
    scaled = lambda x: activation.derivative(root * x)
    return sigma_w2 * bivariate_expectation(scaled, scaled, c, kinks)


@eqx.filter_jit
def c_map(
    activation: KernelActivation,
    c: Float[ArrayLike, "*shape"],
    q: float | Scalar,
    sigma_w2: float | Scalar,
    sigma_b2: float | Scalar,
) -> Float[Array, "*shape"]:
    """The correlation map c' = (σ_w² E φ(u₁)φ(u₂) + σ_b²) / q at squared length `q` > 0.

    At q = q* it is a normalised kernel map (c' = 1 at c = 1); with σ_b² = 0 and σ_w² = 1/C²,
    q = 1 it is P2's κ.

    Example:
        >>> import jaxfp.kernels as jk
        >>> round(float(c_map(jk.get_activation("relu"), 0.0, 1.0, 2.0, 0.0)), 6)  # 1/pi
        0.31831
    """
    c = jnp.asarray(c, dtype=float)
    q = jnp.asarray(q, dtype=float)
    return jnp.vectorize(lambda v: _c_map(activation, v, q, sigma_w2, sigma_b2))(c)


def _q_fixed_point(activation: KernelActivation, sigma_w2, sigma_b2) -> tuple[Array, Array]:
    """q* reached by iterating the q-map from q = 1, and whether it is finite."""
    gap = lambda q: sigma_w2 * _second_moment(activation, q) + sigma_b2 - q
    up = jnp.geomspace(1.0, _Q_MAX, _Q_GRID)
    down = jnp.geomspace(_Q_MIN, 1.0, _Q_GRID)
    up_gap = jax.vmap(gap)(up)
    down_gap = jax.vmap(gap)(down)
    # q = 1 is itself fixed (to round-off): the iteration stays there (ReLU at σ_w² = 2).
    stays = jnp.abs(up_gap[0]) <= _STAY_TOLERANCE
    grows = up_gap[0] >= 0.0
    # Growing: the first grid point above 1 where the gap turns non-positive.
    up_hit = up_gap <= 0.0
    up_index = jnp.argmax(up_hit)
    up_exists = jnp.any(up_hit)
    up_root = jnp.where(
        up_index == 0,
        1.0,
        bisect(
            gap,
            up[jnp.maximum(up_index - 1, 0)],
            up[up_index],
            geometric=True,
            steps=_BISECTION_STEPS,
        ),
    )
    # Shrinking: the last grid point below 1 where the gap is still non-negative.
    down_hit = down_gap >= 0.0
    down_index = _Q_GRID - 1 - jnp.argmax(down_hit[::-1])
    down_exists = jnp.any(down_hit)
    down_root = jnp.where(
        down_exists,
        bisect(
            gap,
            down[down_index],
            down[jnp.minimum(down_index + 1, _Q_GRID - 1)],
            geometric=True,
            steps=_BISECTION_STEPS,
        ),
        0.0,
    )
    q_star = jnp.where(stays, 1.0, jnp.where(grows, up_root, down_root))
    exists = stays | jnp.where(grows, up_exists, down_exists | (sigma_b2 == 0.0))
    return q_star, exists


def _chi1(activation: KernelActivation, q_star, sigma_w2) -> Array:
    return sigma_w2 * _derivative_moment(activation, q_star)


@eqx.filter_jit
def _signal_core(activation: KernelActivation, sigma_w2, sigma_b2):
    q_star, exists = _q_fixed_point(activation, sigma_w2, sigma_b2)
    chi1 = _chi1(activation, q_star, sigma_w2)
    q_slope = jnp.where(q_star > 0.0, sigma_w2 * _second_moment_slope(activation, q_star), chi1)
    safe_q = jnp.where(q_star > 0.0, q_star, 1.0)
    gap = lambda c: _c_map(activation, c, safe_q, sigma_w2, sigma_b2) - c
    grid = jnp.linspace(0.0, 1.0, _C_GRID + 1)[:-1]
    grid_gap = jax.vmap(gap)(grid)
    negative = grid_gap < 0.0
    index = jnp.argmax(negative)
    chaotic = (chi1 > 1.0 + CRITICAL_TOLERANCE) & jnp.any(negative)
    root = bisect(gap, grid[jnp.maximum(index - 1, 0)], grid[index], steps=_BISECTION_STEPS)
    c_star = jnp.where(chaotic, root, 1.0)
    c_slope = jnp.where(chaotic, _c_slope(activation, c_star, safe_q, sigma_w2), chi1)
    return q_star, exists, chi1, q_slope, c_star, c_slope


class SignalPropagation(eqx.Module):
    """Mean-field signal propagation at (σ_w², σ_b²); built by `signal_propagation`.

    Its fields: `sigma_w2`, `sigma_b2`; `q_star` (fixed point of the q-map reached from q = 1);
    `chi1` = σ_w² E φ'(sqrt(q*) Z)²; `q_slope` = q-map'(q*); `c_star` (stable fixed point of
    the c-map; `None` when q* = 0, where the c-map is undefined); `c_slope` = c-map'(c*) (χ₁
    when c* = 1). Derived from them: `depth_scale_q`, `depth_scale_c` and `phase`.

    Example:
        >>> import jaxfp.kernels as jk
        >>> jk.signal_propagation(jk.get_activation("relu"), 2.0, 0.0).phase
        'critical'
    """

    sigma_w2: float
    sigma_b2: float
    q_star: float
    chi1: float
    q_slope: float
    c_star: float | None
    c_slope: float | None

    @property
    def depth_scale_q(self) -> float:
        """ξ_q = −1/ln |q_slope| (0 for a zero slope, infinite for |q_slope| ≥ 1)."""
        return _depth_scale(self.q_slope)

    @property
    def depth_scale_c(self) -> float | None:
        """ξ_c = −1/ln |c_slope| (infinite at criticality; `None` when q* = 0)."""
        return None if self.c_slope is None else _depth_scale(self.c_slope)

    @property
    def phase(self) -> str:
        """`"ordered"` (χ₁ < 1), `"critical"` (|χ₁ − 1| ≤ `CRITICAL_TOLERANCE`) or `"chaotic"`."""
        return _PHASES[slope_stability(self.chi1, CRITICAL_TOLERANCE)]


def _depth_scale(slope: float) -> float:
    slope = abs(slope)
    if slope == 0.0:
        return 0.0
    if slope >= 1.0:
        return math.inf
    return -1.0 / math.log(slope)


def signal_propagation(
    activation: KernelActivation, sigma_w2: float, sigma_b2: float
) -> SignalPropagation:
    """q*, χ₁, depth scales and phase of a deep network with this activation (Schoenholz et al.).

    χ₁ at q* = 0 is the limit q → 0⁺. The phase is `"critical"` when |χ₁ − 1| ≤
    1e-9.

    Args:
        activation: the raw activation φ (a continuous `KernelActivation`).
        sigma_w2: weight variance σ_w² > 0.
        sigma_b2: bias variance σ_b² ≥ 0.

    Returns:
        A `SignalPropagation`.

    Raises:
        ValueError: for bad variances, a discontinuous activation, or when the q-map
            has no finite fixed point (the variance grows without bound: lower `sigma_w2`).

    Example:
        >>> import jaxfp.kernels as jk
        >>> sp = jk.signal_propagation(jk.get_activation("tanh"), 2.5, 0.05)
        >>> sp.phase
        'chaotic'
    """
    _check_activation(activation)
    sigma_w2, sigma_b2 = _check_variances(sigma_w2, sigma_b2)
    q_star, exists, chi1, q_slope, c_star, c_slope = (
        float(v) if v.dtype != bool else bool(v)
        for v in _signal_core(activation, jnp.asarray(sigma_w2), jnp.asarray(sigma_b2))
    )
    if not exists:
        raise ValueError(
            f"The q-map of {activation.name} at sigma_w2={sigma_w2}, sigma_b2={sigma_b2} has no "
            "finite fixed point: the pre-activation variance grows without bound. Lower "
            "`sigma_w2`."
        )
    defined = q_star > 0.0
    return SignalPropagation(
        sigma_w2=sigma_w2,
        sigma_b2=sigma_b2,
        q_star=q_star,
        chi1=chi1,
        q_slope=q_slope,
        c_star=c_star if defined else None,
        c_slope=c_slope if defined else None,
    )


@eqx.filter_jit
def variance_map(
    activation: KernelActivation, q: Float[ArrayLike, "*shape"]
) -> Float[Array, "*shape"]:
    """V(q) = E φ(sqrt(q) Z)² / C²: the squared norm after one layer of the normalised φ.

    V(1) = 1; when V'(1) > 1 the mean-field assumption q = 1 is unstable (docs/theory.md).

    Example:
        >>> import jaxfp.kernels as jk
        >>> round(float(variance_map(jk.get_activation("exp"), 1.0)), 12)
        1.0
    """
    check_kernel_activation(activation)
    q = jnp.asarray(q, dtype=float)
    scale = normalization_constant(activation) ** 2
    return jnp.vectorize(lambda v: _second_moment(activation, v))(q) / scale


@eqx.filter_jit
def variance_map_derivative(
    activation: KernelActivation, q: Float[ArrayLike, "*shape"]
) -> Float[Array, "*shape"]:
    """V'(q), from d/dq E f(sqrt(q) Z) = E[(Z² − 1) f(sqrt(q) Z)] / (2q) (no φ' needed).

    q = 1 is a stable fixed point of V when |V'(1)| < 1: tanh 0.64, GELU 1.14, exp 2.

    Example:
        >>> import jaxfp.kernels as jk
        >>> round(float(jk.variance_map_derivative(jk.get_activation("exp"), 1.0)), 6)
        2.0
    """
    check_kernel_activation(activation)
    q = jnp.asarray(q, dtype=float)
    scale = normalization_constant(activation) ** 2
    return jnp.vectorize(lambda v: _second_moment_slope(activation, v))(q) / scale
