"""The assembly of a starts run: the chunks' points deduplicated into one list, per-start arrays
remapped to its rows, and the run-level record (sign patterns, orthant counts, index check)."""

import time

import numpy as np

from .._numerics import group_points, wilson_interval
from ._fixed_points import POINT_DIAGNOSTICS
from ._index_check import index_evidence
from ._result import IterativeFixedPoints
from ._starts import orthant_numbers

# The starts record's per-point fields (its rows, one per distinct point).
_POINT_FIELDS = ("points", "residual", *POINT_DIAGNOSTICS)
# The starts record's per-start arrays and their dtypes.
PER_START_DTYPES = {
    "start_outcome": np.int8,
    "start_limit": np.int64,
    "start_newton_root": np.int64,
    "start_stayed": np.bool_,
}


def dedupe_blocks(blocks, names, tolerance):
    """The points of `blocks` (dicts holding the per-point arrays `names`, `points` among them)
    as one deduplicated list, with the one matching rule of `jaxfp._numerics.group_points`.

    Returns:
        The merged fields (each group's representative row), the merged row of every block row
        followed by a −1 (what `merged_rows` reads), and the first row of each block.
    """
    offsets, stacked = [0], {name: [] for name in names}
    for block in blocks:
        for name in names:
            stacked[name].append(block[name])
        offsets.append(offsets[-1] + block["points"].shape[0])
    merged = {name: np.concatenate(stacked.pop(name)) for name in names}
    points = merged["points"].reshape(-1, merged["points"].shape[-1])
    labels, representatives = group_points(points, tolerance, tolerance)
    fields = {name: merged.pop(name)[representatives] for name in names}
    return fields, np.append(labels, -1), offsets


def merged_rows(labels, offset, local):
    """The block-local point rows `local` (−1: no point) of the block starting at row `offset`,
    as rows of the merged list (`labels` from `dedupe_blocks`)."""
    return labels[np.where(local >= 0, offset + local, -1)]


def merge_chunks(store, num_chunks, chunk, num_starts, options):
    """Global deduplication over the chunks; per-start arrays remapped to global point rows."""
    chunks = (store.load(index) for index in range(num_chunks))
    fields, labels, offsets = dedupe_blocks(chunks, _POINT_FIELDS, options.dedupe_tolerance)
    per_start = {
        name: store.per_start_array(name, (num_starts,), dtype)
        for name, dtype in PER_START_DTYPES.items()
    }
    for index in range(num_chunks):
        arrays = store.load(index)
        rows = slice(index * chunk, index * chunk + arrays["start_outcome"].shape[0])
        for name in ("start_limit", "start_newton_root"):
            per_start[name][rows] = merged_rows(labels, offsets[index], arrays[name])
        per_start["start_outcome"][rows] = arrays["start_outcome"]
        per_start["start_stayed"][rows] = arrays["start_stayed"]
    return fields, per_start


def run_record(net, plan, fields, per_start, *, sample, part, certify, began):
    """The `IterativeFixedPoints` of a finished run: sign patterns relative to the centre, the
    orthants holding a point (a Wilson interval when sampled), hit counts and the index check."""
    centre, orthants, layout = plan.centre, plan.orthants, plan.layout
    num_orthants = plan.num_orthants
    dim, options, starts_per_orthant = net.dim, plan.options, layout[2]
    points = fields["points"]
    tol = options.dedupe_tolerance
    offsets = points - centre[None, :]
    near = np.abs(offsets) <= tol * (1.0 + np.abs(points))
    patterns = np.where(near, 0, np.sign(offsets)).astype(np.int8)
    inside = np.all(patterns != 0, axis=1)
    held = np.unique(orthant_numbers(patterns[inside])) if dim <= 63 else np.zeros(0, np.int64)
    if orthants is None:
        holding = int(held.size)
        fraction = holding / num_orthants
        interval = (fraction, fraction)
    else:
        holding = int(np.isin(orthants, held).sum())
        fraction = holding / num_orthants
        interval = (fraction, fraction)
        if part is None:
            interval = tuple(map(float, wilson_interval(holding, num_orthants)))
    n_points = points.shape[0]
    reached_by = np.bincount(
        per_start["start_limit"][per_start["start_limit"] >= 0], minlength=n_points
    )
    newton = per_start["start_newton_root"]
    newton_hits = np.bincount(newton[newton >= 0], minlength=n_points)
    check = index_evidence(net, fields["determinant_sign"]).decided()
    if part is not None:
        check = check.withheld(
            f"partial: part {part[0]} of {part[1]}; merge the parts for the index check"
        )
    elif orthants is not None:
        check = check.withheld("sampled: only a sample of orthants was searched")
    return IterativeFixedPoints(
        **{**fields, "certified": fields["certified"].astype(bool)},
        sign_patterns=patterns,
        reached_by=reached_by,
        newton_hits=newton_hits,
        **per_start,
        centre=centre,
        starts_per_orthant=starts_per_orthant,
        num_face_starts=layout[1],
        orthants=orthants,
        num_orthants=num_orthants,
        sampled=sample is not None,
        orthants_with_fixed_point=holding,
        orthant_fraction=fraction,
        orthant_fraction_interval=interval,
        index=check,
        certification=certify,
        wall_time_s=time.perf_counter() - began,
        devices=len(plan.devices),
    )
