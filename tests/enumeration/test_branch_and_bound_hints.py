"""What an unfinished branch and bound says would finish it: one hint per kind of undecided box,
and never "raise `max_boxes`" for boxes stuck at the size limit, which a larger budget leaves
undecided."""

import jax.numpy as jnp
import numpy as np

import jaxfp
from jaxfp import certify, looped
from jaxfp.enumeration import Auto, BranchAndBound


def _steep_tanh():
    # tanh(1e30·x) = x: fixed points -1, 0, 1; J_F at 0 is 1e30 and falls to 0 within 1e-28,
    # so at the default min_width no box test decides the box around 0.
    return looped.LoopedNet(jnp.array([[1e30]]), jnp.zeros(1), looped.Tanh())


def test_size_limit_hint_names_min_width_not_max_boxes():
    result = certify.certify_complete(_steep_tanh())
    assert not bool(result.complete)
    assert result.num_undecided_too_small > 0 and result.num_undecided_pending == 0
    (hint,) = result.hints
    assert "min_width" in hint and "raising `max_boxes` does not help" in hint
    assert "raise `max_boxes`" not in result.evidence


def test_following_the_size_limit_hint_finishes_the_search():
    result = certify.certify_complete(_steep_tanh(), min_width=1e-40)
    assert bool(result.complete) and result.hints == ()
    np.testing.assert_allclose(np.sort(np.asarray(result.points)[:, 0]), [-1.0, 0.0, 1.0])


def test_budget_hint_says_raise_max_boxes():
    net = looped.tanh_identity_network(2, 2.0)
    result = certify.certify_complete(net, max_boxes=3)
    assert result.num_undecided_pending > 0 and result.num_undecided_too_small == 0
    (hint,) = result.hints
    assert "raise `max_boxes`" in hint and "min_width" not in hint
    found = jaxfp.enumerate_fixed_points(net, method=BranchAndBound(max_boxes=3))
    assert not found.complete
    assert found.evidence.hints == result.hints


def test_methods_pass_the_size_limit_hint_on():
    found = jaxfp.enumerate_fixed_points(_steep_tanh(), method=BranchAndBound())
    assert not found.complete and found.proof is None
    assert any("min_width" in hint for hint in found.evidence.hints)
    assert all("raise `max_boxes`" not in hint for hint in found.evidence.hints)
    auto = jaxfp.enumerate_fixed_points(_steep_tanh(), method=Auto())
    assert not auto.complete
    assert auto.evidence.hints == found.evidence.hints
    assert "branch and bound left boxes undecided" in auto.evidence.text()
