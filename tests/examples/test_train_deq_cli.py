"""`jaxfp train-deq` in-process: JSON output, table output, bad input."""

import json

import pytest

from jaxfp._cli.main import main


def test_train_deq_writes_json(capsys):
    argv = ["--epochs", "1", "--width", "8", "--batch-size", "256", "--adjoint", "one-step"]
    code = main(["train-deq", *argv, "--json", "-"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert 0.0 <= report["test_accuracy"] <= 1.0
    assert report["wall_time_s"] > 0 and report["mean_forward_steps"] > 0
    assert report["mean_backward_steps"] == -1  # only implicit adjoints have backward solves
    assert len(report["history"]) == 1 and report["config"]["adjoint"] == "one-step"
    assert report["history"][0]["elapsed_time_s"] > 0 and "elapsed" not in report["history"][0]


def test_train_deq_conv_model_uses_its_defaults(capsys):
    argv = ["--model", "conv", "--epochs", "1", "--width", "4", "--batch-size", "512"]
    code = main(["train-deq", *argv, "--max-steps", "5", "--json", "-"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    config = report["config"]
    assert config["model"] == "conv" and config["augment"] and config["learning_rate"] == 2e-3
    # Options not given take the conv model's defaults, not the dense model's.
    assert config["tolerance"] == 5e-4 and config["norm"] == "rms" and config["max_steps"] == 5
    assert 0.0 <= report["history"][0]["inexact_fraction"] <= 1.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--width", "0"], "error: --width must be"),  # was "--width-- must be"
        (["--learning-rate", "inf"], "--learning-rate: expected a finite number"),
        (["--tolerance", "nan"], "--tolerance: expected a finite number"),
        (["--jacobian-penalty", "inf"], "--jacobian-penalty: expected a finite number"),
        (["--seed", "-1"], "--seed: expected an integer in 0 … 4294967295"),
        (["--batch-size", "5000"], "batch-size"),
        (["--test-fraction", "2"], "test-fraction"),
        (["--model", "resnet"], "model"),
        (["--norm", "l1"], "norm"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    assert main(["train-deq", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
