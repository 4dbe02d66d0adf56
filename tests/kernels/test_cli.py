"""`jaxfp kernel`, run in-process."""

import json

import pytest

from jaxfp._cli.main import main

JSON_KEYS = {
    "activation",
    "residual",
    "norm",
    "C",
    "kappa0",
    "dkappa0",
    "dkappa1",
    "case",
    "rho_star",
    "dkappa_rho_star",
    "alpha",
    "fixed_points",
    "hermite_coefficients",
    "hermite_tail_mass",
    "variance_map_slope",
    "zero_tolerance",
    "slope_tolerance",
}


def test_analysis_json(capsys):
    assert main(["kernel", "--activation", "relu", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert JSON_KEYS <= set(report)
    assert report["case"] == 3 and report["rho_star"] == 1.0
    assert report["kappa0"] == pytest.approx(0.3183098861837907, abs=1e-12)
    assert report["fixed_points"] == [
        {"rho": 1.0, "dkappa": 1.0, "stability": "neutral", "attracting": True}
    ]


def test_analysis_table_with_architecture_and_plot(capsys, tmp_path):
    path = tmp_path / "kernel.png"
    arguments = ["kernel", "--activation", "gelu", "--residual", "0.5", "--norm", "ln-post"]
    assert main(arguments + ["--plot", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Theorem 1 case" in out and "ln-post" in out
    assert path.stat().st_size > 0


def test_simulate(capsys, tmp_path):
    arguments = ["kernel", "--simulate", "--width", "32", "--depth", "2", "--seeds", "2"]
    assert main(arguments + ["--rho0", "0.5", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["mean_field"][0]) == 3 and report["rho0"] == [0.5]
    path = tmp_path / "simulation.png"
    assert main(arguments + ["--rho0", "0.5", "--plot", str(path)]) == 0
    assert "mean field" in capsys.readouterr().out
    assert path.stat().st_size > 0


def test_edge_of_chaos(capsys, tmp_path):
    arguments = ["kernel", "--edge-of-chaos", "--activation", "relu", "--sigma-b2", "0"]
    path = tmp_path / "phase.png"
    assert main(arguments + ["--json", "--plot", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["sigma_w2"] == pytest.approx(2.0, abs=1e-7)
    assert report["kind"] == "critical"
    assert path.stat().st_size > 0


@pytest.mark.parametrize(
    "arguments,message",
    [
        (["--activation", "no-such-activation"], "--activation"),
        (["--residual", "1.5"], "--residual"),
        (["--activation", "hermite:1"], "linear kernel map"),
        (["--simulate", "--width", "1"], "--width"),
        (["--edge-of-chaos", "--activation", "sign"], "discontinuous"),
        (["--edge-of-chaos", "--norm", "ln-post"], "drop --residual and --norm"),
    ],
)
def test_bad_input_exits_2(capsys, arguments, message):
    assert main(["kernel"] + arguments) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--width", "64"], "--width does not apply here"),
        (["--simulate", "--sigma-b2", "0.1"], "--sigma-b2 does not apply here"),
        (["--simulate", "--rho0", "1.5"], "[-1, 1]"),
        (["--simulate", "--width", "1e8"], "would need at least"),
        (["--simulate", "--depth", "1e8"], "would need at least"),
        (["--plot", "figure.xyz"], "ending in one of"),
        (["--simulate", "--seed", str(2**70)], "--seed"),  # was an OverflowError traceback
        (["--simulate", "--seed", "-1"], "--seed"),
    ],
)
def test_options_checked_before_the_work(capsys, arguments, message):
    assert main(["kernel"] + arguments) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jaxfp: error:") and message in err and "\n" not in err
