"""Cases × methods: every method that applies finds the same fixed points, one `FixedPoints`."""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration import Auto, BranchAndBound, ExactRegions, FixedPoints, Starts

from ._iterative_cases import same_point_sets

CASES = {
    "tanh-identity": (
        lambda: jaxfp.looped.tanh_identity_network(2, gain=2.0),
        (Starts(certify=False), BranchAndBound(), Auto()),
    ),
    "hardtanh": (
        lambda: jaxfp.looped.LoopedNet(3.0 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.hardtanh()),
        (ExactRegions(), BranchAndBound(), Auto()),
    ),
    "poly": (
        lambda: jaxfp.looped.poly_network(2),
        (Starts(starts_per_orthant=2, certify=False), Auto()),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_methods_agree_on_the_point_set(case):
    build, methods = CASES[case]
    net = build()
    results = [jaxfp.enumerate_fixed_points(net, method=method) for method in methods]
    for result in results:
        assert isinstance(result, FixedPoints)
        assert result.num_fixed_points == 9 and int(result.attracting.sum()) == 4
        assert np.all(result.residuals < 1e-10)
        summary = result.summary()
        assert summary["complete"] == result.complete and "proof" in summary
    for result in results[1:]:
        assert same_point_sets(result.points, results[0].points, 1e-7)


def test_auto_says_what_it_chose_and_why():
    found = jaxfp.enumerate_fixed_points(jaxfp.looped.tanh_identity_network(2))
    assert found.method == "auto: branch-and-bound"
    assert found.stats.chosen == ("branch-and-bound",)
    assert "bounded σ and d = 2" in found.stats.reason
    assert found.complete and found.proof.method == "branch-and-bound"
