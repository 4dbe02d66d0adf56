"""What the worked-model commands (`train-deq`, `fit-image`, `train-sequence`) share: the parser
(options named after the config's fields, `--seed` and `--json`), the config built from the
options and checked, and the report (a table, or JSON) of the result's number fields."""

import argparse
import dataclasses
import re
import sys
import typing
from collections.abc import Callable

from ._checks import finite_float, max_steps_int, seed_int
from ._command import add_command
from ._errors import UserInputError
from .output import add_json_option, dump_json, format_summary


def add_example_command(
    subparsers,
    name: str,
    *,
    summary: str,
    description: str,
    defaults,
    helps: dict[str, str],
    handler: Callable[[argparse.Namespace], int],
    replaced: str = "the table",
) -> argparse.ArgumentParser:
    """Add the subcommand `name` (`summary`: its line in `jaxfp --help`) and return its parser.

    Its options: `--NAME` (underscores as dashes) for each field NAME of the config `defaults`
    named in `helps`, of the field's type (`int` for `int | None`; a float must be finite;
    `--max-steps`: an int within the solvers' limit, as `jaxfp solve` checks it; `--seed`: an
    int in 0 … 2**32 - 1, as JAX and NumPy take it) and defaulting to its value in `defaults`,
    with the help `helps[NAME]`; then `--seed` and `--json [PATH]`, whose JSON on standard
    output is printed instead of `replaced`.
    """
    parser = add_command(subparsers, name, handler, summary=summary, description=description)
    types = field_types(defaults)
    for field, text in {**helps, "seed": "random seed"}.items():
        kind = next(
            k for k in (*typing.get_args(types[field]), types[field]) if k is not type(None)
        )
        kind = {"max_steps": max_steps_int, "seed": seed_int}.get(field, kind)
        kind = finite_float if kind is float else kind
        option = "--" + field.replace("_", "-")
        parser.add_argument(option, type=kind, default=getattr(defaults, field), help=text)
    add_json_option(parser, replaced=replaced)
    return parser


def make_config(namespace: argparse.Namespace, config_class: type, factory: Callable | None = None):
    """The `config_class` the command line asks for: `factory(**settings)` (default:
    `config_class(**settings)`), where `settings` are the options that name a field of
    `config_class` and were given (not `None`); a `ValueError` is raised again as a one-line
    `UserInputError` in CLI terms (`--max-steps`, not `max_steps`)."""
    fields = {field.name for field in dataclasses.fields(config_class)}
    settings = {
        name: value
        for name, value in vars(namespace).items()
        if name in fields and value is not None
    }
    try:
        return (factory or config_class)(**settings)
    except ValueError as error:
        raise UserInputError(_option_names(str(error))) from error


def _option_names(message: str) -> str:
    """`message` with each quoted field name (`` `max_steps` ``) written as its option
    (`--max-steps`).

    Example:
        >>> _option_names("`max_steps` must be a positive int, got 0.")
        '--max-steps must be a positive int, got 0.'
    """
    return re.sub(r"`(\w+)`", lambda match: "--" + match[1].replace("_", "-"), message)


def example_handler(config_class: type, train: Callable) -> Callable[[argparse.Namespace], int]:
    """The handler of a command that only trains and reports: the `config_class` the options
    ask for (`make_config`), `train(config)`, then `report` of its result."""

    def handler(namespace: argparse.Namespace) -> int:
        config = make_config(namespace, config_class)
        return report(train(config), config, namespace.json)

    return handler


def field_types(instance) -> dict:
    """The types of a dataclass instance's fields, in their order, with string annotations
    (`from __future__ import annotations`, `"int | None"`) resolved (`typing.get_type_hints`).

    Example:
        >>> @dataclasses.dataclass
        ... class Config:
        ...     width: "int"
        >>> field_types(Config(8))
        {'width': <class 'int'>}
    """
    hints = typing.get_type_hints(type(instance))
    return {field.name: hints[field.name] for field in dataclasses.fields(instance)}


def figures(result) -> dict:
    """A result's figures: its number fields (`int` or `float`, written as types or as
    strings), under their own names, in their order (so a field's name carries its unit:
    `wall_time_s`, `deq_psnr_db`).

    Example:
        >>> @dataclasses.dataclass
        ... class Result:
        ...     accuracy: float
        ...     losses: list[float]
        ...     wall_time_s: "float"
        >>> figures(Result(0.9, [1.0, 0.5], 2.0))
        {'accuracy': 0.9, 'wall_time_s': 2.0}
    """
    return {
        name: getattr(result, name)
        for name, kind in field_types(result).items()
        if kind in (int, float)
    }


_UNITS = {"_s": "s", "_db": "dB"}


def _label(name: str) -> str:
    """A figure's name as a table label: `wall_time_s` -> `wall time (s)`."""
    for suffix, unit in _UNITS.items():
        if name.endswith(suffix):
            name = f"{name[: -len(suffix)]} ({unit})"
    return name.replace("_", " ")


def report(result, config, target: str | None, *, details: dict | None = None) -> int:
    """Print the `figures` of `result` as a table, or write them with `config` (and `details`,
    JSON only) as JSON to `target` ('-': standard output, instead of the table); return the exit
    code 0."""
    shown = figures(result)
    payload = {**shown, "config": dataclasses.asdict(config), **(details or {})}
    if target == "-":
        dump_json(payload)
        return 0
    print(format_summary([(_label(name), value) for name, value in shown.items()]))
    if target:
        with open(target, "w") as stream:
            dump_json(payload, stream)
        print(f"results written to {target}", file=sys.stderr)
    return 0
