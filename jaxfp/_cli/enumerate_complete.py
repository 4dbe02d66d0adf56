"""`jaxfp enumerate --certify-complete [--box=LO,HI]`: prove the enumerated list complete in a box.

A branch-and-bound search (`jaxfp.enumeration.BranchAndBound`, P1 Theorems 4.1-4.2 made checkable:
the contraction and Krawczyk tests over interval boxes) proves every fixed point in the box, one
certified box each, and that there are no others. The enumeration is then certified complete in
that box when the search finished and the enumerated points inside the box match the certified
boxes one to one. Bounded activations give the box for free (σ's range for σ(Wx + b), W·range + b
for W σ(x) + b); unbounded ones need `--box`.
"""

import argparse
import math

import numpy as np

from ._errors import UserInputError

# Slack (relative and absolute) when testing that an enumerated point lies in a certified box
# (the enumerated points are Newton roots, accurate far below this).
_MATCH_TOLERANCE = 1e-9


def add_complete_arguments(group) -> None:
    """Add `--certify-complete` and `--box` to the iterative method's option group."""
    group.add_argument(
        "--certify-complete",
        action="store_true",
        default=None,
        help="after enumerating, search a whole box by interval branch and bound, proving every "
        "fixed point in it and that there are no others (off by default: it costs a search); "
        "the box is automatic for bounded activations (sigma's range, or W range + b)",
    )
    group.add_argument(
        "--box",
        metavar="LO,HI",
        help="the box [LO, HI]^d of --certify-complete (implies it; needed for unbounded "
        "activations such as poly:...; write --box=-2,2 because of the minus sign)",
    )


