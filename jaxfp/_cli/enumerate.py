"""`jaxfp enumerate`: all fixed points of a looped network, with the evidence of completeness.

Each method is one entry of `_METHODS`: a function `(net, namespace, bar) -> Report`. `auto`
picks `exact-regions` for piecewise-linear activations and `iterative` otherwise.
"""

import argparse
import sys
import time
from typing import NamedTuple

import jax
import numpy as np

from ._checks import output_file
from ._errors import UserInputError
from .enumerate_iterative import add_iterative_arguments, iterative_method
from .network_args import add_network_arguments, network_from_arguments
from .output import dump_json, format_summary, format_table, progress

_METHOD_CHOICES = ("auto", "starts", "exact-regions", "branch-and-bound", "iterative")
# Options of the starts method that the exact-regions method would silently ignore.
_STARTS_ONLY = {
    "--starts-per-orthant": ("starts_per_orthant", 1),
    "--sample": ("sample", None),
    "--faces": ("faces", None),
    "--centre": ("centre", None),
    "--scale": ("scale", None),
    "--start-seed": ("start_seed", 0),
    "--checkpoint": ("checkpoint", None),
    "--resume": ("resume", False),
    "--devices": ("devices", None),
    "--no-certify": ("no_certify", False),
}


class Report(NamedTuple):
    """What a method hands back to the command: summary fields, arrays for --out, table rows."""

    summary: dict
    arrays: dict
    rows: list


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "enumerate",
        help="find all fixed points of a looped network F(x) = sigma(Wx + b) or W sigma(x) + b",
        description=(
            "Enumerate every fixed point of a looped network. For piecewise-linear activations "
            "(relu, leaky_relu:A, hardtanh, abs, pwl:...) the exact-regions method solves the "
            "linear system of every activation region (after interval pruning) and keeps the "
            "solutions that lie in their region: the list is exact and complete, and the "
            "summary says why (regions solved + pruned = all regions, the index sum against the "
            "Brouwer degree, the known upper bound on the count)."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    add_network_arguments(parser)
    parser.add_argument(
        "--method",
        choices=_METHOD_CHOICES,
        default="auto",
        help="exact-regions (piecewise-linear activations: every region solved, a proof); "
        "starts (Newton from many starts, never a proof; 'iterative' is the old name); "
        "branch-and-bound (starts, then an interval search over sigma's range box or --box); "
        "auto: exact-regions for piecewise-linear activations, starts otherwise",
    )
    parser.add_argument("--chunk-size", type=int, default=8192, help="regions solved per batch")
    parser.add_argument(
        "--no-prune", action="store_true", help="solve every region (skip the interval pruning)"
    )
    add_iterative_arguments(parser)
    parser.add_argument(
        "--out",
        metavar="FILE.npz",
        type=output_file((".npz",)),
        help="save points, attracting, certified, spectral_radius",
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        nargs="?",
        const="-",
        type=output_file(stdout=True),
        help="write the summary as JSON to PATH; with no PATH (or '-') print it to standard "
        "output instead of the progress bar and the tables",
    )
    parser.add_argument(
        "--show", type=int, default=20, help="fixed points listed in the table (0: none)"
    )
    parser.set_defaults(handler=run)


def _exact_regions(net, namespace, bar) -> Report:
    from ..enumeration import enumerate_pwl_fixed_points

    if namespace.certify_complete or namespace.box is not None:
        raise UserInputError(
            "--certify-complete and --box apply to --method starts; the exact-regions list "
            "is already exact and complete."
        )
    ignored = [
        flag
        for flag, (name, default) in _STARTS_ONLY.items()
        if getattr(namespace, name) != default
    ]
    if ignored:
        raise UserInputError(
            f"{', '.join(ignored)} apply to --method starts only; the exact-regions method "
            "(chosen for piecewise-linear activations) solves every region without starts."
        )

    def advance(solved: int, total: int) -> None:
        bar.total = total
        bar.update(solved)

    found = enumerate_pwl_fixed_points(
        net, chunk_size=namespace.chunk_size, prune=not namespace.no_prune, progress=advance
    )
    certified = np.asarray(found.certified)
    attracting = np.asarray(found.attracting)
    summary = {
        "n_fixed_points": found.n_fixed_points,
        "n_attracting": int(attracting.sum()),
        "n_certified": int(certified.sum()),
        "n_on_boundary": int(np.asarray(found.on_boundary).sum()),
        "index_sum": found.index_sum,
        "expected_degree": found.expected_degree,
        "complete": bool(found.complete and not found.has_continuum),
        "proof": (
            {
                "method": "exact-regions",
                "argument": f"all {found.num_regions_total} activation regions solved exactly or "
                "excluded by interval bounds",
            }
            if found.complete and not found.has_continuum
            else None
        ),
        "has_continuum": found.has_continuum,
        "n_singular_regions": len(found.singular_regions.kinds),
        "n_regions_total": found.num_regions_total,
        "n_regions_solved": found.num_regions_solved,
        "n_regions_pruned": found.num_regions_pruned,
        "upper_bound": found.upper_bound,
        "upper_bound_reference": found.upper_bound_reference,
        "evidence": found.evidence,
    }
    arrays = {
        "points": np.asarray(found.points),
        "attracting": attracting,
        "certified": certified,
        "spectral_radius": np.asarray(found.spectral_radius),
        "patterns": np.asarray(found.patterns),
        "margins": np.asarray(found.margins),
        "on_boundary": np.asarray(found.on_boundary),
    }
    shown = {
        name: arrays[name][: max(namespace.show, 0)]
        for name in ("patterns", "points", "spectral_radius", "attracting", "certified", "margins")
    }
    rows = [
        [
            "".join(str(int(p)) for p in pattern),
            np.array2string(point, precision=4, separator=","),
            radius,
            bool(attract),
            bool(cert),
            margin,
        ]
        for pattern, point, radius, attract, cert, margin in zip(*shown.values(), strict=True)
    ]
    return Report(summary, arrays, rows)


# Adding a method is one entry here.
_METHODS = {"exact-regions": _exact_regions, "starts": iterative_method}


def _choose_method(requested: str, net) -> str:
    from ..enumeration import is_piecewise_linear

    piecewise = is_piecewise_linear(net)
    requested = "starts" if requested == "iterative" else requested
    method = requested if requested != "auto" else ("exact-regions" if piecewise else "starts")
    if method == "exact-regions" and not piecewise:
        raise UserInputError(
            f"--method exact-regions needs a piecewise-linear activation (relu, leaky_relu:A, "
            f"hardtanh, abs, pwl:...); {net.activation.name!r} is not one."
        )
    return method


def run(namespace: argparse.Namespace) -> int:
    if namespace.net is None and namespace.weights is None:  # the default: P1's (P), d = 10
        namespace.net, namespace.dim = "poly", namespace.dim or 10
    net = network_from_arguments(namespace)
    method = _choose_method(namespace.method, net)
    if method == "branch-and-bound":
        namespace.certify_complete, method = True, "starts"
    if namespace.chunk_size < 1:
        raise UserInputError(f"--chunk-size must be >= 1, got {namespace.chunk_size}.")
    quiet = namespace.json == "-"
    start = time.perf_counter()
    unit = "regions" if method == "exact-regions" else "starts"
    with progress(0, unit, enabled=not quiet) as bar:
        report = _METHODS[method](net, namespace, bar)
    seconds = time.perf_counter() - start
    summary = {
        "method": method,
        "activation": net.activation.name,
        "form": net.form,
        "dim": net.dim,
        **report.summary,
        "seconds": seconds,
        "devices": report.summary.get("devices", len(jax.local_devices())),
    }
    if namespace.out is not None:
        np.savez(namespace.out, **report.arrays)
    if namespace.json is not None:
        if quiet:
            dump_json(summary)
            return 0
        with open(namespace.json, "w") as stream:
            dump_json(summary, stream)
    if report.rows:
        headers = ["pattern", "point", "spectral radius", "attracting", "certified", "margin"]
        print(format_table(report.rows, headers))
        shown = len(report.rows)
        if shown < summary["n_fixed_points"]:
            print(f"... {summary['n_fixed_points'] - shown} more (use --show or --out)")
        print()
    print(format_summary([(key, value) for key, value in summary.items() if key != "evidence"]))
    print(f"\nevidence: {summary['evidence']}", file=sys.stdout)
    return 0
