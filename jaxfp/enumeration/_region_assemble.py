"""The assembly of solved activation regions into the exact result (`PWLFixedPoints`).

The records of one run (one record, or the parts of a multi-process run in order) are checked to
solve every planned region exactly once (`check_coverage`: the completeness argument), their rows
are stacked in region order (the batched solves' rows, then those of the singular regions),
boundary points found by several regions are kept once, and the counts, residuals, spectral radii
and evidence are computed from the stacked rows.
"""

import dataclasses
from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np

from ._collect import duplicate_groups, spectral_radii
from ._piecewise import PieceTable, PiecewiseProblem
from ._region_bounds import fixed_point_bound
from ._region_record import RegionRecord, RegionRows, check_coverage
from ._results import PWLFixedPoints, SingularRegions


def host_sigma(table: PieceTable, u: np.ndarray) -> np.ndarray:
    """σ(u) elementwise on the host, from a piece table of NumPy arrays (`jax.device_get`)."""
    piece = np.searchsorted(table.breakpoints, u)
    return table.slopes[piece] * u + table.intercepts[piece]


def _keep_boundary_points_once(u, margins, boundary, radius):
    """The rows to keep: boundary points are found once per region sharing them; keep the copy
    deepest inside its region, with the largest spectral radius of the copies."""
    on_edge = np.flatnonzero(boundary)
    groups = duplicate_groups(u[on_edge])
    keep = list(np.flatnonzero(~boundary))
    for group in range(groups.max(initial=-1) + 1):
        members = on_edge[groups == group]
        best = members[np.argmax(margins[members])]
        radius[best] = radius[members].max()
        keep.append(best)
    return np.sort(np.asarray(keep, dtype=np.int64))


def assemble_regions(
    problem: PiecewiseProblem,
    form: str,
    records: Sequence[RegionRecord],
    part: tuple[int, int] | None = None,
) -> PWLFixedPoints:
    """The `PWLFixedPoints` of `records` for `problem` (the network of form `form` in its
    pre-activation coordinates): the records of a whole run in order (one, or one per part when
    merged from parts), or with `part = (I, N)` the one record of part I alone (never
    complete).

    Raises:
        ValueError: if the records of a whole run do not solve every planned region exactly once.
    """
    if part is None:
        check_coverage(records)
    host = jax.device_get(problem)
    weights, bias, table, d = host.weights, host.bias, host.table, host.dim
    rows = RegionRows.concatenate(
        [record.solved for record in records] + [record.classified for record in records], d
    )
    kinds = tuple(kind for record in records for kind in record.singular_kinds)
    singular_patterns = np.concatenate([r.singular_patterns for r in records]).reshape(-1, d)
    singular_u = np.concatenate([r.singular_preactivations for r in records]).reshape(-1, d)
    nullities = np.concatenate([r.singular_nullity for r in records]).astype(np.int64)
    failures = sum(record.failures for record in records)

    radius = spectral_radii(weights, table.slopes[rows.patterns])
    keep = _keep_boundary_points_once(rows.preactivations, rows.margins, rows.on_boundary, radius)
    rows, radius = rows.take(keep), radius[keep]
    u, patterns = rows.preactivations, rows.patterns
    sigma_u = table.slopes[patterns] * u + table.intercepts[patterns]
    points = sigma_u if form == "sigma-affine" else u
    if form == "sigma-affine":
        image = host_sigma(table, points @ weights.T + bias)
    else:
        image = host_sigma(table, points) @ weights.T + bias
    bound, reference = fixed_point_bound(weights, table.breakpoints.shape[0])
    run = PWLFixedPoints(
        points=jnp.asarray(points),
        preactivations=jnp.asarray(u),
        patterns=jnp.asarray(patterns),
        spectral_radius=jnp.asarray(radius),
        margins=jnp.asarray(rows.margins),
        on_boundary=jnp.asarray(rows.on_boundary),
        residuals=jnp.asarray(np.abs(image - points).max(axis=1, initial=0.0)),
        index_signs=jnp.asarray(np.where(rows.on_boundary, 0, rows.signs)),
        singular_regions=SingularRegions(
            patterns=jnp.asarray(singular_patterns),
            kinds=kinds,
            points=jnp.asarray(
                singular_u if form == "affine-sigma" else host_sigma(table, singular_u)
            ),
            nullity=jnp.asarray(nullities),
        ),
        form=form,
        num_regions_total=table.num_pieces**d,
        num_regions_solved=records[-1].num_regions,
        num_residual_failures=failures,
        upper_bound=bound,
        upper_bound_reference=reference,
        expected_degree=1 if table.bounded else None,
        complete=failures == 0 and "undecided" not in kinds and part is None,
        evidence="",
    )
    return dataclasses.replace(run, evidence=_evidence(run, table.num_pieces, records, part))


def _evidence(run: PWLFixedPoints, pieces: int, records, part) -> str:
    """Why the assembled `run` (σ with `pieces` pieces) is, or is not, complete: its counts in
    words, and for the `records` of parts, which part, or how many were merged."""
    d = run.points.shape[1]
    evidence = (
        f"{run.num_regions_solved} of the {run.num_regions_total} = {pieces}^{d} activation "
        f"regions solved exactly and {run.num_regions_pruned} excluded by interval bounds; "
        f"{run.num_singular_regions} singular regions classified by SVD and linear programming "
        f"({run.singular_regions.kinds.count('undecided')} undecided); "
        f"{run.num_residual_failures} consistent candidates failed the residual check; "
        f"{run.num_on_boundary} points lie on region boundaries."
    )
    if part is not None:
        (record,) = records
        evidence = (
            f"partial: part {part[0]} of {part[1]} (regions {record.begin} to {record.end - 1} "
            f"of the {run.num_regions_solved} left after pruning); merge the parts. " + evidence
        )
    elif len(records) > 1:
        evidence += f" Merged from {len(records)} parts, each region solved in exactly one."
    if run.expected_degree is not None:
        evidence += (
            f" Index sum {run.index_sum} vs Brouwer degree {run.expected_degree} of I - F"
            + (
                " (equal)."
                if run.index_sum == run.expected_degree
                else " (differ: boundary or singular points)."
            )
        )
    return evidence
