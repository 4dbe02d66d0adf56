"""`jaxfp probe continuation` and `jaxfp probe basin-map`, run in-process."""

import json

import numpy as np
import pytest

from jaxfp._cli.main import main

B_FOLD = float(np.arctanh(np.sqrt(0.5)) - np.sqrt(2.0))
TANH_1D = ["--net", "tanh-identity", "--dim", "1"]


def test_continuation_json_and_plot(capsys, tmp_path):
    picture = tmp_path / "branch.png"
    code = main(
        ["probe", "continuation", *TANH_1D, "--param", "bias:0", "--start", "-1", "--stop", "1"]
        + ["--x0", "-0.99", "--json", "--plot", str(picture)]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and picture.stat().st_size > 0
    (branch,) = report["branches"]
    folds = sorted(event["parameter"] for event in branch["folds"])
    np.testing.assert_allclose(folds, [B_FOLD, -B_FOLD], atol=1e-8)
    assert [event["kind"] for event in branch["stability_changes"]] == ["fold", "fold"]


def test_continuation_table_from_enumerated_starts(capsys):
    code = main(
        ["probe", "continuation", *TANH_1D, "--param", "bias:0", "--start", "0", "--stop", "0.2"]
    )
    out = capsys.readouterr().out
    assert code == 0 and out.count("end of the range") == 3  # one branch per fixed point


def test_basin_map_png_and_json(capsys, tmp_path):
    picture = tmp_path / "basins.png"
    code = main(
        ["probe", "basin-map", "--net", "tanh-identity", "--dim", "2", "--resolution", "8"]
        + ["--extent=-1,1", "--out", str(picture), "--json"]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and picture.stat().st_size > 0
    labels = np.asarray(report["labels"])
    points = np.asarray(report["fixed_points"])
    u, v = np.asarray(report["u"]), np.asarray(report["v"])
    for row, v_value in enumerate(v):
        for column, u_value in enumerate(u):
            reached = points[labels[row, column]]
            assert np.all(np.sign(reached) == np.sign([u_value, v_value]))
    assert report["unmatched_fraction"] == 0.0


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["continuation", *TANH_1D, "--param", "tau", "--start", "0", "--stop", "1"], "tau"),
        (["continuation", *TANH_1D, "--param", "gain", "--start", "1", "--stop", "1"], "differ"),
        (
            ["continuation", *TANH_1D, "--param", "gain", "--start", "2", "--stop", "1"]
            + ["--x0", "1,2"],
            "--x0",
        ),
        (
            ["continuation", *TANH_1D, "--param", "gain", "--start", "2", "--stop", "1"]
            + ["--plot", "out.jpg"],
            "png",
        ),
        (
            ["continuation", *TANH_1D, "--param", "gain", "--start", "2", "--stop", "1"]
            + ["--step", "0.5"],
            "must not exceed --max-step",
        ),
        (["basin-map", *TANH_1D], "plane"),
        (["basin-map", "--net", "tanh-identity", "--dim", "2", "--extent", "1"], "--extent"),
        (
            ["basin-map", "--net", "tanh-identity", "--dim", "2", "--out", "/no/such/dir/a.png"],
            "folder",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_two(capsys, arguments, message):
    assert main(["probe", *arguments]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("jaxfp: error:") and message in error


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["basin-map", "--net", "tanh-identity", "--dim", "2", "--plane", "0.7,1.9"], "integers"),
        (["basin-map", "--net", "tanh-identity", "--dim", "2", "--resolution", "1e5"], "memory"),
        (["basin-map", "--net", "tanh-identity", "--dim", "2", "--origin", "0"], "--origin"),
        # The grid's spacing overflowed: a map of NaN starts with exit code 0.
        (["basin-map", "--net", "tanh-identity", "--dim", "2", "--extent=-1e308,1e308"], "extent"),
        (
            ["continuation", *TANH_1D, "--param", "gain", "--start", "nan", "--stop", "1"],
            "--start",
        ),
    ],
)
def test_nonfinite_non_integer_and_huge_inputs_are_refused(capsys, arguments, message):
    assert main(["probe", *arguments]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jaxfp: error:") and message in err and "\n" not in err
