"""The Bézout completeness proof: exact equation degrees from the data, distinctness only from
disjoint certificate enclosures, and no claim with fewer certified distinct points than B."""

import itertools

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration._bezout import bezout_check, distinct_lower_bound, equation_degrees

from ._polynomial_cases import random_cubic_network

P1_POINTS = np.array(list(itertools.product([-1.0, 0.0, 1.0], repeat=2)))


@pytest.mark.parametrize("form", ["sigma-affine", "affine-sigma"])
def test_degrees_are_k_per_nonzero_row_and_one_per_zero_row(form):
    weight = jnp.array([[0.5, 0.0, 0.1], [0.0, 0.0, 0.0], [0.0, -2.0, 0.0]])
    net = jaxfp.looped.LoopedNet(
        weight, jnp.ones(3), jaxfp.looped.Polynomial([0.0, 3.0, 0.0, -4.0]), form
    )
    assert equation_degrees(net) == (3, 1, 3)
    square = jaxfp.looped.LoopedNet(
        weight, jnp.ones(3), jaxfp.looped.activation_from_name("square"), form
    )
    assert equation_degrees(square) == (2, 1, 2)


def test_no_degrees_without_a_polynomial_of_degree_two_or_more():
    weight, bias = jnp.eye(2), jnp.zeros(2)
    assert equation_degrees(jaxfp.looped.LoopedNet(weight, bias, jaxfp.looped.Tanh())) is None
    affine = jaxfp.looped.Polynomial([0.5, 2.0])
    assert equation_degrees(jaxfp.looped.LoopedNet(weight, bias, affine)) is None
    # The degree is read from the coefficients, never from the name.
    named = jaxfp.looped.Polynomial([0.0, 1.0, 0.0, -0.25], label="tanh")
    assert equation_degrees(jaxfp.looped.LoopedNet(weight, bias, named)) == (3, 3)


def test_distinct_lower_bound_counts_only_separated_boxes():
    lower = np.array([[0.0, 0.0], [0.5, 0.5], [3.0, 0.0], [0.0, 3.0]])
    assert distinct_lower_bound(lower, lower + 1.0) == 3  # the first two overlap
    # Boxes that only touch (closed intervals) are not separated.
    touching = np.array([[0.0, 0.0], [1.0, 0.0]])
    assert distinct_lower_bound(touching, touching + 1.0) == 1
    # A chain: A overlaps B and B overlaps C, but A and C are disjoint.
    chain = np.array([[0.0, 0.0], [0.8, 0.0], [1.6, 0.0]])
    assert distinct_lower_bound(chain, chain + 1.0) == 2
    # A grid of separated boxes sharing coordinates (needs every axis).
    grid = np.array(list(itertools.product([-1.0, 0.0, 1.0], repeat=4)))
    assert distinct_lower_bound(grid - 0.1, grid + 0.1) == 81
    assert distinct_lower_bound(np.zeros((0, 2)), np.zeros((0, 2))) == 0


def test_all_real_p1_construction_is_proved_complete():
    check = bezout_check(jaxfp.looped.poly_network(2), P1_POINTS, "starts")
    assert check.proof is not None and check.proof.method == "bezout"
    assert "total degrees 3^2" in check.proof.argument and "starts found 9" in check.proof.argument
    assert check.certified.all() and np.isfinite(check.certificate_margin).all()


def test_fewer_distinct_points_than_the_bound_is_no_proof():
    net = jaxfp.looped.poly_network(2)
    missing = bezout_check(net, P1_POINTS[:-1], "starts")
    assert missing.proof is None and "8 certified distinct" in missing.evidence
    # Nine rows, but one is a copy of another (within rounding): still eight distinct points.
    copied = np.concatenate([P1_POINTS[:-1], P1_POINTS[:1] + 1e-13])
    assert bezout_check(net, copied, "starts").proof is None
    # Nine rows, one of them not a fixed point: uncertified rows do not count.
    wrong = np.concatenate([P1_POINTS[:-1], [[0.5, 0.5]]])
    check = bezout_check(net, wrong, "starts")
    assert check.proof is None and not check.certified[-1]
    assert np.isnan(check.certificate_margin[-1])


def test_a_zero_row_gives_a_degree_one_equation_and_a_smaller_bound():
    # x_2 = σ(0) = 0 is linear: B = 3 · 1, and the three points x_1 ∈ {−1, 0, 1} close it.
    weight = jnp.diag(jnp.array([0.5, 0.0]))
    net = jaxfp.looped.LoopedNet(
        weight, jnp.zeros(2), jaxfp.looped.Polynomial([0.0, 3.0, 0.0, -4.0])
    )
    check = bezout_check(net, [[-1.0, 0.0], [0.0, 0.0], [1.0, 0.0]], "starts")
    assert check.proof is not None and "total degrees 3 · 1" in check.proof.argument


def test_random_cubic_with_complex_solutions_is_not_claimed():
    # One real fixed point of nine complex ones: the real one is certified, no proof.
    net = random_cubic_network()
    found = jaxfp.enumerate_fixed_points(net, method=jaxfp.enumeration.Starts(certify=False))
    check = bezout_check(net, found.points, "starts")
    assert found.num_fixed_points == 1 and check.certified.all()
    assert check.proof is None and "fewer than the bound" in check.evidence


def test_without_a_polynomial_only_the_certificates():
    net = jaxfp.looped.tanh_identity_network(1, 2.0)
    points = jaxfp.looped.reference_fixed_points("tanh-identity", 1)
    check = bezout_check(net, points, "starts")
    assert check.proof is None and check.evidence == "" and check.certified.all()
