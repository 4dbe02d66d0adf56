"""Bad inputs of the exact enumeration raise ValueErrors that name the argument."""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration._exact_regions import enumerate_pwl_regions
from jaxfp.enumeration._pwl_networks import enumerate_pwl_fixed_points

from ._pwl_cases import ACTIVATIONS

RELU = ACTIVATIONS["relu"]


@pytest.mark.parametrize(
    "weights, bias, match",
    [
        (np.ones((2, 3)), np.zeros(2), r"`W` must be a square matrix \(d, d\)"),
        (np.ones((0, 0)), np.zeros(0), r"`W` must be a square matrix \(d, d\) with d ≥ 1"),
        (np.ones((2, 2)), np.zeros(3), r"`b` must have shape \(d,\) = \(2,\)"),
        (np.array([[np.nan, 0.0], [0.0, 1.0]]), np.zeros(2), "`W` contains NaN"),
        (np.eye(2), np.array([np.inf, 0.0]), "`b` contains NaN"),
    ],
)
def test_network_shapes_and_values(weights, bias, match):
    with pytest.raises(ValueError, match=match):
        enumerate_pwl_regions(weights, bias, *RELU)


@pytest.mark.parametrize(
    "activation, match",
    [
        (([0.0], [0.0], [0.0, 0.0]), "`slopes` must have shape"),
        (([1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]), "strictly increasing"),
        (([0.0], [0.0, 1.0], [0.0, 1.0]), "must be continuous"),
        (([np.nan], [0.0, 1.0], [0.0, 0.0]), "`breakpoints` must be finite"),
    ],
)
def test_activation_tables(activation, match):
    with pytest.raises(ValueError, match=match):
        enumerate_pwl_regions(np.eye(2), np.zeros(2), *activation)


@pytest.mark.parametrize(
    "options, match",
    [
        ({"form": "sigma"}, "`form` must be one of"),
        ({"chunk_size": 0}, "`chunk_size` must be a positive integer"),
        ({"max_frontier": 2.5}, "`max_frontier` must be a positive integer"),
    ],
)
def test_options(options, match):
    with pytest.raises(ValueError, match=match):
        enumerate_pwl_regions(np.eye(2), np.zeros(2), *RELU, **options)


def test_non_piecewise_linear_network_is_refused():
    net = jaxfp.looped.tanh_identity_network(2)
    with pytest.raises(ValueError, match="not piecewise linear.*iterative"):
        enumerate_pwl_fixed_points(net)


def test_not_a_network_is_refused():
    with pytest.raises(ValueError, match="`net` must be a jaxfp.looped.LoopedNet"):
        enumerate_pwl_fixed_points((jnp.eye(2), jnp.zeros(2)))
