"""Theorem 1 of P2: the globally attracting fixed point of a kernel map, its case and rates.

For a nonlinear normalised φ and ρ_0 ∈ (−1, 1), ρ_{ℓ+1} = κ(ρ_ℓ) converges to a unique
ρ* ∈ [0, 1] (docs/theory.md):

1. κ(0) = 0: ρ* = 0, α = 1 / (2 − κ'(0)).
2. κ(0) > 0, κ'(1) < 1: ρ* = 1, α = κ'(1).
3. κ(0) > 0, κ'(1) = 1: ρ* = 1, α = 1 − κ(0) − κ'(0) (polynomial convergence).
4. κ(0) > 0, κ'(1) > 1: ρ* ∈ (0, 1) with κ'(ρ*) < 1,
   α = max{1 − κ(0), κ'(ρ*), (1 − ρ*) / (2 − κ'(ρ*))}.

The exact equalities κ(0) = 0 and κ'(1) = 1 are decided with the documented tolerances
`ZERO_TOLERANCE` and `SLOPE_TOLERANCE` (float64; the quadrature is accurate to ~1e-14, closed
forms are used where they exist), so quadrature noise never changes the case.
"""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .._misc import check_nonnegative
from .._validation import check_count, check_real
from ._activation_type import KernelActivation
from ._architectures import Architecture, as_architecture
from ._hermite import normalization_constant
from ._kernel_maps import check_correlations, kernel_map, kernel_map_derivative

# |κ(0)| below this is κ(0) = 0. κ(0) = (E φ)² / C² is a square, so quadrature noise on E φ
# (~1e-16) shows up as ~1e-32 here.
ZERO_TOLERANCE = 1e-12
# |κ'(1) − 1| below this is κ'(1) = 1 (quadrature of E φ'² is accurate to ~1e-13).
SLOPE_TOLERANCE = 1e-9
# float32 counterparts, used when jax_enable_x64 is off.
_FLOAT32_TOLERANCES = (1e-6, 1e-4)
_GRID_POINTS = 101
_BISECTION_STEPS = 52
# Small evaluations are padded to this many points so that one compilation serves them all.
_PADDED_POINTS = 8
# Roots closer than this are one root; the root nearest ρ*, if this close to it, is ρ*.
_ROOT_TOLERANCE = 1e-8


def _evaluate(function, architecture: Architecture, points) -> np.ndarray:
    points = np.atleast_1d(np.asarray(points, dtype=float))
    values = []
    for start in range(0, len(points), _PADDED_POINTS):
        chunk = points[start : start + _PADDED_POINTS]
        padded = np.pad(chunk, (0, _PADDED_POINTS - len(chunk)), mode="edge")
        values.append(np.asarray(function(architecture, padded))[: len(chunk)])
    return np.concatenate(values) if values else np.zeros(0)


def slope_stability(slope: float, tolerance: float) -> str:
    """What the slope m of a 1-D map at its fixed point says of the point: `"stable"` for
    |m| < 1, `"unstable"` for |m| > 1, `"neutral"` for |m| = 1 within `tolerance`."""
    if abs(abs(slope) - 1.0) <= tolerance:
        return "neutral"
    return "stable" if abs(slope) < 1.0 else "unstable"


class KernelFixedPoint(eqx.Module):
    """A fixed point ρ = κ(ρ) on [−1, 1] with its slope κ'(ρ) and stability.

    `stability` is `"stable"` (|κ'| < 1), `"unstable"` (|κ'| > 1) or `"neutral"`
    (|κ'| = 1 within the slope tolerance; case 3's ρ* = 1 is neutral yet globally attracting).
    `attracting` marks Theorem 1's global attractor ρ*.

    Example:
        >>> import jaxfp.kernels as jk
        >>> [p.stability for p in jk.analyze_kernel(jk.get_activation("tanh")).fixed_points]
        ['unstable', 'stable', 'unstable']
    """

    rho: float
    derivative: float
    stability: str
    attracting: bool


