"""The iterative method of `jaxfp enumerate`: its options and its run (any activation).

Starts in every sign orthant (or a seeded sample), the iterated map plus Newton, deduplication,
classification, certificates and the index-sum completeness check
(`jaxfp.enumeration.enumerate_iterative`), streamed to a resumable checkpoint and spread over the
local devices.
"""

import argparse
import math

import jax
import numpy as np

from ._errors import UserInputError
from .enumerate_complete import add_complete_arguments, certify_complete_fields, complete_box
from .merge import add_part_argument, run_part


def add_iterative_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of the iterative method to the `enumerate` parser."""
    group = parser.add_argument_group(
        "iterative method",
        "for smooth activations (tanh, poly:..., p1_exp, ...): K starts in each of the 2^d sign "
        "orthants around a centre, plus the 3^d face starts for d <= 11; each start solved by the "
        "iterated map (Picard, then a Newton polish) and by Newton from the start (finds "
        "saddles); --chunk-size starts per batch",
    )
    group.add_argument(
        "--starts-per-orthant", type=int, default=1, metavar="K", help="starts per sign orthant"
    )
    group.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="enumerate a seeded sample of N orthants instead of all 2^d (required for d > 24); "
        "reports a 95%% Wilson interval on the fraction of orthants holding a fixed point",
    )
    group.add_argument(
        "--faces",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="add the 3^d starts on the orthant faces (default: on for d <= 11 without --sample)",
    )
    group.add_argument(
        "--centre",
        metavar="C1,...,Cd",
        help="centre of the orthants (default: the origin; construction (E): its unstable point)",
    )
    group.add_argument(
        "--scale", type=float, help="distance of the corner starts from the centre (default: auto)"
    )
    group.add_argument(
        "--start-seed", type=int, default=0, help="seed of the orthant sample and the extra starts"
    )
    group.add_argument(
        "--no-certify",
        action="store_true",
        help="skip the interval certificates (a box per fixed point proving exactly one in it)",
    )
    group.add_argument(
        "--checkpoint",
        metavar="DIR",
        help="stream the results to DIR chunk by chunk (memory bounded by --chunk-size)",
    )
    group.add_argument(
        "--resume", action="store_true", help="continue the run saved in --checkpoint DIR"
    )
    group.add_argument(
        "--devices", type=int, metavar="N", help="use the first N local devices (default: all)"
    )
    add_part_argument(group)
    add_complete_arguments(group)


def _centre(text: str | None, dim: int):
    if text is None:
        return None
    try:
        values = [float(item) for item in text.split(",")]
    except ValueError:
        raise UserInputError(
            f"--centre must be {dim} comma-separated numbers, got {text!r}."
        ) from None
    if len(values) != dim or not all(math.isfinite(v) for v in values):
        raise UserInputError(
            f"--centre must be {dim} finite comma-separated numbers, got {text!r}."
        )
    return np.asarray(values)


def _check(namespace: argparse.Namespace) -> None:
    if namespace.starts_per_orthant < 1:
        raise UserInputError(
            f"--starts-per-orthant must be >= 1, got {namespace.starts_per_orthant}."
        )
    if namespace.sample is not None and namespace.sample < 1:
        raise UserInputError(f"--sample must be >= 1, got {namespace.sample}.")
    if namespace.scale is not None and not (math.isfinite(namespace.scale) and namespace.scale > 0):
        raise UserInputError(f"--scale must be a positive number, got {namespace.scale}.")
    if namespace.resume and namespace.checkpoint is None:
        raise UserInputError("--resume needs --checkpoint DIR (the run to continue).")
    available = len(jax.local_devices())
    if namespace.devices is not None and not 1 <= namespace.devices <= available:
        raise UserInputError(
            f"--devices must be between 1 and {available} (the local devices), got "
            f"{namespace.devices}."
        )


def _pattern(signs) -> str:
    return "".join({1: "+", -1: "-", 0: "0"}[int(s)] for s in signs)


def iterative_method(net, namespace: argparse.Namespace, bar):
    """Run the iterative enumeration for `jaxfp enumerate`; returns its `Report`."""
    from ..enumeration import enumerate_iterative
    from .enumerate import Report

    _check(namespace)
    centre = _centre(namespace.centre, net.dim)
    box = complete_box(namespace, net)

    def advance(chunks_done: int, num_chunks: int, starts_done: int) -> None:
        del chunks_done, num_chunks
        bar.update(starts_done - bar.n)

    run_options = dict(
        starts_per_orthant=namespace.starts_per_orthant,
        centre=centre,
        scale=namespace.scale,
        sample=namespace.sample,
        faces=namespace.faces,
        seed=namespace.start_seed,
        certify=not namespace.no_certify,
        checkpoint=namespace.checkpoint,
        resume=namespace.resume,
        devices=namespace.devices,
        chunk_size=namespace.chunk_size,
        callback=advance,
    )
    with jax.enable_x64(True):
        if namespace.part is not None:
            found = run_part(net, namespace, run_options)
        else:
            found = enumerate_iterative(net, **run_options)
    summary = found.summary()
    summary.pop("method")
    summary["evidence"] = summary.pop("completeness")
    # The index check is a consistency check, never a proof of completeness.
    summary["index_consistent"] = summary.pop("complete")
    summary["complete"], summary["proof"] = False, None
    summary["evidence"] += (
        " (a consistency check, not a proof: starts can miss fixed points; --method "
        "branch-and-bound proves a bounded activation's list complete)"
    )
    summary["certification"] = found.certification
    summary["orthant_fraction_interval"] = found.orthant_fraction_interval
    for name, count in summary.pop("start_outcomes").items():
        summary[f"n_starts_{name}"] = count
    complete_arrays = {}
    if namespace.certify_complete:
        with jax.enable_x64(True):
            fields, sentence, complete_arrays = certify_complete_fields(net, box, found.points)
        summary.update(fields)
        summary["evidence"] += f"; {sentence}"
        if fields["certified_complete"] and box is None:
            summary["complete"] = True
            summary["proof"] = {"method": "branch-and-bound", "argument": sentence}
    arrays = {
        "points": found.points,
        "attracting": found.attracting,
        "certified": found.certified,
        "spectral_radius": found.spectral_radius,
        "sign_patterns": found.sign_patterns,
        "stability": found.stability,
        "min_singular_value": found.min_singular_value,
        "determinant_sign": found.determinant_sign,
        "residual": found.residual,
        "certificate_margin": found.certificate_margin,
        "reached_by": found.reached_by,
        "start_outcome": found.start_outcome,
        "start_limit": found.start_limit,
        "start_newton_root": found.start_newton_root,
        **complete_arrays,
    }
    shown = max(namespace.show, 0)
    order = np.argsort(found.stability, kind="stable")[:shown]
    rows = [
        [
            _pattern(found.sign_patterns[i]),
            np.array2string(found.points[i], precision=4, separator=","),
            found.spectral_radius[i],
            bool(found.attracting[i]),
            bool(found.certified[i]),
            found.certificate_margin[i],
        ]
        for i in order
    ]
    return Report(summary, arrays, rows)
