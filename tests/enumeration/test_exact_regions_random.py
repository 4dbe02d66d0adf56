"""Random ReLU / leaky / abs / hard-tanh networks, both forms, against an independent check."""

import numpy as np
import pytest

from jaxfp.enumeration._exact_regions import enumerate_pwl_regions

from ._pwl_brute_force import brute_force_fixed_points
from ._pwl_cases import ACTIVATIONS, FORMS, forward, random_net

# Points of the two methods are matched within this ∞-norm distance.
MATCH_TOLERANCE = 1e-7
# Largest accepted ‖F(x) − x‖_∞ of a reported fixed point.
RESIDUAL_TOLERANCE = 1e-9
CHUNK = 256


def _same_points(found, expected):
    if found.shape != expected.shape:
        return False
    return all(np.abs(found - point).max(axis=1).min() < MATCH_TOLERANCE for point in expected)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("dim", [3, 6])
def test_agrees_with_brute_force(activation, form, dim):
    for seed in range(3):
        weights, bias = random_net(100 * dim + seed, dim)
        found = enumerate_pwl_regions(
            weights, bias, *ACTIVATIONS[activation], form=form, chunk_size=CHUNK
        )
        expected = brute_force_fixed_points(
            weights, bias, np.array(ACTIVATIONS[activation][0]), *ACTIVATIONS[activation][1:], form
        )
        points = np.asarray(found.points)
        assert _same_points(points, expected), (seed, points, expected)
        assert found.complete
        assert found.num_fixed_points <= found.upper_bound
        assert found.num_regions_solved + found.num_regions_pruned == found.num_regions_total
        if points.size:
            residual = np.abs(forward(weights, bias, activation, form, points) - points).max()
            assert residual < RESIDUAL_TOLERANCE
        if found.expected_degree is not None and not np.any(np.asarray(found.on_boundary)):
            assert found.index_sum == found.expected_degree


@pytest.mark.parametrize("activation", ["relu", "hardtanh"])
def test_pruning_changes_nothing_but_the_work(activation):
    weights, bias = random_net(7, 6, gain=3.0, bias_scale=1.0)
    pruned = enumerate_pwl_regions(weights, bias, *ACTIVATIONS[activation], chunk_size=CHUNK)
    full = enumerate_pwl_regions(
        weights, bias, *ACTIVATIONS[activation], chunk_size=CHUNK, prune=False
    )
    assert full.num_regions_solved == full.num_regions_total
    assert pruned.num_regions_solved < full.num_regions_solved
    assert _same_points(np.asarray(pruned.points), np.asarray(full.points))


def test_attracting_points_attract_under_iteration():
    """A point with spectral radius < 1 is a limit of the iteration from a nearby start."""
    weights, bias = random_net(7, 6, gain=3.0)
    found = enumerate_pwl_regions(weights, bias, *ACTIVATIONS["hardtanh"], chunk_size=CHUNK)
    attracting = np.asarray(found.points)[np.asarray(found.attracting)]
    assert attracting.size
    for point in attracting:
        x = point + 1e-6
        for _ in range(2000):
            x = forward(weights, bias, "hardtanh", "sigma-affine", x)
        assert np.abs(x - point).max() < MATCH_TOLERANCE
