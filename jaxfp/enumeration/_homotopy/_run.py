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
"""

import contextlib
import functools
import hashlib
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
from ._ends import AT_INFINITY, FAILED, FINITE, SINGULAR, classify, newton, shared_ends
from ._system import HomogeneousSystem, make_system, polynomial_coefficients
from ._track import TrackOptions, track_paths

# Compiled trackers kept (one per network shape, chunk and lanes), oldest dropped first.
_KEEP_COMPILED = 8
_COMPILED: dict = {}
# A finite end is real when ‖Im x‖∞ ≤ this · max(1, ‖x‖∞).
_REAL_TOLERANCE = 1e-8


class HomotopyPaths(eqx.Module):
    """The outcome of tracking every path: real solutions and the account of the paths.

    Fields: `real_solutions` (n, d) float64 (polished, distinct, nonsingular),
    `singular_real` (s, d) float64 (real points of singular ends, not certified: isolated
    multiple solutions or points of a solution curve), `finite_solutions` (m, d) complex128 (all
    finite nonsingular ends), `counts` per end kind in `END_NAMES` order, `num_paths` = k^d,
    `degree` k, `retried` (paths re-tracked), `compile_seconds` (compiling the tracker in
    this call; 0 when an earlier call compiled it), `tracking_seconds` (its runs), and
    `accounted`: True only when finite nonsingular (distinct) + at infinity = k^d.
    """

    real_solutions: np.ndarray
    singular_real: np.ndarray
    finite_solutions: np.ndarray
    counts: tuple[int, int, int, int]
    num_paths: int
    degree: int
    retried: int
    compile_seconds: float
    tracking_seconds: float
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


def _chunk_record(net, coefficients, ends: dict) -> dict:
    kind, points = classify(net, coefficients, ends)
    keep = np.flatnonzero(np.isfinite(points).all(axis=1))
    return {"kind": kind, "index": keep.astype(np.int64), "point": points[keep]}


def _check(lanes, chunk_size, max_steps, tolerance, max_step, max_retries):
    check_positive_int(lanes, "lanes")
    check_positive_int(chunk_size, "chunk_size")
    check_positive_int(max_steps, "max_steps")
    check_positive(tolerance, "tolerance")
    check_positive(max_step, "max_step")
    check_count(max_retries, "max_retries", minimum=0)


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
    coefficients = polynomial_coefficients(net.activation)
    if coefficients is None or len(coefficients) < 3:
        raise ValueError(
            "homotopy continuation needs a polynomial activation of degree ≥ 2 "
            f"(jaxfp.looped.Polynomial, Square or Cube), got {net.activation.name!r}."
        )
    _check(lanes, chunk_size, max_steps, tolerance, max_step, max_retries)
    degree = len(coefficients) - 1
    num_paths = degree**net.dim
    if num_paths > max_paths:
        raise ValueError(
            f"the total-degree homotopy has {degree}^{net.dim} = {num_paths} paths, more than "
            f"max_paths={max_paths}; raise max_paths (`--max-paths` on the command line) or "
            "use another enumeration method."
        )
    chunk_size = min(chunk_size, num_paths)  # no padding lanes on small runs
    system = make_system(net, coefficients, seed)
    num_chunks = math.ceil(num_paths / chunk_size)
    timing = {"compile": 0.0, "tracking": 0.0}

    def run(indices, scale):
        compiled, seconds = _compiled_tracker(
            net.dim, tuple(coefficients), net.form, chunk_size, min(lanes, chunk_size)
        )
        timing["compile"] += seconds
        began = time.perf_counter()
        options = TrackOptions(
            jnp.asarray(tolerance * scale), jnp.asarray(max_step * scale), jnp.asarray(max_steps)
        )
        padded = np.zeros(chunk_size, np.int64)
        padded[: indices.size] = indices
        ends = compiled(system, jnp.asarray(padded), jnp.asarray(indices.size), options)
        ends = {name: np.asarray(getattr(ends, name))[: indices.size] for name in ends.__dict__}
        timing["tracking"] += time.perf_counter() - began
        return _chunk_record(net, coefficients, ends)

    if checkpoint is None:
        store = contextlib.nullcontext(MemoryStore(num_chunks))
    else:
        fingerprint = _fingerprint(net, coefficients, seed, chunk_size, tolerance, max_step)
        store = DirectoryStore(checkpoint, fingerprint, num_chunks, resume)
    kind = np.empty(num_paths, np.int8)
    finite_index, finite_point = [], []
    with store as chunks:
        for index in range(num_chunks):
            first = index * chunk_size
            if index >= chunks.completed:
                chunks.save(index, run(np.arange(first, min(first + chunk_size, num_paths)), 1.0))
            record = chunks.load(index)
            kind[first : first + record["kind"].size] = record["kind"]
            finite_index.append(record["index"] + first)
            finite_point.append(record["point"])
            if progress is not None:
                progress(index + 1, num_chunks)
    ends = _Ends(np.concatenate(finite_index), np.concatenate(finite_point))
    retried = 0
    for attempt in range(1, max_retries + 1):
        redo = ends.to_redo(kind)
        if redo.size == 0:
            break
        retried += redo.size
        for start in range(0, redo.size, chunk_size):
            batch = redo[start : start + chunk_size]
            record = run(batch, 0.25**attempt)
            kind[batch] = record["kind"]
            ends.replace(batch, batch[record["index"]], record["point"])
    kind[ends.to_redo(kind)] = FAILED
    counts = tuple(int(np.sum(kind == value)) for value in range(4))
    finite = ends.of_kind(kind, FINITE)
    real = newton(net, coefficients, _real_part(finite))
    return HomotopyPaths(
        real_solutions=real,
        singular_real=_real_part(ends.of_kind(kind, SINGULAR)),
        finite_solutions=finite,
        counts=counts,
        num_paths=num_paths,
        degree=degree,
        retried=retried,
        compile_seconds=timing["compile"],
        tracking_seconds=timing["tracking"],
        accounted=counts[FINITE] + counts[AT_INFINITY] == num_paths,
    )


class _Ends:
    """The paths with a finite end (`index`, sorted) and their ends (`point`, complex)."""

    def __init__(self, index: np.ndarray, point: np.ndarray):
        order = np.argsort(index)
        self.index, self.point = index[order], point[order]

    def of_kind(self, kind: np.ndarray, which: int) -> np.ndarray:
        return self.point[kind[self.index] == which]

    def replace(self, paths: np.ndarray, index: np.ndarray, point: np.ndarray) -> None:
        """The ends of `paths` re-tracked: the old ones dropped, the new finite ones added."""
        keep = ~np.isin(self.index, paths)
        self.__init__(
            np.concatenate([self.index[keep], index]), np.concatenate([self.point[keep], point])
        )

    def to_redo(self, kind: np.ndarray) -> np.ndarray:
        """Paths to track again: failed ones, and finite nonsingular ones sharing their end."""
        finite = kind[self.index] == FINITE
        jumped = self.index[finite][shared_ends(self.point[finite])]
        return np.union1d(np.flatnonzero(kind == FAILED), jumped).astype(np.int64)


def _real_part(points: np.ndarray) -> np.ndarray:
    scale = np.maximum(1.0, np.abs(points).max(axis=1, initial=0.0))
    real = np.abs(points.imag).max(axis=1, initial=0.0) <= _REAL_TOLERANCE * scale
    return points[real].real.astype(np.float64)
