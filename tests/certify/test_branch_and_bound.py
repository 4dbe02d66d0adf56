"""Branch and bound against an independent dense Newton search (scipy, many random starts) on
random bounded-activation nets with high gains, where many fixed points exist."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.optimize

import jaxfp.certify as certify
import jaxfp.looped as looped

NEWTON_STARTS = 400
RESIDUAL = 1e-10
SAME_POINT = 1e-7


def _random_net(activation, dim, gain, seed):
    rng = np.random.default_rng(seed)
    weight = gain * rng.standard_normal((dim, dim)) / np.sqrt(dim)
    bias = 0.3 * rng.standard_normal(dim)
    return looped.LoopedNet(weight, bias, looped.activation_from_name(activation))


def _dense_newton_search(net, lower, upper, seed=0):
    """Distinct fixed points found by scipy's hybrid Newton method from random starts in the box
    (independent of jaxfp's solvers and of interval arithmetic)."""
    fn = jax.jit(lambda x: x - net(x))
    jac = jax.jit(lambda x: jnp.eye(net.dim) - net.jacobian(x))
    rng = np.random.default_rng(seed)
    found = []
    for start in rng.uniform(np.asarray(lower), np.asarray(upper), (NEWTON_STARTS, net.dim)):
        x, _, status, _ = scipy.optimize.fsolve(
            lambda y: np.asarray(fn(y)), start, fprime=lambda y: np.asarray(jac(y)), full_output=1
        )
        if status != 1 or np.max(np.abs(np.asarray(fn(x)))) > RESIDUAL:
            continue
        if all(np.max(np.abs(x - other)) > SAME_POINT for other in found):
            found.append(x)
    return np.array(found).reshape(-1, net.dim)


def _check_against_newton(net):
    result = certify.certify_complete(net)
    assert bool(result.complete), result.evidence
    points = np.asarray(result.points)
    residual = np.max(np.abs(points - np.asarray(jax.vmap(net)(result.points))), axis=1)
    assert np.all(residual < RESIDUAL)
    gaps = np.max(np.abs(points[:, None] - points[None]), axis=-1) + np.eye(len(points))
    assert np.all(gaps > SAME_POINT), "two proven fixed points coincide"
    newton = _dense_newton_search(net, result.searched.lower, result.searched.upper)
    located = np.asarray(result.locate(newton, atol=SAME_POINT))
    assert np.all(located >= 0), "Newton found a fixed point outside every proven box"
    assert len(newton) == result.num_fixed_points
    return result


def test_high_gain_tanh_net_matches_dense_newton_search():
    result = _check_against_newton(_random_net("tanh", 2, 3.0, seed=3))
    assert result.num_fixed_points >= 3


def test_high_gain_sin_net_matches_dense_newton_search():
    # seed 2: 5 fixed points (seed 1 has a single one, which both searches agree on)
    result = _check_against_newton(_random_net("sin", 2, 4.0, seed=2))
    assert result.num_fixed_points >= 3


@pytest.mark.slow
@pytest.mark.parametrize("activation, gain", [("tanh", 3.0), ("sin", 3.0), ("sigmoid", 12.0)])
@pytest.mark.parametrize("dim", [2, 3, 4])
@pytest.mark.parametrize("seed", [0, 1])
def test_random_bounded_nets_match_dense_newton_search(activation, gain, dim, seed):
    _check_against_newton(_random_net(activation, dim, gain, seed))


def test_affine_sigma_form_searches_w_range_plus_b():
    net = _random_net("tanh", 2, 3.0, seed=3)
    other = looped.LoopedNet(net.W, net.b, net.activation, "affine-sigma")
    result = certify.certify_complete(other)
    bound = np.sum(np.abs(np.asarray(net.W)), axis=1)
    assert np.all(np.asarray(result.searched.upper) >= np.asarray(net.b) + bound)
    assert np.all(np.asarray(result.searched.lower) <= np.asarray(net.b) - bound)
    assert bool(result.complete)
    assert result.num_fixed_points == certify.certify_complete(net).num_fixed_points


def test_box_limit_hit_is_incomplete_and_says_raise_max_boxes():
    result = certify.certify_complete(_random_net("tanh", 2, 3.0, seed=3), max_boxes=5)
    assert not bool(result.complete)
    assert result.boxes_processed == 5
    assert result.undecided.lower.shape[0] > 0
    assert not bool(jnp.any(result.undecided_too_small))
    assert "raise `max_boxes`" in result.evidence


def test_size_limit_at_a_fold_is_incomplete_and_says_so():
    # tanh(x) = x at gain 1: the fixed point 0 is singular (I − J = 0), no test can prove it.
    net = looped.LoopedNet(jnp.eye(1), jnp.zeros(1), looped.Tanh())
    result = certify.certify_complete(net, min_width=1e-3)
    assert not bool(result.complete)
    assert bool(jnp.all(result.undecided_too_small))
    assert "narrower than min_width" in result.evidence


def test_locate_reports_points_outside_the_searched_box():
    net = looped.tanh_identity_network(2, gain=2.0)
    points = looped.reference_fixed_points("tanh-identity", 2)  # {-a, 0, a}^2, a ≈ 0.9575
    result = certify.certify_complete(net, jnp.full(2, 0.5), jnp.full(2, 1.5))
    assert bool(result.complete) and result.num_fixed_points == 1
    located = np.asarray(result.locate(points))
    assert sorted(located.tolist()) == [-2] * 8 + [0]


def test_fixed_points_on_the_searched_box_boundary_are_never_claimed_or_dropped():
    # [0, 1.5]^2 holds (a, a) inside and (0, 0), (0, a), (a, 0) on its boundary: the boundary
    # points cannot be proved by a box test, so the search must end undecided, not complete.
    net = looped.tanh_identity_network(2, gain=2.0)
    result = certify.certify_complete(net, jnp.zeros(2), jnp.full(2, 1.5))
    assert not bool(result.complete) and result.num_fixed_points == 1
    assert "on the searched box's boundary" in result.evidence
    located = np.asarray(result.locate(looped.reference_fixed_points("tanh-identity", 2)))
    assert sorted(located.tolist()) == [-2] * 5 + [-1] * 3 + [0]
