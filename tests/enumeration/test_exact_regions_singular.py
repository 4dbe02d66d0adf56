"""Singular regions (a continuum or no fixed point) and points on region boundaries."""

import itertools

import numpy as np
import pytest

from jaxfp.enumeration._exact_regions import enumerate_pwl_regions

from ._pwl_cases import ACTIVATIONS

DIM = 3


def test_identity_hardtanh_is_a_continuum():
    """F(x) = hardtanh(x): every x in [−1, 1]^d is fixed."""
    found = enumerate_pwl_regions(np.eye(DIM), np.zeros(DIM), *ACTIVATIONS["hardtanh"])
    assert found.has_continuum and found.complete
    kinds = found.singular_regions.kinds
    assert "continuum" in kinds
    middle = [i for i, p in enumerate(np.asarray(found.singular_regions.patterns)) if all(p == 1)]
    assert kinds[middle[0]] == "continuum"
    assert int(np.asarray(found.singular_regions.nullity)[middle[0]]) == DIM
    # The corners are isolated solutions of their (regular) regions, on the region boundary.
    assert bool(np.all(np.asarray(found.on_boundary)))
    assert not bool(np.any(np.asarray(found.certified)))


def test_singular_regions_without_solutions():
    """F(x) = relu(x − ½): every region with an active coordinate is singular and inconsistent;
    the only fixed point is 0."""
    found = enumerate_pwl_regions(np.eye(DIM), np.full(DIM, -0.5), *ACTIVATIONS["relu"])
    assert set(found.singular_regions.kinds) == {"no_solution"}
    assert len(found.singular_regions.kinds) == 2**DIM - 1
    assert np.all(np.isnan(np.asarray(found.singular_regions.points)))
    np.testing.assert_array_equal(np.asarray(found.points), np.zeros((1, DIM)))
    assert found.complete and not found.has_continuum
    # The counts the evidence states are the record's properties.
    assert found.num_singular_regions == 2**DIM - 1 and found.num_on_boundary == 0
    assert f"{2**DIM - 1} singular regions classified" in found.evidence
    assert "0 points lie on region boundaries" in found.evidence


def test_boundary_point_shared_by_all_regions_is_reported_once():
    """With b = 0 the origin is a fixed point of every ReLU region: one point, on the boundary."""
    weights = np.array([[0.5, 0.2, -0.1], [0.1, 0.3, 0.2], [-0.2, 0.1, 0.4]])
    found = enumerate_pwl_regions(weights, np.zeros(DIM), *ACTIVATIONS["relu"], prune=False)
    assert found.num_fixed_points == 1
    np.testing.assert_allclose(np.asarray(found.points), np.zeros((1, DIM)), atol=1e-12)
    assert bool(np.asarray(found.on_boundary)[0])
    assert not bool(np.asarray(found.certified)[0])
    assert int(np.asarray(found.index_signs)[0]) == 0
    # The largest one-sided spectral radius, over the 2^d regions sharing the point.
    largest = max(
        np.abs(np.linalg.eigvals(weights * np.array(mask)[None, :])).max()
        for mask in itertools.product((0.0, 1.0), repeat=DIM)
    )
    assert float(found.spectral_radius[0]) == pytest.approx(largest, rel=1e-12)


def test_boundary_point_between_two_regions():
    """x_1 = relu(2x_1 − 1), x_i = relu(x_i / 2) (i = 2, 3): the fixed points 0 and e_1 both have
    u_2 = u_3 = 0 on the kink of ReLU; each is found by several regions and reported once."""
    weights = np.diag([2.0, 0.5, 0.5])
    bias = np.array([-1.0, 0.0, 0.0])
    found = enumerate_pwl_regions(weights, bias, *ACTIVATIONS["relu"])
    points = np.asarray(found.points)
    assert found.num_fixed_points == 2
    assert {tuple(p) for p in np.round(points, 9)} == {(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)}
    assert bool(np.all(np.asarray(found.on_boundary)))
    assert found.num_on_boundary == 2 and "2 points lie on region boundaries" in found.evidence
