"""Host-side bookkeeping of accepted region solutions: boundary duplicates and stability."""

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# Two boundary solutions closer than this (∞-norm, relative to 1 + |u|) are the same point.
DUPLICATE_RTOL = 1e-6
# Above this many distinct grid cells, near-duplicates across cells are merged by sorting only.
_PAIRWISE_LIMIT = 4096


def duplicate_groups(preactivations: np.ndarray) -> np.ndarray:
    """Group ids (0 … g − 1) of points equal up to `DUPLICATE_RTOL`: snap to a grid, then merge
    grid cells whose representatives are within the tolerance of each other."""
    n = preactivations.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    scale = DUPLICATE_RTOL * (1 + np.abs(preactivations).max())
    keys = np.round(preactivations / scale).astype(np.int64)
    _, first, cells = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    cells = cells.reshape(-1)
    representatives = preactivations[first]
    m = representatives.shape[0]
    if m > _PAIRWISE_LIMIT:
        order = np.lexsort(representatives.T[::-1])
        close = np.abs(np.diff(representatives[order], axis=0)).max(axis=1) <= 2 * scale
        rows, cols = order[:-1][close], order[1:][close]
    else:
        distance = np.abs(representatives[:, None, :] - representatives[None, :, :]).max(axis=2)
        rows, cols = np.nonzero(distance <= 2 * scale)
    graph = coo_matrix((np.ones(rows.shape[0]), (rows, cols)), shape=(m, m))
    _, labels = connected_components(graph, directed=False)
    return labels[cells]


def spectral_radii(weights: np.ndarray, slopes: np.ndarray) -> np.ndarray:
    """ρ(W D_s) for each row of `slopes` (the diagonal of D_s); same spectrum as D_s W."""
    if slopes.shape[0] == 0:
        return np.zeros(0)
    jacobians = weights[None, :, :] * slopes[:, None, :]
    return np.abs(np.linalg.eigvals(jacobians)).max(axis=1, initial=0.0)
