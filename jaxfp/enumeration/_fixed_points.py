"""`FixedPoints`: the one result every enumeration method returns, and its `Proof` record."""

import dataclasses

import numpy as np

from .._numerics import ATTRACTING, NON_HYPERBOLIC, REPELLING, SADDLE
from ._index_check import IndexCheck, IndexCheckFields

# The keys of `PointRows.point_counts`.
POINT_COUNTS = (
    "num_fixed_points",
    "num_attracting",
    "num_saddle",
    "num_repelling",
    "num_non_hyperbolic",
    "num_certified",
)


@dataclasses.dataclass(frozen=True)
class Proof:
    """Why a list of fixed points is complete: the method and its argument, in words.

    - `method`: the method whose run proves it (`"exact-regions"`, `"branch-and-bound"`,
      `"homotopy"`).
    - `argument`: the argument, e.g. "all 9 activation regions solved or excluded".
    """

    method: str
    argument: str


@dataclasses.dataclass(frozen=True)
class Evidence:
    """What is known about a list of fixed points beyond its proof, as fields; `text()` is the
    summary in words, derived from them (`str(evidence)` is the same).

    - `reason`: why this method ran (what `Auto` chose and why; "" otherwise).
    - `findings`: what the method(s) established, one statement per entry, in the order they ran
      (e.g. "81 starts, 16 orthants"; "all 9 regions solved").
    - `caveats`: what the findings do not establish (e.g. "starts are never a proof of
      completeness"; "the proof is contradicted by the index check: not claimed complete").
    - `index_check`: the index check of the final list, in words ("" before the assembly adds it).
    - `hints`: what would finish the job (e.g. "--method exact-regions proves the list complete").

    Example:
        >>> Evidence(findings=("4 starts",), caveats=("not a proof",)).text()
        '4 starts; not a proof'
    """

    reason: str = ""
    findings: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()
    index_check: str = ""
    hints: tuple[str, ...] = ()

    def text(self) -> str:
        """The evidence in words: the fields that are not empty, in order, joined by "; "."""
        parts = (self.reason, *self.findings, *self.caveats, self.index_check, *self.hints)
        return "; ".join(part for part in parts if part)

    def __str__(self) -> str:
        return self.text()


@dataclasses.dataclass(frozen=True, eq=False)
class PointRows:
    """The rows every enumeration record has, one per distinct fixed point (`FixedPoints` and
    the starts record `IterativeFixedPoints` extend it; their docstrings say what each means),
    and what is read off them."""

    points: np.ndarray
    spectral_radius: np.ndarray
    stability: np.ndarray
    min_singular_value: np.ndarray
    determinant_sign: np.ndarray
    certified: np.ndarray
    certificate_margin: np.ndarray

    @property
    def num_fixed_points(self) -> int:
        return int(self.points.shape[0])

    @property
    def attracting(self) -> np.ndarray:
        """Bool (n,): attracting for the iterated map (spectral radius < 1)."""
        return self.stability == ATTRACTING

    def point_counts(self) -> dict:
        """The points counted by stability, and the certified ones (the keys `POINT_COUNTS`)."""
        stability = np.asarray(self.stability)
        kinds = (ATTRACTING, SADDLE, REPELLING, NON_HYPERBOLIC)
        counts = [self.num_fixed_points, *(int(np.sum(stability == kind)) for kind in kinds)]
        return dict(zip(POINT_COUNTS, [*counts, int(np.sum(self.certified))], strict=True))


# The per-point diagnostics of every enumeration record (its fields after `points`), to which
# each adds the points' residuals (`FixedPoints.residuals`, the starts record's `residual`).
POINT_DIAGNOSTICS = tuple(field.name for field in dataclasses.fields(PointRows))[1:]


@dataclasses.dataclass(frozen=True, eq=False)
class FixedPoints(PointRows, IndexCheckFields):
    """The fixed points one enumeration method found, classified and certified.

    Per fixed point (n rows, one per distinct point):

    - `points` (n, d): x* with F(x*) = x*.
    - `residuals` (n,): ‖F(x*) − x*‖_∞ / (1 + ‖x*‖_∞).
    - `spectral_radius` (n,), `stability` (n,) int8 (index into `STABILITY_NAMES`),
      `min_singular_value` (n,) (σ_min(I − J), the distance to a fold), `determinant_sign` (n,)
      int8 (sign det(I − J), the point's index): the Jacobian diagnostics of `jaxfp._numerics`.
    - `certified` (n,) bool and `certificate_margin` (n,): a box around x* provably holds exactly
      one fixed point, and that box's robustness margin (NaN where not certified).

    Run-level:

    - `complete`: True only when `proof` is not None: the list is every fixed point of the net.
    - `proof`: a `Proof` (the method and the argument), or None.
    - `evidence`: what else is known, as an `Evidence` (fields: Auto's reason, the methods'
      findings, caveats, the index check (consistent or inconsistent; a consistent index check
      is never a proof), hints); `evidence.text()` says it in words.
    - `index`: the index check of the list, an `IndexCheck` (its words are
      `evidence.index_check`); read as `index_sum`, `expected_degree` (None when unknown) and
      `index_consistent` (None when undecided).
    - `method`: the method that ran (for `Auto`, e.g. "auto: starts + branch-and-bound").
    - `stats`: the method's own statistics (`StartsStats`, `ExactRegionsStats`,
      `BranchAndBoundStats`, `AutoStats`, ...), each with a `summary()`.
    - `wall_time_s`: wall time of the whole call, in seconds.
    """

    residuals: np.ndarray
    complete: bool
    proof: Proof | None
    evidence: Evidence
    index: IndexCheck
    method: str
    stats: object
    wall_time_s: float

    def summary(self) -> dict:
        """The run in numbers and words (what `jaxfp enumerate --json` prints)."""
        proof = None if self.proof is None else dataclasses.asdict(self.proof)
        stats = self.stats.summary() if hasattr(self.stats, "summary") else {}
        return {
            "method": self.method,
            **self.point_counts(),
            "complete": self.complete,
            "proof": proof,
            "evidence": self.evidence.text(),
            "evidence_fields": dataclasses.asdict(self.evidence),
            "index_sum": self.index_sum,
            "expected_degree": self.expected_degree,
            "index_consistent": self.index_consistent,
            "wall_time_s": self.wall_time_s,
            "stats": stats,
        }

    def __repr__(self) -> str:
        return (
            f"FixedPoints(method={self.method!r}, num_fixed_points={self.num_fixed_points}, "
            f"num_attracting={int(np.sum(self.attracting))}, complete={self.complete}, "
            f"proof={None if self.proof is None else self.proof.method!r})"
        )
