"""The `jaxfp` console command: one subcommand per main job.

Each subcommand lives in its own module of this package, exposing `register(subparsers)`, which
adds its parser with `jaxfp._cli._command.add_command` (one help layout for every command) and
sets `handler` (a function taking the parsed namespace and returning an exit code). Input checks
shared by the subcommands live in `jaxfp._cli._checks` and their error type in
`jaxfp._cli._errors`; every mistake in the input is printed as one line with exit code 2.
"""

import argparse
import os
import sys

from . import enumerate as enumerate_command
from . import fit_image, kernel, merge, probe, solve, train_deq, train_sequence
from ._command import HelpFormatter
from ._errors import UserInputError
from .compilation_cache import add_cache_options, configure_compilation_cache

# Subcommand modules, in the order `jaxfp --help` lists them.
_SUBCOMMANDS = (
    solve,
    train_deq,
    fit_image,
    train_sequence,
    enumerate_command,
    merge,
    kernel,
    probe,
)


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are `UserInputError`s (one line, exit 2), not usage dumps.

    Subparsers inherit the class, so every subcommand's parse errors read the same.
    """

    def error(self, message):
        message = message.rstrip(".")
        if message.startswith("argument ") and message.endswith(": expected one argument"):
            # `--box -1,1`: argparse takes a value starting with '-' for an option.
            option = message.removeprefix("argument ").split(":")[0].split("/")[0]
            message += f"; a value that starts with '-' goes after '=', e.g. {option}=-1,1"
        raise UserInputError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    """The `jaxfp` parser with every subcommand registered."""
    parser = _OneLineParser(
        prog="jaxfp",
        description=(
            "jaxfp: fixed points of neural networks in JAX. Solve them, differentiate through "
            "them, enumerate and certify all fixed points of looped networks, and analyse the "
            "kernel maps of deep networks."
        ),
        epilog="Run `jaxfp SUBCOMMAND --help` for the options of each subcommand.",
        formatter_class=HelpFormatter,
    )
    subparsers = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND")
    for module in _SUBCOMMANDS:
        module.register(subparsers)
    add_cache_options(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the `jaxfp` command on `argv` (default: `sys.argv[1:]`) and return its exit code.

    Example:
        >>> main(["solve", "--width", "0"])
        2
    """
    parser = build_parser()
    try:
        namespace = parser.parse_args(argv)
        if not hasattr(namespace, "handler"):
            parser.print_help()
            return 2
        configure_compilation_cache(namespace)
        return namespace.handler(namespace)
    except (UserInputError, ValueError, FileNotFoundError) as error:
        print(f"jaxfp: error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `jaxfp kernel --json | head`): stop quietly.
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        return 0


if __name__ == "__main__":
    sys.exit(main())
