"""The homotopy method's side of a split run: part I of N tracks the I-th of N contiguous ranges
of the k^d total-degree start paths.

Every part draws the same γ and chart from the method's `seed`, so a path leads to the same end
in any part; each part runs the first pass over its range in chunks (with its own resumable
checkpoint) and keeps each path's end kind and its finite end (`_homotopy._run.track_path_range`).
The merge checks that the ranges tile all k^d paths, each exactly once, then re-tracks the failed
and jumped paths of the whole run (jumping onto another path's end is seen across parts) and
accounts for every path as the one-process run does (`_homotopy._run.finish_paths`); the real ends
are deduplicated, classified and certified by the one-process assembly, so the merged list is the
one-process list point for point, complete with the homotopy proof (or Bézout's) only when every
path of every part is accounted for. One difference: the parts make one γ attempt, so when paths
still fail after re-tracking the merge is not complete and says to run the parts again with the
next seed (a one-process run would do that itself, `gamma_restarts`). A part file holds the
network (W, b, σ's coefficients), so `jaxfp merge` needs nothing but the files. The shared
mechanics (file format, checks, merge) are `jaxfp.enumeration._parts`.
"""

import contextlib
import dataclasses
import time

import jax
import numpy as np

from .._validation import check_count
from ..looped import LoopedNet, Polynomial, activation_from_name
from ._fixed_points import FixedPoints
from ._homotopy._ends import END_NAMES, FAILED, FINITE, newton, real_part
from ._homotopy._run import (
    HomotopyPaths,
    TrackedRange,
    finish_paths,
    part_range,
    track_path_range,
)
from ._method_homotopy import Homotopy, check_polynomial, homotopy_fixed_points

NAME = Homotopy.name
_RANGE = ("kind", "finite_index", "finite_point")


def run(net, part, method: Homotopy, *, checkpoint, resume, devices, progress):
    """Track part `part` of `net`'s paths: (the part's `TrackedRange` and network, the options
    that every part of the run must share)."""
    coefficients = check_polynomial(net, "Homotopy")
    check_count(method.seed, "seed", minimum=0)
    options = method.hyperparameters()
    device = contextlib.nullcontext() if devices is None else jax.default_device(devices[0])
    with jax.enable_x64(True), device:
        tracked = track_path_range(
            net,
            part,
            checkpoint=checkpoint,
            resume=resume,
            progress=progress,
            **_track_options(options),
        )
    network = {"W": net.W, "b": net.b, "coefficients": coefficients, "form": net.form}
    return (tracked, {**network, "name": net.activation.name}), options


def _track_options(options: dict) -> dict:
    return {name: value for name, value in options.items() if name != "gamma_restarts"}


def arrays(result) -> tuple[dict, dict]:
    """The part's record and network as arrays and JSON-able numbers."""
    tracked, network = result
    saved = {name: np.asarray(getattr(tracked, name)) for name in _RANGE}
    saved["network_W"] = np.asarray(network["W"], dtype=np.float64)
    saved["network_b"] = np.asarray(network["b"], dtype=np.float64)
    numbers = {
        "begin": tracked.begin,
        "end": tracked.end,
        "num_paths": tracked.num_paths,
        "compile_time_s": tracked.compile_time_s,
        "tracking_time_s": tracked.tracking_time_s,
        "coefficients": [float(value) for value in network["coefficients"]],
        "form": network["form"],
        "name": network["name"],
    }
    return saved, numbers


def load(saved: dict, numbers: dict, index: int, count: int, options: dict):
    """The part's `TrackedRange` and network from what `arrays` wrote."""
    tracked = TrackedRange(
        begin=int(numbers["begin"]),
        end=int(numbers["end"]),
        num_paths=int(numbers["num_paths"]),
        **{name: saved[name] for name in _RANGE},
        compile_time_s=float(numbers["compile_time_s"]),
        tracking_time_s=float(numbers["tracking_time_s"]),
    )
    network = {
        "W": saved["network_W"],
        "b": saved["network_b"],
        "coefficients": tuple(numbers["coefficients"]),
        "form": numbers["form"],
        "name": numbers["name"],
    }
    return tracked, network


def _network(network: dict) -> LoopedNet:
    """The part's network: σ from its name when the name parses back to σ's coefficients,
    otherwise the polynomial with those coefficients, labelled with the name."""
    coefficients = tuple(network["coefficients"])
    try:
        activation = activation_from_name(network["name"])
    except ValueError:
        activation = None
    if activation is None or activation.polynomial_coefficients != coefficients:
        activation = Polynomial(coefficients, label=network["name"])
    with jax.enable_x64(True):
        return LoopedNet(network["W"], network["b"], activation, network["form"])


def check_coverage(parts) -> None:
    """Every path exactly once over the parts (`parts` sorted by index), each part on its own
    range of paths."""
    count, num_paths = parts[0].count, parts[0].result[0].num_paths
    for part in parts:
        tracked = part.result[0]
        begin, end = part_range(num_paths, (part.index, count))
        if (tracked.begin, tracked.end, tracked.kind.size) != (begin, end, end - begin):
            raise ValueError(
                f"part {part.index} of {count} did not track its paths ({begin} to {end - 1} "
                f"of {num_paths}); run it again."
            )


def partial(part) -> FixedPoints:
    """The part's own real finite ends, before re-tracking (never complete: a part)."""
    began = time.perf_counter()
    tracked, network = part.result
    net = _network(network)
    counts = tuple(int(np.sum(tracked.kind == value)) for value in range(len(END_NAMES)))
    finite = tracked.finite_point[tracked.kind[tracked.finite_index - tracked.begin] == FINITE]
    with jax.enable_x64(True):
        real = newton(net, tuple(network["coefficients"]), real_part(finite))
        paths = HomotopyPaths(
            real_solutions=real,
            singular_real=np.zeros((0, net.dim)),
            finite_solutions=finite,
            counts=counts,
            num_paths=tracked.end - tracked.begin,
            degree=len(network["coefficients"]) - 1,
            retried=0,
            compile_time_s=tracked.compile_time_s,
            tracking_time_s=tracked.tracking_time_s,
            accounted=False,
        )
        note = (
            f"partial: part {part.index} of {part.count} (paths {tracked.begin} to "
            f"{tracked.end - 1} of {tracked.num_paths}, before re-tracking); merge the parts"
        )
        found = homotopy_fixed_points(net, paths, (part.options["seed"],), began=began, note=note)
    return _without_proof(found)


def _without_proof(found: FixedPoints) -> FixedPoints:
    """A part is no proof, even when its own points reach Bézout's number."""
    return dataclasses.replace(found, complete=False, proof=None)


def merge(parts) -> FixedPoints:
    """The merged result of the parts (checked, sorted by index): the one-process result,
    complete with the homotopy (or Bézout) proof only when every path is accounted for."""
    began = time.perf_counter()
    options, network = parts[0].options, parts[0].result[1]
    net = _network(network)
    with jax.enable_x64(True):
        paths = finish_paths(net, [part.result[0] for part in parts], **_track_options(options))
        note = f"merged from {len(parts)} parts"
        if paths.counts[FAILED] and options["gamma_restarts"]:
            note += (
                f"; {paths.counts[FAILED]} path(s) still failed with γ of seed {options['seed']}:"
                f" run every part again with the next seed (Homotopy(seed={options['seed'] + 1})"
                f", or `jaxfp enumerate ... --gamma-seed {options['seed'] + 1}`), as a "
                "one-process run would"
            )
        return homotopy_fixed_points(net, paths, (options["seed"],), began=began, note=note)
