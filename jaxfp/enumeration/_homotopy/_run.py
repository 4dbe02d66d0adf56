"""All k^d paths of the total-degree homotopy of a looped network, chunk by chunk, and what
their ends say: finite nonsingular solutions, paths at infinity, singular ends, failures.

Paths are numbered 0 … k^d − 1 (the base-k digits of the number pick the start solution); they
are tracked in chunks of `chunk_size`, each chunk's ends saved (to a checkpoint directory when
one is given, so a killed run resumes at the first unfinished chunk). Then each end is
classified on the host; finite nonsingular ends that coincide reveal path jumping, and those
paths, with every failed one, are re-tracked with a smaller step bound and tolerance (the same
γ, so each start still leads to the same end) up to `max_retries` times. The real solutions are
polished by Newton's method in float64 on x − F(x).

Every path is accounted for when each ends finite and nonsingular (all distinct) or at infinity;
then, with probability one over γ, the finite ends are all isolated solutions of x = F(x)
(Sommese & Wampler 2005, Theorem 8.4.1; docs/theory.md, "Completeness").
"""

import contextlib
import hashlib
import math

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ..._misc import check_positive, check_positive_int
from ..._numerics import group_points
from ...looped import LoopedNet
from .._streaming import DirectoryStore, MemoryStore
from ._system import make_system, polynomial_coefficients
from ._track import REACHED, STALLED_NEAR_END, TrackOptions, track_paths

FINITE, AT_INFINITY, SINGULAR, FAILED = range(4)
END_NAMES = ("finite", "at_infinity", "singular", "failed")
# An endgame slope of log|z_0| against log(1 − t) above this means z_0 → 0 (infinity).
_INFINITY_SLOPE = 0.1
# A reached end with |z_0| / ‖z‖∞ below this is a (nonsingular) solution at infinity.
_INFINITY_RATIO = 1e-10
# Affine ends whose Jacobian I − J_F has a condition number above this are singular.
_SINGULAR_CONDITION = 1e10
# Ends closer than this (atol = rtol, on real and imaginary parts) are the same point.
_SAME_POINT = 1e-8
# A finite end is real when ‖Im x‖∞ ≤ this · max(1, ‖x‖∞).
_REAL_TOLERANCE = 1e-8
_POLISH_ITERATIONS = 4


class HomotopyPaths(eqx.Module):
    """The outcome of tracking every path: real solutions and the account of the paths.

    Fields: `real_solutions` (n, d) float64 (polished, distinct), `finite_solutions` (m, d)
    complex128 (all finite nonsingular ends), `counts` per end kind in `END_NAMES` order,
    `num_paths` = k^d, `degree` k, `retried` (paths re-tracked), `max_steps_taken`, and
    `accounted`: True only when finite nonsingular (distinct) + at infinity = k^d.
    """

    real_solutions: np.ndarray
    finite_solutions: np.ndarray
    counts: tuple[int, int, int, int]
    num_paths: int
    degree: int
    retried: int
    accounted: bool


def _affine_jacobian(net: LoopedNet, coefficients, x):
    """I − J_F(x) for complex x (batched: x of shape (n, d))."""
    weight, bias = np.asarray(net.W), np.asarray(net.b)
    derivative = np.polynomial.polynomial.polyder(np.asarray(coefficients))
    eye = np.eye(net.dim)
    if net.form == "sigma-affine":
        slope = np.polynomial.polynomial.polyval(x @ weight.T + bias, derivative)
        return eye - slope[:, :, None] * weight[None]
    slope = np.polynomial.polynomial.polyval(x, derivative)
    return eye - weight[None] * slope[:, None, :]


def _residual(net: LoopedNet, coefficients, x):
    weight, bias, c = np.asarray(net.W), np.asarray(net.b), np.asarray(coefficients)
    if net.form == "sigma-affine":
        return x - np.polynomial.polynomial.polyval(x @ weight.T + bias, c)
    return x - np.polynomial.polynomial.polyval(x, c) @ weight.T - bias


def _newton(net, coefficients, x):
    for _ in range(_POLISH_ITERATIONS):
        if x.shape[0] == 0:
            break
        step = np.linalg.solve(
            _affine_jacobian(net, coefficients, x), _residual(net, coefficients, x)[..., None]
        )
        x = x - step[..., 0]
    return x


