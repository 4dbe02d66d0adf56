"""The exact-regions method's side of a split run: part I of N solves the I-th of N contiguous
blocks of the regions left after pruning.

Every part computes the same pruning plan (it is deterministic; the merge checks its digest) and
solves its block of region numbers into a `RegionRecord`; the merge checks that the blocks tile
all the planned regions, each exactly once, and assembles the records in order with the one
assembly of a one-process run (`jaxfp.enumeration._region_assemble`), so the merged result is the
one-process answer point for point, with the same completeness proof: every region solved or
pruned, every singular region classified. A part file holds the network too (W, b and σ's pieces),
so `jaxfp merge` needs nothing but the files. The shared mechanics (file format, checks, merge)
are `jaxfp.enumeration._parts`.
"""

import dataclasses
import time

import jax
import numpy as np

from ..looped import LoopedNet, PiecewiseLinear
from ._fixed_points import FixedPoints
from ._method_exact import ExactRegions, regions_fixed_points, solve_regions
from ._region_record import RegionRecord
from ._region_record import check_coverage as check_records
from ._region_solve import Tolerances

NAME = ExactRegions.name
_NETWORK = ("W", "b", "breakpoints", "slopes", "intercepts")


@dataclasses.dataclass(frozen=True, eq=False)
class RegionsPart:
    """One part of an exact-regions run: its `RegionRecord` and the network it belongs to."""

    record: RegionRecord
    net: LoopedNet


def run(net, part, method: ExactRegions, *, checkpoint, resume, devices, progress):
    """Solve part `part` of `net`'s regions: (the part's `RegionsPart`, the options that every
    part of the run must share)."""
    if checkpoint is not None or resume:
        raise ValueError(
            "ExactRegions keeps no checkpoint (`checkpoint`, `resume`): split the run in more "
            "parts to bound the work lost with a part."
        )
    record = solve_regions(method, net, part=part, devices=devices, progress=progress)
    tolerances = method.tolerances or Tolerances()
    options = {
        "prune": bool(method.prune),
        "max_frontier": int(method.max_frontier),
        "tolerances": [tolerances.boundary, tolerances.residual, tolerances.singular],
    }
    return RegionsPart(record, net), options


def arrays(result: RegionsPart) -> tuple[dict, dict]:
    """The part's record and network as arrays and JSON-able numbers."""
    saved, numbers = result.record.arrays()
    net, activation = result.net, result.net.activation
    values = (net.W, net.b, activation.breakpoints, activation.slopes, activation.intercepts)
    for name, value in zip(_NETWORK, values, strict=True):
        saved[f"network_{name}"] = np.asarray(value, dtype=np.float64)
    numbers.update(form=net.form, label=activation.label)
    return saved, numbers


def load(saved: dict, numbers: dict, index: int, count: int, options: dict) -> RegionsPart:
    """The part's `RegionsPart` from what `arrays` wrote."""
    W, b, breakpoints, slopes, intercepts = (saved[f"network_{name}"] for name in _NETWORK)
    with jax.enable_x64(True):
        activation = PiecewiseLinear(breakpoints, slopes, intercepts, numbers["label"])
        net = LoopedNet(W, b, activation, numbers["form"])
    return RegionsPart(RegionRecord.from_arrays(saved, numbers), net)


def check_coverage(parts) -> None:
    """Every planned region exactly once over the parts (`parts` sorted by index), each part on
    its own block."""
    count = parts[0].count
    for part in parts:
        record = part.result.record
        n = record.num_regions
        expected = (n * part.index // count, n * (part.index + 1) // count)
        if (record.begin, record.end) != expected:
            raise ValueError(
                f"part {part.index} of {count} did not solve its regions ({expected[0]} to "
                f"{expected[1] - 1} of {n}); run it again."
            )
    check_records([part.result.record for part in parts])


def partial(part) -> FixedPoints:
    """The part's own points (never complete: a part)."""
    result = part.result
    return regions_fixed_points(
        result.net, [result.record], began=time.perf_counter(), part=(part.index, part.count)
    )


def merge(parts) -> FixedPoints:
    """The merged result of the parts (checked, sorted by index): the one-process result,
    complete with the exact-regions proof when every region was solved or excluded."""
    records = [part.result.record for part in parts]
    return regions_fixed_points(parts[0].result.net, records, began=time.perf_counter())
