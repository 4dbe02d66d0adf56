"""`jaxfp enumerate`: all fixed points of a looped network, and on what grounds the list is whole.

One path for every method: the options become a method object of `jaxfp.enumeration` (`Auto`,
`Starts`, `ExactRegions`, `BranchAndBound`), `jaxfp.enumerate_fixed_points` runs it, and the
table and JSON are read off the one `FixedPoints` it returns (`enumerate_report`). `complete` is
true only with a proof. Every option is checked before any work, and an option the chosen method
would ignore is refused.
"""

import argparse
import dataclasses
import time

import jax
import numpy as np

from ._checks import fill_defaults, int_at_least, reject_options
from ._command import add_command
from ._errors import UserInputError
from .enumerate_complete import check_against_branch_and_bound, complete_box
from .enumerate_report import HEADERS, add_output_options, print_summary, report, write_outputs
from .enumerate_starts import (
    STARTS_DEFAULTS,
    add_starts_arguments,
    check_devices,
    starts_method,
    starts_run_options,
)
from .merge import check_part, run_part
from .network_args import add_network_arguments, network_from_arguments
from .output import format_table, progress

_METHOD_CHOICES = ("auto", "starts", "exact-regions", "homotopy", "branch-and-bound", "iterative")
# The options each method takes (argparse destinations; each defaults to None when not given).
_TAKES = {
    "starts": {*STARTS_DEFAULTS, "chunk_size", "devices", "part", "certify_complete", "box"},
    "exact-regions": {"chunk_size", "no_prune", "max_regions", "devices", "part"},
    "homotopy": {"chunk_size", "max_paths", "gamma_seed", "checkpoint", "resume", "part"},
    "branch-and-bound": {"certify_complete", "box"},
}
_CHECKED = set().union(*_TAKES.values())
# Starts or regions per batch, and homotopy paths per chunk (fewer: a path's tracking state is
# larger), without --chunk-size.
_CHUNK_SIZE = 8192
_HOMOTOPY_CHUNK_SIZE = 4096


_SUMMARY = "find all fixed points of a looped network F(x) = sigma(Wx + b) or W sigma(x) + b"
_DESCRIPTION = """\
Enumerate every fixed point of a looped network, and say on what grounds the list is complete:
complete is true only with a proof (exact-regions for piecewise-linear activations: every
activation region solved; branch-and-bound for bounded ones: an interval search over sigma's range
box). Starts find fixed points of any network but never prove the list complete; the index check
(index sum against the Brouwer degree) is reported as a consistency check.
"""


def register(subparsers) -> None:
    parser = add_command(subparsers, "enumerate", run, summary=_SUMMARY, description=_DESCRIPTION)
    add_network_arguments(parser)
    parser.add_argument(
        "--method",
        choices=_METHOD_CHOICES,
        default="auto",
        help="auto: chosen from sigma's properties (piecewise linear: exact-regions; bounded, "
        "small d: starts then branch-and-bound; otherwise starts); exact-regions (every "
        "activation region solved: a proof); starts (Newton from many starts, never a proof; "
        "'iterative' is its old name); homotopy (polynomial sigma: every path of a total-degree "
        "homotopy tracked, a proof when every path is accounted for); branch-and-bound (an "
        "interval search over sigma's range box, a proof, or over --box, which proves that box "
        "only)",
    )
    parser.add_argument(
        "--chunk-size",
        type=int,
        help="starts, regions or homotopy paths per batch (default: "
        f"{_CHUNK_SIZE} for starts, {_CHUNK_SIZE} for exact-regions, {_HOMOTOPY_CHUNK_SIZE} for "
        "homotopy; memory is proportional)",
    )
    parser.add_argument(
        "--no-prune",
        action="store_true",
        default=None,
        help="exact-regions: solve every region (skip the interval pruning)",
    )
    parser.add_argument(
        "--max-regions",
        type=int_at_least(1),
        metavar="N",
        help="exact-regions: refuse, before any work, a network with more than N activation "
        "regions per part (default: 2^24)",
    )
    parser.add_argument(
        "--max-paths",
        type=int_at_least(1),
        metavar="N",
        help="homotopy: refuse a network with more than N paths, and auto: run homotopy only up "
        "to N paths (default: 10^6)",
    )
    parser.add_argument(
        "--gamma-seed",
        type=int_at_least(0),
        metavar="S",
        help="homotopy: seed of the random gamma and chart (default: 0; a one-process run that "
        "still has failed paths retries with S+1; every part of a split run needs the same S)",
    )
    parser.add_argument(
        "--devices", type=int, metavar="N", help="use the first N local devices (default: all)"
    )
    add_starts_arguments(parser)
    add_output_options(
        parser,
        saved="points, attracting, certified, spectral_radius, stability, ...",
        replaced="the progress bar and the tables",
    )
    parser.add_argument(
        "--show",
        type=int_at_least(0),
        default=20,
        help="fixed points listed in the table (0: none)",
    )


