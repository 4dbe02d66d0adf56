"""The one assembly routine every enumeration method ends with.

    assemble_fixed_points(net, candidates, *, method, stats, proof=None, evidence=None,
                          certify=True, tolerance=1e-8, diagnostics=None, began=None)
        -> FixedPoints

`candidates` (m, d) are points a method believes are fixed points (duplicates and non-finite
rows allowed). The routine drops non-finite rows, deduplicates with `jaxfp._numerics.group_points`
(one tolerance rule, `tolerance` as both atol and rtol), classifies each distinct point with
`classify_jacobians`, certifies it with `jaxfp.certify.certify_fixed_point` (when `certify`), runs
the index check (Σ sign det(I − J) against the Brouwer degree of x − F(x)) and returns a
`FixedPoints`. `complete` is True only when `proof` is given and the index check does not
contradict it. `diagnostics` optionally maps field names of `FixedPoints` (`residuals`,
`spectral_radius`, `stability`, `min_singular_value`, `determinant_sign`, `certified`,
`certificate_margin`) to per-candidate arrays a method already computed exactly; those are taken
at each group's representative instead of being recomputed. `began` is the `time.perf_counter()`
of the call's start (for `wall_time_s`).
"""

import dataclasses
import time

import jax
import jax.numpy as jnp
import numpy as np

from .._numerics import group_points
from .._numerics.diagnostics import classify_jacobians, jacobians
from ..looped import LoopedNet
from ._certificates import certify_points
from ._fixed_points import POINT_DIAGNOSTICS, Evidence, FixedPoints, Proof
from ._index_check import index_evidence

_FIELDS = ("residuals", *POINT_DIAGNOSTICS)


def _residuals(net: LoopedNet, points: np.ndarray) -> np.ndarray:
    if points.shape[0] == 0:
        return np.zeros(0)
    images = np.asarray(jax.vmap(net)(jnp.asarray(points, net.W.dtype)), np.float64)
    return np.abs(images - points).max(axis=1) / (1.0 + np.abs(points).max(axis=1))


def assemble_fixed_points(
    net: LoopedNet,
    candidates,
    *,
    method: str,
    stats,
    proof: Proof | None = None,
    evidence: Evidence | None = None,
    certify: bool = True,
    tolerance: float = 1e-8,
    diagnostics: dict | None = None,
    began: float | None = None,
) -> FixedPoints:
    """Deduplicate, classify, certify and index-check candidate points into a `FixedPoints`.

    Args:
        net: the `jaxfp.looped.LoopedNet` the candidates belong to.
        candidates: (m, d) candidate fixed points (duplicates and non-finite rows allowed).
        method: the method's name, recorded in the result.
        stats: the method's statistics (a Module with `summary()`).
        proof: the completeness proof, or None.
        evidence: what the method knows beyond the proof, an `Evidence` (default: none; its
            `index_check` is set here, and a caveat added when the index check contradicts the
            proof).
        certify: certify each point with `jaxfp.certify.certify_fixed_point`.
        tolerance: deduplication tolerance (atol = rtol).
        diagnostics: per-candidate arrays already computed by the method (see module docstring).
        began: `time.perf_counter()` at the start of the call.

    Returns:
        A `jaxfp.enumeration.FixedPoints`.

    Raises:
        ValueError: if `candidates` is not (m, d), a `diagnostics` entry has the wrong length, or
            `evidence` is not an `Evidence`.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> net = jaxfp.looped.poly_network(1)
        >>> found = assemble_fixed_points(
        ...     net, [[1.0], [-1.0], [1.0 + 1e-12], [0.0]], method="mine", stats=None
        ... )
        >>> found.num_fixed_points, found.complete, found.index_consistent
        (3, False, True)
    """
    began = time.perf_counter() if began is None else began
    candidates = np.asarray(candidates, dtype=np.float64)
    if candidates.ndim != 2 or candidates.shape[1] != net.dim:
        raise ValueError(f"`candidates` must have shape (m, {net.dim}), got {candidates.shape}.")
    diagnostics = dict(diagnostics or {})
    for name, values in diagnostics.items():
        if name not in _FIELDS or np.shape(values)[0] != candidates.shape[0]:
            raise ValueError(
                f"`diagnostics[{name!r}]` must be one of {_FIELDS}, one per candidate."
            )
    finite = np.all(np.isfinite(candidates), axis=1)
    candidates = candidates[finite]
    diagnostics = {name: np.asarray(values)[finite] for name, values in diagnostics.items()}
    _, representatives = group_points(candidates, tolerance, tolerance)
    points = candidates[representatives]
    fields = {name: values[representatives] for name, values in diagnostics.items()}
    if not {"spectral_radius", "stability", "min_singular_value", "determinant_sign"} <= set(
        fields
    ):
        radius, stability, minimum, sign = classify_jacobians(jacobians(net, points))
        computed = dict(
            spectral_radius=radius,
            stability=stability,
            min_singular_value=minimum,
            determinant_sign=sign,
        )
        fields = {**computed, **fields}
    if "residuals" not in fields:
        fields["residuals"] = _residuals(net, points)
    if "certified" not in fields:
        if certify and points.shape[0]:
            fields["certified"], fields["certificate_margin"] = certify_points(net, points)
        else:
            fields["certified"] = np.zeros(points.shape[0], bool)
            fields["certificate_margin"] = np.full(points.shape[0], np.nan)
    fields.setdefault("certificate_margin", np.full(points.shape[0], np.nan))
    check = index_evidence(net, fields["determinant_sign"])
    complete = proof is not None and check.consistent is not False
    evidence = Evidence() if evidence is None else evidence
    if not isinstance(evidence, Evidence):
        raise ValueError(
            f"`evidence` must be an Evidence (the type of FixedPoints.evidence), got {evidence!r}."
        )
    caveats = evidence.caveats
    if proof is not None and check.consistent is False:
        caveats += ("the proof is contradicted by the index check: not claimed complete",)
    evidence = dataclasses.replace(evidence, caveats=caveats, index_check=check.words)
    return FixedPoints(
        points=points,
        residuals=np.asarray(fields["residuals"], np.float64),
        spectral_radius=np.asarray(fields["spectral_radius"], np.float64),
        stability=np.asarray(fields["stability"], np.int8),
        min_singular_value=np.asarray(fields["min_singular_value"], np.float64),
        determinant_sign=np.asarray(fields["determinant_sign"], np.int8),
        certified=np.asarray(fields["certified"], bool),
        certificate_margin=np.asarray(fields["certificate_margin"], np.float64),
        complete=complete,
        proof=proof if complete else None,
        evidence=evidence,
        index=check,
        method=method,
        stats=stats,
        wall_time_s=time.perf_counter() - began,
    )
