"""The `jaxfp` console command: one subcommand per main job.

Each subcommand lives in its own module of this package, exposing
`register(subparsers)` which adds its parser and sets `handler` (a function taking the
parsed namespace and returning an exit code).
"""

import argparse
import importlib
import os
import sys

from .compilation_cache import add_cache_options, configure_compilation_cache

# Subcommand modules, in the order `jaxfp --help` lists them.
_SUBCOMMAND_MODULES = (
    "jaxfp._cli.solve",
    "jaxfp._cli.train_deq",
    "jaxfp._cli.enumerate",
    "jaxfp._cli.merge",
    "jaxfp._cli.kernel",
    "jaxfp._cli.probe",
)


class UserInputError(Exception):
    """A mistake in what the user asked for; printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jaxfp",
        description=(
            "jaxfp: fixed points of neural networks in JAX. Solve them, differentiate through "
            "them, enumerate and certify all fixed points of looped networks, and analyse the "
            "kernel maps of deep networks."
        ),
        epilog="Run `jaxfp SUBCOMMAND --help` for the options of each subcommand.",
    )
    subparsers = parser.add_subparsers(title="subcommands", metavar="SUBCOMMAND")
    for name in _SUBCOMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    add_cache_options(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    namespace = parser.parse_args(argv)
    if not hasattr(namespace, "handler"):
        parser.print_help()
        return 2
    try:
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
