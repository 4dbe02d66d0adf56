"""P1's construction (E), σ = 2^{q(u)} (bounded below only), is complete by default: the
interval iteration turns its infinite range box into [0, 32]^d and branch and bound proves the
3^d fixed points (2^d attracting) there."""

import json

import jax
import pytest

import jaxfp
from jaxfp._cli.main import main

jax.config.update("jax_enable_x64", True)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_the_default_method_proves_the_list_complete(dim):
    found = jaxfp.enumerate_fixed_points(jaxfp.looped.exp_network(dim))
    assert found.num_fixed_points == 3**dim
    assert int(found.attracting.sum()) == 2**dim
    assert found.complete and found.proof.method == "branch-and-bound"
    assert "X ← F(X) ∩ X" in found.proof.argument


def test_the_cli_default_says_complete_with_the_proof(capsys):
    assert main(["enumerate", "--net", "exp", "--dim", "2", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["num_fixed_points"] == 9 and summary["complete"] is True
    assert summary["proof"]["method"] == "branch-and-bound"
