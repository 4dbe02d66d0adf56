"""`jaxfp enumerate --method homotopy`: a proof for polynomial σ, and the options it refuses."""

import json

import pytest

from jaxfp._cli.main import main


def test_homotopy_proves_the_poly_list_complete(capsys):
    assert main(["enumerate", "--net", "poly", "--dim", "2", "--method", "homotopy", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["method"] == "homotopy" and summary["n_fixed_points"] == 9
    # every path accounted for; with all solutions real the proof is Bézout's count
    assert summary["complete"] is True and summary["proof"]["method"] in ("homotopy", "bezout")


def test_the_default_method_proves_the_poly_list_complete(capsys):
    argv = ["enumerate", "--dim", "2", "--json"]  # the default network, P1's (P), at d = 2
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["method"].startswith("auto") and summary["n_fixed_points"] == 9
    assert summary["complete"] is True and summary["proof"]["method"] in ("bezout", "homotopy")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--net", "tanh-identity"], "--method homotopy needs a polynomial activation"),
        (["--net", "poly", "--no-prune"], "--no-prune does not apply here"),
        (["--net", "poly", "--starts-per-orthant", "2"], "apply to --method starts only"),
        (["--net", "poly", "--resume"], "--resume needs --checkpoint DIR"),
    ],
)
def test_homotopy_refuses_before_any_work(extra, message, capsys):
    assert main(["enumerate", *extra, "--dim", "2", "--method", "homotopy"]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def test_max_paths_refuses_a_homotopy_over_the_limit(capsys):
    # P1's (P) at d = 3 has 3^3 = 27 paths.
    argv = ["enumerate", "--dim", "3", "--method", "homotopy", "--max-paths", "26"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "27" in error and "max_paths" in error and error.count("\n") == 1
