"""Exact classification of activation regions whose system (I − W D_s) u = W c_s + b is singular.

The solutions of a singular system are empty or an affine set u₀ + N z (N a basis of the null
space, from the SVD). The fixed points in the region are that set intersected with the region's
box of pieces, a polyhedron: a linear-programming feasibility test says whether it is empty, and
minimising and maximising each z_j says whether it is a single point or a continuum.
"""

import equinox as eqx
import numpy as np
from scipy.optimize import linprog

SINGULAR_REGION_KINDS = {
    "no_solution": "The linear system is inconsistent: the region holds no fixed point.",
    "misses_region": (
        "The solutions form an affine set that misses the region: the region holds no fixed point."
    ),
    "continuum": (
        "The solutions meet the region in a set of positive dimension: a continuum of fixed "
        "points (the representative point is one of them)."
    ),
    "single_point": (
        "The solutions meet the region in a single point, on its boundary: an isolated fixed "
        "point, also listed with the points."
    ),
    "regular": "The SVD found the system regular after all; the region was solved exactly.",
    "undecided": (
        "The linear program failed, so this region is not classified: the run is incomplete."
    ),
}
"""What a region with a singular system I − W D_s holds, by kind name."""


# Rank threshold of the SVD relative to the largest singular value, times d · machine epsilon.
_RANK_FACTOR = 10.0
# A consistent system's residual must be below this times 1 + ‖rhs‖.
_CONSISTENCY_RTOL = 1e-9
# Extent below which the intersection counts as a single point, relative to 1 + ‖u₀‖.
_POINT_EXTENT_RTOL = 1e-6


class Classification(eqx.Module):
    """One singular region's class, a representative u (NaN when it holds none), its nullity."""

    kind: str = eqx.field(static=True)
    preactivation: np.ndarray
    nullity: int


def classify(matrix, rhs, lower, upper, boundary_tol: float) -> Classification:
    """Classify one region: `matrix` = I − W D_s, `rhs` = W c_s + b, pieces [lower, upper]."""
    d = rhs.shape[0]
    left, values, right_t = np.linalg.svd(matrix)
    threshold = _RANK_FACTOR * d * np.finfo(float).eps * max(values.max(initial=0.0), 1.0)
    rank = int(np.sum(values > threshold))
    if rank == d:
        u = np.linalg.solve(matrix, rhs)
        return Classification("regular", u, 0)
    u0 = right_t[:rank].T @ ((left[:, :rank].T @ rhs) / values[:rank])
    if np.linalg.norm(matrix @ u0 - rhs) > _CONSISTENCY_RTOL * (1 + np.linalg.norm(rhs)):
        return Classification("no_solution", np.full(d, np.nan), d - rank)
    null = right_t[rank:].T
    slack = boundary_tol * (1 + np.abs(u0))
    # lower − slack ≤ u0 + N z ≤ upper + slack, written as A_ub z ≤ b_ub over finite ends.
    rows_upper, rows_lower = np.isfinite(upper), np.isfinite(lower)
    a_ub = np.concatenate([null[rows_upper], -null[rows_lower]])
    b_ub = np.concatenate([(upper - u0 + slack)[rows_upper], (u0 - lower + slack)[rows_lower]])
    nullity = d - rank

    def solve(objective):
        return linprog(objective, A_ub=a_ub, b_ub=b_ub, bounds=(None, None), method="highs")

    feasible = solve(np.zeros(nullity))
    if feasible.status == 2:
        return Classification("misses_region", np.full(d, np.nan), nullity)
    if feasible.status != 0:
        return Classification("undecided", np.full(d, np.nan), nullity)
    point = u0 + null @ feasible.x
    extent_limit = _POINT_EXTENT_RTOL * (1 + np.abs(u0).max(initial=0.0))
    for j in range(nullity):
        objective = np.zeros(nullity)
        objective[j] = 1.0
        low, high = solve(objective), solve(-objective)
        if low.status == 3 or high.status == 3:
            return Classification("continuum", point, nullity)
        if low.status != 0 or high.status != 0:
            return Classification("undecided", np.full(d, np.nan), nullity)
        if high.x[j] - low.x[j] > extent_limit:
            return Classification("continuum", point, nullity)
    return Classification("single_point", point, nullity)
