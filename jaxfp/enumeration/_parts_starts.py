"""The starts method's side of a split run: part I of N takes the orthants o with o % N == I.

Each part runs the starts engine on its orthants; the merge deduplicates the points across parts
with the one matching rule of `jaxfp._numerics.group_points`, rebuilds the per-start arrays in the
global start order and runs the index check on the merged list, so that the merged result equals
the one-process run on the same orthant starts, point for point. Face starts and samples are not
split: parts use orthant starts only. The shared mechanics (file format, checks, merge) are
`jaxfp.enumeration._parts`.
"""

import dataclasses

import numpy as np

from ._fixed_points import Evidence, FixedPoints
from ._index_check import IndexCheck
from ._iterative_merge import _POINT_FIELDS, dedupe_blocks, merged_rows
from ._method_starts import NOT_A_PROOF, Starts, StartsStats
from ._result import IterativeFixedPoints
from ._solve_starts import SolveOptions
from ._starts import orthant_numbers

NAME = Starts.name
_PER_POINT = ("sign_patterns", *_POINT_FIELDS)
_PER_START = ("start_outcome", "start_limit", "start_newton_root", "start_stayed")


def run(net, part, method: Starts, *, checkpoint, resume, devices, progress):
    """Run part `part` of `net`'s orthants: (the part's `IterativeFixedPoints`, the options that
    every part of the run must share)."""
    for name in ("faces", "sample"):
        if getattr(method, name):
            raise ValueError(f"`{name}` cannot be used with parts: each part takes its orthants.")
    method = dataclasses.replace(method, faces=False)
    found = method.run(
        net, part=part, checkpoint=checkpoint, resume=resume, devices=devices, progress=progress
    )
    result = found.stats.run
    options = {
        "starts_per_orthant": result.starts_per_orthant,
        "certification": result.certification,
        "expected_degree": result.expected_degree,
        "tolerance": float((method.options or SolveOptions()).dedupe_tolerance),
        "centre": [float(value) for value in result.centre],
    }
    return result, options


def arrays(result: IterativeFixedPoints) -> tuple[dict, dict]:
    """The part's record as arrays and JSON-able numbers."""
    saved = {name: np.asarray(getattr(result, name)) for name in _PER_POINT + _PER_START}
    saved["reached_by"], saved["newton_hits"] = result.reached_by, result.newton_hits
    saved["orthants"] = result.orthants
    return saved, {"wall_time_s": result.wall_time_s, "devices": result.devices}


def load(saved: dict, numbers: dict, index: int, count: int, options: dict):
    """The part's `IterativeFixedPoints` from what `arrays` wrote."""
    n = saved["points"].shape[0]
    holding = int(np.sum(np.all(saved["sign_patterns"] != 0, axis=1))) if n else 0
    num_orthants = int(saved["orthants"].shape[0])
    return IterativeFixedPoints(
        **{name: saved[name] for name in _PER_POINT + _PER_START},
        reached_by=saved["reached_by"],
        newton_hits=saved["newton_hits"],
        centre=np.asarray(options["centre"], dtype=np.float64),
        starts_per_orthant=int(options["starts_per_orthant"]),
        num_face_starts=0,
        orthants=saved["orthants"],
        num_orthants=num_orthants,
        sampled=False,
        orthants_with_fixed_point=holding,
        orthant_fraction=holding / max(num_orthants, 1),
        orthant_fraction_interval=(float("nan"), float("nan")),
        index=IndexCheck.of(saved["determinant_sign"], options["expected_degree"]).withheld(
            f"partial: part {index} of {count}; merge the parts"
        ),
        certification=bool(options["certification"]),
        wall_time_s=float(numbers["wall_time_s"]),
        devices=int(numbers["devices"]),
    )


