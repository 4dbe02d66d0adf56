"""σ(Wx + b) and W σ(x) + b are conjugate: the same counts and spectra, points mapped by Wx + b."""

import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration._iterative import enumerate_iterative

from ._iterative_cases import CHUNK, DIM, STARTS_PER_ORTHANT, same_point_sets

SPECTRUM_TOLERANCE = 1e-8


@pytest.fixture(scope="module")
def pair():
    net = jaxfp.looped.random_network(DIM, seed=6, scale=3.0, bias_scale=0.2)
    options = dict(starts_per_orthant=STARTS_PER_ORTHANT, certify=False, chunk_size=CHUNK)
    found = enumerate_iterative(net, **options)
    other = enumerate_iterative(net.conjugate(), **options)
    return net, found, other


def test_network_has_several_fixed_points(pair):
    _, found, _ = pair
    assert found.num_fixed_points >= 3 and found.index_consistent


def test_same_counts_and_classification(pair):
    _, found, other = pair
    assert other.num_fixed_points == found.num_fixed_points
    assert sorted(other.stability.tolist()) == sorted(found.stability.tolist())
    assert other.index_sum == found.index_sum and other.index_consistent


def test_same_spectra(pair):
    _, found, other = pair
    np.testing.assert_allclose(
        np.sort(other.spectral_radius), np.sort(found.spectral_radius), atol=SPECTRUM_TOLERANCE
    )


def test_points_correspond_through_the_conjugacy(pair):
    net, found, other = pair
    mapped = np.asarray(found.points) @ np.asarray(net.W).T + np.asarray(net.b)
    assert same_point_sets(other.points, mapped)
