"""The typed result of the iterative sign-basin enumeration (numpy arrays: it may be streamed)."""

import dataclasses

import numpy as np

from ._fixed_points import POINT_DIAGNOSTICS, PointRows
from ._index_check import IndexCheck, IndexCheckFields

# Outcome of a start's trajectory (and of its Newton solve): indices into OUTCOME_NAMES.
OUTCOME_NAMES = (
    "fixed_point",
    "two_cycle",
    "stagnated",
    "diverged",
    "nonfinite",
    "max_steps",
    "linear_solve_failed",
    "residual_too_large",
    "not_run",
)
(
    FIXED_POINT,
    TWO_CYCLE,
    STAGNATED,
    DIVERGED,
    NONFINITE,
    MAX_STEPS,
    LINEAR_SOLVE_FAILED,
    RESIDUAL_TOO_LARGE,
    NOT_RUN,
) = range(len(OUTCOME_NAMES))


@dataclasses.dataclass(frozen=True, eq=False)
class IterativeFixedPoints(PointRows, IndexCheckFields):
    """Every fixed point the iterative sign-basin enumeration found, classified and certified.

    Per fixed point (n rows, one per distinct point, in order of discovery):

    - `points` (n, d): x* with F(x*) = x*.
    - `sign_patterns` (n, d) int8: sign(x* − centre), 0 where a coordinate is within the
      deduplication tolerance of the centre's (a point on an orthant boundary).
    - `residual` (n,): ‖F(x*) − x*‖_∞ / (1 + ‖x*‖_∞).
    - `spectral_radius` (n,): ρ(J_F(x*)).
    - `stability` (n,) int8: index into `STABILITY_NAMES` (attracting, saddle, repelling,
      non-hyperbolic) for the iterated map.
    - `min_singular_value` (n,): σ_min(I − J_F(x*)), the distance to a fold (0: degenerate).
    - `determinant_sign` (n,) int8: sign det(I − J_F(x*)), the point's fixed-point index.
    - `certified` (n,) bool: a small box around x* provably holds exactly one fixed point
      (`jaxfp.certify.certify_fixed_point`; all False when certification was not asked for).
    - `certificate_margin` (n,): the certified box's robustness margin δ (P1 Theorem 4.2; NaN
      where not certified).
    - `reached_by` (n,): how many starts' trajectories converged to the point.
    - `newton_hits` (n,): how many Newton-from-start solves converged to it.

    Per start (`num_starts` rows; for j < num_orthants·K, start j is start
    `j % starts_per_orthant` of orthant `orthants[j // starts_per_orthant]`; the last
    `num_face_starts` rows are the face starts, in base-3 order of their ternary patterns):

    - `start_outcome` (int8): index into `OUTCOME_NAMES` for the start's trajectory (a 2-cycle or a
      divergence is reported, never counted as a fixed point).
    - `start_limit`: the point the trajectory converged to (row of `points`), −1 if none.
    - `start_newton_root`: the point Newton's method converged to from the start, −1 if none.
    - `start_stayed` (bool): the trajectory's limit lies in the start's own orthant.

    Run-level: `centre`, `starts_per_orthant`, `num_face_starts`, `orthants` (the orthant numbers
    enumerated, or `None` for all 2^d), `num_orthants`, `sampled`, `orthants_with_fixed_point`
    (enumerated orthants holding a found fixed point strictly inside), `orthant_fraction` and
    `orthant_fraction_interval` (95% Wilson interval; exact when not sampled), `index` (the index
    sum against the degree, an `IndexCheck`: a consistency check, never a proof; read as
    `index_sum`, `expected_degree` (`None` when unknown), `index_consistent` (a bool) and
    `index_check` (in words)), `wall_time_s`, `devices`, `method` (`"iterative"`).
    """

    sign_patterns: np.ndarray
    residual: np.ndarray
    reached_by: np.ndarray
    newton_hits: np.ndarray
    start_outcome: np.ndarray
    start_limit: np.ndarray
    start_newton_root: np.ndarray
    start_stayed: np.ndarray
    centre: np.ndarray
    starts_per_orthant: int
    num_face_starts: int
    orthants: np.ndarray | None
    num_orthants: int
    sampled: bool
    orthants_with_fixed_point: int
    orthant_fraction: float
    orthant_fraction_interval: tuple[float, float]
    index: IndexCheck
    certification: bool
    wall_time_s: float
    devices: int
    method: str = "iterative"

    def point_diagnostics(self) -> dict:
        """The per-point diagnostics under `FixedPoints`' names (`residuals`, then
        `POINT_DIAGNOSTICS`), one row per point of `points`."""
        return {"residuals": self.residual, **{k: getattr(self, k) for k in POINT_DIAGNOSTICS}}

    @property
    def index_check(self) -> str:
        """The index check in words."""
        return self.index.words

    @property
    def num_starts(self) -> int:
        return int(self.start_outcome.shape[0])

    def outcome_counts(self) -> dict[str, int]:
        """How many starts' trajectories ended in each outcome (names of `OUTCOME_NAMES`)."""
        counts = np.bincount(np.asarray(self.start_outcome), minlength=len(OUTCOME_NAMES))
        return {name: int(count) for name, count in zip(OUTCOME_NAMES, counts, strict=True)}

    def summary(self) -> dict:
        """The run in numbers (what `jaxfp enumerate --json` prints)."""
        return {
            "method": self.method,
            **self.point_counts(),
            "index_sum": self.index_sum,
            "expected_degree": self.expected_degree,
            "index_consistent": self.index_consistent,
            "index_check": self.index_check,
            "num_starts": self.num_starts,
            "starts_per_orthant": self.starts_per_orthant,
            "num_face_starts": self.num_face_starts,
            "num_orthants": self.num_orthants,
            "sampled": self.sampled,
            "orthants_with_fixed_point": self.orthants_with_fixed_point,
            "orthant_fraction": self.orthant_fraction,
            "orthant_fraction_interval": list(self.orthant_fraction_interval),
            "start_outcomes": self.outcome_counts(),
            "wall_time_s": self.wall_time_s,
            "devices": self.devices,
        }

    def __repr__(self) -> str:
        summary = self.summary()
        return (
            f"IterativeFixedPoints(num_fixed_points={summary['num_fixed_points']}, "
            f"num_attracting={summary['num_attracting']}, "
            f"num_certified={summary['num_certified']}, "
            f"index_sum={self.index_sum}, expected_degree={self.expected_degree}, "
            f"index_consistent={self.index_consistent}, num_starts={self.num_starts})"
        )