def _classify(net, coefficients, ends: dict) -> tuple[np.ndarray, np.ndarray]:
    """End kind per path and the affine end points (complex, NaN where not finite)."""
    z, status, slope = ends["z"], ends["status"], ends["slope"]
    ratio = np.abs(z[:, 0]) / np.maximum(np.abs(z).max(axis=1), 1e-300)
    kind = np.full(status.shape, FAILED)
    reached = status == REACHED
    stalled = status == STALLED_NEAR_END
    kind[reached & (ratio < _INFINITY_RATIO)] = AT_INFINITY
    kind[stalled & (slope > _INFINITY_SLOPE)] = AT_INFINITY
    kind[stalled & (slope <= _INFINITY_SLOPE)] = SINGULAR
    candidates = np.flatnonzero(reached & (ratio >= _INFINITY_RATIO))
    points = np.full((status.shape[0], net.dim), np.nan + 0j)
    with np.errstate(all="ignore"):
        x = _newton(net, coefficients, z[candidates, 1:] / z[candidates, :1])
        condition = np.linalg.cond(_affine_jacobian(net, coefficients, x))
        residual = np.abs(_residual(net, coefficients, x)).max(axis=1, initial=0.0)
    scale = np.maximum(1.0, np.abs(x).max(axis=1, initial=0.0))
    good = np.isfinite(residual) & (residual <= 1e-8 * scale)
    nonsingular = good & (condition < _SINGULAR_CONDITION)
    kind[candidates[nonsingular]] = FINITE
    kind[candidates[good & ~nonsingular]] = SINGULAR
    points[candidates] = x
    return kind, points


def _jumped(points: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """Paths whose finite nonsingular end is shared with another path (path jumping)."""
    finite = np.flatnonzero(kind == FINITE)
    if finite.size < 2:
        return np.zeros(0, np.int64)
    stacked = np.concatenate([points[finite].real, points[finite].imag], axis=1)
    labels, _ = group_points(stacked, _SAME_POINT, _SAME_POINT)
    sizes = np.bincount(labels)
    return finite[sizes[labels] > 1]


def _fingerprint(net, coefficients, seed, chunk_size, tolerance, max_step) -> str:
    digest = hashlib.sha256(b"homotopy-v1")
    for array in (net.W, net.b):
        digest.update(np.ascontiguousarray(np.asarray(array, dtype=np.float64)).tobytes())
    digest.update(f"{coefficients}|{net.form}|{seed}|{chunk_size}|{tolerance}|{max_step}".encode())
    return digest.hexdigest()


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
    lanes = check_positive_int(lanes, "lanes")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    max_steps = check_positive_int(max_steps, "max_steps")
    check_positive(tolerance, "tolerance")
    check_positive(max_step, "max_step")
    if not (isinstance(max_retries, int) and max_retries >= 0):
        raise ValueError(f"`max_retries` must be a non-negative integer, got {max_retries!r}.")
    degree = len(coefficients) - 1
    num_paths = degree**net.dim
    if num_paths > max_paths:
        raise ValueError(
            f"the total-degree homotopy has {degree}^{net.dim} = {num_paths} paths, more than "
            f"max_paths={max_paths}; raise max_paths or use another enumeration method."
        )
    chunk_size = min(chunk_size, num_paths)  # no padding lanes on small runs
    system = make_system(net, coefficients, seed)
    num_chunks = math.ceil(num_paths / chunk_size)

    def run(indices, scale):
        options = TrackOptions(
            jnp.asarray(tolerance * scale), jnp.asarray(max_step * scale), jnp.asarray(max_steps)
        )
        padded = np.zeros(chunk_size, np.int64)
        padded[: indices.size] = indices
        ends = track_paths(system, jnp.asarray(padded), jnp.asarray(indices.size), options, lanes)
        return {name: np.asarray(getattr(ends, name))[: indices.size] for name in ends.__dict__}

    if checkpoint is None:
        store = contextlib.nullcontext(MemoryStore(num_chunks))
    else:
        fingerprint = _fingerprint(net, coefficients, seed, chunk_size, tolerance, max_step)
        store = DirectoryStore(checkpoint, fingerprint, num_chunks, resume)
    with store as chunks:
        for index in range(chunks.completed, num_chunks):
            chunks.save(
                index,
                run(np.arange(index * chunk_size, min((index + 1) * chunk_size, num_paths)), 1.0),
            )
        parts = [chunks.load(index) for index in range(num_chunks)]
    ends = {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
    kind, points = _classify(net, coefficients, ends)
    retried = 0
    for attempt in range(1, max_retries + 1):
        redo = np.union1d(np.flatnonzero(kind == FAILED), _jumped(points, kind))
        if redo.size == 0:
            break
        retried += redo.size
        for start in range(0, redo.size, chunk_size):
            batch = redo[start : start + chunk_size]
            again = run(batch, 0.25**attempt)
            for name in ends:
                ends[name][batch] = again[name]
        kind, points = _classify(net, coefficients, ends)
    jumped = _jumped(points, kind)
    kind[jumped] = FAILED
    counts = tuple(int(np.sum(kind == value)) for value in range(4))
    finite = points[kind == FINITE]
    scale = np.maximum(1.0, np.abs(finite).max(axis=1, initial=0.0))
    real = finite[np.abs(finite.imag).max(axis=1, initial=0.0) <= _REAL_TOLERANCE * scale].real
    real = _newton(net, coefficients, real.astype(np.float64))
    return HomotopyPaths(
        real_solutions=real,
        finite_solutions=finite,
        counts=counts,
        num_paths=num_paths,
        degree=degree,
        retried=retried,
        accounted=counts[FINITE] + counts[AT_INFINITY] == num_paths,
    )
