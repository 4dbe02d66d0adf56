"""`jaxfp solve` and the `jaxfp` dispatcher."""

import json

import pytest

from jaxfp._cli.main import main


def test_solve_json_reports_every_problem_converged(capsys):
    code = main(
        [
            "solve",
            "--solver",
            "anderson",
            "--width",
            "6",
            "--inputs",
            "3",
            "--batch",
            "9",
            "--float64",
            "--rtol",
            "1e-10",
            "--atol",
            "1e-10",
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    (record,) = report["solvers"]
    assert record["solver"] == "anderson" and record["converged"] == record["problems"] == 9
    assert record["max_residual"] < 1 and record["run_seconds"] > 0


def test_solve_table_and_failure_exit_code(capsys):
    # ||W||_2 = 0.99 needs far more than the few steps allowed: every problem runs out of steps.
    code = main(
        [
            "solve",
            "--solver",
            "picard",
            "--width",
            "4",
            "--inputs",
            "2",
            "--batch",
            "3",
            "--spectral-norm",
            "0.99",
            "--rtol",
            "1e-12",
            "--atol",
            "1e-12",
            "--max-steps",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert "picard" in out and "mean_steps" in out
    assert code == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["solve", "--width", "0"], "--width"),
        (["solve", "--spectral-norm", "nan"], "--spectral-norm"),
        (["solve", "--rtol", "0", "--atol", "0"], "--rtol"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jaxfp: error:") and message in err and "\n" not in err


def test_help_lists_subcommands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "solve" in capsys.readouterr().out


def test_no_subcommand_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "subcommands" in capsys.readouterr().out


def test_closed_output_pipe_exits_quietly(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise BrokenPipeError

    monkeypatch.setattr("jaxfp._cli.solve.dump_json", broken)
    assert (
        main(
            [
                "solve",
                "--solver",
                "picard",
                "--width",
                "2",
                "--inputs",
                "1",
                "--batch",
                "1",
                "--json",
            ]
        )
        == 0
    )
