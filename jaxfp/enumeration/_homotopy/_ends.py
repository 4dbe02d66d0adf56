"""What a tracked path's end says, decided on the host in float64 / complex128: a finite
nonsingular solution, a solution at infinity, a singular end, or a failure; and path jumping
(two paths on one nonsingular solution).

A reached end with |z_0| / ‖z‖∞ below `_INFINITY_RATIO` is at infinity; a path stalled near
t = 1 goes to infinity when its endgame slope (the order at which z_0 → 0) exceeds
`_INFINITY_SLOPE`, else it is singular. Other reached ends are polished by Newton's method on
x − F(x) and are finite nonsingular when the residual is small and I − J_F is well conditioned,
singular when only the residual is small, failures otherwise.
"""

import numpy as np

from ..._numerics import group_points
from ...looped import LoopedNet
from ._track import REACHED, STALLED_NEAR_END

FINITE, AT_INFINITY, SINGULAR, FAILED = range(4)
END_NAMES = ("finite", "at_infinity", "singular", "failed")
# An endgame slope of log|z_0| against log(1 − t) above this means z_0 → 0 (infinity).
_INFINITY_SLOPE = 0.1
# A reached end with |z_0| / ‖z‖∞ below this is a (nonsingular) solution at infinity.
_INFINITY_RATIO = 1e-10
# Affine ends whose Jacobian I − J_F has a condition number above this are singular.
_SINGULAR_CONDITION = 1e10
# Ends closer than this (atol = rtol, on real and imaginary parts) are the same point.
SAME_POINT = 1e-8
_POLISH_ITERATIONS = 4
# A finite end is real when ‖Im x‖∞ ≤ this · max(1, ‖x‖∞).
_REAL_TOLERANCE = 1e-8


def affine_jacobian(net: LoopedNet, coefficients, x: np.ndarray) -> np.ndarray:
    """I − J_F(x) for complex or real x of shape (n, d)."""
    weight, bias = np.asarray(net.W), np.asarray(net.b)
    derivative = np.polynomial.polynomial.polyder(np.asarray(coefficients))
    eye = np.eye(net.dim)
    if net.form == "sigma-affine":
        slope = np.polynomial.polynomial.polyval(x @ weight.T + bias, derivative)
        return eye - slope[:, :, None] * weight[None]
    slope = np.polynomial.polynomial.polyval(x, derivative)
    return eye - weight[None] * slope[:, None, :]


def residual(net: LoopedNet, coefficients, x: np.ndarray) -> np.ndarray:
    """x − F(x) for x of shape (n, d), with σ the polynomial of `coefficients`."""
    weight, bias, c = np.asarray(net.W), np.asarray(net.b), np.asarray(coefficients)
    if net.form == "sigma-affine":
        return x - np.polynomial.polynomial.polyval(x @ weight.T + bias, c)
    return x - np.polynomial.polynomial.polyval(x, c) @ weight.T - bias


def newton(net: LoopedNet, coefficients, x: np.ndarray) -> np.ndarray:
    """A few Newton steps on x − F(x) from each row of x (n, d)."""
    for _ in range(_POLISH_ITERATIONS):
        if x.shape[0] == 0:
            break
        step = np.linalg.solve(
            affine_jacobian(net, coefficients, x), residual(net, coefficients, x)[..., None]
        )
        x = x - step[..., 0]
    return x


def classify(
    net: LoopedNet, coefficients, z: np.ndarray, status: np.ndarray, slope: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """End kind per path (int8) and the polished affine end (complex, NaN where none), from the
    paths' last chart points `z`, tracking statuses and endgame slopes (`PathState`'s)."""
    ratio = np.abs(z[:, 0]) / np.maximum(np.abs(z).max(axis=1), 1e-300)
    kind = np.full(status.shape, FAILED, np.int8)
    reached = status == REACHED
    stalled = status == STALLED_NEAR_END
    kind[reached & (ratio < _INFINITY_RATIO)] = AT_INFINITY
    kind[stalled & (slope > _INFINITY_SLOPE)] = AT_INFINITY
    kind[stalled & (slope <= _INFINITY_SLOPE)] = SINGULAR
    candidates = np.flatnonzero(reached & (ratio >= _INFINITY_RATIO))
    points = np.full((status.shape[0], net.dim), np.nan + 0j)
    with np.errstate(all="ignore"):
        x = newton(net, coefficients, z[candidates, 1:] / z[candidates, :1])
        condition = np.linalg.cond(affine_jacobian(net, coefficients, x))
        size = np.abs(residual(net, coefficients, x)).max(axis=1, initial=0.0)
    scale = np.maximum(1.0, np.abs(x).max(axis=1, initial=0.0))
    good = np.isfinite(size) & (size <= 1e-8 * scale)
    nonsingular = good & (condition < _SINGULAR_CONDITION)
    kind[candidates[nonsingular]] = FINITE
    kind[candidates[good & ~nonsingular]] = SINGULAR
    points[candidates[good]] = x[good]
    return kind, points


def shared_ends(points: np.ndarray) -> np.ndarray:
    """Bool per row: the (complex) point coincides with another row's (path jumping)."""
    if points.shape[0] < 2:
        return np.zeros(points.shape[0], bool)
    stacked = np.concatenate([points.real, points.imag], axis=1)
    labels, _ = group_points(stacked, SAME_POINT, SAME_POINT)
    return np.bincount(labels)[labels] > 1


class Ends:
    """The paths with a finite end (`index`, sorted) and their ends (`point`, complex)."""

    def __init__(self, index: np.ndarray, point: np.ndarray):
        order = np.argsort(index)
        self.index, self.point = index[order], point[order]

    def of_kind(self, kind: np.ndarray, which: int) -> np.ndarray:
        return self.point[kind[self.index] == which]

    def replace(self, paths: np.ndarray, index: np.ndarray, point: np.ndarray) -> None:
        """The ends of `paths` re-tracked: the old ones dropped, the new finite ones added."""
        keep = ~np.isin(self.index, paths)
        self.__init__(
            np.concatenate([self.index[keep], index]), np.concatenate([self.point[keep], point])
        )

    def to_redo(self, kind: np.ndarray) -> np.ndarray:
        """Paths to track again: failed ones, and finite nonsingular ones sharing their end."""
        finite = kind[self.index] == FINITE
        jumped = self.index[finite][shared_ends(self.point[finite])]
        return np.union1d(np.flatnonzero(kind == FAILED), jumped).astype(np.int64)


def real_part(points: np.ndarray) -> np.ndarray:
    """The real parts of the (complex) `points` that are real to `_REAL_TOLERANCE`."""
    scale = np.maximum(1.0, np.abs(points).max(axis=1, initial=0.0))
    real = np.abs(points.imag).max(axis=1, initial=0.0) <= _REAL_TOLERANCE * scale
    return points[real].real.astype(np.float64)
