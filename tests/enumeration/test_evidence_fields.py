"""The evidence of every result is structured (reason, findings, caveats, index check, hints) and
its text is derived from those fields: nothing is parsed back out of prose."""

import dataclasses

import jax.numpy as jnp
import pytest

import jaxfp
from jaxfp.enumeration import Auto, ExactRegions, Starts, assemble_fixed_points
from jaxfp.enumeration._fixed_points import Evidence


def _index_sentences(evidence: Evidence) -> list[str]:
    """Every field entry that states an index check."""
    entries = (evidence.reason, *evidence.findings, *evidence.caveats, *evidence.hints)
    return [entry for entry in (*entries, evidence.index_check) if "index check" in entry]


@pytest.mark.parametrize(
    "net",
    [
        jaxfp.looped.tanh_identity_network(2),  # Auto: branch and bound
        jaxfp.looped.LoopedNet(3.0 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.hardtanh()),
        jaxfp.looped.poly_network(2),  # Auto: starts + Bézout
    ],
    ids=["bounded", "piecewise-linear", "polynomial"],
)
def test_auto_carries_each_method_s_fields_and_one_index_check(net):
    found = jaxfp.enumerate_fixed_points(net, method=Auto())
    evidence = found.evidence
    assert evidence.reason == found.stats.reason
    assert evidence.findings and all(evidence.findings)
    assert _index_sentences(evidence) == [evidence.index_check]  # the final list's, once
    assert evidence.index_check.startswith("index check consistent")
    parts = (evidence.reason, *evidence.findings, *evidence.caveats, evidence.index_check)
    assert evidence.text() == str(evidence) == "; ".join(parts + evidence.hints)
    assert found.summary()["evidence"] == evidence.text()
    assert found.summary()["evidence_fields"] == dataclasses.asdict(evidence)


def test_each_method_states_its_findings_apart_from_its_caveats():
    starts = jaxfp.enumerate_fixed_points(
        jaxfp.looped.poly_network(2), method=Starts(starts_per_orthant=2, certify=False)
    )
    assert starts.evidence.findings == ("17 starts, 4 orthants",)  # 4 × 2 + 3^2 face starts
    assert starts.evidence.caveats == ("starts are never a proof of completeness",)
    net = jaxfp.looped.LoopedNet(3.0 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.hardtanh())
    exact = jaxfp.enumerate_fixed_points(net, method=ExactRegions())
    assert exact.evidence.caveats == () and exact.evidence.reason == ""
    assert exact.evidence.findings[0].startswith("9 of the 9 = 3^2 activation regions")


def test_a_contradicted_proof_is_a_caveat():
    net = jaxfp.looped.tanh_identity_network(1, 2.0)
    proof = jaxfp.enumeration.Proof("mine", "a wrong argument")
    found = assemble_fixed_points(net, [[0.0]], method="mine", stats=None, proof=proof)
    assert not found.complete and found.proof is None
    assert found.evidence.caveats == (
        "the proof is contradicted by the index check: not claimed complete",
    )


def test_evidence_must_be_an_evidence():
    net = jaxfp.looped.poly_network(1)
    with pytest.raises(ValueError, match="`evidence` must be an Evidence"):
        assemble_fixed_points(net, [[0.0]], method="mine", stats=None, evidence="words")
