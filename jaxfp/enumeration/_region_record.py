"""What solving a range of activation regions found, before assembly: one record per run or part.

The exact-regions engine numbers the regions left after pruning 0 … n − 1 (`RegionPlan`). Solving
regions `begin … end − 1` gives a `RegionRecord`: the accepted rows of the batched solves (in
region order), the rows that the exact classification of singular regions accepted, every
singular region with its kind, and the count of residual failures. A one-process run is one
record over [0, n); the parts of a multi-process run are records over contiguous ranges, and the
assembly (`jaxfp.enumeration._region_assemble`) takes the records in order, so the merged parts
give the one-process answer point for point. The record round-trips through plain arrays (the part
file of `jaxfp.enumeration.save_part`).
"""

import dataclasses
import hashlib
from collections.abc import Sequence

import numpy as np


@dataclasses.dataclass(frozen=True, eq=False)
class RegionRows:
    """Accepted rows of solved regions, one per candidate fixed point: the pre-activation u
    (m, d), the region's pattern (m, d) int64, the margin (m,), the boundary flag (m,) bool and
    sign det(I − W D_s) (m,) int64."""

    preactivations: np.ndarray
    patterns: np.ndarray
    margins: np.ndarray
    on_boundary: np.ndarray
    signs: np.ndarray

    @classmethod
    def empty(cls, dim: int) -> "RegionRows":
        """No rows, with the dtypes and widths of the fields."""
        return cls(
            np.zeros((0, dim)),
            np.zeros((0, dim), np.int64),
            np.zeros(0),
            np.zeros(0, bool),
            np.zeros(0, np.int64),
        )

    @classmethod
    def concatenate(cls, rows: Sequence["RegionRows"], dim: int) -> "RegionRows":
        """The rows of `rows` stacked, in order (`empty(dim)` for none)."""
        if not rows:
            return cls.empty(dim)
        return cls(*(np.concatenate([getattr(row, name) for row in rows]) for name in ROW_FIELDS))

    def take(self, index) -> "RegionRows":
        """The rows `index` (a mask or row numbers)."""
        return RegionRows(*(getattr(self, name)[index] for name in ROW_FIELDS))


# The columns of an accepted row, as the part files name them.
ROW_FIELDS = tuple(field.name for field in dataclasses.fields(RegionRows))


def plan_digest(plan) -> str:
    """A digest of a `RegionPlan`: parts of one run must have numbered the same regions."""
    digest = hashlib.sha256()
    for name in ("prefixes", "suffix_pieces", "radices", "num_suffix", "num_regions"):
        digest.update(np.ascontiguousarray(np.asarray(getattr(plan, name), np.int64)).tobytes())
    return digest.hexdigest()


@dataclasses.dataclass(frozen=True, eq=False)
class RegionRecord:
    """Regions `begin … end − 1` of the `num_regions` planned ones, solved.

    Attributes:
        begin, end: the range of region numbers solved.
        num_regions: the regions left to solve after pruning, over the whole run.
        plan: the digest of the run's `RegionPlan` (`plan_digest`).
        solved: the accepted rows of the batched solves (`RegionRows`, region order).
        classified: the rows accepted by the exact classification of singular regions.
        singular_patterns (m, d), singular_kinds (m,), singular_preactivations (m, d),
        singular_nullity (m,): every singular region, its kind (`SINGULAR_REGION_KINDS`), its
            representative pre-activation (NaN when it holds none) and null-space dimension.
        failures: consistent candidates that failed the residual check.
    """

    begin: int
    end: int
    num_regions: int
    plan: str
    solved: RegionRows
    classified: RegionRows
    singular_patterns: np.ndarray
    singular_kinds: tuple[str, ...]
    singular_preactivations: np.ndarray
    singular_nullity: np.ndarray
    failures: int

    def arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        """The record as named arrays and JSON-able numbers (what a part file stores)."""
        arrays = {
            f"{kind}_{name}": getattr(rows, name)
            for kind, rows in (("solved", self.solved), ("classified", self.classified))
            for name in ROW_FIELDS
        }
        arrays["singular_patterns"] = self.singular_patterns
        arrays["singular_kinds"] = np.asarray(self.singular_kinds, dtype=np.str_)
        arrays["singular_preactivations"] = self.singular_preactivations
        arrays["singular_nullity"] = self.singular_nullity
        numbers = {
            "begin": self.begin,
            "end": self.end,
            "num_regions": self.num_regions,
            "plan": self.plan,
            "failures": self.failures,
        }
        return arrays, numbers

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], numbers: dict) -> "RegionRecord":
        """The record that `arrays()` wrote."""
        return cls(
            begin=int(numbers["begin"]),
            end=int(numbers["end"]),
            num_regions=int(numbers["num_regions"]),
            plan=str(numbers["plan"]),
            solved=RegionRows(*(arrays[f"solved_{name}"] for name in ROW_FIELDS)),
            classified=RegionRows(*(arrays[f"classified_{name}"] for name in ROW_FIELDS)),
            singular_patterns=arrays["singular_patterns"],
            singular_kinds=tuple(str(kind) for kind in arrays["singular_kinds"]),
            singular_preactivations=arrays["singular_preactivations"],
            singular_nullity=arrays["singular_nullity"],
            failures=int(numbers["failures"]),
        )


def check_coverage(records: Sequence[RegionRecord]) -> None:
    """Check that `records`, in order, solve every planned region of one plan exactly once.

    Raises:
        ValueError: if the records come from different plans, or their ranges leave a region out
            or solve one twice.
    """
    plans = {record.plan for record in records}
    if len(plans) > 1:
        raise ValueError(
            "the parts numbered the regions differently (their pruning plans differ): run every "
            "part with the same network and options, on the same kind of machine."
        )
    expected = 0
    for record in records:
        if record.begin != expected:
            raise ValueError(
                f"the parts' region ranges do not tile the {record.num_regions} regions: a part "
                f"starts at region {record.begin} where {expected} was expected; run it again."
            )
        expected = record.end
    if expected != records[-1].num_regions:
        raise ValueError(
            f"the parts solved regions 0 … {expected - 1} of {records[-1].num_regions}: the rest "
            "is missing; run the missing part again."
        )
