"""The CLI's input checks, all run before any work starts.

Two kinds:

- **argparse types** (`positive_int`, `nonnegative_int`, `finite_float`, `positive_float`,
  `nonnegative_float`, `int_list`, `float_list`, `output_file`): passed as `type=` to
  `add_argument`, they check a value while the command line is parsed, so a bad value never
  reaches the computation. argparse reports the failure as `argument --OPTION: MESSAGE`, which
  the `jaxfp` parser prints as one line with exit code 2.
- **namespace checks** (`reject_options`, `fill_defaults`, `check_memory`): called by a handler
  on the parsed options before it computes anything; they raise `UserInputError`.

Every output path (`--out`, `--json PATH`, `--plot`) goes through `output_file`: the path must
not be a folder, its folder must exist and accept a new file, and its suffix must be one the
writer keeps (`--out DIR` is refused instead of silently becoming `DIR.npz`).
"""

import argparse
import math
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from ._errors import UserInputError

# The suffixes matplotlib's `savefig` understands (its `FigureCanvasBase.get_supported_filetypes`
# with the Agg backend); kept here so that checking a path does not import matplotlib.
FIGURE_SUFFIXES = (
    ".avif",
    ".eps",
    ".gif",
    ".jpeg",
    ".jpg",
    ".pdf",
    ".pgf",
    ".png",
    ".ps",
    ".raw",
    ".rgba",
    ".svg",
    ".svgz",
    ".tif",
    ".tiff",
    ".webp",
)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _integer(text: str) -> int:
    """An integer written as `12`, `1e8` or `1_000`; refuses `0.7`, `nan`, `inf`."""
    try:
        return int(text)
    except ValueError:
        pass
    value = _number(text)
    if not math.isfinite(value) or value != int(value):
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}")
    return int(value)