def complete_box(namespace: argparse.Namespace, net) -> tuple[float, float] | None:
    """The scalar box (LO, HI) of `--box`, or None for the automatic one; `--box` alone turns
    the mode on. Raises `UserInputError` (one line) for a malformed box, LO >= HI, a non-finite
    end, or an unbounded activation without `--box`."""
    from ..enumeration._method_bnb import has_a_priori_box

    if namespace.box is None:
        if namespace.certify_complete and not has_a_priori_box(net):
            low, high = net.activation.output_range
            raise UserInputError(
                f"--certify-complete: activation {net.activation.name!r} is unbounded (range "
                f"({low}, {high})) and no finite box follows from it, so no box holds every fixed "
                "point a priori; give one with --box=LO,HI."
            )
        return None
    namespace.certify_complete = True
    try:  # a wrong count of numbers is a ValueError of the unpacking
        low, high = map(float, namespace.box.split(","))
    except ValueError:
        raise UserInputError(
            f"--box must be two comma-separated numbers LO,HI (write --box=-2,2), got "
            f"{namespace.box!r}."
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise UserInputError(f"--box must have finite ends, got {namespace.box!r}.")
    if low >= high:
        raise UserInputError(f"--box needs LO < HI, got {namespace.box!r}.")
    return low, high


def _describe(lower: np.ndarray, upper: np.ndarray, source: str) -> tuple[list, str]:
    """The box as JSON (a scalar pair when every coordinate is the same) and in words."""
    if np.all(lower == lower[0]) and np.all(upper == upper[0]):
        box = [float(lower[0]), float(upper[0])]
        text = f"[{box[0]:.6g}, {box[1]:.6g}]^{lower.size}"
    else:
        box = [[float(low), float(high)] for low, high in zip(lower, upper, strict=True)]
        text = " x ".join(f"[{low:.6g}, {high:.6g}]" for low, high in box)
    return box, f"{text} ({source})"


def _max_enclosure_distance(result, points: np.ndarray, index: np.ndarray) -> float | None:
    """The largest max-norm distance of `points` from the enclosures `index` of `result` (a
    `CompleteCertificate`), or None when there are no points."""
    if not len(points):
        return None
    lower = np.asarray(result.enclosures.lower)[index]
    upper = np.asarray(result.enclosures.upper)[index]
    return float(np.max(np.maximum(np.maximum(lower - points, points - upper), 0.0)))


def check_against_branch_and_bound(net, box: tuple[float, float] | None, found):
    """Check the enumerated list `found` (a `FixedPoints`) against a branch-and-bound search.

    Runs `jaxfp.enumeration.BranchAndBound` over the a-priori box (`box=None`) or `[LO, HI]^d`
    and matches `found`'s points to its proven boxes one to one. A proven box holds exactly one
    fixed point but may be wide, so a match proves the count, not the listed point's accuracy:
    `max_enclosure_distance` is the largest max-norm distance of a matched point from its fixed
    point's tight enclosure (0 when every listed point lies inside it; None with no match).
    Returns the summary fields (`certified_complete`, `complete_box`, `n_certified_boxes`,
    `search_finished`, `n_enumerated_in_box`, `n_enumerated_outside_box`,
    `max_enclosure_distance`), the sentence for the evidence line, the
    arrays for `--out` (the proven boxes), and the search's `Proof` of completeness when the list
    is certified complete over the a-priori box (None otherwise: a user box proves that box only).
    """
    from ..enumeration import BranchAndBound
    from ..enumeration._dispatch import enumerate_fixed_points

    if box is None:
        searched = enumerate_fixed_points(net, method=BranchAndBound())
        source = "sigma's range" if net.form == "sigma-affine" else "W range(sigma) + b"
    else:
        ones = np.ones(net.dim)
        searched = enumerate_fixed_points(
            net, method=BranchAndBound(box=(box[0] * ones, box[1] * ones))
        )
        source = "--box"
    result = searched.stats.certificate
    lower, upper = np.asarray(result.searched.lower), np.asarray(result.searched.upper)
    box_json, box_text = _describe(lower, upper, source)
    points = np.asarray(found.points).reshape(-1, net.dim)
    inside = np.asarray(result.searched.contains(points))
    in_box = points[inside]
    outside = int(np.sum(~inside))
    matched = np.asarray(result.locate(in_box, rtol=_MATCH_TOLERANCE, atol=_MATCH_TOLERANCE))
    n_boxes = result.num_fixed_points
    distance = _max_enclosure_distance(result, in_box[matched >= 0], matched[matched >= 0])
    finished = bool(result.complete)
    n_unmatched = int(np.sum(matched < 0))
    n_missed = n_boxes - len(np.unique(matched[matched >= 0]))
    one_to_one = n_unmatched == 0 and n_missed == 0 and len(in_box) == n_boxes
    # The a-priori box holds every fixed point, so a listed point outside it is not one: the list
    # is wrong, whatever the boxes inside say. Outside a user's box the claim is silent.
    spurious = outside if box is None else 0
    certified = finished and one_to_one and not spurious
    if not finished:
        verdict = (
            f"search stopped after {result.boxes_processed} boxes with "
            f"{result.undecided.lower.shape[0]} undecided, so not certified complete ("
            + "; ".join(result.hints)
            + ")"
        )
    elif certified:
        verdict = (
            f"exactly {n_boxes} fixed point(s) proved in it, each matching one enumerated point: "
            "certified complete"
        )
    elif one_to_one:
        verdict = (
            f"exactly {n_boxes} fixed point(s) proved in it, each matching one enumerated point, "
            f"but {outside} enumerated point(s) lie outside it, and it holds every fixed point, "
            "so they are not fixed points: not certified complete"
        )
    else:
        verdict = (
            f"exactly {n_boxes} fixed point(s) proved in it; {len(in_box)} enumerated in it, "
            f"{n_unmatched} of them outside every certified box, {n_missed} certified box(es) "
            "with no enumerated point: not certified complete"
        )
    if outside and not spurious:
        verdict += (
            f"; {outside} enumerated point(s) lie outside the box: the certificate says nothing "
            "about them or about any other fixed point outside the box"
        )
    elif outside and not (finished and one_to_one):
        verdict += f"; {outside} enumerated point(s) lie outside it, so they are not fixed points"
    if distance == 0.0:
        verdict += "; every matched point lies inside its proven fixed point's enclosure"
    elif distance is not None:
        verdict += (
            f"; every matched point lies within {distance:.1e} (max norm) of its proven fixed "
            "point's enclosure (the boxes prove the count, not the listed points' accuracy)"
        )
    fields = {
        "num_enumerated_outside_box": outside,
        "certified_complete": certified,
        "complete_box": box_json,
        "num_certified_boxes": n_boxes,
        "search_finished": finished,
        "num_enumerated_in_box": int(len(in_box)),
        "max_enclosure_distance": distance,
    }
    arrays = {
        "complete_boxes_lower": np.asarray(result.boxes.lower),
        "complete_boxes_upper": np.asarray(result.boxes.upper),
    }
    proof = searched.proof if certified and box is None else None
    return fields, f"certified-complete search over {box_text}: {verdict}", arrays, proof
