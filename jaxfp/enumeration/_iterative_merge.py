"""The assembly of a starts run: the chunks' points deduplicated into one list, per-start arrays
remapped to its rows, and the run-level record (sign patterns, orthant counts, index check)."""

import time

import numpy as np

from .._numerics import group_points, wilson_interval
from ._fixed_points import POINT_DIAGNOSTICS
from ._index_check import expected_degree, index_sum, index_verdict
from ._result import IterativeFixedPoints
from ._starts import orthant_numbers

# The starts record's per-point fields (its rows, one per distinct point).
_POINT_FIELDS = ("points", "residual", *POINT_DIAGNOSTICS)


def merge_chunks(store, num_chunks, chunk, n_starts, options):
    """Global deduplication over the chunks; per-start arrays remapped to global point rows."""
    offsets, blocks = [0], {name: [] for name in _POINT_FIELDS}
    for index in range(num_chunks):
        arrays = store.load(index)
        for name in _POINT_FIELDS:
            blocks[name].append(arrays[name])
        offsets.append(offsets[-1] + arrays["points"].shape[0])
    merged = {}
    for name in _POINT_FIELDS:
        merged[name] = np.concatenate(blocks.pop(name))
    dim = merged["points"].shape[1]
    tol = options.dedupe_tolerance
    labels, representatives = group_points(merged["points"].reshape(-1, dim), tol, tol)
    fields = {name: merged.pop(name)[representatives] for name in _POINT_FIELDS}
    labels = np.append(labels, -1)  # row −1 of a start without a point stays −1
    per_start = {
        "start_outcome": store.per_start_array("start_outcome", (n_starts,), np.int8),
        "start_limit": store.per_start_array("start_limit", (n_starts,), np.int64),
        "start_newton_root": store.per_start_array("start_newton_root", (n_starts,), np.int64),
        "start_stayed": store.per_start_array("start_stayed", (n_starts,), bool),
    }
    for index in range(num_chunks):
        arrays = store.load(index)
        rows = slice(index * chunk, index * chunk + arrays["start_outcome"].shape[0])
        for name in ("start_limit", "start_newton_root"):
            local = arrays[name]
            per_start[name][rows] = labels[np.where(local >= 0, offsets[index] + local, -1)]
        per_start["start_outcome"][rows] = arrays["start_outcome"]
        per_start["start_stayed"][rows] = arrays["start_stayed"]
    return fields, per_start


def run_record(net, plan, fields, per_start, *, sample, part, certify, began):
    """The `IterativeFixedPoints` of a finished run: sign patterns relative to the centre, the
    orthants holding a point (a Wilson interval when sampled), hit counts and the index check."""
    centre, orthants, n_orthants, layout = plan.centre, plan.orthants, plan.n_orthants, plan.layout
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
        fraction = holding / n_orthants
        interval = (fraction, fraction)
    else:
        holding = int(np.isin(orthants, held).sum())
        fraction = holding / n_orthants
        interval = (fraction, fraction)
        if part is None:
            interval = tuple(map(float, wilson_interval(holding, n_orthants)))
    n_points = points.shape[0]
    reached_by = np.bincount(
        per_start["start_limit"][per_start["start_limit"] >= 0], minlength=n_points
    )
    newton = per_start["start_newton_root"]
    newton_hits = np.bincount(newton[newton >= 0], minlength=n_points)
    total = index_sum(fields["determinant_sign"])
    degree = expected_degree(net)
    if part is not None:
        consistent = False
        why = f"partial: part {part[0]} of {part[1]}; merge the parts for the index check"
    elif orthants is not None:
        consistent, why = False, "sampled: only a sample of orthants was searched"
    else:
        verdict, why = index_verdict(total, degree, fields["determinant_sign"])
        consistent = bool(verdict)
    return IterativeFixedPoints(
        **{**fields, "certified": fields["certified"].astype(bool)},
        sign_patterns=patterns,
        reached_by=reached_by,
        newton_hits=newton_hits,
        **per_start,
        centre=centre,
        starts_per_orthant=starts_per_orthant,
        n_face_starts=layout[1],
        orthants=orthants,
        n_orthants=n_orthants,
        sampled=sample is not None,
        orthants_with_fixed_point=holding,
        orthant_fraction=fraction,
        orthant_fraction_interval=interval,
        index_sum=total,
        expected_degree=degree,
        index_consistent=consistent,
        index_check=why,
        certification=certify,
        seconds=time.perf_counter() - began,
        devices=len(plan.devices),
    )
