"""`ExactRegions`: every activation region of a piecewise-linear network solved (a proof)."""

import time
from typing import ClassVar

import equinox as eqx
import numpy as np

from .._validation import MAX_ENUMERATION_SIZE, check_count, check_part
from ..looped import LoopedNet
from ._assemble import assemble_fixed_points
from ._exact_regions import assemble_pwl_regions, solve_pwl_regions
from ._fixed_points import Evidence, FixedPoints, Proof
from ._method_base import AbstractEnumerationMethod
from ._pwl_networks import is_piecewise_linear, pwl_arrays
from ._region_record import RegionRecord
from ._region_solve import Tolerances
from ._results import PWLFixedPoints

# Default limit on the number of activation regions (k + 1)^d of one run.
MAX_REGIONS = 2**24
# The attributes of the engine record (`PWLFixedPoints`) that `ExactRegionsStats.summary` reports.
_SUMMARY_FIELDS = (
    "num_regions_total",
    "num_regions_solved",
    "num_regions_pruned",
    "num_residual_failures",
    "num_singular_regions",
    "num_on_boundary",
    "has_continuum",
    "upper_bound",
    "upper_bound_reference",
)


class ExactRegionsStats(eqx.Module):
    """What the `ExactRegions` run did: `run` is the engine's record (a `PWLFixedPoints`: region
    counts, singular regions and their kinds, boundary flags, pre-activations, patterns)."""

    run: PWLFixedPoints

    def summary(self) -> dict:
        """The run's counts and bounds, under the engine record's attribute names."""
        return {name: getattr(self.run, name) for name in _SUMMARY_FIELDS}


def region_count(net: LoopedNet) -> int:
    """(k + 1)^d: the activation regions of a piecewise-linear net with k breakpoints."""
    return (len(np.atleast_1d(np.asarray(net.activation.breakpoints))) + 1) ** net.dim


class ExactRegions(AbstractEnumerationMethod):
    """Every activation region's linear system solved exactly (piecewise-linear σ only).

    Inside each region F is affine: one linear solve per region and a consistency check give
    every fixed point (`jaxfp.enumeration._exact_regions.enumerate_pwl_regions`). A finished
    run is a proof of completeness, unless a region holds a continuum of fixed points, a singular
    region is undecided or a candidate failed its residual check.

    Args:
        chunk_size: regions solved per batch (memory is proportional to it).
        prune: skip regions proven empty by interval bounds.
        max_frontier: the largest level of the pruning search tree.
        tolerances: the boundary, residual and singularity tolerances
            (`jaxfp.enumeration._region_solve.Tolerances`), or None for the defaults.
        max_regions: refuse, before any work, networks with more than this many regions
            (k + 1)^d (raise it to run anyway).

    Run options: `devices`, `progress` (called with `(regions solved, regions to solve)`).

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.LoopedNet(3.0 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.hardtanh())
        >>> found = jaxfp.enumerate_fixed_points(net, method=ExactRegions())
        >>> found.num_fixed_points, found.complete, found.proof.method
        (9, True, 'exact-regions')
    """

    chunk_size: int = 8192
    prune: bool = True
    max_frontier: int = 4096
    tolerances: Tolerances | None = None
    max_regions: int = MAX_REGIONS

    name: ClassVar[str] = "exact-regions"
    run_options: ClassVar[tuple[str, ...]] = ("devices", "progress")

    def run(self, net: LoopedNet, *, devices=None, progress=None) -> FixedPoints:
        began = time.perf_counter()
        record = solve_regions(self, net, devices=devices, progress=progress)
        return regions_fixed_points(net, [record], began=began)


def solve_regions(
    method: ExactRegions, net: LoopedNet, *, part=None, devices=None, progress=None
) -> RegionRecord:
    """Solve the regions of `net` (of part `part = (I, N)` of them; all for None) with the
    hyperparameters of `method`: the work of `ExactRegions.run`, before the assembly.

    Raises:
        ValueError: for a network that is not piecewise linear, or more than `max_regions`
            regions (per part) before pruning.
    """
    if not is_piecewise_linear(net):
        raise ValueError(
            "ExactRegions needs a piecewise-linear activation (a jaxfp.looped.PiecewiseLinear);"
            f" {net.activation.name!r} is not one: use Starts, BranchAndBound or Auto."
        )
    check_count(method.max_regions, "max_regions", maximum=MAX_ENUMERATION_SIZE)
    count = 1 if part is None else check_part(part)[1]
    regions = region_count(net)
    if regions > method.max_regions * count:
        per_part = f" in {count} parts" if count > 1 else ""
        raise ValueError(
            f"ExactRegions would solve up to {regions:.3g} activation regions (d = {net.dim})"
            f"{per_part}, over the limit max_regions={method.max_regions:.3g} per run: raise "
            "`max_regions` (`--max-regions` on the command line) to run it anyway, split it in "
            "more parts, or use Starts(sample=N) for a sampled, incomplete search."
        )
    return solve_pwl_regions(
        *pwl_arrays(net),
        form=net.form,
        part=part,
        **method.hyperparameters("max_regions"),
        devices=devices,
        progress=progress,
    )


def regions_fixed_points(net: LoopedNet, records, *, began: float, part=None) -> FixedPoints:
    """The `FixedPoints` of the region records of one run of `net` (one record, or the records
    of its parts in order): complete, with the exact-regions proof, when every region was solved
    or excluded (each exactly once), every singular region classified, every point residual-
    checked, and no region holds a continuum. With `part = (I, N)`, the points of part I's one
    record alone (never complete).

    Raises:
        ValueError: if the records of a run do not cover every planned region exactly once.
    """
    run = assemble_pwl_regions(*pwl_arrays(net), records, form=net.form, part=part)
    points = np.asarray(run.points, np.float64)
    proof = None
    if run.complete and not run.has_continuum:
        proof = Proof(
            "exact-regions",
            f"all {run.num_regions_total} activation regions solved exactly or excluded by "
            "interval bounds; every singular region classified; every point residual-checked",
        )
    caveats = ()
    if run.has_continuum:
        caveats = ("a region holds a continuum of fixed points: the list is not finite",)
    diagnostics = {
        "residuals": np.asarray(run.residuals) / (1.0 + np.abs(points).max(axis=1, initial=0)),
        "spectral_radius": np.asarray(run.spectral_radius),
        "determinant_sign": np.asarray(run.index_signs),
        "certified": np.asarray(run.certified),
        "certificate_margin": np.where(np.asarray(run.certified), np.asarray(run.margins), np.nan),
    }
    return assemble_fixed_points(
        net,
        points,
        method=ExactRegions.name,
        stats=ExactRegionsStats(run),
        proof=proof,
        evidence=Evidence(findings=(run.evidence,), caveats=caveats),
        tolerance=1e-12,
        diagnostics=diagnostics,
        began=began,
    )
