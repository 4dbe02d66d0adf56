"""All k^d paths of the total-degree homotopy of a looped network, chunk by chunk, and what
their ends say: finite nonsingular solutions, paths at infinity, singular ends, failures.

Paths are numbered 0 … k^d − 1 (the base-k digits of the number pick the start solution); they
are tracked in chunks of `chunk_size` by one compiled tracker, and each chunk is classified on
the host at once (`_ends.classify`), so what is kept is one byte per path plus the finite ends
(memory bounded by the chunk and the number of solutions, not by k^d × d); with a checkpoint
directory each chunk's record is saved, so a killed run resumes at the first unfinished chunk.
Finite nonsingular ends that coincide reveal path jumping; those paths, with every failed one,
are re-tracked with a smaller step bound and tolerance (the same γ, so each start still leads to
the same end: a new γ for some paths only would break the one-to-one account of the ends) up to
`max_retries` times. The real solutions are polished by Newton's method in float64.

Every path is accounted for when each ends finite and nonsingular (all distinct) or at infinity;
then, with probability one over γ, the finite ends are all isolated solutions of x = F(x) and
there are no others (Sommese & Wampler 2005, Theorem 8.4.1; docs/theory.md, "Completeness").

A split run (one part per process) tracks the first pass of the I-th of N contiguous ranges of
paths in each part (`track_path_range`, chunks of the same size and the same compiled tracker as
the one-process run) and re-tracks and accounts for the paths of all the parts together
(`finish_paths`): jumping is seen across parts, and the result is the one-process result.
"""

import contextlib
import functools
import hashlib
import inspect
import math
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..._misc import check_positive, check_positive_int
from ..._validation import check_count
from ...looped import LoopedNet
from .._streaming import DirectoryStore, MemoryStore
from ._ends import AT_INFINITY, FAILED, FINITE, SINGULAR, Ends, classify, newton, real_part
from ._system import HomogeneousSystem, make_system, polynomial_coefficients
from ._track import TrackOptions, endgame_slope, track_paths

# Compiled trackers kept (one per network shape, chunk and lanes), oldest dropped first.
_KEEP_COMPILED = 8
_COMPILED: dict = {}


class HomotopyPaths(eqx.Module):
    """The outcome of tracking every path: real solutions and the account of the paths.

    Fields: `real_solutions` (n, d) float64 (polished, distinct, nonsingular),
    `singular_real` (s, d) float64 (real points of singular ends, not certified: isolated
    multiple solutions or points of a solution curve), `finite_solutions` (m, d) complex128 (all
    finite nonsingular ends), `counts` per end kind in `END_NAMES` order, `num_paths` = k^d,
    `degree` k, `retried` (paths re-tracked), `compile_time_s` (compiling the tracker in
    this call; 0 when an earlier call compiled it), `tracking_time_s` (its runs), and
    `accounted`: True only when finite nonsingular (distinct) + at infinity = k^d.
    """

    real_solutions: np.ndarray
    singular_real: np.ndarray
    finite_solutions: np.ndarray
    counts: tuple[int, int, int, int]
    num_paths: int
    degree: int
    retried: int
    compile_time_s: float
    tracking_time_s: float
    accounted: bool


def _fingerprint(net, coefficients, seed, chunk_size, tolerance, max_step) -> str:
    digest = hashlib.sha256(b"homotopy-v2")
    for array in (net.W, net.b):
        digest.update(np.ascontiguousarray(np.asarray(array, dtype=np.float64)).tobytes())
    digest.update(f"{coefficients}|{net.form}|{seed}|{chunk_size}|{tolerance}|{max_step}".encode())
    return digest.hexdigest()


