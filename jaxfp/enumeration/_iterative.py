"""The iterative sign-basin enumeration of a looped network's fixed points (P1, docs/theory.md).

P1 (Ke, Li, Liang, Shi, Song 2024, arXiv:2410.11279) shows that F(x) = σ(Wx + b) can hold up to
2^d robust fixed points, one per sign basin. This engine looks for all of them: K starts in each of
the 2^d sign orthants around a centre (or in a seeded sample of orthants), each solved by the
iterated map (Picard, then a Newton polish) and by Newton's method from the start (which also finds
saddles); the limits are deduplicated, classified, certified and checked against the degree of
x − F(x). Chunks of starts are solved on all local devices and streamed to a checkpoint.
"""

import hashlib
import math
import time
from collections.abc import Callable, Sequence

import jax
import numpy as np
from jaxtyping import ArrayLike

from .._numerics import group_points, wilson_interval
from .._numerics.diagnostics import classify_jacobians, jacobians
from ..looped import LoopedNet
from ._certificates import certify_points
from ._index_check import expected_degree, index_sum
from ._result import (
    DIVERGED,
    FIXED_POINT,
    LINEAR_SOLVE_FAILED,
    MAX_STEPS,
    NONFINITE,
    NOT_RUN,
    RESIDUAL_TOO_LARGE,
    STAGNATED,
    TWO_CYCLE,
    IterativeFixedPoints,
)
from ._sharding import select_devices, solve_on_devices
from ._solve_starts import ChunkSolution, SolveOptions
from ._start_geometry import default_centre_and_scale
from ._starts import (
    MAX_FULL_ORTHANTS,
    face_starts,
    orthant_numbers,
    orthant_starts,
    sample_orthants,
)
from ._streaming import DirectoryStore, MemoryStore

# Solver result codes (jaxfp.RESULTS) → start outcomes (stagnation is refined into 2-cycles).
_RESULT_TO_OUTCOME = np.array(
    [
        FIXED_POINT,
        MAX_STEPS,
        NONFINITE,
        NONFINITE,
        DIVERGED,
        STAGNATED,
        LINEAR_SOLVE_FAILED,
        NONFINITE,
    ],
    dtype=np.int8,
)
_POINT_FIELDS = (
    "points",
    "residual",
    "spectral_radius",
    "stability",
    "min_singular_value",
    "determinant_sign",
    "certified",
    "certificate_margin",
)


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer, got {value!r}.")
    return int(value)


def _fingerprint(net, centre, scale, layout, orthants, seed, chunk, options, certify):
    digest = hashlib.sha256()
    for array in (net.W, net.b, centre):
        digest.update(np.ascontiguousarray(np.asarray(array, dtype=np.float64)).tobytes())
    digest.update(f"{net.activation.name}|{net.form}|{scale!r}|{layout}".encode())
    digest.update(f"|{seed}|{chunk}|{options!r}|{certify}|{net.W.dtype}".encode())
    if orthants is not None:
        digest.update(np.ascontiguousarray(orthants).tobytes())
    return digest.hexdigest()


# Face starts (3^d of them) are used by default up to d = 11.
MAX_FACE_STARTS = 3**11


def _starts_of_chunk(index, chunk, layout, orthants, centre, scale, seed):
    """A chunk's starts (padded with the last real start) and each start's orthant (−1 for face
    starts). `layout` is (orthant starts, face starts, starts per orthant)."""
    n_orthant_starts, n_faces, starts_per_orthant = layout
    first = index * chunk
    last = n_orthant_starts + n_faces - 1
    numbers = np.minimum(np.arange(first, first + chunk, dtype=np.int64), last)
    is_face = numbers >= n_orthant_starts
    slots = np.where(is_face, 0, numbers) // starts_per_orthant
    orthant = slots if orthants is None else orthants[slots]
    ks = numbers % starts_per_orthant
    starts = orthant_starts(orthant, ks, centre, scale, seed)
    if n_faces and np.any(is_face):
        starts[is_face] = face_starts(numbers[is_face] - n_orthant_starts, centre, scale)
    return np.where(is_face, -1, orthant), starts


