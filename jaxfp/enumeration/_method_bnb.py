"""`BranchAndBound`: interval branch and bound over a box (`jaxfp.certify.certify_complete`)."""

import math
import time
from typing import ClassVar

import equinox as eqx
import numpy as np

from ..certify import CompleteCertificate, certify_complete
from ..certify._a_priori import a_priori_box
from ..looped import LoopedNet
from ._assemble import assemble_fixed_points
from ._fixed_points import Evidence, FixedPoints, Proof
from ._method_base import AbstractEnumerationMethod


class BranchAndBoundStats(eqx.Module):
    """What the branch and bound did: `certificate` is `certify_complete`'s record (searched box,
    one proven box per fixed point, undecided boxes); `box_source` says where the box came from
    ("a-priori" from σ's range, or "user")."""

    certificate: CompleteCertificate
    box_source: str

    def summary(self) -> dict:
        certificate = self.certificate
        return {
            "box_source": self.box_source,
            "searched_lower": np.asarray(certificate.searched.lower).tolist(),
            "searched_upper": np.asarray(certificate.searched.upper).tolist(),
            "finished": bool(certificate.complete),
            "boxes_processed": certificate.boxes_processed,
            "num_undecided_boxes": int(certificate.undecided.lower.shape[0]),
        }


def has_a_priori_box(net: LoopedNet) -> bool:
    """Whether a box provably holding every fixed point follows from σ's range (σ bounded, or
    bounded on one side with a finite interval iteration: `jaxfp.certify._a_priori`)."""
    return a_priori_box(net) is not None


class BranchAndBound(AbstractEnumerationMethod):
    """Find and prove every fixed point in a box by interval branch and bound.

    With `box=None` the box is the a-priori one: every fixed point of σ(Wx + b) lies in σ's range
    box, every one of W σ(x) + b in W·range + b, and where that box has infinite sides (σ bounded
    on one side only) the interval iteration X ← F(X) ∩ X may make it finite; a finished search
    there is a proof of completeness. With a user `box=(lower, upper)` the search proves every
    fixed point inside that box only, so the list is not claimed complete for the whole space.

    Args (hyperparameters): `box`, `max_boxes`, `batch_size`, `min_width` (see
    `jaxfp.certify.certify_complete`). No run options.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(1, 2.0)
        >>> found = jaxfp.enumerate_fixed_points(net, method=BranchAndBound())
        >>> found.num_fixed_points, found.complete, found.proof.method
        (3, True, 'branch-and-bound')
    """

    box: tuple | None = None
    max_boxes: int = 1_500_000
    batch_size: int = 256
    min_width: float = 1e-10

    name: ClassVar[str] = "branch-and-bound"

    def run(self, net: LoopedNet) -> FixedPoints:
        began = time.perf_counter()
        if self.box is None and not has_a_priori_box(net):
            raise ValueError(
                f"BranchAndBound needs a box: the activation {net.activation.name!r} is unbounded "
                f"(output range {net.activation.output_range}) and the interval iteration from "
                "its range box stays infinite, so no box provably holds every fixed point; pass "
                "BranchAndBound(box=(lower, upper)) (CLI: --box)."
            )
        if self.box is not None and not (
            isinstance(self.box, (tuple, list)) and len(self.box) == 2
        ):
            raise ValueError(f"`box` must be a pair (lower, upper), got {self.box!r}.")
        source = "a-priori" if self.box is None else "user"
        certificate = certify_complete(
            net,
            *(self.box or ()),
            max_boxes=self.max_boxes,
            batch_size=self.batch_size,
            min_width=self.min_width,
        )
        finished = bool(certificate.complete)
        lower = np.asarray(certificate.searched.lower).tolist()
        upper = np.asarray(certificate.searched.upper).tolist()
        proof = None
        bounded = all(math.isfinite(v) for v in net.activation.output_range)
        narrowed = "" if bounded else ", narrowed by the interval iteration X ← F(X) ∩ X"
        if finished and source == "a-priori":
            proof = Proof(
                "branch-and-bound",
                f"every fixed point lies in the a-priori box [{lower}, {upper}] (σ's range box"
                f"{narrowed}); branch and bound "
                f"there finished ({certificate.boxes_processed} boxes examined): each box was "
                "excluded or proved to hold exactly one fixed point",
            )
        if finished:
            evidence = Evidence(
                findings=(f"every fixed point in the box [{lower}, {upper}] found and proved",),
                caveats=("outside the box nothing was searched (not a proof for all of ℝ^d)",)
                if source == "user"
                else (),
            )
        else:
            evidence = Evidence(
                findings=(
                    f"branch and bound stopped after {certificate.boxes_processed} boxes with "
                    f"{certificate.undecided.lower.shape[0]} undecided",
                ),
                hints=certificate.hints,
            )
        # Each point is certified by its proven box (which holds it and no other fixed point).
        count = certificate.num_fixed_points
        return assemble_fixed_points(
            net,
            np.asarray(certificate.points, np.float64),
            method=self.name,
            stats=BranchAndBoundStats(certificate, source),
            proof=proof,
            evidence=evidence,
            tolerance=1e-10,
            diagnostics={
                "certified": np.ones(count, bool),
                "certificate_margin": np.asarray(certificate.margins, np.float64),
            },
            began=began,
        )
