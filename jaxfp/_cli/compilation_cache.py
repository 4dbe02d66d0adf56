"""JAX's persistent compilation cache for the `jaxfp` command: a warm start from the second run.

Most of a small `jaxfp enumerate` is XLA compilation. The command therefore turns on JAX's
persistent compilation cache (`jax_compilation_cache_dir`) before any work, so that a later run
with the same shapes loads the compiled code from disk instead of compiling it again, in a fresh
process. Where the cache lives, first match wins:

1. `--no-cache`: no persistent cache;
2. `--cache-dir DIR`;
3. the environment variable `JAXFP_CACHE_DIR`: a directory, or empty / `off` / `none` / `0` to
   turn the cache off (the test suite sets it to a temporary directory or off, never the home);
4. the user's cache directory: `$XDG_CACHE_HOME/jaxfp/xla`, else `~/.cache/jaxfp/xla`.

An unusable cache directory named by the flag or the variable is a clear error before any work;
an unusable default one only turns the cache off, with a one-line note on stderr. The library
(`import jaxfp`) never changes JAX's configuration: only the command does.
"""

import argparse
import os
import sys
from pathlib import Path

import jax

from .._exported import use_exported_programs

ENVIRONMENT_VARIABLE = "JAXFP_CACHE_DIR"
_OFF = ("", "off", "none", "0")


def default_cache_dir() -> Path:
    """The user's cache directory for jaxfp's compiled code (XDG base-directory convention)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "jaxfp" / "xla"


def add_cache_options(parser: argparse.ArgumentParser) -> None:
    """Add `--cache-dir` and `--no-cache` to `parser` and to every subcommand parser below it."""
    group = parser.add_argument_group("compilation cache")
    group.add_argument(
        "--cache-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help=f"keep JAX's compiled code in DIR (default: ${ENVIRONMENT_VARIABLE}, else "
        f"{default_cache_dir()}); later runs with the same shapes start warm",
    )
    group.add_argument(
        "--no-cache",
        action="store_true",
        default=argparse.SUPPRESS,
        help="do not use the persistent compilation cache",
    )
    for action in parser._actions:  # argparse has no public walk over subparsers
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                add_cache_options(subparser)


def resolve_cache_dir(cache_dir: str | None, no_cache: bool) -> tuple[Path | None, bool]:
    """The cache directory to use (None: off) and whether the user chose it explicitly."""
    if no_cache:
        return None, True
    if cache_dir is not None:
        return Path(cache_dir).expanduser(), True
    if ENVIRONMENT_VARIABLE in os.environ:
        value = os.environ[ENVIRONMENT_VARIABLE].strip()
        return (None if value.lower() in _OFF else Path(value).expanduser()), True
    return default_cache_dir(), False


def configure_compilation_cache(namespace: argparse.Namespace) -> Path | None:
    """Turn on JAX's persistent compilation cache as the options and environment ask.

    Returns:
        The cache directory in use, or None when the cache is off.

    Raises:
        ValueError: if a directory named by `--cache-dir` or `JAXFP_CACHE_DIR` cannot be created
            or written.
    """
    directory, explicit = resolve_cache_dir(
        getattr(namespace, "cache_dir", None), getattr(namespace, "no_cache", False)
    )
    if directory is None:
        return None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        writable = os.access(directory, os.W_OK)
    except OSError as error:
        writable, reason = False, error.strerror
    else:
        reason = "not writable"
    if not writable:
        source = "--cache-dir" if getattr(namespace, "cache_dir", None) else ENVIRONMENT_VARIABLE
        if explicit:
            raise ValueError(
                f"compilation cache {str(directory)!r} ({source}) cannot be used ({reason}); "
                f"choose a writable directory, or turn the cache off with --no-cache."
            )
        print(
            f"jaxfp: note: compilation cache {str(directory)!r} cannot be used ({reason}); "
            f"running without it (set {ENVIRONMENT_VARIABLE} to move it).",
            file=sys.stderr,
        )
        return None
    jax.config.update("jax_compilation_cache_dir", str(directory))
    # Keep the traced programs too (jaxfp/_exported.py): the XLA cache alone leaves tracing and
    # lowering, seconds per run, to every fresh process.
    use_exported_programs(directory / "jaxfp-programs")
    # Cache every compiled program: the many small kernels of a short run are what a warm start
    # saves (JAX's default skips programs that compiled in under a second).
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    return directory
