"""Exact and complete enumeration of the fixed points of a piecewise-linear looped network.

For F(x) = σ(Wx + b) and F(x) = W σ(x) + b with σ continuous and piecewise linear, every fixed
point gives a u with u = W σ(u) + b (u = Wx + b, resp. u = x), and inside activation region s
(piece s_i of σ on coordinate i) that equation is linear: (I − W D_s) u = W c_s + b. Solving all
regions (batched, chunked, pruned, sharded) and keeping the solutions consistent with their region
lists every isolated fixed point exactly; singular regions are classified exactly (none, one
point, or a continuum). This is the PWL special case of the sign-basin enumeration of looped
networks (Ke, Li, Liang, Shi, Song 2024, arXiv:2410.11279, P1 in docs/theory.md).
"""

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .._misc import check_positive_int
from ..looped import PiecewiseLinear
from ._collect import duplicate_groups, spectral_radii
from ._piecewise import piece_table
from ._pruning import plan_regions
from ._region_bounds import fixed_point_bound
from ._region_solve import ACCEPTED, RESIDUAL_FAILURE, SINGULAR, Tolerances, solve_chunk
from ._results import PWLFixedPoints, SingularRegions
from ._singular_regions import classify

FORMS = ("sigma-affine", "affine-sigma")
# Smallest chunk compiled when there are fewer regions than `chunk_size`.
_MIN_CHUNK = 256


def _validate(weights, bias, form, chunk_size, max_frontier):
    if weights.ndim != 2 or weights.shape[0] != weights.shape[1] or weights.shape[0] == 0:
        raise ValueError(
            f"`weights` must be a nonempty square matrix (d, d), got shape {weights.shape}."
        )
    if bias.shape != (weights.shape[0],):
        raise ValueError(
            f"`bias` must have shape ({weights.shape[0]},) to match `weights` {weights.shape}, "
            f"got {bias.shape}."
        )
    for name, value in (("weights", weights), ("bias", bias)):
        if not np.all(np.isfinite(value)):
            raise ValueError(f"`{name}` contains NaN or infinite entries.")
    if form not in FORMS:
        raise ValueError(f"`form` must be one of {FORMS}, got {form!r}.")
    check_positive_int(chunk_size, "chunk_size")
    check_positive_int(max_frontier, "max_frontier")


