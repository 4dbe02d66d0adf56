"""`jaxfp enumerate` with the iterative method: outputs and every bad input."""

import json

import numpy as np
import pytest

from jaxfp._cli.main import main

from ._iterative_cases import CHUNK, DIM, STARTS_PER_ORTHANT

BASE = ["enumerate", "--method", "starts", "--dim", str(DIM)]
BASE += ["--starts-per-orthant", str(STARTS_PER_ORTHANT)]
BASE += ["--chunk-size", str(CHUNK)]
REQUIRED_KEYS = {
    "num_fixed_points",
    "num_attracting",
    "num_certified",
    "index_sum",
    "expected_degree",
    "complete",
    "num_starts",
    "wall_time_s",
    "devices",
    "method",
}


@pytest.fixture(scope="module")
def run_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "points.npz"
    return out, BASE + ["--no-certify", "--json", "-", "--out", str(out)]


def test_default_network_json_and_npz(run_json, capsys):
    out, argv = run_json
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert REQUIRED_KEYS <= set(summary)
    assert summary["method"] == "starts" and summary["activation"] == "p1_poly"
    assert (summary["num_fixed_points"], summary["num_attracting"]) == (27, 8)
    assert (summary["index_sum"], summary["expected_degree"]) == (1, 1)
    # The index check is consistent, but a consistency check is never a proof of completeness.
    assert summary["index_consistent"] is True
    assert summary["complete"] is False and summary["proof"] is None
    assert "index check consistent" in summary["evidence"] and "not a proof" in summary["evidence"]
    assert summary["num_starts"] == 2**DIM * STARTS_PER_ORTHANT + 3**DIM
    assert summary["devices"] == 1 and summary["certified_during_starts"] is False
    saved = np.load(out)
    assert saved["points"].shape == (27, DIM)
    assert saved["attracting"].sum() == 8 and saved["certified"].shape == (27,)
    assert saved["spectral_radius"].shape == (27,)


def test_table_output(capsys):
    assert main(BASE + ["--no-certify", "--show", "3"]) == 0
    text = capsys.readouterr().out
    assert "spectral radius" in text and "index_sum" in text and "24 more" in text
    assert "index sum 1 = degree 1" in text


def test_tanh_network_from_files_with_both_forms(tmp_path, capsys):
    weights, bias = tmp_path / "W.npy", tmp_path / "b.npy"
    np.save(weights, 2.0 * np.eye(DIM))
    np.save(bias, np.zeros(DIM))
    counts = []
    for form in ("sigma-affine", "affine-sigma"):
        argv = [
            "enumerate",
            "--weights",
            str(weights),
            "--bias",
            str(bias),
            "--activation",
            "tanh",
            "--form",
            form,
            "--starts-per-orthant",
            str(STARTS_PER_ORTHANT),
            "--chunk-size",
            str(CHUNK),
            "--no-certify",
            "--json",
            "-",
        ]
        assert main(argv) == 0
        counts.append(json.loads(capsys.readouterr().out)["num_fixed_points"])
    assert counts == [27, 27]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--starts-per-orthant", "0"], "--starts-per-orthant must be >= 1"),
        (["--sample", "0"], "--sample must be >= 1"),
        (["--scale", "-1"], "--scale must be a positive number"),
        (["--chunk-size", "0"], "--chunk-size must be >= 1"),
        (["--resume"], "--resume needs --checkpoint DIR"),
        (["--devices", "99"], "--devices must be between 1 and"),
        (["--centre", "1,2"], "--centre must be 3 finite comma-separated numbers"),
        (["--centre", "a,b,c"], "--centre must be 3 comma-separated numbers"),
        (["--dim", "30"], "2^30 orthants are too many"),
        (["--sample", "9"], "exceeds the 2^3 = 8 orthants"),
    ],
)
def test_bad_options_give_one_line_and_exit_2(extra, message, capsys):
    assert main(BASE + ["--no-certify"] + extra) == 2
    # stderr may hold the (cleared) progress bar; the error itself is one line.
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert message in error and error.startswith("jaxfp: error:")


def test_bad_network_files_give_one_line(tmp_path, capsys):
    weights, bias = tmp_path / "W.npy", tmp_path / "b.npy"
    np.save(weights, np.array([[1.0, np.nan], [0.0, 1.0]]))
    np.save(bias, np.zeros(2))
    common = ["enumerate", "--method", "iterative", "--bias", str(bias)]
    assert main(common + ["--weights", str(weights), "--activation", "tanh"]) == 2
    assert "NaN" in capsys.readouterr().err
    np.save(weights, np.eye(3))
    assert main(common + ["--weights", str(weights), "--activation", "tanh"]) == 2
    assert "--weights/--bias: LoopedNet `b` must have shape (d,) = (3,)" in capsys.readouterr().err
    np.save(weights, np.eye(2))
    assert main(common + ["--weights", str(weights), "--activation", "swish"]) == 2
    assert "unknown activation 'swish'" in capsys.readouterr().err


def test_checkpoint_and_resume_from_the_cli(tmp_path, capsys):
    argv = BASE + ["--no-certify", "--json", "-", "--checkpoint", str(tmp_path / "run")]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(argv) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main(argv + ["--resume"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["num_fixed_points"] == first["num_fixed_points"] == 27


@pytest.mark.slow
def test_default_run_reproduces_p1_1024_certified_fixed_points(capsys):
    assert main(["enumerate", "--json", "-"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["num_attracting"] == 1024 and summary["num_fixed_points"] == 3**10
    assert summary["index_consistent"] and summary["num_certified"] >= 1024
    assert summary["complete"] is (summary["proof"] is not None)
