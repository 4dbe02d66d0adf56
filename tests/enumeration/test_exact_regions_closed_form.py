"""Diagonal networks whose fixed points are known in closed form, and the count bounds."""

import itertools

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration._exact_regions import enumerate_pwl_regions
from jaxfp.enumeration._pwl_networks import enumerate_pwl_fixed_points
from jaxfp.enumeration._region_bounds import arrangement_bound, fixed_point_bound

from ._pwl_cases import ACTIVATIONS

# Points are compared within this ∞-norm distance.
MATCH_TOLERANCE = 1e-9
DIM = 3


def _as_set(points):
    return {tuple(np.round(np.asarray(p), 9)) for p in np.asarray(points)}


@pytest.mark.parametrize("gain", [1.5, 4.0])
def test_hardtanh_identity_has_3_to_the_d_points(gain):
    net = jaxfp.looped.LoopedNet(gain * jnp.eye(DIM), jnp.zeros(DIM), jaxfp.looped.hardtanh())
    found = enumerate_pwl_fixed_points(net, chunk_size=256)
    assert found.num_fixed_points == 3**DIM == found.upper_bound
    assert _as_set(found.points) == set(itertools.product((-1.0, 0.0, 1.0), repeat=DIM))
    saturated = np.all(np.abs(np.asarray(found.points)) == 1, axis=1)
    np.testing.assert_array_equal(np.asarray(found.attracting), saturated)
    expected_radius = np.where(saturated, 0.0, gain)
    np.testing.assert_allclose(np.asarray(found.spectral_radius), expected_radius)
    assert bool(np.all(np.asarray(found.certified)))
    assert found.index_sum == found.expected_degree == 1
    assert found.complete and not found.has_continuum


def test_hardtanh_identity_affine_sigma_form():
    """x = w·hardtanh(x): the points {−w, 0, w}^d."""
    gain = 2.5
    found = enumerate_pwl_regions(
        gain * np.eye(DIM), np.zeros(DIM), *ACTIVATIONS["hardtanh"], form="affine-sigma"
    )
    assert _as_set(found.points) == set(itertools.product((-gain, 0.0, gain), repeat=DIM))
    assert int(np.asarray(found.attracting).sum()) == 2**DIM


def _relu_scalar_fixed_points(w, b):
    """x = relu(w x + b): 0 when b ≤ 0, and b / (1 − w) when it is positive."""
    points = [0.0] if b <= 0 else []
    if w != 1 and b / (1 - w) > 0:
        points.append(b / (1 - w))
    return points


def test_relu_diagonal_closed_form():
    gains, biases = np.array([2.0, 0.5, 0.5]), np.array([-1.0, 1.0, -1.0])
    found = enumerate_pwl_regions(np.diag(gains), biases, *ACTIVATIONS["relu"])
    expected = set(
        itertools.product(
            *(_relu_scalar_fixed_points(w, b) for w, b in zip(gains, biases, strict=True))
        )
    )
    assert _as_set(found.points) == {tuple(np.round(p, 9)) for p in expected}
    assert found.num_fixed_points == 2
    radius = np.asarray(found.spectral_radius)
    # On {0, 2, 0}: slopes (0, 1, 0) give ρ = 0.5; on {1, 2, 0}: (1, 1, 0) give ρ = 2.
    assert sorted(radius.tolist()) == pytest.approx([0.5, 2.0])


def test_relu_diagonal_count_is_the_product_of_the_scalar_counts():
    gains, biases = np.array([2.0, 3.0, 0.5]), np.array([-1.0, -0.5, -2.0])
    found = enumerate_pwl_regions(np.diag(gains), biases, *ACTIVATIONS["relu"])
    count = np.prod(
        [len(_relu_scalar_fixed_points(w, b)) for w, b in zip(gains, biases, strict=True)]
    )
    assert found.num_fixed_points == count == 4


def test_arrangement_bound_for_rank_one_weights():
    """A rank-one ReLU network: u lies on a line, which 3 hyperplanes cut into at most 4 parts."""
    rng = np.random.default_rng(0)
    weights = 2.0 * np.outer(rng.normal(size=DIM), rng.normal(size=DIM))
    bound, reference = fixed_point_bound(weights, 1)
    assert bound == arrangement_bound(1, DIM, 1) == 1 + DIM < 2**DIM
    assert "rank" in reference
    for seed in range(5):
        bias = np.random.default_rng(seed).normal(size=DIM)
        found = enumerate_pwl_regions(weights, bias, *ACTIVATIONS["relu"])
        assert found.num_fixed_points <= found.upper_bound == bound


def test_interval_pruning_fixes_forced_pieces():
    """A large bias saturates every coordinate: only one region is left to solve."""
    weights = 0.3 * np.ones((DIM, DIM))
    found = enumerate_pwl_regions(weights, np.full(DIM, 5.0), *ACTIVATIONS["hardtanh"])
    assert found.num_regions_solved == 1
    assert found.num_regions_pruned == 3**DIM - 1
    np.testing.assert_allclose(np.asarray(found.points), np.ones((1, DIM)))