class KernelAnalysis(eqx.Module):
    """Theorem 1 of P2 applied to one architecture; built by `analyze_kernel`.

    Its fields: `architecture`; `kappa0` = κ(0); `dkappa0` = κ'(0); `dkappa1` = κ'(1)
    (= E φ'² / C², computed directly); `case` (1–4); `rho_star`; `alpha` (Theorem 1's global
    rate); `fixed_points` (all fixed points on [−1, 1], a tuple of `KernelFixedPoint`, exactly
    one of them `attracting`: ρ*); `zero_tolerance`, `slope_tolerance` (the tolerances the exact
    case was decided with); `normalization_constant` = C = sqrt(E φ(X)²) of the activation
    (computed once, by `analyze_kernel`). Property: `dkappa_rho_star` = κ'(ρ*) (the local
    rate, the attracting fixed point's `derivative`).

    Raises:
        ValueError: if not exactly one of `fixed_points` is `attracting`.

    Example:
        >>> import jaxfp.kernels as jk
        >>> jk.analyze_kernel(jk.get_activation("relu")).case  # P2's Table 1 says 2: an erratum
        3
    """

    architecture: Architecture
    kappa0: float
    dkappa0: float
    dkappa1: float
    case: int
    rho_star: float
    alpha: float
    fixed_points: tuple[KernelFixedPoint, ...]
    zero_tolerance: float
    slope_tolerance: float
    normalization_constant: float

    def __check_init__(self):
        attracting = sum(point.attracting for point in self.fixed_points)
        if attracting != 1:
            raise ValueError(
                f"`fixed_points` must hold exactly one attracting point (ρ*), got {attracting}."
            )

    @property
    def dkappa_rho_star(self) -> float:
        """κ'(ρ*), the local rate: the `derivative` of the attracting fixed point."""
        return next(point.derivative for point in self.fixed_points if point.attracting)


def _tolerances() -> tuple[float, float]:
    if jax.config.jax_enable_x64:
        return ZERO_TOLERANCE, SLOPE_TOLERANCE
    return _FLOAT32_TOLERANCES


def _roots_of_gap(architecture: Architecture, zero_tolerance: float) -> list[float]:
    """All ρ in [−1, 1] with κ(ρ) = ρ: grid sign changes refined by bisection, plus ±1."""
    grid = np.linspace(-1.0, 1.0, _GRID_POINTS)
    gap = np.asarray(kernel_map(architecture, grid)) - grid
    roots = [float(x) for x, g in zip(grid, gap, strict=True) if abs(g) <= zero_tolerance]
    left_index = [
        i
        for i in range(len(grid) - 1)
        if abs(gap[i]) > zero_tolerance
        and abs(gap[i + 1]) > zero_tolerance
        and np.sign(gap[i]) != np.sign(gap[i + 1])
    ]
    if left_index:
        lower, upper = grid[left_index], grid[np.asarray(left_index) + 1]
        lower_sign = np.sign(gap[left_index])
        for _ in range(_BISECTION_STEPS):
            middle = 0.5 * (lower + upper)
            middle_gap = _evaluate(kernel_map, architecture, middle) - middle
            same = np.sign(middle_gap) == lower_sign
            lower, upper = np.where(same, middle, lower), np.where(same, upper, middle)
        roots += [float(x) for x in 0.5 * (lower + upper)]
    roots = sorted(roots)
    unique: list[float] = []
    for root in roots:
        if not unique or root - unique[-1] > _ROOT_TOLERANCE:
            unique.append(root)
    return unique


