"""The exact region method and the iterative (Newton from many starts) engine agree on PWL nets."""

import numpy as np
import pytest

import jaxfp
from jaxfp.looped import LoopedNet, activation_from_name

SAME_POINT_TOL = 1e-8
# Newton from starts may miss a few points of a non-smooth map; the exact method never does.
MIN_FRACTION_FOUND_BY_STARTS = 0.9


@pytest.mark.parametrize("activation, bias_shift", [("hardtanh", 0.0), ("relu", -0.5)])
def test_every_iterated_fixed_point_is_an_exact_one(activation, bias_shift):
    dim = 4
    rng = np.random.default_rng(7)
    weights = 2.0 * np.eye(dim) + rng.normal(size=(dim, dim)) * 0.6 / np.sqrt(dim)
    bias = rng.normal(size=dim) * 0.3 + bias_shift
    net = LoopedNet(weights, bias, activation_from_name(activation))

    exact = jaxfp.enumerate_fixed_points(net, method=jaxfp.enumeration.ExactRegions())
    iterated = jaxfp.enumerate_fixed_points(
        net, method=jaxfp.enumeration.Starts(starts_per_orthant=4, certify=False)
    )
    exact_points = np.asarray(exact.points)
    assert exact.complete and exact.num_fixed_points > 1
    for point in np.asarray(iterated.points):
        assert np.min(np.max(np.abs(exact_points - point), axis=1)) < SAME_POINT_TOL
    assert iterated.num_fixed_points >= MIN_FRACTION_FOUND_BY_STARTS * exact.num_fixed_points