def _compiled_tracker(dim: int, coefficients: tuple, form: str, chunk_size: int, lanes: int):
    """The tracker compiled once per network shape and chunk (kept for later runs), and the
    seconds compiling took in this call (0 when it was already compiled)."""
    key = (dim, coefficients, form, chunk_size, lanes)
    if key in _COMPILED:
        return _COMPILED[key], 0.0
    began = time.perf_counter()
    complex_ = functools.partial(jax.ShapeDtypeStruct, dtype=jnp.complex128)
    system = HomogeneousSystem(
        complex_((dim, dim)),
        complex_((dim,)),
        complex_(()),
        complex_((dim + 1,)),
        coefficients,
        form,
    )
    real = jax.ShapeDtypeStruct((), jnp.float64)
    options = TrackOptions(real, real, jax.ShapeDtypeStruct((), jnp.int64))
    compiled = (
        jax.jit(functools.partial(track_paths, lanes=lanes))
        .lower(
            system,
            jax.ShapeDtypeStruct((chunk_size,), jnp.int64),
            jax.ShapeDtypeStruct((), jnp.int64),
            options,
        )
        .compile()
    )
    if len(_COMPILED) >= _KEEP_COMPILED:
        _COMPILED.pop(next(iter(_COMPILED)))
    _COMPILED[key] = compiled
    return compiled, time.perf_counter() - began


def _chunk_record(net, coefficients, z, status, slope) -> dict:
    kind, points = classify(net, coefficients, z, status, slope)
    keep = np.flatnonzero(np.isfinite(points).all(axis=1))
    return {"kind": kind, "index": keep.astype(np.int64), "point": points[keep]}


def _check(lanes, chunk_size, max_steps, tolerance, max_step, max_retries):
    check_positive_int(lanes, "lanes")
    check_positive_int(chunk_size, "chunk_size")
    check_positive_int(max_steps, "max_steps")
    check_positive(tolerance, "tolerance")
    check_positive(max_step, "max_step")
    check_count(max_retries, "max_retries", minimum=0)


class TrackedRange(eqx.Module):
    """The first pass over the paths `begin` … `end − 1` (one part of a split run, or all of
    them): `kind` per path (int8, `END_NAMES` order, before any re-tracking), the paths with a
    finite end (`finite_index`, global numbers) and their ends (`finite_point`, complex), the
    total `num_paths` = k^d, and the seconds compiling and tracking took."""

    begin: int
    end: int
    num_paths: int
    kind: np.ndarray
    finite_index: np.ndarray
    finite_point: np.ndarray
    compile_time_s: float
    tracking_time_s: float


