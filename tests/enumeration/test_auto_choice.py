"""`Auto` chooses from the activation's properties (never its name) and says why; for a
polynomial σ it proves completeness by Bézout when the certified points reach the bound."""

import jax.numpy as jnp
import pytest

import jaxfp
from jaxfp.enumeration import Auto
from jaxfp.enumeration._method_auto import HOMOTOPY_HINT
from jaxfp.enumeration._method_starts import NOT_A_PROOF

from ._polynomial_cases import random_cubic_network

EYE2, ZERO2 = jnp.eye(2), jnp.zeros(2)


def _chosen(net, **options):
    methods, reason = Auto(**options).choose(net)
    return tuple(method.name for method in methods), reason


def test_piecewise_linear_gets_exact_regions():
    assert _chosen(jaxfp.looped.LoopedNet(EYE2, ZERO2, jaxfp.looped.relu()))[0] == (
        "exact-regions",
    )


def test_polynomial_gets_starts_then_bezout_then_homotopy_under_the_path_limit():
    net = jaxfp.looped.poly_network(3)
    chosen, reason = _chosen(net)
    assert chosen == ("starts", "homotopy")
    assert "Bézout check (bound 27)" in reason and "3^3 = 27 paths" in reason
    chosen, reason = _chosen(net, max_paths=26)
    assert chosen == ("starts",) and "exceeds max_paths = 26" in reason


def test_a_zero_row_lowers_the_bezout_bound_in_the_reason():
    net = jaxfp.looped.LoopedNet(
        jnp.diag(jnp.array([0.5, 0.0])), ZERO2, jaxfp.looped.Polynomial([0.0, 3.0, 0.0, -4.0])
    )
    assert "bound 3)" in _chosen(net)[1]


def test_the_choice_reads_properties_not_names():
    # A polynomial named like a bounded activation is treated as a polynomial ...
    disguised = jaxfp.looped.Polynomial([0.0, 1.0, 0.0, -0.25], label="tanh")
    assert _chosen(jaxfp.looped.LoopedNet(EYE2, ZERO2, disguised))[0] == ("starts", "homotopy")
    # ... and a bounded σ (tanh, sin) gets branch and bound for small d only.
    for activation in (jaxfp.looped.Tanh(), jaxfp.looped.activation_from_name("sin")):
        chosen, reason = _chosen(jaxfp.looped.LoopedNet(EYE2, ZERO2, activation))
        assert chosen == ("branch-and-bound", "starts") and "bounded σ and d = 2" in reason
    nine = jaxfp.looped.LoopedNet(jnp.eye(9), jnp.zeros(9), jaxfp.looped.Tanh())
    chosen, reason = _chosen(nine)
    assert chosen == ("starts",) and "max_dim_branch_and_bound" in reason


def test_unbounded_non_polynomial_gets_starts_and_what_would_finish():
    chosen, reason = _chosen(
        jaxfp.looped.LoopedNet(EYE2, ZERO2, jaxfp.looped.activation_from_name("exp"))
    )
    assert chosen == ("starts",) and "BranchAndBound(box=...)" in reason


def test_p1_polynomial_is_complete_by_bezout_without_homotopy():
    found = jaxfp.enumerate_fixed_points(jaxfp.looped.poly_network(2))
    assert found.complete and found.proof.method == "bezout"
    assert found.method == "auto: starts" and found.stats.chosen == ("starts",)
    assert found.num_fixed_points == 9 and found.certified.all()
    assert "starts found 9 fixed points" in found.proof.argument


def test_no_proof_when_homotopy_is_over_the_limit():
    net = random_cubic_network()
    found = jaxfp.enumerate_fixed_points(net, method=Auto(max_paths=8))
    assert not found.complete and found.proof is None
    evidence = found.evidence
    assert evidence.reason == found.stats.reason
    assert any("fewer than the bound" in finding for finding in evidence.findings)
    assert evidence.hints == (HOMOTOPY_HINT,)
    assert evidence.caveats == (NOT_A_PROOF,)


@pytest.mark.slow
def test_complex_solutions_go_to_homotopy_and_its_account():
    net = random_cubic_network()
    found = jaxfp.enumerate_fixed_points(net)
    assert found.stats.chosen == ("starts", "homotopy")
    assert found.complete and found.proof.method == "homotopy"
    assert "all 9 = 3^2 paths accounted for" in found.proof.argument
    assert found.num_fixed_points == 1 and found.certified.all()