def _method_names(requested: str, net, checked: bool, part: bool, auto) -> tuple[str, ...]:
    """The methods that will run, in order (what `auto` (an `Auto`) chooses, resolved here so
    that options the run would ignore are refused before any work)."""
    from ..enumeration._pwl_networks import is_piecewise_linear

    requested = "starts" if requested == "iterative" else requested
    if requested == "homotopy" and net.activation.polynomial_coefficients is None:
        raise UserInputError(
            f"--method homotopy needs a polynomial activation (poly:..., p1_poly, cube, ...); "
            f"{net.activation.name!r} is not one."
        )
    if requested == "exact-regions" and not is_piecewise_linear(net):
        raise UserInputError(
            f"--method exact-regions needs a piecewise-linear activation (relu, leaky_relu:A, "
            f"hardtanh, abs, pwl:...); {net.activation.name!r} is not one."
        )
    if requested != "auto":
        return (requested,)
    chosen = tuple(method.name for method in auto.choose(net)[0])
    if checked and chosen[0] == "exact-regions":
        raise UserInputError(
            "--certify-complete and --box apply to --method starts; the exact-regions list "
            "is already exact and complete."
        )
    # One part of a run is a part of the method that proves (homotopy) where auto would run it,
    # otherwise (like a check against branch and bound) a run of the starts method.
    if part and "homotopy" in chosen:
        return ("homotopy",)
    if checked or part:
        return ("starts",) if "starts" in chosen else chosen[:1]
    return chosen


def _refuse_ignored(namespace: argparse.Namespace, names: tuple[str, ...]) -> None:
    taken = set().union(*(_TAKES[name] for name in names))
    for dest in sorted(_CHECKED - taken):
        owners = " or ".join(name for name in _TAKES if dest in _TAKES[name])
        reason = f"options like it apply to --method {owners} only"
        reject_options(namespace, [dest], f"the {' + '.join(names)} run ignores it; {reason}")


def _plan(namespace: argparse.Namespace, net):
    """The method object, its run options, and the box of a starts list's check against branch
    and bound (None: the a-priori box) or False (no check)."""
    from ..enumeration import Auto, BranchAndBound, ExactRegions, Homotopy

    checked = bool(namespace.certify_complete) or namespace.box is not None
    limits = {"max_paths": namespace.max_paths} if namespace.max_paths is not None else {}
    auto = Auto(**limits)
    names = _method_names(namespace.method, net, checked, namespace.part is not None, auto)
    _refuse_ignored(namespace, names)
    if namespace.chunk_size is not None and namespace.chunk_size < 1:
        raise UserInputError(f"--chunk-size must be >= 1, got {namespace.chunk_size}.")
    homotopy_chunk = namespace.chunk_size or _HOMOTOPY_CHUNK_SIZE
    fill_defaults(namespace, chunk_size=_CHUNK_SIZE, no_prune=False)
    check_devices(namespace)
    box = complete_box(namespace, net) if checked or "branch-and-bound" in names else None
    run_options, methods = {}, {}
    if namespace.devices is not None:
        run_options["devices"] = jax.local_devices()[: namespace.devices]
    if "starts" in names:
        methods["starts"] = starts_method(namespace, net)
        run_options.update(starts_run_options(namespace))
    if "exact-regions" in names:
        methods["exact_regions"] = ExactRegions(
            chunk_size=namespace.chunk_size,
            prune=not namespace.no_prune,
            **({} if namespace.max_regions is None else {"max_regions": namespace.max_regions}),
        )
    if "homotopy" in names:
        if namespace.resume and namespace.checkpoint is None:
            raise UserInputError("--resume needs --checkpoint DIR (the run to continue).")
        seed = {} if namespace.gamma_seed is None else {"seed": namespace.gamma_seed}
        methods["homotopy"] = Homotopy(chunk_size=homotopy_chunk, **limits, **seed)
        run_options.update(starts_run_options(namespace))
    if namespace.method == "auto" and not checked and namespace.part is None:
        fields = Auto.__dataclass_fields__
        parts = {k: v for k, v in methods.items() if k in fields}
        return Auto(**parts, **limits), run_options, False
    if names == ("branch-and-bound",):
        ones = np.ones(net.dim)
        bounds = None if box is None else (box[0] * ones, box[1] * ones)
        return BranchAndBound(box=bounds), {}, False
    (method,) = methods.values()
    return method, run_options, (box if checked else False)


