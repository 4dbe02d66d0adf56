"""`Homotopy`: total-degree homotopy continuation over all k^d paths (polynomial σ only)."""

import time
from pathlib import Path
from typing import ClassVar

import equinox as eqx
import numpy as np

from .._validation import MAX_ENUMERATION_SIZE, check_count
from ..looped import LoopedNet
from ._assemble import assemble_fixed_points
from ._bezout import bezout_check
from ._fixed_points import Evidence, FixedPoints, Proof
from ._homotopy._ends import END_NAMES
from ._homotopy._run import HomotopyPaths, track_all_paths
from ._method_base import AbstractEnumerationMethod


class HomotopyStats(eqx.Module):
    """What the `Homotopy` run did: `paths` is the last γ's account (a `HomotopyPaths`: counts
    per end kind, retried paths, compile and tracking seconds), `seeds` the γ seeds tried in
    order (more than one when paths were still failing after re-tracking)."""

    paths: HomotopyPaths
    seeds: tuple[int, ...]

    def summary(self) -> dict:
        paths = self.paths
        return {
            "num_paths": paths.num_paths,
            "degree": paths.degree,
            **{f"paths_{name}": count for name, count in zip(END_NAMES, paths.counts, strict=True)},
            "paths_retried": paths.retried,
            "accounted": bool(paths.accounted),
            "gamma_seeds": list(self.seeds),
            "num_complex_solutions": int(paths.finite_solutions.shape[0]),
            "num_real_solutions": int(paths.real_solutions.shape[0]),
            "num_singular_real": int(paths.singular_real.shape[0]),
            "compile_time_s": paths.compile_time_s,
            "tracking_time_s": paths.tracking_time_s,
        }


def check_polynomial(net: LoopedNet, method: str) -> tuple[float, ...]:
    """σ's coefficients (c_0, …, c_k), k ≥ 2, or a ValueError naming the methods that apply."""
    coefficients = net.activation.polynomial_coefficients
    if coefficients is None or len(coefficients) < 3:
        raise ValueError(
            f"{method} needs a polynomial activation of degree ≥ 2 (one whose "
            f"`polynomial_coefficients` is set, e.g. jaxfp.looped.Polynomial); "
            f"{net.activation.name!r} is not one: use ExactRegions (piecewise-linear σ), "
            "BranchAndBound (bounded σ, or any σ inside a box you give), Starts, or Auto()."
        )
    return tuple(coefficients)


def _proof(paths: HomotopyPaths, seed: int) -> Proof:
    finite, at_infinity, _, _ = paths.counts
    return Proof(
        "homotopy",
        f"total-degree homotopy with a random γ (seed {seed}): all {paths.num_paths} = "
        f"{paths.degree}^{paths.real_solutions.shape[1]} paths accounted for ({finite} ended at "
        f"distinct nonsingular finite solutions, {at_infinity} at infinity, none singular or "
        "failed), so with probability one over γ these are all the complex solutions of "
        f"x = F(x) (Sommese & Wampler 2005, Thm 8.4.1), {paths.real_solutions.shape[0]} of "
        "them real; the paths were tracked numerically (predictor-corrector with jump guards), "
        "not interval-verified",
    )


