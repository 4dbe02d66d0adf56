"""`Auto`: choose the method from properties of the activation (never from its name)."""

import dataclasses
import math
import time
from pathlib import Path
from typing import ClassVar

import equinox as eqx
import numpy as np

from .._numerics import match_points
from .._validation import MAX_ENUMERATION_SIZE, check_count
from ..looped import LoopedNet
from ._assemble import assemble_fixed_points
from ._bezout import bezout_check, equation_degrees
from ._fixed_points import POINT_DIAGNOSTICS, Evidence, FixedPoints, Proof
from ._method_base import AbstractEnumerationMethod
from ._method_bnb import BranchAndBound, has_a_priori_box
from ._method_exact import MAX_REGIONS, ExactRegions
from ._method_homotopy import Homotopy
from ._method_starts import Starts
from ._pwl_networks import is_piecewise_linear

# Points of Starts and of branch and bound are the same point within this (atol = rtol).
_AGREEMENT = 1e-6


# What would finish a polynomial list that the Bézout check did not close.
HOMOTOPY_HINT = "Homotopy() would prove completeness (raise max_paths)"


def _boxed(net: LoopedNet) -> str:
    """How the a-priori box of `net` arises, in words."""
    if all(math.isfinite(v) for v in net.activation.output_range):
        return "bounded σ"
    return "σ bounded on one side, with a finite box from the interval iteration X ← F(X) ∩ X"


class AutoStats(eqx.Module):
    """What `Auto` chose and why, and each method's own statistics (`runs`, in order)."""

    chosen: tuple[str, ...]
    reason: str
    runs: tuple

    def summary(self) -> dict:
        return {
            "chosen": list(self.chosen),
            "reason": self.reason,
            "runs": [run.summary() for run in self.runs],
        }


