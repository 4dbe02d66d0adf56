"""What the worked-model commands (`fit-image`, `train-sequence`) share: the `--seed` and
`--json` options, the config check and the report (a table, or JSON)."""

import argparse
import dataclasses
import sys

from ._checks import output_file
from ._errors import UserInputError
from .output import dump_json, format_summary


def add_common_options(parser: argparse.ArgumentParser, seed: int) -> None:
    """Add `--seed` and `--json [PATH]` to `parser`."""
    parser.add_argument("--seed", type=int, default=seed, help="random seed")
    parser.add_argument(
        "--json",
        metavar="PATH",
        nargs="?",
        const="-",
        type=output_file(stdout=True),
        help="write the results as JSON to PATH; with no PATH (or '-') print it to standard "
        "output instead of the table",
    )


def make_config(config_class, **settings):
    """`config_class(**settings)`, its `ValueError` as a one-line `UserInputError` in CLI terms."""
    try:
        return config_class(**settings)
    except ValueError as error:
        raise UserInputError(str(error).replace("`", "--").replace("_", "-")) from error


def report(figures: dict, config, target: str | None) -> int:
    """Print `figures` (plus `config`) as a table, or as JSON to `target` ('-': standard output)."""
    payload = {**figures, "config": dataclasses.asdict(config)}
    if target == "-":
        dump_json(payload)
        return 0
    print(format_summary([(name.replace("_", " "), value) for name, value in figures.items()]))
    if target:
        with open(target, "w") as stream:
            dump_json(payload, stream)
        print(f"results written to {target}", file=sys.stderr)
    return 0
