"""What `jaxfp enumerate` prints and saves, read off one `jaxfp.enumeration.FixedPoints`.

Every method ends in a `FixedPoints`; `report` turns it into the JSON summary (the result's own
`summary()` with the method's statistics brought to the top level), the arrays of `--out` (the
per-point fields, plus the method's own per-point and per-start arrays when its rows are the
result's rows) and the rows of the table (attracting points first).
"""

from typing import NamedTuple

import numpy as np

from ._checks import output_file
from .output import add_json_option, format_summary, write_json

# Per-point fields of every FixedPoints, saved by --out.
_POINT_FIELDS = (
    "points", "attracting", "certified", "spectral_radius", "stability", "min_singular_value",
    "determinant_sign", "residuals", "certificate_margin",
)  # fmt: skip
# The method's own arrays saved by --out, when its rows are the result's rows.
_STARTS_ARRAYS = (
    "sign_patterns", "reached_by", "newton_hits", "start_outcome", "start_limit",
    "start_newton_root",
)  # fmt: skip
_REGIONS_ARRAYS = ("patterns", "margins", "on_boundary", "preactivations")
HEADERS = ["point", "stability", "spectral radius", "certified", "margin"]


class Report(NamedTuple):
    """The summary fields, the arrays for `--out` and the table rows of one run."""

    summary: dict
    arrays: dict
    rows: list


def _stats_fields(stats: dict) -> dict:
    """The method's statistics as top-level summary fields (Auto: each chosen method's)."""
    fields = {}
    if "runs" in stats:  # Auto: what it chose, why, and the statistics of each run
        fields["chosen"], fields["reason"] = stats["chosen"], stats["reason"]
        for run in stats["runs"]:
            for key, value in _stats_fields(run).items():
                fields.setdefault(key, value)
        return fields
    for key, value in stats.items():
        if key == "start_outcomes":
            fields.update({f"num_starts_{name}": count for name, count in value.items()})
        else:
            fields[key] = value
    return fields


def _own_runs(stats) -> list:
    """The engine records under the method's statistics (Auto: each chosen method's)."""
    if hasattr(stats, "runs"):
        return [run for inner in stats.runs for run in _own_runs(inner)]
    return [record for record in (getattr(stats, "run", None),) if record is not None]


def _method_arrays(found) -> dict:
    """The engine's own per-point (and per-start) arrays, when its rows are the result's rows."""
    arrays = {}
    for run in _own_runs(found.stats):
        points = np.asarray(run.points, np.float64).reshape(-1, found.points.shape[1])
        if points.shape != found.points.shape or not np.allclose(points, found.points):
            continue
        for name in _STARTS_ARRAYS + _REGIONS_ARRAYS:
            if hasattr(run, name) and name not in arrays:
                arrays[name] = np.asarray(getattr(run, name))
    return arrays


def report(found, show: int) -> Report:
    """The `Report` of a `FixedPoints`: `show` rows of the table, attracting points first."""
    from .._numerics import STABILITY_NAMES

    summary = found.summary()
    stats = summary.pop("stats")
    for key, value in _stats_fields(stats).items():
        summary.setdefault(key, value)
    arrays = {name: np.asarray(getattr(found, name)) for name in _POINT_FIELDS}
    arrays.update(_method_arrays(found))
    order = np.argsort(found.stability, kind="stable")[: max(show, 0)]
    rows = [
        [
            np.array2string(found.points[i], precision=4, separator=","),
            STABILITY_NAMES[int(found.stability[i])],
            found.spectral_radius[i],
            bool(found.certified[i]),
            found.certificate_margin[i],
        ]
        for i in order
    ]
    return Report(summary, arrays, rows)


def add_output_options(parser, *, saved: str, replaced: str) -> None:
    """Add `--out FILE.npz` (saving `saved`) and `--json [PATH]` (the summary, printed instead
    of `replaced` on standard output) to the parser of `jaxfp enumerate` or `jaxfp merge`."""
    parser.add_argument(
        "--out", metavar="FILE.npz", type=output_file((".npz",)), help=f"save {saved}"
    )
    add_json_option(parser, what="the summary", replaced=replaced)


def write_outputs(summary: dict, arrays: dict, namespace) -> bool:
    """Save `arrays` to `--out` and `summary` to `--json`; whether the JSON went to standard
    output (then nothing else is printed)."""
    if namespace.out is not None:
        np.savez(namespace.out, **arrays)
    return write_json(summary, namespace.json)


def print_summary(summary: dict) -> None:
    """The summary as a two-column table, then the proof's argument and the evidence in words
    (Auto's reason is part of the evidence, so the table's columns stay narrow)."""
    proof = summary.get("proof")
    words = ("evidence", "evidence_fields", "proof", "reason")
    pairs = [(key, value) for key, value in summary.items() if key not in words]
    pairs.insert(
        pairs.index(("complete", summary["complete"])) + 1, ("proof", proof and proof["method"])
    )
    print(format_summary(pairs))
    if proof is not None:
        print(f"\nproof ({proof['method']}): {proof['argument']}")
    print(f"\nevidence: {summary['evidence']}")
