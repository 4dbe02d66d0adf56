"""`jaxfp probe`: continuation with fold detection, and basin maps, of a looped network.

The network options are those of `jaxfp enumerate` (`jaxfp._cli.network_args`).
"""

import argparse

import jax
import jax.numpy as jnp
import numpy as np

from .. import probe
from ..enumeration._dispatch import enumerate_fixed_points
from ._checks import (
    check_memory,
    finite_float,
    float_list,
    int_list,
    max_steps_int,
    nonnegative_int,
    output_file,
    positive_float,
    positive_int,
)
from ._command import add_command
from ._errors import UserInputError
from .network_args import add_network_arguments, network_from_arguments
from .output import dump_json, format_summary, format_table, progress

_SUMMARY = "probe a looped network: continuation with fold detection, basin maps"
_DESCRIPTION = """\
Probe how the fixed points of a looped network move and where their basins end. `continuation`
follows fixed points along a parameter (pseudo-arclength, turning around folds) and locates folds
and stability changes; `basin-map` colours a 2-D slice of state space by the fixed point each
start reaches.
"""


def register(subparsers) -> None:
    parser = add_command(subparsers, "probe", None, summary=_SUMMARY, description=_DESCRIPTION)
    commands = parser.add_subparsers(title="probes", metavar="PROBE")
    commands.required = True
    _register_continuation(commands)
    _register_basin_map(commands)


_CONTINUATION_SUMMARY = "follow fixed points along a parameter; locate folds and stability changes"
_CONTINUATION_DESCRIPTION = """\
Follow the fixed points of a looped network as one parameter goes from --start to --stop: gain
(W -> gain * W), bias:I (b_I) or weight:I,J (W_IJ). Without --x0, every fixed point the
enumeration finds at --start starts a branch. Folds (saddle-node: the branch turns back) and
stability changes (an eigenvalue of J crossing +1, -1 or the unit circle) are located on the arc.
"""


def _register_continuation(commands) -> None:
    parser = add_command(
        commands,
        "continuation",
        run_continuation,
        summary=_CONTINUATION_SUMMARY,
        description=_CONTINUATION_DESCRIPTION,
    )
    add_network_arguments(parser)
    parser.add_argument(
        "--param", required=True, help="the parameter: gain, bias:I or weight:I,J (0-based)"
    )
    parser.add_argument("--start", type=finite_float, required=True, help="first parameter value")
    parser.add_argument("--stop", type=finite_float, required=True, help="last parameter value")
    parser.add_argument(
        "--x0",
        type=float_list(),
        help="a fixed point (or a guess) at --start, comma-separated; default: all",
    )
    parser.add_argument("--step", type=positive_float, default=0.05, help="initial arclength step")
    parser.add_argument(
        "--max-step", type=positive_float, default=0.2, help="largest arclength step"
    )
    parser.add_argument(
        "--max-points", type=positive_int, default=2000, help="most points per branch"
    )
    parser.add_argument(
        "--coordinate",
        type=nonnegative_int,
        default=0,
        help="entry of x* on the plot's vertical axis",
    )
    parser.add_argument("--json", action="store_true", help="print the branches as JSON")
    parser.add_argument(
        "--plot", metavar="FILE.png", type=output_file((".png",)), help="save a bifurcation diagram"
    )


_BASIN_MAP_SUMMARY = "which fixed point each start of a 2-D slice reaches (PNG)"
_BASIN_MAP_DESCRIPTION = """\
Enumerate the fixed points, iterate x -> F(x) from every start of a resolution x resolution grid
on the plane spanned by coordinates I and J (through --origin), and colour each start by the fixed
point it reaches.
"""


def _register_basin_map(commands) -> None:
    parser = add_command(
        commands,
        "basin-map",
        run_basin_map,
        summary=_BASIN_MAP_SUMMARY,
        description=_BASIN_MAP_DESCRIPTION,
    )
    add_network_arguments(parser)
    parser.add_argument(
        "--plane",
        type=int_list(2),
        default=[0, 1],
        help="the two coordinates I,J of the slice (integers)",
    )
    parser.add_argument(
        "--origin", type=float_list(), help="the slice's origin, comma-separated (default: 0)"
    )
    parser.add_argument(
        "--extent",
        type=float_list(2),
        default=[-2.0, 2.0],
        help="LOW,HIGH of both grid axes (write --extent=-2,2)",
    )
    parser.add_argument("--resolution", type=positive_int, default=64, help="grid points per axis")
    parser.add_argument(
        "--max-steps", type=max_steps_int, default=1000, help="iterations per start"
    )
    parser.add_argument(
        "--out", metavar="FILE.png", type=output_file((".png",)), help="save the basin map picture"
    )
    parser.add_argument("--json", action="store_true", help="print the map as JSON")


def _events(events: probe.Bifurcations) -> list[dict]:
    return [
        {
            "kind": kind,
            "parameter": float(events.parameter[k]),
            "state": np.asarray(events.states[k]),
            "eigenvalue_real": float(np.real(events.eigenvalue[k])),
            "eigenvalue_imag": float(np.imag(events.eigenvalue[k])),
        }
        for k, kind in enumerate(events.kind)
    ]


def _starts(net, namespace) -> np.ndarray:
    if namespace.x0 is not None:
        if len(namespace.x0) != net.dim:
            raise UserInputError(f"--x0: expected {net.dim} numbers, got {len(namespace.x0)}.")
        return np.asarray([namespace.x0])
    parameter = probe.parameter_from_name(namespace.param)
    parameter.check(net)
    at_start = parameter.replace(net, jnp.asarray(namespace.start, net.W.dtype))
    return np.asarray(enumerate_fixed_points(at_start).points).reshape(-1, net.dim)


