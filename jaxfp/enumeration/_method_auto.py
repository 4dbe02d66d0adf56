"""`Auto`: choose the method from properties of the activation (never from its name)."""

import time
from typing import ClassVar

import equinox as eqx
import numpy as np

from .._numerics import match_points
from ..looped import LoopedNet
from ._assemble import assemble_fixed_points
from ._fixed_points import FixedPoints, Proof
from ._method_base import AbstractEnumerationMethod
from ._method_bnb import BranchAndBound, has_a_priori_box
from ._method_exact import MAX_REGIONS, ExactRegions
from ._method_starts import Starts
from ._pwl_networks import is_piecewise_linear

# Points of Starts and of branch and bound are the same point within this (atol = rtol).
_AGREEMENT = 1e-6


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
    - polynomial σ (degree k, `polynomial_coefficients`) with k^d ≤ `max_paths` → homotopy
      continuation once it is available; until then `Starts`, `complete=False`;
    - bounded σ and d ≤ `max_dim_branch_and_bound` → `Starts`, then `BranchAndBound` over the
      a-priori box: complete when the search finishes and every point Starts found is among its
      points;
    - otherwise `Starts`, `complete=False`, and the evidence says what would finish the job.

    Run options (`checkpoint`, `resume`, `devices`, `part`, `progress`) go to the chosen method;
    one it does not take is refused.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> found = jaxfp.enumerate_fixed_points(jaxfp.looped.tanh_identity_network(2))
        >>> found.n_fixed_points, found.complete, found.proof.method
        (9, True, 'branch-and-bound')
    """

    starts: Starts = Starts()
    branch_and_bound: BranchAndBound = BranchAndBound()
    exact_regions: ExactRegions = ExactRegions(max_regions=MAX_REGIONS)
    max_dim_branch_and_bound: int = 4
    max_paths: int = 10**6

    name: ClassVar[str] = "auto"
    run_options: ClassVar[tuple[str, ...]] = ("checkpoint", "resume", "devices", "part", "progress")

    def choose(self, net: LoopedNet) -> tuple[tuple[AbstractEnumerationMethod, ...], str]:
        """The methods to run, in order, and the reason in words."""
        dim = net.dim
        if is_piecewise_linear(net):
            return (self.exact_regions,), "piecewise-linear σ: every activation region solved"
        coefficients = net.activation.polynomial_coefficients
        if coefficients is not None and len(coefficients) >= 2:
            degree = len(coefficients) - 1
            return (self.starts,), (
                f"polynomial σ of degree {degree}: homotopy continuation over {degree}^{dim} "
                "paths would prove completeness, but it is not available in this version; ran "
                "Starts (not a proof)"
            )
        if has_a_priori_box(net) and dim <= self.max_dim_branch_and_bound:
            return (self.starts, self.branch_and_bound), (
                f"bounded σ and d = {dim} ≤ {self.max_dim_branch_and_bound}: Starts, then branch "
                "and bound over σ's range box"
            )
        if has_a_priori_box(net):
            return (self.starts,), (
                f"bounded σ but d = {dim} > max_dim_branch_and_bound = "
                f"{self.max_dim_branch_and_bound}: ran Starts (not a proof); BranchAndBound() "
                "would prove completeness (raise max_dim_branch_and_bound or run it directly)"
            )
        return (self.starts,), (
            "σ is neither piecewise linear, nor polynomial, nor bounded: ran Starts (not a "
            "proof); BranchAndBound(box=...) proves every fixed point inside a box you give"
        )

    def run(self, net: LoopedNet, **run_options) -> FixedPoints:
        began = time.perf_counter()
        methods, reason = self.choose(net)
        first = methods[0]
        refused = sorted(set(run_options) - set(first.run_options))
        if refused:
            raise ValueError(
                f"Auto chose {first.name!r} for this network, which does not take the run "
                f"option(s) {refused} (it takes {list(first.run_options)})."
            )
        found = first.run(net, **run_options)
        if len(methods) == 1:
            stats = AutoStats((first.name,), reason, (found.stats,))
            evidence = f"{reason}; {found.evidence}"
            candidates, proof = found.points, found.proof
        else:
            bounded = methods[1].run(net)
            stats = AutoStats(tuple(m.name for m in methods), reason, (found.stats, bounded.stats))
            matched = (
                np.asarray(match_points(found.points, bounded.points, _AGREEMENT, _AGREEMENT))
                if found.n_fixed_points and bounded.n_fixed_points
                else np.full(found.n_fixed_points, -1)
            )
            missing_from_search = int(np.sum(matched < 0))
            extra = bounded.n_fixed_points - len(set(matched[matched >= 0].tolist()))
            candidates = np.concatenate([bounded.points, found.points])
            proof = bounded.proof
            words = [
                reason,
                f"starts found {found.n_fixed_points}, branch and bound "
                f"{bounded.n_fixed_points} ({extra} not found by the starts)",
            ]
            if proof is not None and missing_from_search:
                words.append(
                    f"{missing_from_search} point(s) of the starts are not among branch and "
                    "bound's: the two disagree, so completeness is not claimed"
                )
                proof = None
            if proof is None and bounded.proof is None:
                words.append(bounded.evidence.split("; index check")[0])
            evidence = "; ".join(words)
        return assemble_fixed_points(
            net,
            candidates,
            method="auto: " + " + ".join(stats.chosen),
            stats=stats,
            proof=None if proof is None else Proof(proof.method, proof.argument),
            evidence=evidence.split("; index check")[0],
            tolerance=1e-8,
            began=began,
        )
