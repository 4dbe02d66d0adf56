"""The help of every `jaxfp` command: one layout (`jaxfp._cli._command.HelpFormatter`)."""

import argparse

import pytest

from jaxfp._cli.main import build_parser


def _commands(parser: argparse.ArgumentParser, prog: str = "jaxfp"):
    """`(prog, parser)` of `parser` and of every command below it."""
    yield prog, parser
    for action in parser._actions:  # argparse has no public walk over subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                yield from _commands(command, f"{prog} {name}")


COMMANDS = dict(_commands(build_parser()))


@pytest.mark.parametrize("prog", sorted(COMMANDS))
def test_help_says_each_known_default_once_and_no_empty_one(prog, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    text = COMMANDS[prog].format_help()
    assert "(default: None)" not in text and "(default: False)" not in text
    for action in COMMANDS[prog]._actions:
        known = action.default not in (None, argparse.SUPPRESS) and action.default is not False
        if action.option_strings and known:
            help_text = COMMANDS[prog]._get_formatter()._expand_help(action)
            assert help_text.count("default") == 1, (action.option_strings, help_text)


def test_option_defaults_and_mode_defaults_are_stated(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    solve = " ".join(COMMANDS["jaxfp solve"].format_help().split())
    assert "number of problems (default: 256)" in solve
    assert "relative tolerance (>= 0) (default: 1e-06)" in solve
    kernel = " ".join(COMMANDS["jaxfp kernel"].format_help().split())
    assert "simulated width d (default: 512; --simulate)" in kernel
    assert "bias variance σ_b² (default: 0.0; --edge-of-chaos)" in kernel


def test_description_paragraphs_are_filled_and_example_lines_kept(monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    text = COMMANDS["jaxfp kernel"].format_help()
    description = text.split("\n\n", 1)[1].split("\noptions:")[0]  # after the usage
    assert "Kernel-map analysis" in description
    assert max(len(line) for line in description.splitlines()) <= 60
    assert "\n  jaxfp kernel --edge-of-chaos --activation tanh --sigma-b2 0.05\n" in text