def _chunk_length(chunk_size: int, num_regions: int, num_devices: int) -> int:
    """`chunk_size`, or for less work a power of two of at least `_MIN_CHUNK` (few compiled
    shapes), rounded up to a multiple of the device count."""
    length = min(chunk_size, max(_MIN_CHUNK, 1 << max(num_regions - 1, 0).bit_length()))
    return -(-length // num_devices) * num_devices


def _host_region(weights, bias, table_np, pattern):
    slopes, intercepts = table_np["slopes"][pattern], table_np["intercepts"][pattern]
    matrix = np.eye(bias.shape[0]) - weights * slopes[None, :]
    return matrix, weights @ intercepts + bias


def _sigma(table_np, u):
    piece = np.searchsorted(table_np["breakpoints"], u)
    return table_np["slopes"][piece] * u + table_np["intercepts"][piece]


def enumerate_pwl_regions(
    weights,
    bias,
    breakpoints,
    slopes,
    intercepts,
    *,
    form: str = "sigma-affine",
    chunk_size: int = 8192,
    prune: bool = True,
    max_frontier: int = 4096,
    tolerances: Tolerances | None = None,
    devices: Sequence[jax.Device] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PWLFixedPoints:
    """All fixed points of F(x) = σ(Wx + b) or W σ(x) + b for a continuous PWL σ, exactly.

    Runs in float64 (64-bit mode is enabled inside this call). Regions are generated from integer
    indices chunk by chunk, so memory is bounded by `chunk_size`, and each chunk is laid out over
    `devices` (default: all local devices).

    Args:
        weights (d, d), bias (d,): the network.
        breakpoints (k,), slopes, intercepts (k + 1,): σ, as in `jaxfp.looped.PiecewiseLinear`.
        form: `"sigma-affine"` for σ(Wx + b), `"affine-sigma"` for W σ(x) + b.
        chunk_size: regions solved per batch.
        prune: exclude regions with the interval tests of `jaxfp.enumeration._pruning`.
        max_frontier: the largest level of the pruning search tree.
        tolerances: a `Tolerances` (boundary, residual, singular); default `Tolerances()`.
        progress: called after each chunk with (regions solved in it, regions to solve in all).

    Returns:
        a `PWLFixedPoints`.

    Raises:
        ValueError: naming the argument for wrong shapes, non-finite weights, an unknown form, a
            discontinuous σ, or more than 2^62 regions left after pruning.

    Example:
        >>> import numpy as np
        >>> found = enumerate_pwl_regions(2 * np.eye(2), np.zeros(2), [-1.0, 1.0], [0.0, 1.0, 0.0],
        ...                               [-1.0, 0.0, 1.0])  # hard-tanh, W = 2 I
        >>> found.n_fixed_points, found.complete
        (9, True)
    """
    weights, bias = np.asarray(weights, dtype=np.float64), np.asarray(bias, dtype=np.float64)
    _validate(weights, bias, form, chunk_size, max_frontier)
    tolerances = Tolerances() if tolerances is None else tolerances
    with jax.enable_x64(True):
        # PiecewiseLinear checks σ: shapes, finite values, increasing breakpoints, continuity.
        table = piece_table(PiecewiseLinear(np.reshape(breakpoints, -1), slopes, intercepts))
        table_np = {
            name: np.asarray(getattr(table, name))
            for name in ("breakpoints", "slopes", "intercepts", "lower", "upper")
        }
        plan = plan_regions(
            jnp.asarray(weights), jnp.asarray(bias), table, prune=prune, max_frontier=max_frontier
        )
        rows, singular_patterns, failures = _solve_regions(
            weights, bias, table, plan, chunk_size, tolerances, devices, progress
        )
        singular = _classify_singular(weights, bias, table_np, singular_patterns, tolerances, rows)
        return _assemble(
            weights, bias, table, table_np, form, int(plan.num_regions), rows, singular, failures
        )


def _solve_regions(weights, bias, table, plan, chunk_size, tolerances, devices, progress):
    """Solve the planned regions chunk by chunk (the next chunk is dispatched before the last one
    is collected); returns the accepted rows, the singular patterns and the residual failures."""
    num_solve = int(plan.num_regions)
    devices = list(jax.local_devices() if devices is None else devices)
    chunk = _chunk_length(chunk_size, num_solve, len(devices))
    sharding = None
    operands = (jnp.asarray(weights), jnp.asarray(bias), table, plan, tolerances)
    if len(devices) > 1:
        mesh = Mesh(np.array(devices), ("regions",))
        sharding = NamedSharding(mesh, PartitionSpec("regions"))
        operands = jax.device_put(operands, NamedSharding(mesh, PartitionSpec()))

    rows, singular_patterns, failures = [], [], 0

    def collect(result):
        nonlocal failures
        result = jax.device_get(result)
        status = result.status
        keep = status == ACCEPTED
        rows.append(
            (
                result.preactivations[keep],
                result.patterns[keep],
                result.margins[keep],
                result.on_boundary[keep],
                result.determinant_signs[keep],
            )
        )
        singular_patterns.extend(result.patterns[status == SINGULAR])
        failures += int(np.sum(status == RESIDUAL_FAILURE))
        if progress is not None:
            progress(int(np.sum(status <= RESIDUAL_FAILURE)), num_solve)

    pending = None
    for start in range(0, num_solve, chunk):
        result = solve_chunk(
            *operands, jnp.asarray(start, dtype=jnp.int64), chunk_size=chunk, sharding=sharding
        )
        if pending is not None:
            collect(pending)
        pending = result
    if pending is not None:
        collect(pending)
    return rows, singular_patterns, failures


def _classify_singular(weights, bias, table_np, patterns, tolerances, rows):
    """Classify flagged regions exactly; regular ones and single points join `rows`."""
    kinds, points, nullities = [], [], []
    for pattern in patterns:
        matrix, rhs = _host_region(weights, bias, table_np, pattern)
        lower, upper = table_np["lower"][pattern], table_np["upper"][pattern]
        found = classify(matrix, rhs, lower, upper, tolerances.boundary)
        u = found.preactivation
        if found.kind in ("regular", "single_point"):
            slack = tolerances.boundary * (1 + np.abs(u))
            distance = np.minimum(u - lower, upper - u)
            residual = np.abs(weights @ _sigma(table_np, u) + bias - u).max()
            if np.all(distance >= -slack) and residual <= tolerances.residual * (
                1 + np.abs(u).max()
            ):
                sign = int(np.sign(np.linalg.det(matrix))) if found.kind == "regular" else 0
                rows.append(
                    (
                        u[None],
                        pattern[None],
                        distance.min(keepdims=True),
                        np.array([found.kind == "single_point" or bool(np.any(distance <= slack))]),
                        np.array([sign]),
                    )
                )
        kinds.append(found.kind)
        points.append(u)
        nullities.append(found.nullity)
    return np.asarray(patterns, dtype=np.int64).reshape(-1, bias.shape[0]), kinds, points, nullities


def _assemble(
    weights, bias, table, table_np, form, num_solve, rows, singular, failures
) -> PWLFixedPoints:
    d, num_breakpoints = bias.shape[0], table_np["breakpoints"].shape[0]
    singular_patterns, kinds, singular_points, nullities = singular
    u, patterns, margins, boundary, signs = (
        np.concatenate([row[i] for row in rows]) if rows else empty
        for i, empty in enumerate(
            (
                np.zeros((0, d)),
                np.zeros((0, d), int),
                np.zeros(0),
                np.zeros(0, bool),
                np.zeros(0, int),
            )
        )
    )
    radius = spectral_radii(weights, table_np["slopes"][patterns])
    # Boundary points are found once per region sharing them: keep the copy deepest inside its
    # region, with the largest spectral radius of the copies.
    on_edge = np.flatnonzero(boundary)
    groups = duplicate_groups(u[on_edge])
    keep = list(np.flatnonzero(~boundary))
    for group in range(groups.max(initial=-1) + 1):
        members = on_edge[groups == group]
        best = members[np.argmax(margins[members])]
        radius[best] = radius[members].max()
        keep.append(best)
    keep = np.sort(np.asarray(keep, dtype=np.int64))
    u, patterns, margins, boundary, signs, radius = (
        a[keep] for a in (u, patterns, margins, boundary, signs, radius)
    )
    signs = np.where(boundary, 0, signs)
    sigma_u = table_np["slopes"][patterns] * u + table_np["intercepts"][patterns]
    points = sigma_u if form == "sigma-affine" else u
    if form == "sigma-affine":
        residuals = np.abs(_sigma(table_np, points @ weights.T + bias) - points).max(
            axis=1, initial=0.0
        )
    else:
        residuals = np.abs(_sigma(table_np, points) @ weights.T + bias - points).max(
            axis=1, initial=0.0
        )

    total = (num_breakpoints + 1) ** d
    pruned = total - num_solve
    bound, reference = fixed_point_bound(weights, num_breakpoints)
    index_sum = int(signs.sum())
    expected_degree = 1 if table.bounded else None
    undecided = kinds.count("undecided")
    complete = failures == 0 and undecided == 0
    singular_x = [p if form == "affine-sigma" else _sigma(table_np, p) for p in singular_points]
    evidence = (
        f"{num_solve} of the {total} = {num_breakpoints + 1}^{d} activation regions solved exactly "
        f"and {pruned} excluded by interval bounds; {len(kinds)} singular regions classified by "
        f"SVD and linear programming ({undecided} undecided); {failures} consistent candidates "
        f"failed the residual check; {int(boundary.sum())} points lie on region boundaries."
    )
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
        attracting=jnp.asarray(radius < 1),
        certified=jnp.asarray(~boundary & (margins > 0)),
        margins=jnp.asarray(margins),
        on_boundary=jnp.asarray(boundary),
        residuals=jnp.asarray(residuals),
        index_signs=jnp.asarray(signs),
        singular_regions=SingularRegions(
            patterns=jnp.asarray(singular_patterns),
            kinds=tuple(kinds),
            points=jnp.asarray(np.asarray(singular_x).reshape(-1, d)),
            nullity=jnp.asarray(np.asarray(nullities, dtype=np.int64)),
        ),
        form=form,
        num_regions_total=total,
        num_regions_solved=num_solve,
        num_regions_pruned=pruned,
        num_residual_failures=failures,
        upper_bound=bound,
        upper_bound_reference=reference,
        index_sum=index_sum,
        expected_degree=expected_degree,
        has_continuum="continuum" in kinds,
        complete=complete,
        evidence=evidence,
    )