def _outcomes(solution: ChunkSolution, options: SolveOptions):
    """Trajectory and Newton outcomes per start, and the accepted limit/root values."""
    outcome = _RESULT_TO_OUTCOME[solution.picard_result]
    stuck = outcome == STAGNATED
    outcome = np.where(stuck & (solution.cycle_gap <= options.cycle_tolerance), TWO_CYCLE, outcome)
    polished = (solution.polish_result == 0) & (solution.polish_residual <= options.accept_residual)
    loose = solution.picard_residual <= options.accept_residual
    converged = outcome == FIXED_POINT
    limit_ok = converged & (polished | loose)
    outcome = np.where(converged & ~limit_ok, RESIDUAL_TOO_LARGE, outcome).astype(np.int8)
    limit = np.where(polished[:, None], solution.polish_value, solution.picard_value)
    limit_residual = np.where(polished, solution.polish_residual, solution.picard_residual)
    if options.find_saddles:
        newton_outcome = _RESULT_TO_OUTCOME[solution.newton_result]
        accepted = solution.newton_residual <= options.accept_residual
        newton_ok = (newton_outcome == FIXED_POINT) & accepted
        newton_outcome = np.where(
            (newton_outcome == FIXED_POINT) & ~accepted, RESIDUAL_TOO_LARGE, newton_outcome
        )
    else:
        newton_ok = np.zeros(outcome.shape, bool)
        newton_outcome = np.full(outcome.shape, NOT_RUN)
    return outcome, limit_ok, limit, limit_residual, newton_outcome.astype(np.int8), newton_ok


def _process_chunk(net, solution, n_real, orthant, centre, options, certify):
    """Host side of one chunk: outcomes, chunk-local dedupe, classification, certificates."""
    solution = jax.tree.map(lambda a: a[:n_real], solution)
    outcome, limit_ok, limit, limit_residual, newton_outcome, newton_ok = _outcomes(
        solution, options
    )
    candidates = np.concatenate([limit[limit_ok], solution.newton_value[newton_ok]])
    residuals = np.concatenate([limit_residual[limit_ok], solution.newton_residual[newton_ok]])
    tol = options.dedupe_tolerance
    labels, representatives = group_points(candidates, tol, tol)
    points = candidates[representatives]
    n_limits = int(limit_ok.sum())
    start_limit = np.full(n_real, -1, np.int64)
    start_limit[limit_ok] = labels[:n_limits]
    start_newton = np.full(n_real, -1, np.int64)
    start_newton[newton_ok] = labels[n_limits:]
    residual = residuals[representatives]
    radius, stability, minimum, sign = classify_jacobians(jacobians(net, points))
    if certify and len(points):
        certified, margin = certify_points(net, points)
    else:
        certified, margin = np.zeros(len(points), bool), np.full(len(points), np.nan)
    limit_signs = np.sign(np.where(limit_ok[:, None], limit - centre[None, :], 0.0)).astype(
        np.int64
    )
    stayed = limit_ok & (orthant_numbers(limit_signs) == orthant[:n_real])
    stayed &= np.all(limit_signs != 0, axis=1)
    return {
        "start_outcome": outcome,
        "start_limit": start_limit,
        "start_newton_root": start_newton,
        "newton_outcome": newton_outcome,
        "start_stayed": stayed,
        "points": points,
        "residual": residual,
        "spectral_radius": radius,
        "stability": stability,
        "min_singular_value": minimum,
        "determinant_sign": sign,
        "certified": certified,
        "certificate_margin": margin,
    }


def _merge(store, num_chunks, chunk, n_starts, options):
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