def run_continuation(namespace: argparse.Namespace) -> int:
    if namespace.start == namespace.stop:
        raise UserInputError(f"--start and --stop must differ, both are {namespace.start}.")
    if namespace.step > namespace.max_step:
        raise UserInputError(
            f"--step ({namespace.step}) must not exceed --max-step ({namespace.max_step})."
        )
    with jax.enable_x64(True):
        net = network_from_arguments(namespace)
        if not 0 <= namespace.coordinate < net.dim:
            raise UserInputError(f"--coordinate must be in 0 … {net.dim - 1}.")
        try:
            starts = _starts(net, namespace)
            if len(starts) == 0:
                raise UserInputError(
                    "the enumeration found no fixed point at --start to continue from; give one "
                    "with --x0."
                )
            branches = []
            with progress(len(starts), "branches", enabled=not namespace.json) as bar:
                for x0 in starts:
                    branch = probe.continue_fixed_point(
                        net,
                        namespace.param,
                        x0,
                        namespace.start,
                        namespace.stop,
                        step=namespace.step,
                        max_step=namespace.max_step,
                        max_points=namespace.max_points,
                    )
                    branches.append(branch)
                    bar.update(1)
        except ValueError as error:
            raise UserInputError(str(error)) from error
    if namespace.plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        ax = probe.plot_bifurcation_diagram(branches, namespace.coordinate)
        ax.figure.savefig(namespace.plot, dpi=120, bbox_inches="tight")
    if namespace.json:
        dump_json(
            {
                "parameter": namespace.param,
                "branches": [
                    {
                        "start": np.asarray(branch.states[0]),
                        "parameter": np.asarray(branch.parameter),
                        "states": np.asarray(branch.states),
                        "stable": np.asarray(branch.stable),
                        "spectral_radius": np.asarray(branch.spectral_radius),
                        "folds": _events(branch.folds),
                        "stability_changes": _events(branch.stability_changes),
                        "status": branch.status,
                    }
                    for branch in branches
                ],
            }
        )
        return 0
    rows = []
    for number, branch in enumerate(branches):
        folds = ", ".join(f"{float(p):.6g}" for p in branch.folds.parameter) or "-"
        changes = (
            ", ".join(
                f"{kind} at {float(p):.6g}"
                for kind, p in zip(
                    branch.stability_changes.kind, branch.stability_changes.parameter, strict=True
                )
            )
            or "-"
        )
        rows.append([number, len(branch.parameter), folds, changes, branch.status])
    print(format_table(rows, ["branch", "points", "folds at", "stability changes", "status"]))
    return 0


def _basin_map_bytes(resolution: int, dim: int) -> int:
    """A lower estimate of a basin map's memory: float64 states (current, next, origin-shifted)
    and int32 labels and step counts for every start."""
    return resolution * resolution * (3 * 8 * dim + 2 * 4)


def run_basin_map(namespace: argparse.Namespace) -> int:
    with jax.enable_x64(True):
        net = network_from_arguments(namespace)
        plane, extent, origin = tuple(namespace.plane), tuple(namespace.extent), namespace.origin
        if not all(0 <= i < net.dim for i in plane) or plane[0] == plane[1]:
            raise UserInputError(
                f"--plane must name two different coordinates in 0 … {net.dim - 1}, got "
                f"{','.join(map(str, plane))}."
            )
        if origin is not None and len(origin) != net.dim:
            raise UserInputError(f"--origin: expected {net.dim} numbers, got {len(origin)}.")
        check_memory(
            _basin_map_bytes(namespace.resolution, net.dim),
            f"basin-map --resolution {namespace.resolution}",
            "use a smaller --resolution",
        )
        try:
            found = enumerate_fixed_points(net)
            points = np.asarray(found.points).reshape(-1, net.dim)
            if len(points) == 0:
                raise UserInputError("the enumeration found no fixed point to match.")
            basin = probe.basin_map(
                net,
                points,
                plane=plane,
                origin=origin,
                extent=extent,
                resolution=namespace.resolution,
                attraction=probe.Attraction(max_steps=namespace.max_steps),
            )
        except ValueError as error:
            raise UserInputError(str(error)) from error
        fractions = np.asarray(basin.fraction)
    if namespace.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        ax = probe.plot_basin_map(basin)
        ax.set_title(f"basins of {net.activation.name} network, plane {plane}")
        ax.figure.savefig(namespace.out, dpi=120, bbox_inches="tight")
    labels = np.asarray(basin.labels)
    if namespace.json:
        dump_json(
            {
                "plane": plane,
                "u": np.asarray(basin.u),
                "v": np.asarray(basin.v),
                "labels": labels,
                "steps": np.asarray(basin.steps),
                "fixed_points": points,
                "attracting": np.asarray(found.attracting),
                "fractions": fractions,
                "unmatched_fraction": float(np.mean(labels < 0)),
            }
        )
        return 0
    rows = [
        [k, np.array2string(points[k], precision=4), bool(found.attracting[k]), fractions[k]]
        for k in range(len(points))
        if fractions[k] > 0
    ]
    print(format_table(rows, ["index", "fixed point", "attracting", "grid fraction"]))
    print()
    print(
        format_summary(
            [
                ("starts", labels.size),
                ("unmatched fraction", float(np.mean(labels < 0))),
                ("median steps", float(np.median(np.asarray(basin.steps)))),
                ("picture", namespace.out or "-"),
            ]
        )
    )
    return 0
