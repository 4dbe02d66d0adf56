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
from .._validation import check_bool, check_part
from ..looped import LoopedNet, PiecewiseLinear
from ._piecewise import PiecewiseProblem, piece_table
from ._pruning import plan_regions
from ._region_assemble import assemble_regions, host_sigma
from ._region_record import RegionRecord, RegionRows, plan_digest
from ._region_solve import (
    ACCEPTED,
    RESIDUAL_FAILURE,
    SINGULAR,
    Tolerances,
    region_system,
    residual_check,
    solve_chunk,
)
from ._results import PWLFixedPoints
from ._sharding import select_devices
from ._singular_regions import classify

# Smallest chunk compiled when there are fewer regions than `chunk_size`.
_MIN_CHUNK = 256


def _validate(weights, bias, activation, form, chunk_size, max_frontier):
    # The network's one check (W square with d ≥ 1, b matching, finite entries, the form) is
    # LoopedNet's.
    LoopedNet(weights, bias, activation, form)
    check_positive_int(chunk_size, "chunk_size")
    check_positive_int(max_frontier, "max_frontier")


def _chunk_length(chunk_size: int, num_regions: int, num_devices: int) -> int:
    """`chunk_size`, or for less work a power of two of at least `_MIN_CHUNK` (few compiled
    shapes), rounded up to a multiple of the device count."""
    length = min(chunk_size, max(_MIN_CHUNK, 1 << max(num_regions - 1, 0).bit_length()))
    return -(-length // num_devices) * num_devices


def _part_range(part, num_regions: int) -> tuple[int, int]:
    """Regions `begin … end − 1` of part `(I, N)`: the I-th of N contiguous blocks (all of them
    for `part=None`)."""
    if part is None:
        return 0, num_regions
    index, count = check_part(part)
    return num_regions * index // count, num_regions * (index + 1) // count


def _prepared(weights, bias, breakpoints, slopes, intercepts, form, chunk_size, max_frontier):
    """The checked network as a float64 `PiecewiseProblem` (W, b and σ's piece table)."""
    weights, bias = np.asarray(weights, dtype=np.float64), np.asarray(bias, dtype=np.float64)
    # PiecewiseLinear checks σ: shapes, finite values, increasing breakpoints, continuity.
    activation = PiecewiseLinear(np.reshape(breakpoints, -1), slopes, intercepts)
    _validate(weights, bias, activation, form, chunk_size, max_frontier)
    return PiecewiseProblem(jnp.asarray(weights), jnp.asarray(bias), piece_table(activation))


def solve_pwl_regions(
    weights,
    bias,
    breakpoints,
    slopes,
    intercepts,
    *,
    form: str = "sigma-affine",
    part: tuple[int, int] | None = None,
    chunk_size: int = 8192,
    prune: bool = True,
    max_frontier: int = 4096,
    tolerances: Tolerances | None = None,
    devices: Sequence[jax.Device] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RegionRecord:
    """Solve the activation regions of part `part = (I, N)` (all of them for None): the work of
    `enumerate_pwl_regions`, before the assembly, as a `RegionRecord`.

    The regions left after pruning are numbered 0 … n − 1; part I of N solves the I-th of N
    contiguous blocks of them, so that the records of parts 0 … N − 1, in order, are the record
    of the whole run. Arguments as for `enumerate_pwl_regions`.

    Raises:
        ValueError: as `enumerate_pwl_regions`, and for a malformed `part`.
    """
    tolerances = Tolerances() if tolerances is None else tolerances
    prune, devices = check_bool(prune, "prune"), select_devices(devices)
    with jax.enable_x64(True):
        problem = _prepared(
            weights, bias, breakpoints, slopes, intercepts, form, chunk_size, max_frontier
        )
        plan = plan_regions(problem, prune=prune, max_frontier=max_frontier)
        begin, end = _part_range(part, int(plan.num_regions))
        solved, singular_patterns, failures = _solve_regions(
            problem, plan, (begin, end), chunk_size, tolerances, devices, progress
        )
        classified, singular = _classify_singular(problem, singular_patterns, tolerances)
    d = problem.dim
    return RegionRecord(
        begin=begin,
        end=end,
        num_regions=int(plan.num_regions),
        plan=plan_digest(plan),
        solved=RegionRows.concatenate(solved, d),
        classified=RegionRows.concatenate(classified, d),
        singular_patterns=np.asarray(singular_patterns, dtype=np.int64).reshape(-1, d),
        singular_kinds=tuple(singular[0]),
        singular_preactivations=np.asarray(singular[1], dtype=np.float64).reshape(-1, d),
        singular_nullity=np.asarray(singular[2], dtype=np.int64),
        failures=failures,
    )


def assemble_pwl_regions(
    weights,
    bias,
    breakpoints,
    slopes,
    intercepts,
    records: Sequence[RegionRecord],
    *,
    form: str = "sigma-affine",
    part: tuple[int, int] | None = None,
) -> PWLFixedPoints:
    """The `PWLFixedPoints` of the records of one run (one, or its parts in order), or with
    `part = (I, N)` of part I's one record alone (never complete).

    Raises:
        ValueError: if the records of a run do not solve every planned region exactly once.
    """
    with jax.enable_x64(True):
        problem = _prepared(weights, bias, breakpoints, slopes, intercepts, form, 1, 1)
        return assemble_regions(problem, form, records, part)


def enumerate_pwl_regions(
    weights, bias, breakpoints, slopes, intercepts, *, form: str = "sigma-affine", **options
) -> PWLFixedPoints:
    """All fixed points of F(x) = σ(Wx + b) or W σ(x) + b for a continuous PWL σ, exactly.

    Runs in float64 (64-bit mode is enabled inside this call). Regions are generated from integer
    indices chunk by chunk, so memory is bounded by `chunk_size`, and each chunk is laid out over
    `devices` (default: all local devices).

    Args:
        weights (d, d), bias (d,): the network.
        breakpoints (k,), slopes, intercepts (k + 1,): σ, as in `jaxfp.looped.PiecewiseLinear`.
        form: `"sigma-affine"` for σ(Wx + b), `"affine-sigma"` for W σ(x) + b.
        **options: the keyword options of `solve_pwl_regions` (all but `part`): `chunk_size`
            (regions solved per batch, default 8192); `prune` (exclude regions with the interval
            tests of `jaxfp.enumeration._pruning`, default True); `max_frontier` (the largest
            level of the pruning search tree, default 4096); `tolerances` (a `Tolerances`:
            boundary, residual, singular; default `Tolerances()`); `devices` (what each chunk is
            laid out over, default all local devices); `progress` (called after each chunk with
            (regions solved in it, regions to solve in all)).

    Returns:
        a `PWLFixedPoints`.

    Raises:
        ValueError: naming the argument for wrong shapes, non-finite weights, an unknown form, a
            discontinuous σ, or more than 2^62 regions left after pruning.

    Example:
        >>> import numpy as np
        >>> found = enumerate_pwl_regions(2 * np.eye(2), np.zeros(2), [-1.0, 1.0], [0.0, 1.0, 0.0],
        ...                               [-1.0, 0.0, 1.0])  # hard-tanh, W = 2 I
        >>> found.num_fixed_points, found.complete
        (9, True)
    """
    network = (weights, bias, breakpoints, slopes, intercepts)
    if "part" in options:
        raise ValueError("`part` is an option of solve_pwl_regions (the work of one part).")
    record = solve_pwl_regions(*network, form=form, **options)
    return assemble_pwl_regions(*network, [record], form=form)


def _solve_regions(problem, plan, span, chunk_size, tolerances, devices, progress):
    """Solve regions `span = (begin, end)` of the plan chunk by chunk (the next chunk is
    dispatched before the last one is collected); returns the accepted rows, the singular
    patterns and the residual failures."""
    begin, end = span
    num_solve = end - begin
    chunk = _chunk_length(chunk_size, num_solve, len(devices))
    sharding = None
    operands = (problem, plan, tolerances)
    if len(devices) > 1:
        mesh = Mesh(np.array(devices), ("regions",))
        sharding = NamedSharding(mesh, PartitionSpec("regions"))
        operands = jax.device_put(operands, NamedSharding(mesh, PartitionSpec()))
    stop = jnp.asarray(end, dtype=jnp.int64)

    rows, singular_patterns, failures = [], [], 0

    def collect(result):
        nonlocal failures
        result = jax.device_get(result)
        status = result.status
        keep = status == ACCEPTED
        rows.append(
            RegionRows(
                result.preactivation[keep],
                result.pattern[keep],
                result.margin[keep],
                result.on_boundary[keep],
                result.determinant_sign[keep],
            )
        )
        singular_patterns.extend(result.pattern[status == SINGULAR])
        failures += int(np.sum(status == RESIDUAL_FAILURE))
        if progress is not None:
            progress(int(np.sum(status <= RESIDUAL_FAILURE)), num_solve)

    pending = None
    for start in range(begin, end, chunk):
        result = solve_chunk(
            *operands,
            jnp.asarray(start, dtype=jnp.int64),
            stop,
            chunk_size=chunk,
            sharding=sharding,
        )
        if pending is not None:
            collect(pending)
        pending = result
    if pending is not None:
        collect(pending)
    return rows, singular_patterns, failures


def _classify_singular(problem: PiecewiseProblem, patterns, tolerances):
    """Classify flagged regions exactly (on the host): the rows of the regular ones and single
    points, and every region's (kind, representative pre-activation, nullity)."""
    host = jax.device_get(problem)
    weights, bias, table = host.weights, host.bias, host.table
    piece_lower, piece_upper = np.asarray(table.lower), np.asarray(table.upper)
    rows, kinds, points, nullities = [], [], [], []
    for pattern in patterns:
        matrix, rhs, columns = (
            np.asarray(a)
            for a in region_system(weights, bias, table.slopes[pattern], table.intercepts[pattern])
        )
        lower, upper = piece_lower[pattern], piece_upper[pattern]
        found = classify(matrix, rhs, lower / columns, upper / columns, tolerances.boundary)
        u = columns * found.preactivation
        if found.kind in ("regular", "single_point"):
            slack = tolerances.boundary * (1 + np.abs(u))
            distance = np.minimum(u - lower, upper - u)
            _, residual_ok = residual_check(
                weights, bias, host_sigma(table, u), u, tolerances.residual
            )
            if np.all(distance >= -slack) and bool(residual_ok):
                sign = int(np.sign(np.linalg.det(matrix))) if found.kind == "regular" else 0
                rows.append(
                    RegionRows(
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
    return rows, (kinds, points, nullities)