def analyze_kernel(
    model: KernelActivation | Architecture,
    *,
    zero_tolerance: float | None = None,
    slope_tolerance: float | None = None,
) -> KernelAnalysis:
    """Classify a kernel map by Theorem 1 of P2: case, ρ*, α, and every fixed point.

    κ(0), κ'(0), κ'(1) and κ'(ρ*) come from closed forms where they exist and from accurate
    quadrature otherwise (κ'(1) = E φ'² / C² directly). κ(0) = 0 is decided by
    `|κ(0)| <= zero_tolerance` (default 1e-12) and κ'(1) = 1 by
    `|κ'(1) − 1| <= slope_tolerance` (default 1e-9); with float32 the
    defaults are 1e-6 and 1e-4. Runs on the host (not jit-able): the number of fixed points is
    data dependent.

    Args:
        model: a `KernelActivation` or `Architecture`.
        zero_tolerance, slope_tolerance: override the tolerances above.

    Returns:
        A `KernelAnalysis`.

    Raises:
        ValueError: for a linear kernel map (κ(ρ) = ρ: Theorem 1 needs a nonlinear
            φ), for a discontinuous activation without closed form, or for tolerances that
            are not finite numbers ≥ 0.

    Example:
        >>> import jaxfp.kernels as jk
        >>> analysis = jk.analyze_kernel(jk.get_activation("gelu"))
        >>> analysis.case, round(analysis.rho_star, 6)
        (4, 0.760402)
    """
    architecture = as_architecture(model)
    default_zero, default_slope = _tolerances()
    zero_tolerance = (
        default_zero
        if zero_tolerance is None
        else check_nonnegative(zero_tolerance, "zero_tolerance")
    )
    slope_tolerance = (
        default_slope
        if slope_tolerance is None
        else check_nonnegative(slope_tolerance, "slope_tolerance")
    )
    values = _evaluate(kernel_map, architecture, [0.0, 1.0])
    slopes = _evaluate(kernel_map_derivative, architecture, [0.0, 1.0])
    kappa0, dkappa0, dkappa1 = float(values[0]), float(slopes[0]), float(slopes[1])
    if abs(kappa0) <= zero_tolerance and abs(dkappa0 - 1.0) <= slope_tolerance:
        raise ValueError(
            f"`model` ({architecture.activation.name}) has the linear kernel map κ(ρ) = ρ: "
            "every ρ is a fixed point and Theorem 1 (which needs a nonlinear φ) does not apply."
        )
    roots = _roots_of_gap(architecture, zero_tolerance)
    root_slopes = [float(s) for s in _evaluate(kernel_map_derivative, architecture, roots)]
    if abs(kappa0) <= zero_tolerance:
        case, rho_star = 1, 0.0
        alpha = 1.0 / (2.0 - dkappa0)
    elif abs(dkappa1 - 1.0) <= slope_tolerance:
        case, rho_star = 3, 1.0
        alpha = 1.0 - kappa0 - dkappa0
    elif dkappa1 < 1.0:
        case, rho_star = 2, 1.0
        alpha = dkappa1
    else:
        case = 4
        inside = [
            (r, s) for r, s in zip(roots, root_slopes, strict=True) if 0.0 < r < 1.0 and s < 1.0
        ]
        if len(inside) != 1:
            raise RuntimeError(
                f"Theorem 1 case 4 needs one fixed point in (0, 1) with κ' < 1; found "
                f"{[r for r, _ in inside]}. The kernel map may be inaccurate: report this "
                "activation."
            )
        ((rho_star, slope),) = inside
        alpha = max(1.0 - kappa0, slope, (1.0 - rho_star) / (2.0 - slope))
    # Two roots may lie within the tolerance of ρ* (on either side of it): only the nearest is ρ*.
    nearest = min(range(len(roots)), key=lambda i: abs(roots[i] - rho_star), default=None)
    attracting = nearest is not None and abs(roots[nearest] - rho_star) <= _ROOT_TOLERANCE
    points = tuple(
        KernelFixedPoint(
            root, slope, slope_stability(slope, slope_tolerance), attracting and i == nearest
        )
        for i, (root, slope) in enumerate(zip(roots, root_slopes, strict=True))
    )
    if not attracting:
        raise RuntimeError(
            f"Theorem 1 case {case} puts ρ* at {rho_star}, but κ({rho_star}) = "
            f"{float(_evaluate(kernel_map, architecture, rho_star)[0])!r} is not ρ* within "
            f"`zero_tolerance` = {zero_tolerance}. The kernel map may be inaccurate (a "
            "normalized kernel map has κ(1) = 1): check the activation's closed form."
        )
    return KernelAnalysis(
        architecture=architecture,
        kappa0=kappa0,
        dkappa0=dkappa0,
        dkappa1=dkappa1,
        case=case,
        rho_star=float(rho_star),
        alpha=float(alpha),
        fixed_points=points,
        zero_tolerance=zero_tolerance,
        slope_tolerance=slope_tolerance,
        normalization_constant=float(normalization_constant(architecture.activation)),
    )


def convergence_bound(
    analysis: KernelAnalysis,
    rho0: Float[ArrayLike, "*shape"],
    depth: Float[ArrayLike, "*shape"],
) -> Float[Array, "*shape"]:
    """Theorem 1's bound on |ρ_ℓ − ρ*| after `depth` = ℓ layers from ρ_0 = `rho0`.

    Case 1: |ρ_ℓ| ≤ b / (1 + b), b = |ρ_0| / (1 − |ρ_0|) α^ℓ. Case 2: |ρ_0 − 1| α^ℓ.
    Case 3: |ρ_0 − 1| / (ℓ α |ρ_0 − 1| + 1). Case 4: |ρ_0 − ρ*| / (1 − |ρ_0|) α^ℓ.
    `rho0` and `depth` broadcast against each other.

    Raises:
        ValueError: if `analysis` is not a `KernelAnalysis`, `rho0` is not in [−1, 1] or
            `depth` is not ≥ 0 (concrete values; traced ones are not checked).

    Example:
        >>> import jaxfp.kernels as jk
        >>> analysis = jk.analyze_kernel(jk.get_activation("sigmoid"))
        >>> bool(jk.convergence_bound(analysis, 0.0, 3) <= analysis.alpha ** 3 + 1e-15)
        True
    """
    if not isinstance(analysis, KernelAnalysis):
        raise ValueError(f"`analysis` must be a KernelAnalysis, got {type(analysis).__name__}.")
    check_correlations(rho0, "rho0")
    if not isinstance(depth, jax.core.Tracer) and not (
        np.asarray(depth).dtype.kind in "iuf" and np.all(np.asarray(depth) >= 0)
    ):
        raise ValueError(f"`depth` must be ≥ 0 (numbers of layers), got {depth!r}.")
    signed = jnp.asarray(rho0, dtype=float)
    rho0 = jnp.abs(signed)
    depth = jnp.asarray(depth, dtype=float)
    alpha, rho_star = analysis.alpha, analysis.rho_star
    if analysis.case == 1:
        ratio = rho0 / (1.0 - rho0) * alpha**depth
        return ratio / (1.0 + ratio)
    if analysis.case == 2:
        return jnp.abs(signed - 1.0) * alpha**depth
    if analysis.case == 3:
        gap = jnp.abs(signed - 1.0)
        return gap / (depth * alpha * gap + 1.0)
    return jnp.abs(signed - rho_star) / (1.0 - rho0) * alpha**depth


