"""The assembly of solved activation regions into the exact result (`PWLFixedPoints`).

The records of one run (one record, or the parts of a multi-process run in order) are checked to
solve every planned region exactly once (`check_coverage`: the completeness argument), their rows
are stacked in region order (the batched solves' rows, then those of the singular regions),
boundary points found by several regions are kept once, and the counts, residuals, spectral radii
and evidence are computed from the stacked rows.
"""

from collections.abc import Sequence

import jax.numpy as jnp
import numpy as np

from ._collect import duplicate_groups, spectral_radii
from ._region_bounds import fixed_point_bound
from ._region_record import RegionRecord, RegionRows, check_coverage
from ._results import PWLFixedPoints, SingularRegions


def host_sigma(table_np: dict, u: np.ndarray) -> np.ndarray:
    """σ(u) elementwise on the host, from the numpy piece table."""
    piece = np.searchsorted(table_np["breakpoints"], u)
    return table_np["slopes"][piece] * u + table_np["intercepts"][piece]


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
    weights: np.ndarray,
    bias: np.ndarray,
    table,
    table_np: dict,
    form: str,
    records: Sequence[RegionRecord],
    part: tuple[int, int] | None = None,
) -> PWLFixedPoints:
    """The `PWLFixedPoints` of `records`: the records of a whole run in order (one, or one per
    part when merged from parts), or with `part = (I, N)` the one record of part I alone (never
    complete).

    Raises:
        ValueError: if the records of a whole run do not solve every planned region exactly once.
    """
    if part is None:
        check_coverage(records)
    d, num_breakpoints = bias.shape[0], table_np["breakpoints"].shape[0]
    rows = RegionRows.concatenate(
        [record.solved for record in records] + [record.classified for record in records], d
    )
    kinds = [kind for record in records for kind in record.singular_kinds]
    singular_patterns = np.concatenate([r.singular_patterns for r in records]).reshape(-1, d)
    singular_u = np.concatenate([r.singular_preactivations for r in records]).reshape(-1, d)
    nullities = np.concatenate([r.singular_nullity for r in records]).astype(np.int64)
    failures = sum(record.failures for record in records)
    num_solve = records[-1].num_regions

    radius = spectral_radii(weights, table_np["slopes"][rows.patterns])
    keep = _keep_boundary_points_once(rows.preactivations, rows.margins, rows.on_boundary, radius)
    rows, radius = rows.take(keep), radius[keep]
    u, patterns, margins, boundary = (
        rows.preactivations,
        rows.patterns,
        rows.margins,
        rows.on_boundary,
    )
    signs = np.where(boundary, 0, rows.signs)
    sigma_u = table_np["slopes"][patterns] * u + table_np["intercepts"][patterns]
    points = sigma_u if form == "sigma-affine" else u
    if form == "sigma-affine":
        image = host_sigma(table_np, points @ weights.T + bias)
    else:
        image = host_sigma(table_np, points) @ weights.T + bias
    residuals = np.abs(image - points).max(axis=1, initial=0.0)

    total = (num_breakpoints + 1) ** d
    pruned = total - num_solve
    bound, reference = fixed_point_bound(weights, num_breakpoints)
    index_sum = int(signs.sum())
    expected_degree = 1 if table.bounded else None
    undecided = kinds.count("undecided")
    complete = failures == 0 and undecided == 0 and part is None
    singular_x = singular_u if form == "affine-sigma" else host_sigma(table_np, singular_u)
    evidence = (
        f"{num_solve} of the {total} = {num_breakpoints + 1}^{d} activation regions solved exactly "
        f"and {pruned} excluded by interval bounds; {len(kinds)} singular regions classified by "
        f"SVD and linear programming ({undecided} undecided); {failures} consistent candidates "
        f"failed the residual check; {int(boundary.sum())} points lie on region boundaries."
    )
    if part is not None:
        (record,) = records
        evidence = (
            f"partial: part {part[0]} of {part[1]} (regions {record.begin} to {record.end - 1} "
            f"of the {num_solve} left after pruning); merge the parts. " + evidence
        )
    elif len(records) > 1:
        evidence += f" Merged from {len(records)} parts, each region solved in exactly one."
    if expected_degree is not None:
        evidence += f" Index sum {index_sum} vs Brouwer degree {expected_degree} of I - F" + (
            " (equal)."
            if index_sum == expected_degree
            else " (differ: boundary or singular points)."
        )
    return PWLFixedPoints(
        points=jnp.asarray(points),
        preactivations=jnp.asarray(u),
        patterns=jnp.asarray(patterns),
        spectral_radius=jnp.asarray(radius),
        margins=jnp.asarray(margins),
        on_boundary=jnp.asarray(boundary),
        residuals=jnp.asarray(residuals),
        index_signs=jnp.asarray(signs),
        singular_regions=SingularRegions(
            patterns=jnp.asarray(singular_patterns),
            kinds=tuple(kinds),
            points=jnp.asarray(singular_x),
            nullity=jnp.asarray(nullities),
        ),
        form=form,
        num_regions_total=total,
        num_regions_solved=num_solve,
        num_residual_failures=failures,
        upper_bound=bound,
        upper_bound_reference=reference,
        expected_degree=expected_degree,
        complete=complete,
        evidence=evidence,
    )
