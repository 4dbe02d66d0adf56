"""Shared output helpers for the CLI: readable tables, JSON, progress bars."""

import json
import math
import sys
from collections.abc import Iterable, Sequence

import numpy as np
from tqdm.auto import tqdm

from ._checks import output_file


def _format_cell(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if value == 0 or math.isnan(value) or math.isinf(value):
            return str(value)
        if 1e-3 <= abs(value) < 1e5:
            return f"{value:.6g}"
        return f"{value:.3e}"
    return str(value)


def format_table(rows: Sequence[Sequence], headers: Sequence[str]) -> str:
    """Format rows as an aligned plain-text table.

    >>> print(format_table([["picard", 12]], ["solver", "steps"]))
    solver  steps
    ------  -----
    picard     12
    """
    cells = [[_format_cell(value) for value in row] for row in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(items, numeric_right=True):
        parts = []
        for i, item in enumerate(items):
            is_number = numeric_right and _looks_numeric(item)
            parts.append(item.rjust(widths[i]) if is_number else item.ljust(widths[i]))
        return "  ".join(parts).rstrip()

    out = [line(headers, numeric_right=False), line(["-" * w for w in widths], False)]
    out += [line(row) for row in cells]
    return "\n".join(out)


def format_summary(pairs: Iterable[tuple[str, object]]) -> str:
    """Format key/value pairs as a two-column table."""
    return format_table([[key, value] for key, value in pairs], ["quantity", "value"])


def _looks_numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _to_jsonable(value):
    if isinstance(value, dict):
        return {str(k): _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        array = np.asarray(value)
        return _to_jsonable(array.tolist()) if array.ndim else _to_jsonable(array.item())
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def dump_json(obj, stream=None) -> None:
    """Write `obj` (dicts, lists, numbers, numpy/JAX arrays) as indented, strict JSON.

    NaN and infinite numbers are written as `null` (JSON has no spelling for them), so every
    JSON reader accepts the output; a `null` number means "not a finite value".

    Example:
        >>> dump_json({"rate": float("nan"), "steps": np.int64(3)})
        {
          "rate": null,
          "steps": 3
        }
    """
    stream = sys.stdout if stream is None else stream
    json.dump(_to_jsonable(obj), stream, indent=2, allow_nan=False)
    stream.write("\n")


def add_json_option(parser, *, what: str = "the results", replaced: str = "the table") -> None:
    """Add `--json [PATH]` to the argparse `parser`: write `what` as JSON to PATH, or with no
    PATH (or '-') print it to standard output instead of `replaced` (see `write_json`)."""
    parser.add_argument(
        "--json",
        metavar="PATH",
        nargs="?",
        const="-",
        type=output_file(stdout=True),
        help=f"write {what} as JSON to PATH; with no PATH (or '-') print it to standard output "
        f"instead of {replaced}",
    )


def write_json(obj, target: str | None) -> bool:
    """Write `obj` as JSON where `--json` says: to the file `target`, to standard output for
    '-', nowhere for None. Returns whether it went to standard output (then print nothing else).

    Example:
        >>> write_json({"steps": 3}, None)
        False
    """
    if target == "-":
        dump_json(obj)
        return True
    if target is not None:
        with open(target, "w") as stream:
            dump_json(obj, stream)
    return False


def progress(total: int, description: str, enabled: bool = True):
    """A progress bar on stderr (tqdm); disabled with `enabled=False` (e.g. for --json).

    It appears after half a second, so quick work and input errors print no empty bar.
    """
    return tqdm(
        total=total, desc=description, disable=not enabled, file=sys.stderr, leave=False, delay=0.5
    )