def kernel_sequence(
    model: KernelActivation | Architecture, rho0: Float[ArrayLike, "*shape"], depth: int
) -> Float[Array, "*shape depth+1"]:
    """ρ_0, ρ_1 = κ(ρ_0), …, ρ_L = κ^L(ρ_0): the mean-field similarity across L layers.

    Iterated with `jax.lax.scan`; `rho0` may be any array of starting correlations.

    Returns:
        An array of shape `rho0.shape + (depth + 1,)`.

    Raises:
        ValueError: if `depth` is not a non-negative integer, or `rho0` is not real
            correlations in [−1, 1].

    Example:
        >>> import jaxfp.kernels as jk
        >>> [round(float(v), 6) for v in jk.kernel_sequence(jk.get_activation("hermite:2"), 0.5, 2)]
        [0.5, 0.25, 0.0625]
    """
    depth = check_count(depth, "depth", minimum=0)
    return _kernel_sequence(model, check_correlations(rho0, "rho0"), depth)


@eqx.filter_jit
def _kernel_sequence(model, rho0, depth: int):
    architecture = as_architecture(model)
    rho0 = jnp.asarray(rho0, dtype=float)

    def step(rho, _):
        following = kernel_map(architecture, rho)
        return following, following

    _, trajectory = jax.lax.scan(step, rho0, None, length=depth)
    trajectory = jnp.concatenate([rho0[None], trajectory], axis=0)
    return jnp.moveaxis(trajectory, 0, -1)


def depth_to_indistinguishability(
    analysis: KernelAnalysis, epsilon: float, rho0: float = 0.0
) -> int:
    """The smallest depth ℓ at which Theorem 1's bound guarantees |ρ_ℓ − ρ*| ≤ ε.

    In case 2 from ρ_0 = 0 this is ⌈ln(1/ε) / ln(1/κ'(1))⌉ (P2 §4): inputs become
    indistinguishable. Case 3 needs ℓ ≥ (1/ε − 1/|1 − ρ_0|) / α (polynomial, not logarithmic).

    Raises:
        ValueError: unless 0 < `epsilon` < 1 and −1 < `rho0` < 1.

    Example:
        >>> import jaxfp.kernels as jk
        >>> jk.depth_to_indistinguishability(jk.analyze_kernel(jk.get_activation("sigmoid")), 1e-6)
        8
    """
    if not isinstance(analysis, KernelAnalysis):
        raise ValueError(f"`analysis` must be a KernelAnalysis, got {type(analysis).__name__}.")
    check_real(epsilon, "epsilon", 0, 1, open_lower=True)
    check_real(rho0, "rho0", -1, 1, open_lower=True)
    epsilon, rho0 = float(epsilon), float(rho0)
    alpha = analysis.alpha
    if analysis.case == 1:
        start = abs(rho0) / (1.0 - abs(rho0))
        target = epsilon / (1.0 - epsilon)
    elif analysis.case == 3:
        gap = abs(1.0 - rho0)
        return max(0, math.ceil((1.0 / epsilon - 1.0 / gap) / alpha))
    elif analysis.case == 2:
        start, target = abs(1.0 - rho0), epsilon
    else:
        start, target = abs(rho0 - analysis.rho_star) / (1.0 - abs(rho0)), epsilon
    if start <= target:
        return 0
    if alpha <= 0.0:
        return 1
    return math.ceil(math.log(start / target) / math.log(1.0 / alpha))
