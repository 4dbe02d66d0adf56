"""Point matching with one tolerance rule, used for deduplication and for matching a point to
a list of known fixed points everywhere in the package.

Two points x, y are the same point when ‖x − y‖_∞ ≤ atol + rtol · max(‖x‖_∞, ‖y‖_∞) (up to
0.1% slack); the groups are the connected components of that relation. Points are first snapped
to a grid of spacing 10⁻³ × the tolerance (exact duplicates, the common case, collapse by
sorting); then the grid
cells' representatives are sorted along a fixed random direction v with ‖v‖_1 = 1, so that two
points within the tolerance are within it along v too, and only neighbours in that order are
compared (k-d trees degrade badly on the lattice-like point sets of the P1 constructions). The
cost is about n log n. Each group is represented by its first member.
"""

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .norms import max_abs

# Grid spacing as a fraction of the tolerance: points in one grid cell are merged outright, and
# cells are linked with a slack of one spacing (so the tolerance holds up to 0.1%).
_GRID_FRACTION = 1e-3
# Cell indices from this size on would overflow int64 (or are inf): such coordinates key on their
# own value instead, so only exact duplicates share a cell there.
_LARGEST_CELL = 2.0**62


def _cell_keys(points: Float[np.ndarray, "n d"], spacing: float) -> Int[np.ndarray, "n k"]:
    """Integer keys, one row per point, equal exactly when two points share a grid cell.

    A coordinate whose cell index would not fit in an int64 (|x| / spacing ≥ 2^62, e.g. 1e8 with
    a tolerance of 1e-12) keys on its float64 bits in a second block of columns, with 0 in the
    first; others key on their cell index, with 0 (the bits of +0.0) in the second. A large
    coordinate is never 0.0, so the two kinds never collide.
    """
    with np.errstate(over="ignore"):  # an overflow to inf is a large cell, handled below
        cells = np.floor(np.divide(points, spacing))
    exact = ~(np.abs(cells) < _LARGEST_CELL)
    keys = np.where(exact, 0.0, cells).astype(np.int64)
    if exact.any():
        values = np.where(exact, points, 0.0).view(np.int64)
        keys = np.concatenate([keys, values], axis=1)
    return np.ascontiguousarray(keys)


def group_points(
    points: Float[np.ndarray, "n d"], atol: float, rtol: float
) -> tuple[Int[np.ndarray, " n"], Int[np.ndarray, " g"]]:
    """Group equal points (up to the tolerance) and pick a representative per group.

    Args:
        points: the points, shape (n, d), finite.
        atol, rtol: the tolerance `atol + rtol · max(‖x‖_∞, ‖y‖_∞)` on ‖x − y‖_∞.

    Returns:
        `(labels, representatives)`: `labels[i]` is the group of point i, numbered 0 … g − 1 in
        the order of first appearance; `representatives[j]` is the index of group j's first point.

    Raises:
        ValueError: if `points` is not 2-D, holds non-finite values, or a tolerance is negative.

    Example:
        >>> import numpy as np
        >>> labels, reps = group_points(np.array([[1.0], [0.0], [1.0 + 1e-9]]), 1e-6, 1e-6)
        >>> labels.tolist(), reps.tolist()
        ([0, 1, 0], [0, 1])
    """
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2:
        raise ValueError(f"`points` must have shape (n, d), got {points.shape}.")
    if not np.all(np.isfinite(points)):
        raise ValueError("`points` must be finite to be deduplicated.")
    if atol < 0 or rtol < 0:
        raise ValueError(f"tolerances must be ≥ 0, got atol={atol}, rtol={rtol}.")
    n = points.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    norms = np.abs(points).max(axis=1) if points.shape[1] else np.zeros(n)
    spacing = _GRID_FRACTION * (atol + rtol * float(norms.min()))
    if spacing > 0:
        keys = _cell_keys(points, spacing)
        rows = keys.view(np.dtype((np.void, keys.dtype.itemsize * keys.shape[1]))).ravel()
        _, cell_first, cells = np.unique(rows, return_index=True, return_inverse=True)
        del keys, rows
        cells = cells.reshape(-1)
    else:
        cell_first, cells = np.arange(n), np.arange(n)
    members = points[cell_first]
    member_norms = norms[cell_first]
    m = members.shape[0]
    radius = atol + rtol * float(norms.max()) + spacing
    direction = np.random.default_rng(0).standard_normal(points.shape[1])
    direction /= max(np.abs(direction).sum(), 1e-300)
    projection = members @ direction
    order = np.argsort(projection, kind="stable")
    ordered = projection[order]
    following = np.searchsorted(ordered, ordered + radius, side="right") - np.arange(m) - 1
    rows, cols = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for offset in range(1, int(following.max(initial=0)) + 1):
        first = np.flatnonzero(following >= offset)
        a, b = order[first], order[first + offset]
        gaps = np.abs(members[a] - members[b]).max(axis=1)
        close = gaps <= atol + rtol * np.maximum(member_norms[a], member_norms[b]) + spacing
        rows.append(a[close])
        cols.append(b[close])
    pairs = np.stack([np.concatenate(rows), np.concatenate(cols)], axis=1)
    graph = coo_matrix((np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])), shape=(m, m))
    _, cell_groups = connected_components(graph, directed=False)
    components = cell_groups[cells]
    # Renumber groups in the order of their first member.
    _, first = np.unique(components, return_index=True)
    order = np.argsort(first)
    renumber = np.empty_like(order)
    renumber[order] = np.arange(order.size)
    return renumber[components].astype(np.int64), np.sort(first).astype(np.int64)


def same_point(x: ArrayLike, y: ArrayLike, atol: float, rtol: float) -> Bool[Array, "..."]:
    """Whether x and y (last axis the coordinates; other axes broadcast) are the same point:
    ‖x − y‖_∞ ≤ atol + rtol · max(‖x‖_∞, ‖y‖_∞), the rule of `group_points`.

    Example:
        >>> bool(same_point(jnp.array([1.0, 2.0]), jnp.array([1.0, 2.0 + 1e-9]), 1e-8, 1e-8))
        True
    """
    x, y = jnp.asarray(x), jnp.asarray(y)
    gap = max_abs(x - y, axis=-1)
    scale = jnp.maximum(max_abs(x, axis=-1), max_abs(y, axis=-1))
    return gap <= atol + rtol * scale


def match_points(
    values: Float[Array, "m d"],
    points: Float[Array, "n d"],
    atol: float,
    rtol: float,
    valid: Bool[Array, " m"] | None = None,
) -> Int[Array, " m"]:
    """For each row of `values`, the index of the nearest row of `points` (max-norm) when the two
    are the same point by the rule of `group_points`, else −1 (also −1 where `valid` is False).

    Example:
        >>> points = jnp.array([[0.0], [1.0]])
        >>> match_points(jnp.array([[1.0 + 1e-12], [0.5]]), points, 1e-9, 1e-9).tolist()
        [1, -1]
    """
    values, points = jnp.asarray(values), jnp.asarray(points)
    distance = max_abs(values[:, None, :] - points[None, :, :], axis=-1)
    nearest = jnp.argmin(distance, axis=1)
    close = same_point(values, points[nearest], atol, rtol)
    if valid is not None:
        close = close & valid
    return jnp.where(close, nearest, -1)
