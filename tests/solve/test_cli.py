"""`jaxfp solve` and the `jaxfp` dispatcher."""

import json

import numpy as np
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
    assert record["max_residual"] < 1 and record["run_time_s"] > 0
    assert record["compile_time_s"] >= 0 and not [k for k in record if k.endswith("seconds")]


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
        # Was an OverflowError traceback from jax.random.key.
        (["solve", "--seed", "1e30"], "--seed: expected an integer in 0 … 4294967295"),
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


# ---- the shared check layer (jaxfp._cli._checks) and the dispatcher's one-line errors ----


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("jaxfp: error:") and "\n" not in err and "Traceback" not in err
    return err


def test_solve_nan_rtol_is_refused_with_a_message(capsys):
    assert main(["solve", "--rtol", "nan"]) == 2
    assert "--rtol" in _one_line_error(capsys)


def test_solve_huge_width_is_refused_with_the_memory_it_needs(capsys):
    assert main(["solve", "--width", "1e6"]) == 2
    err = _one_line_error(capsys)
    assert "would need at least" in err and "PB" in err and "available" in err


def test_parse_errors_are_one_line_with_exit_2(capsys):
    assert main(["solve", "--width", "0.5"]) == 2
    err = _one_line_error(capsys)
    assert "--width" in err and "expected an integer" in err and "jaxfp solve --help" in err
    assert main(["solve", "--no-such-option"]) == 2
    assert "unrecognized arguments" in _one_line_error(capsys)


def test_integers_in_exponent_notation_are_read_exactly():
    from jaxfp._cli._checks import int_at_least

    assert int_at_least(1)("1e3") == 1000 and int_at_least(1)("7") == 7


def test_json_writes_nonfinite_numbers_as_null():
    import io

    from jaxfp._cli.output import dump_json

    stream = io.StringIO()
    dump_json({"a": float("nan"), "b": [float("inf"), 1.5], "c": np.float32("-inf")}, stream)
    assert json.loads(stream.getvalue()) == {"a": None, "b": [None, 1.5], "c": None}


@pytest.mark.parametrize(
    "name, message",
    [
        ("folder", "is a folder"),
        ("missing/out.png", "the folder of .* does not exist"),
        ("file.png/out.png", "the folder of .* is a file, not a folder"),
        ("out.jpg", "ending in .png"),
    ],
)
def test_output_file_refuses_paths_it_cannot_write(tmp_path, name, message):
    from jaxfp._cli._checks import check_output_file
    from jaxfp._cli._errors import UserInputError

    (tmp_path / "folder").mkdir()
    (tmp_path / "file.png").write_text("")
    with pytest.raises(UserInputError, match=message):
        check_output_file(str(tmp_path / name), (".png",))


def test_output_file_refuses_a_folder_that_takes_no_new_file(tmp_path, monkeypatch):
    import tempfile

    from jaxfp._cli._checks import check_output_file
    from jaxfp._cli._errors import UserInputError

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", read_only)
    with pytest.raises(UserInputError, match="does not accept new files"):
        check_output_file(str(tmp_path / "a.png"))


def test_unwritable_output_is_refused_before_the_work(capsys, tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the work started before the output path was checked")

    monkeypatch.setattr("jaxfp._cli.kernel.run", never)
    assert main(["kernel", "--plot", str(tmp_path)]) == 2
    assert "is a folder" in _one_line_error(capsys)


def test_options_of_another_mode_are_refused():
    import argparse

    from jaxfp._cli._checks import reject_options
    from jaxfp._cli._errors import UserInputError

    with pytest.raises(UserInputError, match="--max-steps does not apply here: only with X"):
        reject_options(argparse.Namespace(max_steps=3), ["max_steps"], "only with X")


def test_subcommands_do_not_import_the_dispatcher():
    import pathlib

    import jaxfp._cli

    for path in pathlib.Path(jaxfp._cli.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert "from .main import" not in text and "importlib" not in text, path.name


@pytest.mark.parametrize(
    "argv",
    [
        ["solve", "--max-steps", "1e12"],
        ["probe", "basin-map", "--net", "tanh-identity", "--dim", "2", "--max-steps", "1e12"],
    ],
)
def test_max_steps_above_the_solvers_limit_is_refused_naming_the_option(argv, capsys):
    from jaxfp._cli import _checks
    from jaxfp._cli.main import main
    from jaxfp._validation import MAX_STEPS

    assert _checks.MAX_STEPS == MAX_STEPS  # the CLI's copy (kept free of JAX) is the solvers'
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"argument --max-steps: expected an integer in 1 … {MAX_STEPS}" in err
