"""The help of every `jaxfp` command: one layout (`jaxfp._cli._command.HelpFormatter`)."""

import argparse
import functools
import inspect
import re

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


def _chunk_sizes(enumerate_cli) -> dict:
    """The chunk size each method of `jaxfp enumerate` runs with when --chunk-size is not given."""
    from jaxfp._cli.network_args import network_from_arguments

    sizes = {}
    for method, net in [
        ("starts", "poly"),
        ("exact-regions", "hardtanh-identity"),
        ("homotopy", "poly"),
    ]:
        namespace = build_parser().parse_args(
            ["enumerate", "--method", method, "--net", net, "--dim", "2"]
        )
        planned, _, _ = enumerate_cli._plan(namespace, network_from_arguments(namespace))
        sizes[method] = planned.chunk_size
    return sizes


@functools.cache
def _real_defaults() -> dict:
    """Each default a help states in its own words (where its option defaults to None, so argparse
    cannot say it), keyed by 'command --option' or '--option' (alike in every command), with the
    values that apply when it is not given: every one must equal the stated value."""
    from jaxfp._cli import compilation_cache, enumerate_starts, kernel, network_args
    from jaxfp._cli import enumerate as enumerate_cli
    from jaxfp.enumeration import Auto, ExactRegions, Homotopy, Starts
    from jaxfp.examples import MODELS, DigitsTrainingConfig
    from jaxfp.kernels import simulate_similarity

    simulated = build_parser().parse_args(["kernel", "--simulate"])
    kernel._check_mode_options(simulated)  # fills the defaults the command runs with
    edge = build_parser().parse_args(["kernel", "--edge-of-chaos"])
    kernel._check_mode_options(edge)
    weights = inspect.signature(simulate_similarity).parameters["weights"].default
    cache = (
        f"${compilation_cache.ENVIRONMENT_VARIABLE}, else {compilation_cache.default_cache_dir()}"
    )
    starts = enumerate_starts.STARTS_DEFAULTS
    by_model = {
        f"jaxfp train-deq {option}": [
            {model: getattr(DigitsTrainingConfig.for_model(model), field) for model in MODELS}
        ]
        for option, field in [
            ("--width", "width"),
            ("--epochs", "epochs"),
            ("--learning-rate", "learning_rate"),
            ("--tolerance", "tolerance"),
            ("--norm", "norm"),
            ("--max-steps", "max_steps"),
        ]
    }
    return {
        "--cache-dir": [cache],
        "--form": [network_args._DEFAULT_FORM],
        "jaxfp enumerate --chunk-size": [_chunk_sizes(enumerate_cli)],
        "jaxfp enumerate --max-regions": [ExactRegions().max_regions],
        "jaxfp enumerate --max-paths": [Homotopy().max_paths, Auto().max_paths],
        "jaxfp enumerate --gamma-seed": [Homotopy().seed],
        "jaxfp enumerate --starts-per-orthant": [
            starts["starts_per_orthant"],
            Starts().starts_per_orthant,
        ],
        "jaxfp enumerate --start-seed": [starts["start_seed"], Starts().seed],
        "jaxfp kernel --width": [simulated.width],
        "jaxfp kernel --depth": [simulated.depth],
        "jaxfp kernel --seeds": [simulated.seeds],
        "jaxfp kernel --rho0": [simulated.rho0],
        "jaxfp kernel --weights": [simulated.weights, weights],
        "jaxfp kernel --seed": [simulated.seed],
        "jaxfp kernel --sigma-b2": [edge.sigma_b2],
        **by_model,
    }


# Defaults that are a rule, not a value, said in words: 'command --option' -> the words.
SAID_IN_WORDS = {
    "jaxfp enumerate --devices": "all",
    "jaxfp enumerate --faces": "on for d <= 11 without --sample",
    "jaxfp enumerate --centre": "derived from the network",
    "jaxfp enumerate --scale": "auto",
    "jaxfp enumerate --certify-complete": "off by default",
    "jaxfp fit-image --unrolled-steps": "--max-steps",
    "jaxfp probe basin-map --origin": "0",
    "jaxfp probe continuation --x0": "all",
    "jaxfp solve --solver": "all four",
}


def _stated(help_text: str):
    """The value a help states as its default: `sigma-affine (default): ...` -> 'sigma-affine';
    `... (default: 2^24)` -> 16777216; `(default: 64 for mlp, 16 for conv)` -> {'mlp': 64, ...};
    `(default: 0.0 0.5 0.9; --simulate)` -> [0.0, 0.5, 0.9]."""
    named = re.match(r"(\S+) \(default\)", help_text)
    if named:
        return named.group(1)
    text = re.search(r"default: ([^;)]*)", help_text).group(1)
    if " for " in text:
        pairs = (part.rsplit(" for ", 1) for part in text.split(", "))
        return {model: _stated_value(value) for value, model in pairs}
    if text.startswith("$"):
        return text
    values = [_stated_value(word) for word in text.split()]
    return values if len(values) > 1 else values[0]


def _stated_value(word: str):
    if re.fullmatch(r"\d+\^\d+", word):
        base, power = word.split("^")
        return int(base) ** int(power)
    for kind in (int, float):
        try:
            return kind(word)
        except ValueError:
            pass
    return word


@pytest.mark.parametrize("prog", sorted(COMMANDS))
def test_help_says_each_default_once_and_the_real_one(prog, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    text = COMMANDS[prog].format_help()
    assert "(default: None)" not in text and "(default: False)" not in text
    real_defaults = _real_defaults()
    for action in COMMANDS[prog]._actions:
        if not action.option_strings:
            continue
        help_text = COMMANDS[prog]._get_formatter()._expand_help(action)
        known = action.default not in (None, argparse.SUPPRESS) and action.default is not False
        if known:
            assert help_text.count("default") == 1, (action.option_strings, help_text)
        if "default" not in (action.help or ""):
            continue  # argparse says it, from the option's own default
        option = f"{prog} {action.option_strings[0]}"
        if option in SAID_IN_WORDS:
            assert SAID_IN_WORDS[option] in help_text, (option, help_text)
            continue
        real = real_defaults.get(option) or real_defaults.get(action.option_strings[0])
        assert real is not None, f"{option} states a default that this test does not know"
        stated = _stated(help_text)
        assert all(value == stated for value in real), (option, stated, real)


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
