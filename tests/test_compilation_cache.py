"""The `jaxfp` command's persistent compilation cache: where it lives, how to move or disable it,
and (slow) that a second fresh process reuses the compiled code."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jaxfp._cli.compilation_cache import (
    configure_compilation_cache,
    default_cache_dir,
    resolve_cache_dir,
)
from jaxfp._cli.main import build_parser, main

ROOT = Path(__file__).resolve().parent.parent


def test_default_is_the_user_cache_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("JAXFP_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "jaxfp" / "xla"
    assert resolve_cache_dir(None, False) == (tmp_path / "jaxfp" / "xla", False)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "jaxfp" / "xla"


@pytest.mark.parametrize("value", ["", "off", "None", "0"])
def test_environment_variable_turns_the_cache_off(monkeypatch, value):
    monkeypatch.setenv("JAXFP_CACHE_DIR", value)
    assert resolve_cache_dir(None, False) == (None, True)


def test_flag_beats_environment_and_no_cache_beats_both(monkeypatch, tmp_path):
    monkeypatch.setenv("JAXFP_CACHE_DIR", str(tmp_path / "env"))
    assert resolve_cache_dir(None, False) == (tmp_path / "env", True)
    assert resolve_cache_dir(str(tmp_path / "flag"), False) == (tmp_path / "flag", True)
    assert resolve_cache_dir(str(tmp_path / "flag"), True) == (None, True)


@pytest.mark.parametrize(
    "argv",
    [
        ["--no-cache", "kernel", "--activation", "relu"],
        ["kernel", "--no-cache", "--activation", "relu"],
        ["probe", "continuation", "--no-cache", "--param", "b0", "--start", "0", "--stop", "1"],
    ],
    ids=["before-subcommand", "after-subcommand", "nested-subcommand"],
)
def test_cache_options_are_accepted_at_every_level(argv):
    assert build_parser().parse_known_args(argv)[0].no_cache is True


def test_unusable_cache_directory_is_one_clear_error(tmp_path, capsys):
    (tmp_path / "a-file").write_text("")
    target = tmp_path / "a-file" / "cache"
    assert main(["kernel", "--activation", "relu", "--cache-dir", str(target)]) == 2
    message = capsys.readouterr().err
    assert message.count("\n") == 1
    assert "compilation cache" in message and "--no-cache" in message and str(target) in message


def test_cache_off_leaves_jax_configuration_alone():
    namespace = build_parser().parse_args(["--no-cache", "kernel"])
    assert configure_compilation_cache(namespace) is None


@pytest.mark.slow
def test_second_process_loads_compiled_code_from_the_cache(tmp_path):
    environment = {**os.environ, "JAXFP_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "jaxfp._cli.main", "solve", "--help"]
    subprocess.run(command, env=environment, check=True, capture_output=True)
    assert not any(tmp_path.iterdir())  # --help compiles nothing
    command = [sys.executable, "-m", "jaxfp._cli.main", "enumerate", "--net", "poly", "--dim", "2"]
    first = subprocess.run(
        [*command, "--json", "-"], env=environment, check=True, capture_output=True, text=True
    )
    assert any((tmp_path / "jaxfp-programs").glob("*.program"))  # traced programs kept too
    entries = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert entries
    environment["JAX_LOG_COMPILES"] = "1"
    again = subprocess.run(
        [*command, "--json", "-"], env=environment, check=True, capture_output=True, text=True
    )
    assert {p.name for p in tmp_path.rglob("*") if p.is_file()} == entries  # nothing new
    assert "Persistent compilation cache hit" in again.stderr
    same = [
        {k: v for k, v in json.loads(r.stdout).items() if not k.endswith("_time_s")}
        for r in (first, again)
    ]
    assert same[0] == same[1]
