"""How every `jaxfp` subcommand declares itself, and the one help layout they all share.

`add_command` adds a subcommand's parser (its line in `jaxfp --help`, its description and
epilog) with `HelpFormatter` and sets its handler, so that every `jaxfp CMD --help` reads the
same: descriptions are filled paragraph by paragraph, and an option's default is said as
"(default: X)" by argparse from the option itself, never written by hand beside it.
"""

import argparse
from collections.abc import Callable


class HelpFormatter(argparse.HelpFormatter):
    """The help layout of the `jaxfp` command and of every subcommand.

    Descriptions and epilogs: each paragraph (blank-line separated) is filled to the terminal's
    width, except one with an indented line (a list of example commands), kept as written.
    Options: "(default: X)" follows the help of an option whose default argparse knows (a list
    as its values comma-separated, the way it is typed); not of
    one whose default is None or False (nothing given, a flag left off) or whose help already
    says its default in its own words (a default that depends on other options).
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        filled = []
        for paragraph in text.strip("\n").split("\n\n"):
            lines = paragraph.splitlines()
            if any(line.startswith(" ") for line in lines):
                filled.append("\n".join(indent + line for line in lines))
            else:
                filled.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(filled)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        unsaid = action.default is None or action.default is False
        if not action.option_strings or unsaid or action.default is argparse.SUPPRESS:
            return text
        if "default" in text:
            return text
        if isinstance(action.default, (list, tuple)):  # as typed: comma-separated
            return f"{text} (default: {','.join(map(str, action.default))})"
        return f"{text} (default: %(default)s)"


def add_command(
    subparsers,
    name: str,
    handler: Callable[[argparse.Namespace], int] | None,
    *,
    summary: str,
    description: str,
    epilog: str | None = None,
) -> argparse.ArgumentParser:
    """Add the subcommand `name` to `subparsers` and return its parser.

    Args:
        subparsers: what `add_subparsers` returned (of `jaxfp`, or of a command with commands).
        name: the subcommand, as typed.
        handler: the function that runs it (parsed namespace -> exit code), set as `handler`
            on the namespace; None for a command that only holds commands of its own.
        summary: its line in the list of its parent's `--help`.
        description: the text of its own `--help`, paragraphs separated by blank lines.
        epilog: text after its options (keys of its JSON, examples), if any.

    Example:
        >>> parser = argparse.ArgumentParser(prog="jaxfp")
        >>> commands = parser.add_subparsers()
        >>> hello = add_command(
        ...     commands, "hello", lambda namespace: 0, summary="say hello", description="Hello."
        ... )
        >>> _ = hello.add_argument("--times", type=int, default=1, help="how often")
        >>> "how often (default: 1)" in hello.format_help()
        True
        >>> parser.parse_args(["hello"]).handler(None)
        0
    """
    parser = subparsers.add_parser(
        name, help=summary, description=description, epilog=epilog, formatter_class=HelpFormatter
    )
    if handler is not None:
        parser.set_defaults(handler=handler)
    return parser