def check_coverage(parts) -> None:
    """Each orthant exactly once over the parts (`parts` sorted by index)."""
    count = parts[0].count
    dim = len(parts[0].options["centre"])
    for part in parts:
        expected = np.arange(part.index, 1 << dim, count, dtype=np.int64)
        if not np.array_equal(part.result.orthants, expected):
            raise ValueError(
                f"part {part.index} of {count} did not enumerate its orthants (o % {count} == "
                f"{part.index}, {expected.size} of them); run it again."
            )


def partial(part) -> FixedPoints:
    """The part's own points (never complete: a part, and starts)."""
    run = part.result
    check = IndexCheck.of(run.determinant_sign, run.expected_degree).withheld(
        f"partial: part {part.index} of {part.count}; merge the parts"
    )
    finding = (
        f"partial: part {part.index} of {part.count} ({run.num_starts} starts, {run.num_orthants} "
        "orthants); merge the parts"
    )
    return _fixed_points(run, Evidence(findings=(finding,), index_check=check.words), check)


def merge(parts) -> FixedPoints:
    """The merged result of the parts (checked, sorted by index): method "starts", never
    complete; `stats.run` holds the per-start arrays in the global start order."""
    count, options = parts[0].count, parts[0].options
    dim, per_start_k = len(options["centre"]), int(options["starts_per_orthant"])
    results = [part.result for part in parts]
    blocks = [{name: getattr(result, name) for name in _PER_POINT} for result in results]
    fields, labels, offsets = dedupe_blocks(blocks, _PER_POINT, options["tolerance"])
    n_points = fields["points"].shape[0]
    reached_by, newton_hits = (
        np.bincount(
            labels[:-1], np.concatenate([getattr(r, name) for r in results]), n_points
        ).astype(np.int64)
        for name in ("reached_by", "newton_hits")
    )

    num_starts = (1 << dim) * per_start_k
    per_start = {name: np.empty(num_starts, getattr(results[0], name).dtype) for name in _PER_START}
    for part, result, offset in zip(parts, results, offsets[:-1], strict=True):
        local = np.arange(result.start_outcome.shape[0])
        orthant = part.index + count * (local // per_start_k)
        rows = orthant * per_start_k + local % per_start_k
        for name in ("start_outcome", "start_stayed"):
            per_start[name][rows] = getattr(result, name)
        for name in ("start_limit", "start_newton_root"):
            per_start[name][rows] = merged_rows(labels, offset, getattr(result, name))

    patterns = fields["sign_patterns"]
    inside = np.all(patterns != 0, axis=1)
    holding = int(np.unique(orthant_numbers(patterns[inside])).size) if dim <= 63 else 0
    check = IndexCheck.of(fields["determinant_sign"], options["expected_degree"])
    fraction = holding / (1 << dim)
    run = IterativeFixedPoints(
        **fields,
        reached_by=reached_by,
        newton_hits=newton_hits,
        **per_start,
        centre=results[0].centre,
        starts_per_orthant=per_start_k,
        num_face_starts=0,
        orthants=None,
        num_orthants=1 << dim,
        sampled=False,
        orthants_with_fixed_point=holding,
        orthant_fraction=fraction,
        orthant_fraction_interval=(fraction, fraction),
        index=dataclasses.replace(
            check.decided(), words=f"{check.words} (merged from {count} parts)"
        ),
        certification=results[0].certification,
        wall_time_s=max(result.wall_time_s for result in results),
        devices=sum(result.devices for result in results),
    )
    finding = f"{run.num_starts} starts, {run.num_orthants} orthants, merged from {count} parts"
    evidence = Evidence(findings=(finding,), index_check=check.words)
    return _fixed_points(run, evidence, check)


def _fixed_points(run: IterativeFixedPoints, evidence: Evidence, check) -> FixedPoints:
    """The `FixedPoints` of a starts record (its per-point fields; never complete)."""
    return FixedPoints(
        points=run.points,
        **run.point_diagnostics(),
        complete=False,
        proof=None,
        evidence=dataclasses.replace(evidence, caveats=(NOT_A_PROOF,)),
        index=check,
        method=NAME,
        stats=StartsStats(run),
        wall_time_s=run.wall_time_s,
    )