class _Tracker:
    """One network's homotopy: the checks, γ, the compiled tracker and its timing."""

    def __init__(self, net, seed, lanes, chunk_size, tolerance, max_step, max_steps, max_paths):
        coefficients = polynomial_coefficients(net.activation)
        if coefficients is None or len(coefficients) < 3:
            raise ValueError(
                "homotopy continuation needs a polynomial activation of degree ≥ 2 "
                f"(jaxfp.looped.Polynomial, Square or Cube), got {net.activation.name!r}."
            )
        self.net, self.coefficients = net, tuple(coefficients)
        self.degree = len(coefficients) - 1
        self.num_paths = self.degree**net.dim
        if self.num_paths > max_paths:
            raise ValueError(
                f"the total-degree homotopy has {self.degree}^{net.dim} = {self.num_paths} paths, "
                f"more than max_paths={max_paths}; raise max_paths (`--max-paths` on the command "
                "line) or use another enumeration method."
            )
        self.chunk_size = min(chunk_size, self.num_paths)  # no padding lanes on small runs
        self.lanes, self.max_steps = min(lanes, self.chunk_size), max_steps
        self.tolerance, self.max_step = tolerance, max_step
        self.fingerprint = _fingerprint(net, coefficients, seed, chunk_size, tolerance, max_step)
        self.system = make_system(net, coefficients, seed)
        self.timing = {"compile": 0.0, "tracking": 0.0}

    def chunk(self, indices: np.ndarray, scale: float) -> dict:
        """Track the paths `indices` (at most one chunk) with the step bounds times `scale`."""
        net = self.net
        compiled, seconds = _compiled_tracker(
            net.dim, self.coefficients, net.form, self.chunk_size, self.lanes
        )
        self.timing["compile"] += seconds
        began = time.perf_counter()
        options = TrackOptions(
            jnp.asarray(self.tolerance * scale),
            jnp.asarray(self.max_step * scale),
            jnp.asarray(self.max_steps),
        )
        padded = np.zeros(self.chunk_size, np.int64)
        padded[: indices.size] = indices
        ends = compiled(self.system, jnp.asarray(padded), jnp.asarray(indices.size), options)
        z, status, slope = (
            np.asarray(a)[: indices.size] for a in (ends.z, ends.status, endgame_slope(ends))
        )
        self.timing["tracking"] += time.perf_counter() - began
        return _chunk_record(net, self.coefficients, z, status, slope)

    def track_range(self, begin: int, end: int, checkpoint, resume, progress) -> TrackedRange:
        """The first pass over paths `begin` … `end − 1`, chunk by chunk (resumable)."""
        size = self.chunk_size
        num_chunks = math.ceil((end - begin) / size)
        if checkpoint is None:
            store = contextlib.nullcontext(MemoryStore(num_chunks))
        else:
            whole = (begin, end) == (0, self.num_paths)
            fingerprint = self.fingerprint + ("" if whole else f"|paths {begin}-{end}")
            store = DirectoryStore(checkpoint, fingerprint, num_chunks, resume)
        kind = np.empty(end - begin, np.int8)
        finite_index, finite_point = [np.zeros(0, np.int64)], [np.zeros((0, self.net.dim), complex)]
        with store as chunks:
            for index in range(num_chunks):
                first = begin + index * size
                if index >= chunks.completed:
                    chunks.save(index, self.chunk(np.arange(first, min(first + size, end)), 1.0))
                record = chunks.load(index)
                kind[first - begin : first - begin + record["kind"].size] = record["kind"]
                finite_index.append(record["index"] + first)
                finite_point.append(record["point"])
                if progress is not None:
                    progress(index + 1, num_chunks)
        return TrackedRange(
            begin=begin,
            end=end,
            num_paths=self.num_paths,
            kind=kind,
            finite_index=np.concatenate(finite_index),
            finite_point=np.concatenate(finite_point),
            compile_time_s=self.timing["compile"],
            tracking_time_s=self.timing["tracking"],
        )

    def finish(self, ranges: list[TrackedRange], max_retries: int, spent=(0.0, 0.0)):
        """Re-track failed and jumped paths over all `ranges` (which tile 0 … k^d − 1, in
        order) and account for every path: a `HomotopyPaths` (its seconds: this tracker's and
        `spent`, the (compile, tracking) seconds of the ranges tracked elsewhere)."""
        net, coefficients, size = self.net, self.coefficients, self.chunk_size
        kind = np.concatenate([tracked.kind for tracked in ranges])
        ends = Ends(
            np.concatenate([tracked.finite_index for tracked in ranges]),
            np.concatenate([tracked.finite_point for tracked in ranges]),
        )
        retried = 0
        for attempt in range(1, max_retries + 1):
            redo = ends.to_redo(kind)
            if redo.size == 0:
                break
            retried += redo.size
            for start in range(0, redo.size, size):
                batch = redo[start : start + size]
                record = self.chunk(batch, 0.25**attempt)
                kind[batch] = record["kind"]
                ends.replace(batch, batch[record["index"]], record["point"])
        kind[ends.to_redo(kind)] = FAILED
        counts = tuple(int(np.sum(kind == value)) for value in range(4))
        finite = ends.of_kind(kind, FINITE)
        real = newton(net, coefficients, real_part(finite))
        return HomotopyPaths(
            real_solutions=real,
            singular_real=real_part(ends.of_kind(kind, SINGULAR)),
            finite_solutions=finite,
            counts=counts,
            num_paths=self.num_paths,
            degree=self.degree,
            retried=retried,
            compile_time_s=self.timing["compile"] + spent[0],
            tracking_time_s=self.timing["tracking"] + spent[1],
            accounted=counts[FINITE] + counts[AT_INFINITY] == self.num_paths,
        )


def _tracker(net, seed, lanes, chunk_size, tolerance, max_step, max_steps, max_retries, max_paths):
    _check(lanes, chunk_size, max_steps, tolerance, max_step, max_retries)
    return _Tracker(net, seed, lanes, chunk_size, tolerance, max_step, max_steps, max_paths)


