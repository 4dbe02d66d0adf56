"""`group_points` (the one deduplication rule) groups points exactly as the tolerance says at
every magnitude, including coordinates whose grid cell index would overflow int64."""

import numpy as np
import pytest

from jaxfp._numerics import group_points


def clustered_points(rng, magnitude: float, tolerance: float, clusters: int = 6, size: int = 4):
    """Clusters `10 × tolerance` apart (at least) around centres of the given magnitude; members
    of a cluster lie within `0.1 × tolerance` of its centre. Returns (points, cluster labels)."""
    dim = 3
    centres = magnitude * (1 + rng.uniform(0, 1, (clusters, dim)))
    centres[:, 0] = magnitude + 20 * tolerance * np.arange(clusters)
    labels = np.repeat(np.arange(clusters), size)
    jitter = rng.uniform(-0.1, 0.1, (labels.size, dim)) * tolerance
    points = centres[labels] + jitter
    order = rng.permutation(labels.size)
    return points[order], labels[order]


@pytest.mark.parametrize("magnitude", [1e-3, 1.0, 1e6, 1e9, 1e12, 1e15])
def test_groups_are_the_clusters_at_every_magnitude(magnitude):
    rng = np.random.default_rng(int(np.log10(magnitude)) + 10)
    atol, rtol = 1e-12, 0.0
    # The absolute tolerance must stay above float64's spacing at this magnitude.
    tolerance = max(atol, 64 * np.spacing(magnitude))
    points, clusters = clustered_points(rng, magnitude, tolerance)
    labels, representatives = group_points(points, tolerance, rtol)
    assert representatives.size == np.unique(clusters).size
    # Same cluster <=> same group.
    same_group = labels[:, None] == labels[None, :]
    assert np.array_equal(same_group, clusters[:, None] == clusters[None, :])


def test_large_and_small_coordinates_are_not_merged():
    # 1e8 / (1e-3 × 1e-12) overflows an int64 cell index: before, every such point fell into
    # one cell and 1e8, 1e8 + 1 and 3e8 came back as a single point.
    points = np.array([[1e8], [1e8 + 1.0], [3e8], [1e8], [1e-7], [1e300], [-1e300]])
    labels, representatives = group_points(points, 1e-12, 0.0)
    assert labels.tolist() == [0, 1, 2, 0, 3, 4, 5]
    assert representatives.tolist() == [0, 1, 2, 4, 5, 6]
