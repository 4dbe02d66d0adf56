"""The completeness check (index sum against the degree of x − F(x)), starts, dedupe, Wilson."""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp._numerics import group_points, wilson_interval
from jaxfp.enumeration._index_check import check_completeness, expected_degree
from jaxfp.enumeration._starts import (
    face_starts,
    orthant_numbers,
    orthant_starts,
    sample_orthants,
    sign_patterns,
)


@pytest.mark.parametrize("name", ["poly", "exp", "tanh-identity"])
def test_one_point_removed_is_flagged(name):
    net = {
        "poly": jaxfp.looped.poly_network,
        "exp": jaxfp.looped.exp_network,
        "tanh-identity": jaxfp.looped.tanh_identity_network,
    }[name](2)
    points = np.asarray(jaxfp.looped.reference_fixed_points(name, 2))
    assert check_completeness(net, points) == (1, 1, True)
    for removed in range(points.shape[0]):
        total, degree, consistent = check_completeness(net, np.delete(points, removed, axis=0))
        assert degree == 1 and total != 1 and not consistent


def _net(weights, activation, form="sigma-affine"):
    weights = jnp.asarray(weights, dtype=float)
    return jaxfp.looped.LoopedNet(
        weights, jnp.zeros(weights.shape[0]), jaxfp.looped.activation_from_name(activation), form
    )


@pytest.mark.parametrize(
    ("weights", "activation", "form", "degree"),
    [
        ([[2.0, 1.0], [0.5, -1.0]], "tanh", "sigma-affine", 1),  # bounded σ
        ([[2.0, 1.0], [0.5, -1.0]], "sigmoid", "affine-sigma", 1),
        ([[2.0, 1.0], [0.5, -1.0]], "cube", "sigma-affine", -1),  # sign det W · (−1)^2
        ([[2.0, 1.0], [0.5, 1.0]], "poly:0,3,0,-4", "affine-sigma", 1),  # sign det W · (+1)^2
        ([[2.0, 1.0], [0.5, -1.0]], "square", "sigma-affine", 0),  # even degree
        ([[0.5, 0.0], [0.0, 0.5]], "exp", "sigma-affine", 0),  # x = e^{x/2} has no solution
        ([[0.5, 0.3], [0.1, 0.5]], "exp", "sigma-affine", None),  # not decided
    ],
)
def test_expected_degree(weights, activation, form, degree):
    assert expected_degree(_net(weights, activation, form)) == degree


def test_corner_starts_lie_in_their_orthants_and_do_not_depend_on_batching():
    orthants = np.arange(16)
    ks = np.tile(np.arange(3), 16)
    starts = orthant_starts(np.repeat(orthants, 3), ks, np.zeros(4), 0.5, seed=7)
    np.testing.assert_array_equal(np.sign(starts), np.repeat(sign_patterns(orthants, 4), 3, 0))
    halves = np.concatenate(
        [
            orthant_starts(np.repeat(orthants, 3)[i::2], ks[i::2], np.zeros(4), 0.5, 7)
            for i in (0, 1)
        ]
    )
    np.testing.assert_array_equal(np.sort(halves, axis=0), np.sort(starts, axis=0))
    np.testing.assert_array_equal(orthant_numbers(sign_patterns(orthants, 4)), orthants)


def test_face_starts_cover_every_ternary_pattern():
    starts = face_starts(np.arange(27), np.zeros(3), 1.0)
    assert len({tuple(row) for row in starts.tolist()}) == 27


def test_sample_is_seeded_and_distinct():
    first, second = sample_orthants(40, 100, 3), sample_orthants(40, 100, 3)
    np.testing.assert_array_equal(first, second)
    assert len(np.unique(first)) == 100 and first.max() < 2**40


def test_wilson_interval_reference_values():
    np.testing.assert_allclose(wilson_interval(10, 10), (10 / (10 + 1.959964**2), 1.0), atol=1e-6)
    np.testing.assert_allclose(
        wilson_interval(0, 20), (0.0, 1.959964**2 / (20 + 1.959964**2)), atol=1e-6
    )


def test_dedupe_links_chains_and_keeps_distinct_points_apart():
    points = np.array([[0.0, 0.0], [1.5e-6, 0.0], [3e-6, 0.0], [1.0, 1.0], [1.0 + 1e-5, 1.0]])
    labels, representatives = group_points(points, 2e-6, 0.0)
    assert labels.tolist() == [0, 0, 0, 1, 2] and representatives.tolist() == [0, 3, 4]
