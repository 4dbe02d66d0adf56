"""The run of one chunk of starts, host side: outcomes per start, the chunk's distinct points,
their classification and certificates (the chunk is solved on the devices by `_sharding`)."""

import jax
import numpy as np

from .._numerics import group_points
from .._numerics.diagnostics import classify_jacobians, jacobians
from ._certificates import certify_points
from ._result import (
    DIVERGED,
    FIXED_POINT,
    LINEAR_SOLVE_FAILED,
    MAX_STEPS,
    NONFINITE,
    NOT_RUN,
    RESIDUAL_TOO_LARGE,
    STAGNATED,
    TWO_CYCLE,
)
from ._solve_starts import ChunkSolution, SolveOptions
from ._starts import orthant_numbers

# Solver result codes (jaxfp.RESULTS) → start outcomes (stagnation is refined into 2-cycles).
_RESULT_TO_OUTCOME = np.array(
    [
        FIXED_POINT,
        MAX_STEPS,
        NONFINITE,
        NONFINITE,
        DIVERGED,
        STAGNATED,
        LINEAR_SOLVE_FAILED,
        NONFINITE,
    ],
    dtype=np.int8,
)


def _outcomes(solution: ChunkSolution, options: SolveOptions):
    """Trajectory and Newton outcomes per start, and the accepted limit/root values."""
    picard, polish, newton = solution.picard, solution.polish, solution.newton
    outcome = _RESULT_TO_OUTCOME[picard.result]
    stuck = outcome == STAGNATED
    outcome = np.where(stuck & (solution.cycle_gap <= options.cycle_tolerance), TWO_CYCLE, outcome)
    polished = (polish.result == 0) & (polish.residual <= options.accept_residual)
    loose = picard.residual <= options.accept_residual
    converged = outcome == FIXED_POINT
    limit_ok = converged & (polished | loose)
    outcome = np.where(converged & ~limit_ok, RESIDUAL_TOO_LARGE, outcome).astype(np.int8)
    limit = np.where(polished[:, None], polish.value, picard.value)
    limit_residual = np.where(polished, polish.residual, picard.residual)
    if options.find_saddles:
        newton_outcome = _RESULT_TO_OUTCOME[newton.result]
        accepted = newton.residual <= options.accept_residual
        newton_ok = (newton_outcome == FIXED_POINT) & accepted
        newton_outcome = np.where(
            (newton_outcome == FIXED_POINT) & ~accepted, RESIDUAL_TOO_LARGE, newton_outcome
        )
    else:
        newton_ok = np.zeros(outcome.shape, bool)
        newton_outcome = np.full(outcome.shape, NOT_RUN)
    return outcome, limit_ok, limit, limit_residual, newton_outcome.astype(np.int8), newton_ok


def process_chunk(net, solution, n_real, orthant, centre, options, certify):
    """Host side of one chunk: outcomes, chunk-local dedupe, classification, certificates."""
    solution = jax.tree.map(lambda a: a[:n_real], solution)
    outcome, limit_ok, limit, limit_residual, newton_outcome, newton_ok = _outcomes(
        solution, options
    )
    newton = solution.newton
    candidates = np.concatenate([limit[limit_ok], newton.value[newton_ok]])
    residuals = np.concatenate([limit_residual[limit_ok], newton.residual[newton_ok]])
    tol = options.dedupe_tolerance
    labels, representatives = group_points(candidates, tol, tol)
    points = candidates[representatives]
    n_limits = int(limit_ok.sum())
    start_limit = np.full(n_real, -1, np.int64)
    start_limit[limit_ok] = labels[:n_limits]
    start_newton = np.full(n_real, -1, np.int64)
    start_newton[newton_ok] = labels[n_limits:]
    residual = residuals[representatives]
    radius, stability, minimum, sign = classify_jacobians(jacobians(net, points))
    if certify and len(points):
        certified, margin = certify_points(net, points)
    else:
        certified, margin = np.zeros(len(points), bool), np.full(len(points), np.nan)
    limit_signs = np.sign(np.where(limit_ok[:, None], limit - centre[None, :], 0.0)).astype(
        np.int64
    )
    stayed = limit_ok & (orthant_numbers(limit_signs) == orthant[:n_real])
    stayed &= np.all(limit_signs != 0, axis=1)
    return {
        "start_outcome": outcome,
        "start_limit": start_limit,
        "start_newton_root": start_newton,
        "newton_outcome": newton_outcome,
        "start_stayed": stayed,
        "points": points,
        "residual": residual,
        "spectral_radius": radius,
        "stability": stability,
        "min_singular_value": minimum,
        "determinant_sign": sign,
        "certified": certified,
        "certificate_margin": margin,
    }
