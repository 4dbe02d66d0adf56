"""The CLI's one error type for a mistake in what the user asked for.

`jaxfp._cli.main.main` prints it as one line, `jaxfp: error: MESSAGE`, and exits with code 2.
Every subcommand raises it (directly or through `jaxfp._cli._checks`) and none imports it from
`main`, so the dispatcher can import the subcommands without an import circle.
"""


class UserInputError(Exception):
    """A mistake in what the user asked for; printed as one line, exit code 2."""