def int_at_least(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer ≥ `minimum` (and ≤ `maximum`; `1e8` is read as 100000000).

    Example:
        >>> int_at_least(2)("1e3")
        1000
    """

    def parse(text: str) -> int:
        value = _integer(text)
        if value < minimum or (maximum is not None and value > maximum):
            bounds = f">= {minimum}" if maximum is None else f"in {minimum} … {maximum}"
            raise argparse.ArgumentTypeError(f"expected an integer {bounds}, got {text!r}")
        return value

    parse.__name__ = f"integer >= {minimum}"  # argparse names the type in some messages
    return parse


positive_int = int_at_least(1)
nonnegative_int = int_at_least(0)
# `--max-steps`: the solvers' limit, `jaxfp._validation.MAX_STEPS` (not imported: it needs JAX).
MAX_STEPS = 2**24
max_steps_int = int_at_least(1, MAX_STEPS)
# `--seed`: what both JAX (`jax.random.key`) and NumPy (the data splits) accept.
seed_int = int_at_least(0, 2**32 - 1)


def finite_float(text: str) -> float:
    """An argparse type: a finite number (refuses `nan` and `inf`).

    Example:
        >>> finite_float("-0.5")
        -0.5
    """
    value = _number(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    value = finite_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def nonnegative_float(text: str) -> float:
    """An argparse type: a finite number ≥ 0 (a tolerance, a variance)."""
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def _list(text: str, item: Callable[[str], float], count: int | None, kind: str) -> list:
    items = text.split(",")
    if count is not None and len(items) != count:
        raise argparse.ArgumentTypeError(f"expected {count} comma-separated {kind}, got {text!r}")
    try:
        return [item(entry.strip()) for entry in items]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected comma-separated {kind}, got {text!r}") from None


def float_list(count: int | None = None) -> Callable[[str], list[float]]:
    """An argparse type: comma-separated finite numbers, exactly `count` of them if given.

    Example:
        >>> float_list(2)("-2,2")
        [-2.0, 2.0]
    """

    def parse(text: str) -> list[float]:
        return _list(text, finite_float, count, "finite numbers")

    parse.__name__ = "list of numbers"
    return parse


def int_list(count: int | None = None) -> Callable[[str], list[int]]:
    """An argparse type: comma-separated integers (`0.7,1.9` is refused, not truncated).

    Example:
        >>> int_list(2)("0,3")
        [0, 3]
    """

    def parse(text: str) -> list[int]:
        return _list(text, _integer, count, "integers")

    parse.__name__ = "list of integers"
    return parse


def check_output_file(path: str, suffixes: Iterable[str] | None = None) -> str:
    """Check that a file can be written at `path`, before the work whose result it will hold.

    Args:
        path: the file to write.
        suffixes: the file name endings the writer keeps (compared case-insensitively), or None
            for any name.

    Returns:
        `path`, unchanged.

    Raises:
        UserInputError: when `path` is a folder, has another suffix, its folder does not exist
            or cannot take a new file, or the file exists and cannot be overwritten.

    Example:
        >>> import tempfile, os
        >>> folder = tempfile.mkdtemp()
        >>> check_output_file(os.path.join(folder, "a.png"), (".png",)).endswith("a.png")
        True
    """
    target = Path(path)
    if target.is_dir():
        raise UserInputError(f"{path} is a folder; give a file name inside it.")
    if suffixes is not None:
        suffixes = tuple(suffixes)
        if target.suffix.lower() not in suffixes:
            endings = (
                " or ".join(suffixes) if len(suffixes) < 4 else "one of " + ", ".join(suffixes)
            )
            raise UserInputError(f"{path}: expected a file name ending in {endings}.")
    folder = target.resolve().parent
    if not folder.is_dir():
        # `file.txt/out.npz`: the "folder" exists but is a file.
        what = "is a file, not a folder" if folder.exists() else "does not exist"
        raise UserInputError(f"the folder of {path} {what}.")
    if target.exists():
        if not target.is_file() or not os.access(target, os.W_OK):
            raise UserInputError(f"{path} exists and cannot be overwritten.")
        return path
    try:  # the one sure test, read-only file systems and root included: create a file there
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".jaxfp-write-check-"):
            pass
    except OSError as error:
        raise UserInputError(
            f"cannot write {path}: its folder does not accept new files ({error.strerror})."
        ) from None
    return path


def output_file(
    suffixes: Iterable[str] | None = None, *, stdout: bool = False
) -> Callable[[str], str]:
    """An argparse type for an output path, checked with `check_output_file` at parse time.

    Args:
        suffixes: the file name endings the writer keeps (`FIGURE_SUFFIXES` for a figure,
            `(".npz",)` for `numpy.savez`), or None for any name.
        stdout: whether `-` means standard output (then it is not checked as a path).

    Example:
        >>> output_file(stdout=True)("-")
        '-'
    """

    def parse(text: str) -> str:
        if stdout and text == "-":
            return text
        try:
            return check_output_file(text, suffixes)
        except UserInputError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = "output file"
    return parse


def option_name(dest: str) -> str:
    """The command-line spelling of an argparse destination: `max_steps` -> `--max-steps`."""
    return "--" + dest.replace("_", "-")


def reject_options(namespace: argparse.Namespace, dests: Iterable[str], reason: str) -> None:
    """Refuse options that were given but that the chosen mode would ignore.

    The options must default to None (the handler fills their defaults with `fill_defaults`
    once it knows they apply).

    Raises:
        UserInputError: naming the first given option and `reason`.

    Example:
        >>> reject_options(argparse.Namespace(width=None), ["width"], "it applies to --simulate")
    """
    for dest in dests:
        if getattr(namespace, dest) is not None:
            raise UserInputError(f"{option_name(dest)} does not apply here: {reason}.")


def fill_defaults(namespace: argparse.Namespace, **defaults) -> None:
    """Set each option that was not given (None) to its default.

    Example:
        >>> namespace = argparse.Namespace(width=None, depth=3)
        >>> fill_defaults(namespace, width=512, depth=20)
        >>> namespace.width, namespace.depth
        (512, 3)
    """
    for dest, value in defaults.items():
        if getattr(namespace, dest) is None:
            setattr(namespace, dest, value)


def format_bytes(count: float) -> str:
    """A byte count in readable units.

    Example:
        >>> format_bytes(3.2e9)
        '3.2 GB'
    """
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(count) < 1000 or unit == "PB":
            return f"{count:.3g} {unit}"
        count /= 1000
    raise AssertionError("unreachable")  # the loop returns at "PB"


def memory_limit() -> int:
    """The bytes a run may use: the default device's memory limit (GPU, TPU), or on CPU the
    memory the machine has available now (`MemAvailable`; other work on the machine counts).

    Example:
        >>> memory_limit() > 0
        True
    """
    import jax  # here, not at the top: the parse-time checks above must not start JAX

    stats = jax.devices()[0].memory_stats() or {}
    if "bytes_limit" in stats:
        return int(stats["bytes_limit"])
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # not Linux: the machine's free physical pages
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


def check_memory(needed_bytes: float, what: str, remedy: str) -> None:
    """Refuse a run whose arrays alone would not fit in memory, before allocating any.

    Args:
        needed_bytes: a lower estimate of the bytes the run holds at once.
        what: the run, as the message names it (`"--width 100000000"`).
        remedy: what the user can change (`"use a smaller --width"`).

    Raises:
        UserInputError: with the estimate, the limit and `remedy`.

    Example:
        >>> check_memory(1e3, "a tiny run", "nothing")
    """
    limit = memory_limit()
    if needed_bytes > limit:
        raise UserInputError(
            f"{what} would need at least {format_bytes(needed_bytes)} of memory, more than the "
            f"{format_bytes(limit)} available; {remedy}."
        )