def track_all_paths(
    net: LoopedNet,
    *,
    seed: int = 0,
    lanes: int = 256,
    chunk_size: int = 4096,
    tolerance: float = 1e-4,
    max_step: float = 0.1,
    max_steps: int = 2000,
    max_retries: int = 2,
    max_paths: int = 10**7,
    checkpoint=None,
    resume: bool = False,
    progress=None,
) -> HomotopyPaths:
    """Tracks all k^d paths of the total-degree homotopy of `net` (polynomial σ of degree k).

    Args:
        net: a `LoopedNet` whose activation is a polynomial of degree ≥ 2 (either form).
        seed: draws γ and the projective chart.
        lanes: paths tracked at once.
        chunk_size: paths per saved chunk.
        tolerance: the first Newton correction allowed per step (relative).
        max_step: the largest step in t.
        max_steps: steps (accepted + rejected) per path.
        max_retries: re-tracking rounds for failed and jumped paths (step bound and tolerance
            divided by 4 each round).
        max_paths: refuse networks with more than this many paths (k^d).
        checkpoint: a directory for chunk results (resumable), or None.
        resume: continue the run saved in `checkpoint`.
        progress: None, or called with `(chunks done, number of chunks)` after each chunk.

    Returns:
        A `HomotopyPaths`.

    Raises:
        ValueError: if σ is not a polynomial of degree ≥ 2, k^d exceeds `max_paths`, or an
            option is out of range.

    Example:
        >>> import jaxfp
        >>> paths = track_all_paths(jaxfp.looped.poly_network(1))
        >>> paths.accounted, sorted(round(float(x), 6) for x in paths.real_solutions[:, 0])
        (True, [-1.0, 0.0, 1.0])
    """
    options = (seed, lanes, chunk_size, tolerance, max_step, max_steps, max_retries, max_paths)
    tracker = _tracker(net, *options)
    tracked = tracker.track_range(0, tracker.num_paths, checkpoint, resume, progress)
    return tracker.finish([tracked], max_retries)


def part_range(num_paths: int, part: tuple[int, int]) -> tuple[int, int]:
    """The paths of part `part = (I, N)`: the I-th of N contiguous ranges of 0 … num_paths − 1."""
    index, count = part
    return num_paths * index // count, num_paths * (index + 1) // count


def track_path_range(
    net: LoopedNet,
    part: tuple[int, int],
    *,
    checkpoint=None,
    resume: bool = False,
    progress=None,
    **options,
) -> TrackedRange:
    """The first pass of part `part = (I, N)` of `track_all_paths`: the I-th of N contiguous
    ranges of the k^d paths (`part_range`), chunk by chunk, with its own resumable checkpoint.
    `finish_paths` turns the N ranges into the `HomotopyPaths` of the whole run. `options` are
    `track_all_paths`'s (every part must use the same).

    Example:
        >>> import jaxfp
        >>> net = jaxfp.looped.poly_network(2)
        >>> ranges = [track_path_range(net, (i, 2)) for i in range(2)]
        >>> [(r.begin, r.end) for r in ranges], finish_paths(net, ranges).accounted
        ([(0, 4), (4, 9)], True)
    """
    tracker = _tracker(net, **_with_defaults(options))
    begin, end = part_range(tracker.num_paths, part)
    return tracker.track_range(begin, end, checkpoint, resume, progress)


def finish_paths(net: LoopedNet, ranges: list[TrackedRange], **options) -> HomotopyPaths:
    """The `HomotopyPaths` of a split run from its N `TrackedRange`s (sorted, tiling every path
    once): failed and jumped paths of the whole run re-tracked (as `track_all_paths` does, so
    the result is the one-process result), then every path accounted for.

    Raises:
        ValueError: if the ranges do not tile 0 … k^d − 1 in order.
    """
    options = _with_defaults(options)
    tracker = _tracker(net, **options)
    bounds = [(0, 0)] + [(tracked.begin, tracked.end) for tracked in ranges]
    tiled = all(prev[1] == this[0] for prev, this in zip(bounds, bounds[1:], strict=False))
    if not tiled or bounds[-1][1] != tracker.num_paths:
        raise ValueError(
            f"the path ranges {bounds[1:]} do not cover the {tracker.num_paths} paths once."
        )
    spent = tuple(sum(getattr(t, f"{name}_time_s") for t in ranges) for name in _TIMES)
    return tracker.finish(list(ranges), options["max_retries"], spent)


_TIMES = ("compile", "tracking")
_RUN_OPTIONS = ("checkpoint", "resume", "progress")


def _with_defaults(options: dict) -> dict:
    """`options` completed with `track_all_paths`'s defaults (the hyperparameters only)."""
    parameters = inspect.signature(track_all_paths).parameters
    defaults = {name: p.default for name, p in parameters.items() if name not in _RUN_OPTIONS}
    del defaults["net"]
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise TypeError(f"unknown homotopy options {unknown}.")
    return {**defaults, **options}
