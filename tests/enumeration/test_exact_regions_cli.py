"""`jaxfp enumerate` in-process: the JSON summary, the .npz output and one-line errors."""

import json

import numpy as np
import pytest

import jaxfp._cli.enumerate as enumerate_command
import jaxfp._cli.main as cli


@pytest.fixture(autouse=True)
def only_enumerate(monkeypatch):
    """Parse with this subcommand alone, independent of the other subcommands' state."""
    monkeypatch.setattr(cli, "_SUBCOMMANDS", (enumerate_command,))


def _json(capsys, argv):
    assert cli.main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_hardtanh_identity_json(capsys):
    summary = _json(
        capsys, ["enumerate", "--net", "hardtanh-identity", "--dim", "3", "--json", "-"]
    )
    assert summary["method"] == "auto: exact-regions"
    assert summary["num_fixed_points"] == 27
    assert summary["num_attracting"] == 8
    assert summary["num_certified"] == 27
    assert summary["index_sum"] == summary["expected_degree"] == 1
    assert summary["complete"] is True
    assert summary["num_regions_solved"] + summary["num_regions_pruned"] == 27
    assert summary["upper_bound"] == 27
    assert summary["devices"] >= 1 and summary["wall_time_s"] > 0


def test_weights_from_files_with_out(tmp_path, capsys):
    weights, bias = np.diag([2.0, 0.5, 0.5]), np.array([-1.0, 1.0, -1.0])
    np.save(tmp_path / "W.npy", weights)
    np.save(tmp_path / "b.npy", bias)
    out = tmp_path / "points.npz"
    argv = ["enumerate", "--weights", str(tmp_path / "W.npy"), "--bias", str(tmp_path / "b.npy")]
    argv += ["--activation", "relu", "--method", "exact-regions", "--out", str(out)]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "num_fixed_points" in printed and "evidence:" in printed
    saved = np.load(out)
    assert set(saved.files) >= {"points", "attracting", "certified", "spectral_radius"}
    assert saved["points"].shape == (2, 3)


def test_affine_sigma_form_from_random_net(capsys):
    argv = ["enumerate", "--net", "random", "--dim", "3", "--activation", "leaky_relu:0.1"]
    summary = _json(capsys, argv + ["--form", "affine-sigma", "--json", "-"])
    assert summary["form"] == "affine-sigma"
    assert summary["activation"] == "leaky_relu:0.1"
    assert summary["num_fixed_points"] <= summary["upper_bound"]


def _error(capsys, argv):
    assert cli.main(argv) == 2
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1
    return message


def test_bad_inputs_are_one_line(tmp_path, capsys):
    np.save(tmp_path / "W.npy", np.eye(3))
    np.save(tmp_path / "b4.npy", np.zeros(4))
    np.save(tmp_path / "nan.npy", np.array([[np.nan, 0.0], [0.0, 1.0]]))
    np.save(tmp_path / "b2.npy", np.zeros(2))
    files = ["--bias", str(tmp_path / "b4.npy"), "--activation", "relu"]
    assert "`b` must have shape (d,) = (3,)" in _error(
        capsys, ["enumerate", "--weights", str(tmp_path / "W.npy")] + files
    )
    nan = ["enumerate", "--weights", str(tmp_path / "nan.npy"), "--bias", str(tmp_path / "b2.npy")]
    assert "NaN" in _error(capsys, nan + ["--activation", "relu"])
    missing = ["enumerate", "--weights", str(tmp_path / "none.npy"), "--bias", "x.npy"]
    assert "file not found" in _error(capsys, missing + ["--activation", "relu"])
    unknown = ["enumerate", "--net", "random", "--dim", "2", "--activation", "swish"]
    assert "unknown activation" in _error(capsys, unknown)
    both = ["enumerate", "--net", "random", "--dim", "3", "--weights", str(tmp_path / "W.npy")]
    assert "either --net" in _error(capsys, both)
    assert "needs --dim" in _error(capsys, ["enumerate", "--net", "hardtanh-identity"])
    chunk = ["enumerate", "--net", "hardtanh-identity", "--dim", "2", "--chunk-size", "0"]
    assert "--chunk-size must be >= 1" in _error(capsys, chunk)


def test_exact_regions_refuses_a_smooth_activation(capsys):
    exact = ["enumerate", "--net", "poly", "--dim", "2", "--method", "exact-regions"]
    assert "needs a piecewise-linear activation" in _error(capsys, exact)


def test_max_regions_refuses_before_any_work_and_can_be_raised(capsys):
    argv = ["enumerate", "--net", "random", "--dim", "3", "--activation", "relu"]
    assert cli.main(argv + ["--max-regions", "4"]) == 2
    assert "max_regions=4 per run" in capsys.readouterr().err
    summary = _json(capsys, argv + ["--max-regions", "8", "--json", "-"])
    assert summary["complete"] is True


@pytest.mark.parametrize("value", ["0", "-3", "2.5", "many"])
def test_max_regions_takes_a_positive_integer(capsys, value):
    argv = ["enumerate", "--net", "random", "--dim", "3", "--activation", "relu"]
    assert cli.main(argv + ["--max-regions", value]) == 2
    error = capsys.readouterr().err
    assert "--max-regions" in error and error.count("\n") == 1


def test_max_paths_is_refused_where_no_homotopy_runs(capsys):
    argv = ["enumerate", "--net", "random", "--dim", "3", "--activation", "relu"]
    assert cli.main(argv + ["--max-paths", "10"]) == 2
    assert "--max-paths" in capsys.readouterr().err
