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
    return certificate.certified, certificate.margin


def certify_points(
    net, points: Float[np.ndarray, "n d"]
) -> tuple[Bool[np.ndarray, " n"], Float[np.ndarray, " n"]]:
    """Whether a small box around each point provably holds exactly one fixed point, and the
    robustness margin δ of that box (NaN where not certified)."""
    n = points.shape[0]
    certified = np.zeros(n, dtype=bool)
    margin = np.full(n, np.nan)
    for start in range(0, n, _BATCH):
        block = points[start : start + _BATCH]
        size = block.shape[0]
        padded = np.concatenate([block, np.repeat(block[-1:], _bucket(size) - size, axis=0)])
        ok, delta = _certify(net, jnp.asarray(padded, net.W.dtype))
        ok = np.asarray(ok)[:size]
        certified[start : start + size] = ok
        margin[start : start + size] = np.where(ok, np.asarray(delta, np.float64)[:size], np.nan)
    return certified, margin
