"""Tolerance-based deduplication of fixed points found from many starts.

Two points x, y are the same fixed point when ‖x − y‖_∞ ≤ atol + rtol · max(‖x‖_∞, ‖y‖_∞); the
groups are the connected components of that relation (a k-d tree finds the close pairs, so the
cost is about n log n, never n²). Each group is represented by its first member.
"""

import numpy as np
from jaxtyping import Float, Int
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree


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
    radius = atol + rtol * float(norms.max())
    pairs = cKDTree(points).query_pairs(radius, p=np.inf, output_type="ndarray")
    if pairs.size:
        gaps = np.abs(points[pairs[:, 0]] - points[pairs[:, 1]]).max(axis=1)
        close = gaps <= atol + rtol * np.maximum(norms[pairs[:, 0]], norms[pairs[:, 1]])
        pairs = pairs[close]
    graph = coo_matrix((np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, components = connected_components(graph, directed=False)
    # Renumber groups in the order of their first member.
    _, first = np.unique(components, return_index=True)
    order = np.argsort(first)
    renumber = np.empty_like(order)
    renumber[order] = np.arange(order.size)
    return renumber[components].astype(np.int64), np.sort(first).astype(np.int64)
