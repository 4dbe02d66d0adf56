"""`jaxfp enumerate --method homotopy`: a proof for polynomial σ, and the options it refuses."""

import json

import pytest

from jaxfp._cli.main import main


def test_homotopy_proves_the_poly_list_complete(capsys):
    assert main(["enumerate", "--net", "poly", "--dim", "2", "--method", "homotopy", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["method"] == "homotopy" and summary["num_fixed_points"] == 9
    # every path accounted for; with all solutions real the proof is Bézout's count
    assert summary["complete"] is True and summary["proof"]["method"] in ("homotopy", "bezout")


def test_the_default_method_proves_the_poly_list_complete(capsys):
    argv = ["enumerate", "--dim", "2", "--json"]  # the default network, P1's (P), at d = 2
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["method"].startswith("auto") and summary["num_fixed_points"] == 9
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


def test_gamma_seed_reaches_the_homotopy_method(capsys):
    argv = ["enumerate", "--net", "poly", "--dim", "2", "--method", "homotopy", "--json"]
    assert main([*argv, "--gamma-seed", "7"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["gamma_seeds"] == [7] and summary["complete"] is True


def test_parts_run_with_a_gamma_seed_merge_with_that_seed(tmp_path, capsys):
    network = ["--net", "poly", "--dim", "2", "--method", "homotopy", "--gamma-seed", "5"]
    parts = [str(tmp_path / f"part{index}.npz") for index in range(2)]
    for index, out in enumerate(parts):
        assert main(["enumerate", *network, "--part", f"{index}/2", "--out", out]) == 0
    capsys.readouterr()
    assert main(["merge", *parts, "--json", "-"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["gamma_seeds"] == [5] and summary["num_fixed_points"] == 9
    assert summary["complete"] is True


@pytest.mark.parametrize(
    ("net", "method"),
    [
        ("poly", "starts"),
        ("hardtanh-identity", "exact-regions"),
        ("exp", "branch-and-bound"),
        ("hardtanh-identity", "auto"),
    ],
)
def test_gamma_seed_is_refused_where_homotopy_does_not_run(net, method, capsys):
    argv = ["enumerate", "--net", net, "--dim", "2", "--method", method, "--gamma-seed", "1"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "--gamma-seed does not apply here" in error and error.count("\n") == 1
    assert "apply to --method homotopy only" in error


@pytest.mark.parametrize("value", ["-1", "1.5", "seven"])
def test_a_bad_gamma_seed_is_refused(value, capsys):
    argv = ["enumerate", "--net", "poly", "--dim", "2", "--method", "homotopy"]
    assert main([*argv, "--gamma-seed", value]) == 2
    error = capsys.readouterr().err
    assert "--gamma-seed" in error and value in error and error.count("\n") == 1


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--dim", str(10**7)], "--dim 10000000 would need at least 800 TB of memory"),
        (["--dim", "2", "--show", "-1"], "argument --show: expected an integer >= 0, got '-1'"),
        (["--dim", "2", "--start-seed", "-1"], "--start-seed: expected an integer >= 0"),
    ],
)
def test_bad_network_and_output_options_are_one_line_errors(extra, message, capsys):
    assert main(["enumerate", "--net", "poly", *extra, "--method", "starts"]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1
