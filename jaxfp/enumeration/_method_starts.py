"""`Starts`: the iterative sign-basin engine as an enumeration method (never a proof)."""

import time
from typing import ClassVar

import equinox as eqx
from jaxtyping import ArrayLike

from ..looped import LoopedNet
from ._assemble import assemble_fixed_points
from ._fixed_points import POINT_COUNTS, Evidence, FixedPoints
from ._iterative import enumerate_iterative
from ._method_base import AbstractEnumerationMethod
from ._result import IterativeFixedPoints
from ._solve_starts import SolveOptions

# The caveat of every list found from starts.
NOT_A_PROOF = "starts are never a proof of completeness"


class StartsStats(eqx.Module):
    """What the `Starts` run did: `run` is the engine's full record (an `IterativeFixedPoints`:
    per-start outcomes, limits, Newton roots, orthant counts, sampling interval); its point rows
    are the rows of the `FixedPoints` it produced."""

    run: IterativeFixedPoints

    def summary(self) -> dict:
        summary = self.run.summary()
        for key in (*POINT_COUNTS, "index_consistent", "index_check", "method"):
            summary.pop(key, None)
        summary["certified_during_starts"] = self.run.certification
        return summary


class Starts(AbstractEnumerationMethod):
    """Starts in every sign orthant (or a sample), solved by the iterated map and by Newton.

    The engine is `jaxfp.enumeration._iterative.enumerate_iterative` (docs/enumeration.md). A list
    found from starts is never proved complete: the index check is reported as consistent or
    inconsistent.

    Args:
        starts_per_orthant: K ≥ 1 starts per sign orthant.
        centre: centre of the orthants, shape (d,); default derived from the network.
        scale: distance of the corner start from the centre; default derived with the centre.
        sample: enumerate a seeded sample of this many orthants instead of all 2^d.
        faces: add the 3^d face starts (default: when not sampling and d ≤ 11).
        seed: seed of the sample and of the starts with k ≥ 1.
        certify: certify each fixed point with `jaxfp.certify.certify_fixed_point`.
        chunk_size: starts per chunk (the memory bound).
        options: the engine's solve options (`jaxfp.enumeration._solve_starts.SolveOptions`:
            solver steps, tolerances, lanes, saddle search), or None for the defaults.

    Run options: `checkpoint`, `resume`, `devices`, `part`, `progress` (called with
    `(chunks_done, num_chunks, starts_done, num_starts)`).

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> net = jaxfp.looped.poly_network(2)
        >>> found = jaxfp.enumerate_fixed_points(net, method=Starts(starts_per_orthant=2))
        >>> found.num_fixed_points, found.complete, found.index_consistent
        (9, False, True)
    """

    starts_per_orthant: int = 1
    centre: ArrayLike | None = None
    scale: float | None = None
    sample: int | None = None
    faces: bool | None = None
    seed: int = 0
    certify: bool = True
    chunk_size: int = 16384
    options: SolveOptions | None = None

    name: ClassVar[str] = "starts"
    run_options: ClassVar[tuple[str, ...]] = ("checkpoint", "resume", "devices", "part", "progress")

    def run(
        self,
        net: LoopedNet,
        *,
        checkpoint=None,
        resume=False,
        devices=None,
        part=None,
        progress=None,
    ) -> FixedPoints:
        began = time.perf_counter()
        run = enumerate_iterative(
            net,
            **self.hyperparameters(),
            part=part,
            checkpoint=checkpoint,
            resume=resume,
            devices=devices,
            callback=progress,
        )
        findings = [f"{run.num_starts} starts, {run.num_orthants} orthants"]
        if run.sampled:
            low, high = run.orthant_fraction_interval
            findings[0] += (
                f" (a sample; orthants holding a point: 95% interval {low:.3g}–{high:.3g})"
            )
        if part is not None:
            findings.append(f"partial run (part {part[0]} of {part[1]})")
        evidence = Evidence(findings=tuple(findings), caveats=(NOT_A_PROOF,))
        return assemble_fixed_points(
            net,
            run.points,
            method=self.name,
            stats=StartsStats(run),
            evidence=evidence,
            tolerance=(self.options or SolveOptions()).dedupe_tolerance,
            diagnostics=run.point_diagnostics(),  # uncertified rows: False, NaN margin
            began=began,
        )
