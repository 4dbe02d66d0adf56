"""Parts of an enumeration on the command line: `jaxfp enumerate ... --part I/N --out PART.npz`
runs part I of N (starts: the orthants o with o % N == I; exact regions: the I-th of N blocks of
the regions left after pruning; homotopy: the I-th of N contiguous ranges of the k^d paths),
and `jaxfp merge PART.npz ... --out all.npz` merges the N part files into the result of the
whole run (`jaxfp.enumeration.merge_parts`).

Every part must be run with the same method, network and options (checked by the merge). A starts
or homotopy part can have its own `--checkpoint DIR` and resumes with `--resume` after a kill.
`--method auto --part I/N` on a polynomial σ runs homotopy parts wherever auto would run homotopy
(k^d ≤ `--max-paths`), so the merge can prove the list complete. See docs/multiprocess.md for
SLURM and multi-host GPU/TPU jobs.
"""

import argparse
from pathlib import Path

from ._command import add_command
from ._errors import UserInputError
from .enumerate_report import add_output_options, print_summary, report, write_outputs


def parse_part(text: str) -> tuple[int, int]:
    """`"I/N"` as `(I, N)` with 0 ≤ I < N.

    Raises:
        UserInputError: if `text` is not of that form.
    """
    index, _, count = text.partition("/")
    try:
        part = (int(index), int(count))
    except ValueError:
        part = None
    if part is None or not 0 <= part[0] < part[1]:
        raise UserInputError(f"--part must be I/N with 0 <= I < N (e.g. 0/4), got {text!r}.")
    return part


def add_part_argument(group) -> None:
    """Add `--part I/N` (starts, exact regions and homotopy) to the options of `jaxfp
    enumerate`."""
    group.add_argument(
        "--part",
        metavar="I/N",
        help="run part I of N (starts: the orthants o %% N == I, no face starts, no --sample; "
        "exact-regions: the I-th of N blocks of regions; homotopy, and auto on a polynomial "
        "sigma: the I-th of N ranges of paths); needs --out PART.npz; merge the N part files "
        "with `jaxfp merge`",
    )


def check_part(namespace: argparse.Namespace) -> tuple[int, int]:
    """The checked `--part I/N` (before any work): it needs `--out PART.npz`, and starts parts
    split the orthants, so face starts and samples are refused.

    Raises:
        UserInputError: for a malformed part, no `--out`, `--faces` or `--sample`.
    """
    part = parse_part(namespace.part)
    if namespace.out is None or Path(namespace.out).suffix != ".npz":
        raise UserInputError(
            "--part needs --out PART.npz (the part file that `jaxfp merge` reads)."
        )
    for option in ("faces", "sample"):
        if getattr(namespace, option):
            raise UserInputError(
                f"--part cannot be combined with --{option}: parts split the orthants."
            )
    return part


def run_part(net, part: tuple[int, int], method, run_options: dict, namespace):
    """Run part `part` with `method` and save it to `--out`; returns the part's `FixedPoints`.

    `namespace.out` is cleared so that `jaxfp enumerate` does not overwrite the part file with
    its ordinary arrays.
    """
    # Imported on use, as the other subcommands do: `jaxfp --help` does not load the engine.
    from ..enumeration import enumerate_part, save_part

    found = enumerate_part(net, part, method=method, **run_options)
    save_part(found, namespace.out)
    namespace.out = None
    return found.fixed_points


_SUMMARY = "merge the part files of `jaxfp enumerate --part I/N` into one result"
_DESCRIPTION = """\
Merge the N part files written by `jaxfp enumerate ... --part I/N --out PART.npz` into the result
of the whole run: the parts are checked to be the N parts of one run (same method, network and
options, every part once, the work covered exactly once). Starts: the fixed points are
deduplicated across parts, and the index check runs on the merged list (a consistency check:
starts never prove the list complete). Exact regions: the regions' records are assembled in order,
complete with the one-process proof when every region was solved or pruned. Homotopy: the failed
and jumped paths of the whole run are re-tracked and every path accounted for, complete with the
homotopy proof only when every path is.
"""


def register(subparsers) -> None:
    parser = add_command(subparsers, "merge", run, summary=_SUMMARY, description=_DESCRIPTION)
    parser.add_argument("parts", nargs="+", metavar="PART.npz", help="the part files, any order")
    add_output_options(
        parser,
        saved="the merged points, stability, index signs, per-start arrays, ...",
        replaced="the table",
    )


def run(namespace: argparse.Namespace) -> int:
    from ..enumeration import merge_parts  # imported on use (see run_part)

    merged = merge_parts(namespace.parts)
    shown = report(merged, show=0)
    summary = {**shown.summary, "num_parts": len(namespace.parts)}
    if not write_outputs(summary, shown.arrays, namespace):
        print_summary(summary)
    return 0
