"""Certificates for the found fixed points, in batches (`jaxfp.certify.certify_fixed_point`)."""

import jax.numpy as jnp
import numpy as np
from jaxtyping import Bool, Float

from .._exported import exported_jit
from .._numerics.diagnostics import _bucket

# Points certified per call: bounds the memory of the interval computations.
_BATCH = 4096


@exported_jit
def _certify(net, points):
    from ..certify import certify_fixed_point

    certificate = certify_fixed_point(net, points)
    return (
        certificate.certified,
        certificate.margin,
        certificate.enclosure.lower,
        certificate.enclosure.upper,
    )


def certify_points_with_enclosures(
    net, points: Float[np.ndarray, "n d"]
) -> tuple[
    Bool[np.ndarray, " n"],
    Float[np.ndarray, " n"],
    Float[np.ndarray, "n d"],
    Float[np.ndarray, "n d"],
]:
    """Per point: whether a small box provably holds exactly one fixed point, the robustness
    margin δ of that box (NaN where not certified), and the box that encloses it (lower, upper).
    Certified in padded batches of at most `_BATCH` points (bounded memory, few shapes)."""
    points = np.asarray(points).reshape(-1, net.dim)
    parts = []
    for start in range(0, points.shape[0], _BATCH):
        block = points[start : start + _BATCH]
        size = block.shape[0]
        padded = np.concatenate([block, np.repeat(block[-1:], _bucket(size) - size, axis=0)])
        parts.append(
            [np.asarray(a)[:size] for a in _certify(net, jnp.asarray(padded, net.W.dtype))]
        )
    if not parts:
        empty = np.zeros((0, net.dim))
        return np.zeros(0, bool), np.zeros(0), empty, empty
    certified, margin, lower, upper = (np.concatenate(c) for c in zip(*parts, strict=True))
    return certified, np.where(certified, margin.astype(np.float64), np.nan), lower, upper


def certify_points(
    net, points: Float[np.ndarray, "n d"]
) -> tuple[Bool[np.ndarray, " n"], Float[np.ndarray, " n"]]:
    """Whether a small box around each point provably holds exactly one fixed point, and the
    robustness margin δ of that box (NaN where not certified)."""
    certified, margin, _, _ = certify_points_with_enclosures(net, points)
    return certified, margin