def _proving_hint(net) -> str:
    """Which method would prove a starts list complete, in words."""
    from ..enumeration._method_bnb import has_a_priori_box
    from ..enumeration._pwl_networks import is_piecewise_linear

    if is_piecewise_linear(net):
        return "--method exact-regions proves the list complete"
    if net.activation.polynomial_coefficients is not None:
        return "--method homotopy proves the list complete (every path accounted for)"
    if has_a_priori_box(net):
        return "--method branch-and-bound proves the list complete (the a-priori box)"
    return "--box=LO,HI proves every fixed point inside a box you give, and only there"


def _checked(net, found, box, started: float):
    """A starts list checked against branch and bound: the proof when they agree."""
    from ..enumeration import assemble_fixed_points
    from ..enumeration._fixed_points import POINT_DIAGNOSTICS

    fields, sentence, arrays, proof = check_against_branch_and_bound(net, box, found)
    names = ("residuals", *POINT_DIAGNOSTICS)
    checked = assemble_fixed_points(
        net,
        found.points,
        method="starts + branch-and-bound",
        stats=found.stats,
        proof=proof,
        evidence=dataclasses.replace(
            found.evidence,
            findings=(*found.evidence.findings, sentence),
            caveats=found.evidence.caveats if proof is None else (),
            index_check="",
        ),
        tolerance=0.0,
        diagnostics={name: getattr(found, name) for name in names},
        began=started,
    )
    return checked, fields, arrays


def run(namespace: argparse.Namespace) -> int:
    from ..enumeration._dispatch import enumerate_fixed_points

    if namespace.net is None and namespace.weights is None:  # the default: P1's (P), d = 10
        namespace.net, namespace.dim = "poly", namespace.dim or 10
    net = network_from_arguments(namespace)
    method, run_options, box = _plan(namespace, net)
    part = check_part(namespace) if namespace.part is not None else None
    quiet = namespace.json == "-"
    started = time.perf_counter()
    extra_fields, extra_arrays = {}, {}
    unit = {"exact-regions": "regions", "homotopy": "chunks of paths"}.get(method.name, "starts")
    with progress(0, unit, not quiet) as bar:

        def advance(*counts) -> None:
            if len(counts) == 4:  # starts: (chunks done, chunks, starts done, starts)
                bar.total = counts[3]
                bar.update(counts[2] - bar.n)
            elif unit == "regions":  # (solved in this chunk, regions to solve)
                bar.total = counts[1]
                bar.update(counts[0])
            else:  # homotopy: (chunks done, chunks)
                bar.total = counts[1]
                bar.update(counts[0] - bar.n)

        if method.run_options:
            run_options["progress"] = advance
        with jax.enable_x64(True):
            if part is not None:
                found = run_part(net, part, method, run_options, namespace)
            else:
                found = enumerate_fixed_points(net, method, **run_options)
            if box is not False:
                found, extra_fields, extra_arrays = _checked(net, found, box, started)
    if found.method == "starts" and not found.complete:
        found = _with_hint(found, _proving_hint(net))
    shown = report(found, namespace.show)
    summary = {
        "method": found.method,
        "activation": net.activation.name,
        "form": net.form,
        "dim": net.dim,
        **shown.summary,
        **extra_fields,
        "wall_time_s": time.perf_counter() - started,
    }
    summary.setdefault("devices", len(jax.local_devices()))
    if write_outputs(summary, {**shown.arrays, **extra_arrays}, namespace):
        return 0
    if shown.rows:
        print(format_table(shown.rows, HEADERS))
        if len(shown.rows) < summary["num_fixed_points"]:
            print(f"... {summary['num_fixed_points'] - len(shown.rows)} more (use --show or --out)")
        print()
    print_summary(summary)
    return 0


def _with_hint(found, hint: str):
    evidence = found.evidence
    return dataclasses.replace(
        found, evidence=dataclasses.replace(evidence, hints=(*evidence.hints, hint))
    )
