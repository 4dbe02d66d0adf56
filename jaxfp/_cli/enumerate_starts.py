"""The starts method of `jaxfp enumerate`: its options, checked, as a `jaxfp.enumeration.Starts`.

Starts in every sign orthant (or a seeded sample), each solved by the iterated map and by Newton,
streamed to a resumable checkpoint and spread over the local devices. Every option defaults to
None here, so that the command can refuse one the chosen method would ignore
(`jaxfp._cli._checks.reject_options`); `starts_method` fills the defaults.
"""

import argparse
import math

import jax
import numpy as np

from ._checks import fill_defaults, int_at_least
from ._errors import UserInputError
from .enumerate_complete import add_complete_arguments
from .merge import add_part_argument

# The options only the starts method takes, and their defaults.
STARTS_DEFAULTS = dict(
    starts_per_orthant=1, sample=None, faces=None, centre=None, scale=None, start_seed=0,
    no_certify=False, checkpoint=None, resume=False,
)  # fmt: skip


def add_starts_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the options of the starts method (and of its completeness check) to `enumerate`."""
    group = parser.add_argument_group(
        "starts method",
        "for any activation: K starts in each of the 2^d sign orthants around a centre, plus the "
        "3^d face starts for d <= 11; each start solved by the iterated map (Picard, then a "
        "Newton polish) and by Newton from the start (finds saddles); --chunk-size starts per "
        "batch. Starts find fixed points but never prove the list complete",
    )
    group.add_argument(
        "--starts-per-orthant",
        type=int,
        metavar="K",
        help=f"starts per sign orthant (default: {STARTS_DEFAULTS['starts_per_orthant']})",
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
        help="add the 3^d starts on the orthant faces (default: on for d <= 11 without --sample)",
    )
    group.add_argument(
        "--centre",
        metavar="C1,...,Cd",
        help="centre of the orthants (default: derived from the network)",
    )
    group.add_argument(
        "--scale", type=float, help="distance of the corner starts from the centre (default: auto)"
    )
    group.add_argument(
        "--start-seed",
        type=int_at_least(0),
        help="seed of the orthant sample and the extra starts "
        f"(default: {STARTS_DEFAULTS['start_seed']})",
    )
    group.add_argument(
        "--no-certify",
        action="store_true",
        default=None,
        help="skip the interval certificates (a box per fixed point proving exactly one in it)",
    )
    group.add_argument(
        "--checkpoint",
        metavar="DIR",
        help="stream the results to DIR chunk by chunk (memory bounded by --chunk-size)",
    )
    group.add_argument(
        "--resume",
        action="store_true",
        default=None,
        help="continue the run saved in --checkpoint DIR",
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


def check_devices(namespace: argparse.Namespace) -> None:
    """Check `--devices` against the local devices (any method that spreads its work)."""
    available = len(jax.local_devices())
    if namespace.devices is not None and not 1 <= namespace.devices <= available:
        raise UserInputError(
            f"--devices must be between 1 and {available} (the local devices), got "
            f"{namespace.devices}."
        )


def starts_method(namespace: argparse.Namespace, net):
    """The checked `Starts` of the command line (defaults filled in `namespace`).

    Raises:
        UserInputError: for a bad option (one line, before any work).
    """
    from ..enumeration import Starts

    fill_defaults(namespace, **STARTS_DEFAULTS)
    _check(namespace)
    return Starts(
        starts_per_orthant=namespace.starts_per_orthant,
        centre=_centre(namespace.centre, net.dim),
        scale=namespace.scale,
        sample=namespace.sample,
        faces=namespace.faces,
        seed=namespace.start_seed,
        certify=not namespace.no_certify,
        chunk_size=namespace.chunk_size,
    )


def starts_run_options(namespace: argparse.Namespace) -> dict:
    """The run options of the starts method given on the command line."""
    options = {"checkpoint": namespace.checkpoint, "resume": namespace.resume}
    return {name: value for name, value in options.items() if value}