def enumerate_iterative(
    net: LoopedNet,
    *,
    starts_per_orthant: int = 1,
    centre: ArrayLike | None = None,
    scale: float | None = None,
    sample: int | None = None,
    part: tuple[int, int] | None = None,
    faces: bool | None = None,
    seed: int = 0,
    certify: bool = True,
    checkpoint=None,
    resume: bool = False,
    devices: int | Sequence[jax.Device] | None = None,
    chunk_size: int = 16384,
    options: SolveOptions | None = None,
    callback: Callable[[int, int, int], None] | None = None,
) -> IterativeFixedPoints:
    """Find the fixed points of a looped network from starts in every sign orthant.

    Starts: `starts_per_orthant` (K) per orthant around `centre` (see `jaxfp.enumeration._starts`):
    the corner direction `centre + scale·s` first, then seeded starts with mixed magnitudes; and,
    for small d, the 3^d face starts `centre + scale·t`, t ∈ {−1, 0, 1}^d (on every orthant face,
    where saddles lie; for the diagonal constructions they find every saddle). Each
    start is solved twice: by the iterated map (Picard, then a Newton polish; its limit is the
    start's basin limit, and 2-cycles, divergence and stuck starts are reported as such) and by
    Newton's method from the start (finds saddles and repellers too). Limits are deduplicated
    across starts, classified from J_F(x*) (spectral radius; attracting/saddle/repelling; min
    singular value of I − J; sign det(I − J)), certified with `jaxfp.certify`, and the index sum
    Σ sign det(I − J) is compared with the degree of x − F(x) (see
    `jaxfp.enumeration._index_check`): a mismatch means "enumeration incomplete".

    Memory is bounded by `chunk_size`: chunks are solved over the local `devices` and, with a
    `checkpoint` directory, streamed to disk; a killed run continues with `resume=True` and gives
    the result an uninterrupted run gives.

    Args:
        net: a `jaxfp.looped.LoopedNet` (either form).
        starts_per_orthant: K ≥ 1 starts per orthant (several fixed points can share an orthant;
            one start per orthant misses some on random networks).
        centre: centre of the orthants, shape (d,); default derived from the network (see
            `jaxfp.enumeration._start_geometry`: the middle fixed point of a product of scalar
            maps, the centre of σ's range box, or the origin).
        scale: distance of the corner start from the centre; default derived with the centre.
        sample: enumerate a seeded sample of this many orthants instead of all 2^d (required when
            2^d > 2^24); the result carries a 95% Wilson interval on the fraction of orthants
            holding a fixed point.
        part: `(index, count)`: enumerate only the orthants o with o % count == index (one
            host's share of a multi-host run, see docs/enumeration.md); not with `sample`.
        faces: add the 3^d face starts (default: when not sampling and d ≤ 11).
        seed: seed of the sample and of the starts with k ≥ 1.
        certify: certify each found fixed point (`jaxfp.certify.certify_fixed_point`).
        checkpoint: a directory to stream chunks to (resumable), or None (memory).
        resume: continue the run saved in `checkpoint`.
        devices: number of local devices, a list of devices, or None (all local devices).
        chunk_size: starts per chunk (the memory bound).
        options: `SolveOptions` (solver steps, tolerances, lanes, saddle search).
        callback: called after each saved chunk with `(chunks_done, num_chunks, starts_done)`
            (a progress bar; an exception raised in it stops the run, the checkpoint stays).

    Returns:
        An `IterativeFixedPoints`.

    Raises:
        ValueError: for a `net` that is not a `LoopedNet`, bad K / centre / scale / sample /
            chunk size, 2^d > 2^24 without `sample`, or a checkpoint that belongs to another run.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> found = enumerate_iterative(jaxfp.looped.poly_network(2), starts_per_orthant=8)
        >>> found.n_fixed_points, int(found.attracting.sum()), found.complete
        (9, 4, True)
    """
    began = time.perf_counter()
    if not isinstance(net, LoopedNet):
        raise ValueError(f"`net` must be a jaxfp.looped.LoopedNet, got {type(net).__name__}.")
    dim = net.dim
    starts_per_orthant = _positive_int("starts_per_orthant", starts_per_orthant)
    chunk_size = _positive_int("chunk_size", chunk_size)
    options = SolveOptions() if options is None else options
    if not isinstance(options, SolveOptions):
        raise ValueError(f"`options` must be a SolveOptions, got {type(options).__name__}.")
    derived_centre, derived_scale = default_centre_and_scale(net)
    centre = derived_centre if centre is None else np.asarray(centre, dtype=np.float64)
    if centre.shape != (dim,) or not np.all(np.isfinite(centre)):
        raise ValueError(f"`centre` must be a finite array of shape ({dim},), got {centre.shape}.")
    scale = derived_scale if scale is None else scale
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"`scale` must be a positive finite number, got {scale!r}.")
    if part is not None:
        if sample is not None or not (
            isinstance(part, tuple)
            and len(part) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in part)
            and 0 <= part[0] < part[1]
        ):
            raise ValueError(
                f"`part` must be a pair (index, count) with 0 ≤ index < count, without `sample`; "
                f"got {part!r}."
            )
        if dim > 62 or (1 << dim) > part[1] * MAX_FULL_ORTHANTS:
            raise ValueError(f"2^{dim} orthants split in {part[1]} parts are too many per part.")
        orthants = np.arange(part[0], 1 << dim, part[1], dtype=np.int64)
        n_orthants = int(orthants.shape[0])
    elif sample is None:
        if dim > 62 or (1 << dim) > MAX_FULL_ORTHANTS:
            raise ValueError(
                f"2^{dim} orthants are too many to enumerate them all (the limit is 2^24); pass "
                "`sample=N` (CLI: --sample N) to enumerate a seeded sample of N orthants."
            )
        orthants, n_orthants = None, 1 << dim
    else:
        orthants = sample_orthants(dim, sample, seed)
        n_orthants = int(orthants.shape[0])
    if faces is None:
        faces = orthants is None and 3**dim <= MAX_FACE_STARTS
    if faces and orthants is not None:
        raise ValueError("`faces=True` cannot be combined with `sample` or `part`.")
    chosen_devices = select_devices(devices)
    n_devices = len(chosen_devices)
    layout = (n_orthants * starts_per_orthant, 3**dim if faces else 0, starts_per_orthant)
    n_starts = layout[0] + layout[1]
    chunk = -(-min(chunk_size, n_starts) // n_devices) * n_devices
    num_chunks = -(-n_starts // chunk)
    if checkpoint is None:
        if resume:
            raise ValueError("`resume=True` needs a `checkpoint` directory.")
        store = MemoryStore(num_chunks)
    else:
        fingerprint = _fingerprint(
            net, centre, scale, layout, orthants, seed, chunk, options, certify
        )
        store = DirectoryStore(checkpoint, fingerprint, num_chunks, resume)

    with store:  # a checkpoint's lock is held until the chunks are merged
        for index in range(store.completed, num_chunks):
            orthant, starts = _starts_of_chunk(index, chunk, layout, orthants, centre, scale, seed)
            solution = solve_on_devices(net, starts, options, chosen_devices)
            n_real = min(chunk, n_starts - index * chunk)
            chunk_result = _process_chunk(net, solution, n_real, orthant, centre, options, certify)
            store.save(index, chunk_result)
            if callback is not None:
                callback(index + 1, num_chunks, min((index + 1) * chunk, n_starts))
        fields, per_start = _merge(store, num_chunks, chunk, n_starts, options)
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
    degenerate = int(np.sum(fields["determinant_sign"] == 0))
    if part is not None:
        complete = False
        why = f"partial: part {part[0]} of {part[1]}; merge the parts for the index check"
    elif orthants is not None:
        complete, why = False, "sampled: only a sample of orthants was searched"
    elif degree is None:
        complete, why = False, "unknown: the degree of x − F(x) is not known for this network"
    elif degenerate:
        complete, why = False, f"undecided: {degenerate} degenerate fixed point(s) (I − J singular)"
    elif total != degree:
        complete = False
        why = f"enumeration incomplete: index sum {total} ≠ degree {degree}"
    else:
        complete, why = True, f"index sum {total} = degree {degree}"
    return IterativeFixedPoints(
        points=points,
        sign_patterns=patterns,
        residual=fields["residual"],
        spectral_radius=fields["spectral_radius"],
        stability=fields["stability"],
        min_singular_value=fields["min_singular_value"],
        determinant_sign=fields["determinant_sign"],
        certified=fields["certified"].astype(bool),
        certificate_margin=fields["certificate_margin"],
        reached_by=reached_by,
        newton_hits=newton_hits,
        start_outcome=per_start["start_outcome"],
        start_limit=per_start["start_limit"],
        start_newton_root=per_start["start_newton_root"],
        start_stayed=per_start["start_stayed"],
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
        complete=complete,
        completeness=why,
        certification=certify,
        seconds=time.perf_counter() - began,
        devices=n_devices,
    )