class Auto(AbstractEnumerationMethod):
    """The method chosen from the activation's properties:

    - piecewise-linear σ → `ExactRegions` (a proof);
    - polynomial σ of degree k ≥ 2 (`polynomial_coefficients`) → `Starts`, then the Bézout
      check (complete, rigorously, when the certified distinct points reach the Bézout number
      B = Π deg_i, `jaxfp.enumeration._bezout`); if that does not close the list and
      k^d ≤ `max_paths`, `Homotopy` over all k^d paths (complete when every path is accounted
      for and every point of the starts is among its points);
    - an a-priori box (σ bounded, or bounded on one side with a finite interval iteration
      X ← F(X) ∩ X, as for P1's (E)) and d ≤ `max_dim_branch_and_bound` (8) →
      `BranchAndBound` over that box, with its budget `max_boxes`: complete when the search
      finishes (its own proof, so Starts is not run); when the budget runs out, `Starts` too,
      and the evidence says the list is not proven (budget exhausted). The limit 8 is measured
      (benchmarks/branch_and_bound.py): on 2 shared CPU cores the search compiles once per
      shape in 10–20 s and finishes tanh nets with up to 3^8 = 6561 fixed points (about 26 000
      boxes) in seconds after that, and random tanh nets W = 2I + 0.3·N(0, 1) at d = 7–8 in
      0.3–1.1 million boxes (7–25 s, within the default budget of 1.5 million), while beyond
      d = 8 the boxes needed grow about 3× per dimension and the budget, not the proof, would
      end most runs;
    - otherwise `Starts`, `complete=False`, and the evidence says what would finish the job.

    Run options (`checkpoint`, `resume`, `devices`, `part`, `progress`) go to the chosen method;
    one it does not take is refused.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> found = jaxfp.enumerate_fixed_points(jaxfp.looped.tanh_identity_network(2))
        >>> found.num_fixed_points, found.complete, found.proof.method
        (9, True, 'branch-and-bound')
    """

    starts: Starts = Starts()
    branch_and_bound: BranchAndBound = BranchAndBound()
    exact_regions: ExactRegions = ExactRegions(max_regions=MAX_REGIONS)
    homotopy: Homotopy = Homotopy()
    max_dim_branch_and_bound: int = 8
    max_paths: int = 10**6

    name: ClassVar[str] = "auto"
    run_options: ClassVar[tuple[str, ...]] = ("checkpoint", "resume", "devices", "part", "progress")

    def choose(self, net: LoopedNet) -> tuple[tuple[AbstractEnumerationMethod, ...], str]:
        """The methods to run, in order, and the reason in words."""
        check_count(self.max_paths, "max_paths", maximum=MAX_ENUMERATION_SIZE)
        check_count(self.max_dim_branch_and_bound, "max_dim_branch_and_bound", minimum=0)
        dim = net.dim
        if is_piecewise_linear(net):
            return (self.exact_regions,), "piecewise-linear σ: every activation region solved"
        degrees = equation_degrees(net)
        if degrees is not None:
            degree, paths = max(degrees), max(degrees) ** dim
            words = (
                f"polynomial σ of degree {degree}: Starts, then the Bézout check (bound "
                f"{math.prod(degrees)})"
            )
            if paths <= self.max_paths:
                return (self.starts, self.homotopy), (
                    f"{words}; if it does not close the list, Homotopy over {degree}^{dim} = "
                    f"{paths} paths (≤ max_paths = {self.max_paths})"
                )
            return (self.starts,), (
                f"{words}; Homotopy over {degree}^{dim} = {paths} paths exceeds max_paths = "
                f"{self.max_paths}, so it is not run (raise max_paths to run it)"
            )
        if has_a_priori_box(net) and dim <= self.max_dim_branch_and_bound:
            return (self.branch_and_bound, self.starts), (
                f"{_boxed(net)} and d = {dim} ≤ {self.max_dim_branch_and_bound}: branch and "
                f"bound over that box (budget max_boxes = {self.branch_and_bound.max_boxes}); "
                "Starts only if it does not finish"
            )
        if has_a_priori_box(net):
            return (self.starts,), (
                f"{_boxed(net)} but d = {dim} > max_dim_branch_and_bound = "
                f"{self.max_dim_branch_and_bound}: ran Starts (not a proof); BranchAndBound() "
                "would prove completeness (raise max_dim_branch_and_bound or run it directly)"
            )
        return (self.starts,), (
            "σ is neither piecewise linear, nor polynomial, and no box holding every fixed point "
            "follows from its range: ran Starts (not a proof); BranchAndBound(box=...) proves "
            "every fixed point inside a box you give"
        )

    def run(self, net: LoopedNet, **run_options) -> FixedPoints:
        began = time.perf_counter()
        methods, reason = self.choose(net)
        takes = {option for method in methods for option in method.run_options}
        refused = sorted(set(run_options) - takes)
        if refused:
            raise ValueError(
                f"Auto chose {' + '.join(m.name for m in methods)!r} for this network, which "
                f"does not take the run option(s) {refused} (it takes {sorted(takes)})."
            )
        if equation_degrees(net) is not None:
            return self._polynomial(net, methods, reason, run_options, began)
        if methods[0] is self.branch_and_bound:
            return self._bounded(net, methods, reason, run_options, began)
        found = methods[0].run(net, **run_options)
        return assemble_fixed_points(
            net,
            found.points,
            method=f"auto: {methods[0].name}",
            stats=AutoStats((methods[0].name,), reason, (found.stats,)),
            proof=found.proof,
            evidence=_carried(found.evidence, reason),
            tolerance=1e-8,
            began=began,
        )

    def _bounded(self, net, methods, reason, run_options, began) -> FixedPoints:
        """Branch and bound; when it finishes, its list is the answer (proved). When it leaves
        boxes undecided (its budget ran out, or boxes reached the size limit), Starts too, and
        the list (both methods' points) is not claimed complete."""
        bounded = methods[0].run(net)
        if bounded.proof is not None:
            return assemble_fixed_points(
                net,
                bounded.points,
                method="auto: branch-and-bound",
                stats=AutoStats(("branch-and-bound",), reason, (bounded.stats,)),
                proof=Proof(bounded.proof.method, bounded.proof.argument),
                evidence=_carried(bounded.evidence, reason),
                tolerance=1e-8,
                diagnostics=_diagnostics(bounded),
                began=began,
            )
        found = methods[1].run(net, **run_options)
        names = tuple(method.name for method in methods)
        extra = _missing(found.points, bounded.points)
        evidence = Evidence(
            reason=reason,
            findings=(
                *bounded.evidence.findings,
                f"branch and bound proved {bounded.num_fixed_points} fixed point(s), the starts "
                f"found {found.num_fixed_points} ({extra} not among branch and bound's)",
            ),
            caveats=(
                "not proven: branch and bound left boxes undecided",
                *found.evidence.caveats,
            ),
            hints=bounded.evidence.hints,
        )
        return assemble_fixed_points(
            net,
            np.concatenate([bounded.points, found.points]),
            method="auto: " + " + ".join(names),
            stats=AutoStats(names, reason, (bounded.stats, found.stats)),
            proof=None,
            evidence=evidence,
            tolerance=1e-8,
            began=began,
        )

    def _polynomial(self, net, methods, reason, run_options, began) -> FixedPoints:
        """Starts (uncertified), the Bézout check (which certifies), then Homotopy if chosen
        and the check did not close the list."""
        starts = eqx.tree_at(lambda method: method.certify, methods[0], False)
        found = starts.run(net, **run_options)
        check = bezout_check(net, found.points, "starts")
        if check.proof is not None or len(methods) == 1:
            stats = AutoStats(("starts",), reason, (found.stats,))
            unproven = check.proof is None
            findings = (*found.evidence.findings, check.evidence)
            evidence = Evidence(
                reason=reason,
                findings=tuple(word for word in findings if word),
                caveats=found.evidence.caveats if unproven else (),
                hints=(HOMOTOPY_HINT,) if unproven else (),
            )
            diagnostics = _diagnostics(found)
            diagnostics.update(
                certified=check.certified, certificate_margin=check.certificate_margin
            )
            return assemble_fixed_points(
                net,
                found.points,
                method="auto: starts",
                stats=stats,
                proof=check.proof,
                evidence=evidence,
                tolerance=1e-8,
                diagnostics=diagnostics,
                began=began,
            )
        options = {k: v for k, v in run_options.items() if k in ("checkpoint", "resume")}
        if "checkpoint" in options and options["checkpoint"] is not None:
            options["checkpoint"] = Path(options["checkpoint"]) / "homotopy"
        tracked = methods[1].run(net, **options)
        stats = AutoStats(("starts", "homotopy"), reason, (found.stats, tracked.stats))
        proof, caveats = tracked.proof, tracked.evidence.caveats
        missing = _missing(found.points, tracked.points)
        if proof is not None and missing:
            caveats += (
                f"{missing} point(s) of the starts are not among the homotopy's: the two "
                "disagree, so completeness is not claimed",
            )
            proof = None
        evidence = Evidence(
            reason=reason,
            findings=(
                f"starts found {found.num_fixed_points}, homotopy {tracked.num_fixed_points} real",
                *tracked.evidence.findings,
            ),
            caveats=caveats,
            hints=tracked.evidence.hints,
        )
        return assemble_fixed_points(
            net,
            np.concatenate([tracked.points, found.points]),
            method="auto: starts + homotopy",
            stats=stats,
            proof=proof,
            evidence=evidence,
            tolerance=1e-8,
            began=began,
        )


def _carried(evidence: Evidence, reason: str) -> Evidence:
    """A method's evidence carried into Auto's result: with Auto's reason, and without its index
    check (the assembly checks the final list again)."""
    return dataclasses.replace(evidence, reason=reason, index_check="")


def _diagnostics(found: FixedPoints) -> dict:
    """A method's per-point fields, so that reassembling its list recomputes nothing."""
    return {name: getattr(found, name) for name in ("residuals", *POINT_DIAGNOSTICS)}


def _missing(points: np.ndarray, reference: np.ndarray) -> int:
    """How many of `points` are not among `reference` (within `_AGREEMENT`)."""
    if points.shape[0] == 0:
        return 0
    if reference.shape[0] == 0:
        return int(points.shape[0])
    return int(np.sum(np.asarray(match_points(points, reference, _AGREEMENT, _AGREEMENT)) < 0))