class Homotopy(AbstractEnumerationMethod):
    """Every complex solution of x = F(x) by total-degree homotopy continuation, then the real
    ones polished, classified and certified (polynomial σ of degree k ≥ 2, either form).

    x − F(x) = 0 is a square polynomial system of total degree ≤ k^d; the k^d paths of
    H = (1 − t)γ(x^k − 1) + t(x − F(x)), homogenised, are tracked on the device in lanes
    refilled as paths finish, chunk by chunk (`jaxfp.enumeration._homotopy`). Failed paths and
    paths that jumped onto another's end are re-tracked with the same γ and smaller steps
    (`max_retries` rounds); if some still fail, the whole run is repeated with a new γ
    (`gamma_restarts` times: a new γ for a few paths only would break the one-to-one account
    of the ends). The list is claimed complete only when every path is accounted for: each
    ended at a distinct nonsingular finite solution or at infinity (with probability one over
    γ; the tracking is numerical), or, rigorously, when the certified real solutions reach the
    Bézout number (`jaxfp.enumeration._bezout`: then every solution is real and found).

    Args (hyperparameters): `seed` (γ and the chart of the first run; restarts use seed + 1,
    …), `lanes` (paths tracked at once), `chunk_size` (paths per chunk, the unit of memory and
    of checkpoints), `tolerance` (relative size of the first Newton correction a step may
    need), `max_step` (largest step in t), `max_steps` (per path), `max_retries`,
    `gamma_restarts`, `max_paths` (refuse, before any work, networks with more than this many
    paths k^d).

    Run options: `checkpoint` (a directory: a killed run resumes at its first unfinished
    chunk), `resume`, `progress` (called with `(chunks done, number of chunks)`).

    Split over processes: `jaxfp.enumeration.enumerate_part(net, (I, N), method=Homotopy(...))`
    tracks the I-th of N contiguous ranges of the paths (the same γ in every part, from `seed`)
    and `merge_parts` accounts for all of them: the one-process result.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> found = jaxfp.enumerate_fixed_points(jaxfp.looped.poly_network(2), method=Homotopy())
        >>> found.num_fixed_points, found.complete, found.proof.method  # all real: Bézout
        (9, True, 'bezout')
    """

    seed: int = 0
    lanes: int = 256
    chunk_size: int = 4096
    tolerance: float = 1e-4
    max_step: float = 0.1
    max_steps: int = 2000
    max_retries: int = 2
    gamma_restarts: int = 1
    max_paths: int = 10**6

    name: ClassVar[str] = "homotopy"
    run_options: ClassVar[tuple[str, ...]] = ("checkpoint", "resume", "progress")

    def run(self, net: LoopedNet, *, checkpoint=None, resume=False, progress=None) -> FixedPoints:
        began = time.perf_counter()
        check_polynomial(net, "Homotopy")
        restarts = check_count(self.gamma_restarts, "gamma_restarts", minimum=0)
        check_count(self.seed, "seed", minimum=0)
        check_count(self.max_paths, "max_paths", maximum=MAX_ENUMERATION_SIZE)
        seeds = []
        for attempt in range(restarts + 1):
            seeds.append(self.seed + attempt)
            paths = track_all_paths(
                net,
                **self.hyperparameters("seed", "gamma_restarts"),
                seed=seeds[-1],
                checkpoint=None if checkpoint is None else Path(checkpoint) / f"gamma-{attempt}",
                resume=resume,
                progress=progress,
            )
            if paths.accounted or paths.counts[3] == 0:
                break  # accounted, or only singular ends: a new γ does not change those
        return homotopy_fixed_points(net, paths, tuple(seeds), began=began)


def homotopy_fixed_points(
    net: LoopedNet, paths: HomotopyPaths, seeds: tuple[int, ...], *, began: float, note=None
) -> FixedPoints:
    """The `Homotopy` result of tracked paths (`seeds`: the γ seeds tried, the last one
    `paths`'): the real ends (and real points of singular ends) deduplicated, classified and
    certified, the Bézout check, and the homotopy proof when every path is accounted for.
    `note` (a sentence, or None) is added to the findings (a merged run says so)."""
    finite, at_infinity, singular, failed = paths.counts
    findings = [
        f"{paths.num_paths} homotopy paths: {finite} finite nonsingular, {at_infinity} at "
        f"infinity, {singular} singular, {failed} failed ({paths.retried} re-tracked, "
        f"{len(seeds)} γ tried)"
    ]
    findings += [] if note is None else [note]
    caveats, hints = [], []
    if singular:
        caveats.append(
            f"{singular} singular end(s): a multiple solution or a curve of solutions, "
            f"so completeness is not claimed ({paths.singular_real.shape[0]} real singular "
            "point(s) listed, uncertified)"
        )
    elif failed:
        caveats.append("paths failed, so completeness is not claimed")
        hints.append("raise max_steps")
    candidates = np.concatenate([paths.real_solutions, paths.singular_real])
    check = bezout_check(net, candidates, Homotopy.name)
    proof = check.proof
    if proof is None and paths.accounted:
        proof = _proof(paths, seeds[-1])
    if check.proof is None and check.evidence:
        findings.append(check.evidence)
    return assemble_fixed_points(
        net,
        candidates,
        method=Homotopy.name,
        stats=HomotopyStats(paths, tuple(seeds)),
        proof=proof,
        evidence=Evidence(findings=tuple(findings), caveats=tuple(caveats), hints=tuple(hints)),
        tolerance=1e-8,
        diagnostics={
            "certified": check.certified,
            "certificate_margin": check.certificate_margin,
        },
        began=began,
    )
