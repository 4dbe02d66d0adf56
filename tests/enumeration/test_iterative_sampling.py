"""A seeded sample of orthants when 2^d is too large, with a Wilson interval."""

import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration._iterative import enumerate_iterative

DIM = 25  # 2^25 orthants: above the full-enumeration limit
SAMPLE = 16


def test_sampled_run_estimates_the_fraction_of_orthants_with_a_fixed_point():
    net = jaxfp.looped.tanh_identity_network(DIM, gain=2.0)
    found = enumerate_iterative(net, sample=SAMPLE, seed=4, certify=False)
    assert found.sampled and found.num_orthants == SAMPLE and found.num_starts == SAMPLE
    assert found.num_face_starts == 0
    assert found.orthants_with_fixed_point == SAMPLE and found.orthant_fraction == 1.0
    low, high = found.orthant_fraction_interval
    assert 0.75 < low < 0.85 and high == 1.0
    assert not found.index_consistent and found.index_check.startswith("sampled")
    np.testing.assert_array_equal(found.orthants, np.sort(found.orthants))
    assert np.all(found.start_stayed) and np.all(found.attracting)


def test_full_enumeration_beyond_the_limit_needs_a_sample():
    net = jaxfp.looped.tanh_identity_network(DIM, gain=2.0)
    with pytest.raises(ValueError, match="pass `sample=N`"):
        enumerate_iterative(net, certify=False)
