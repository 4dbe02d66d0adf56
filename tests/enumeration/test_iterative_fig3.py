"""P1's Fig. 3 analogue: d = 10, 1024 trajectories reach 1024 distinct certified attractors."""

import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration._iterative import enumerate_iterative

DIM = 10
# Spectral radius of the super-attracting points {±1}^d of construction (P).
ZERO_SPECTRUM = 1e-10


@pytest.fixture(scope="module")
def found():
    return enumerate_iterative(jaxfp.looped.poly_network(DIM), faces=False, certify=True)


def test_1024_trajectories_reach_1024_distinct_limits(found):
    assert found.num_starts == 2**DIM
    assert len(np.unique(found.start_limit)) == 2**DIM and np.all(found.start_limit >= 0)
    assert np.all(found.start_stayed)
    limits = found.points[found.start_limit]
    np.testing.assert_array_equal(np.sign(limits), found.sign_patterns[found.start_limit])
    np.testing.assert_allclose(np.abs(limits), 1.0, atol=1e-12)


def test_all_attracting_and_certified_with_the_paper_margin(found):
    assert found.num_fixed_points == 2**DIM
    assert np.all(found.attracting) and np.all(found.spectral_radius < ZERO_SPECTRUM)
    assert np.all(found.certified) and np.all(found.certificate_margin > 0)


def test_missing_saddles_are_flagged_as_incomplete(found):
    # Only the 2^d attractors were searched for: index sum 2^d, degree 1.
    assert (found.index_sum, found.expected_degree, found.index_consistent) == (2**DIM, 1, False)
    assert found.index_check.startswith("index check inconsistent")
