"""Classification of fixed points from the Jacobian J = J_F(x*) of the iterated map.

- spectral radius ρ(J); the point is *attracting* for x ← F(x) when ρ < 1, *repelling* when every
  |λ| > 1, a *saddle* when some |λ| < 1 and some |λ| > 1, and *non-hyperbolic* when some |λ| is
  within `HYPERBOLIC_TOLERANCE` of 1 (the linearisation does not decide; a bifurcation is near).
- the smallest singular value of I − J: its distance to a singular I − J, i.e. how far the point is
  from a fold where two fixed points merge (0 means degenerate).
- sign det(I − J), the fixed point's index in the degree count Σ sign det(I − J) (see
  `index_check`); 0 when I − J is numerically singular.
"""

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Float, Int

from .._exported import exported_jit

# |λ| within this of 1 counts as on the unit circle (non-hyperbolic).
HYPERBOLIC_TOLERANCE = 1e-9
# I − J with smallest singular value below this (relative to 1 + ‖J‖) counts as singular.
SINGULAR_TOLERANCE = 1e-10

STABILITY_NAMES = ("attracting", "saddle", "repelling", "non-hyperbolic")
ATTRACTING, SADDLE, REPELLING, NON_HYPERBOLIC = 0, 1, 2, 3


def _bucket(n: int) -> int:
    """Padded batch size: a power of two ≥ 64, so few shapes are ever compiled."""
    return max(64, 1 << max(n - 1, 0).bit_length())


@exported_jit
def _jacobians(net, points):
    return jax.vmap(net.jacobian)(points)


def jacobians(net, points: Float[np.ndarray, "n d"]) -> Float[np.ndarray, "n d d"]:
    """J_F at each point, computed in batches padded to a few sizes (numpy, float64)."""
    n, dim = points.shape
    if n == 0:
        return np.zeros((0, dim, dim))
    padded = np.concatenate([points, np.repeat(points[-1:], _bucket(n) - n, axis=0)])
    return np.asarray(_jacobians(net, jnp.asarray(padded, net.W.dtype)), dtype=np.float64)[:n]


def classify_jacobians(
    jacobian: Float[np.ndarray, "n d d"],
) -> tuple[
    Float[np.ndarray, " n"], Int[np.ndarray, " n"], Float[np.ndarray, " n"], Int[np.ndarray, " n"]
]:
    """Spectral radius, stability code, min singular value of I − J and sign det(I − J).

    Args:
        jacobian: J_F at each fixed point, shape (n, d, d).

    Returns:
        `(spectral_radius, stability, min_singular_value, determinant_sign)`; `stability` holds
        indices into `STABILITY_NAMES`.

    Example:
        >>> import numpy as np
        >>> rho, stability, sigma_min, sign = classify_jacobians(np.array([[[1.5]], [[0.0]]]))
        >>> rho.tolist(), [STABILITY_NAMES[s] for s in stability], sign.tolist()
        ([1.5, 0.0], ['repelling', 'attracting'], [-1, 1])
    """
    jacobian = np.asarray(jacobian, dtype=np.float64)
    n, dim = jacobian.shape[0], jacobian.shape[-1]
    if n == 0:
        empty = np.zeros(0)
        return empty, np.zeros(0, np.int8), empty, np.zeros(0, np.int8)
    moduli = np.abs(np.linalg.eigvals(jacobian))
    radius = moduli.max(axis=1)
    smallest = moduli.min(axis=1)
    on_circle = np.any(np.abs(moduli - 1.0) <= HYPERBOLIC_TOLERANCE, axis=1)
    stability = np.where(
        radius < 1.0,
        ATTRACTING,
        np.where(smallest > 1.0, REPELLING, SADDLE),
    )
    stability = np.where(on_circle, NON_HYPERBOLIC, stability).astype(np.int8)
    system = np.eye(dim)[None] - jacobian
    singular_values = np.linalg.svd(system, compute_uv=False)
    minimum = singular_values.min(axis=1)
    scale = 1.0 + np.abs(jacobian).max(axis=(1, 2))
    sign, _ = np.linalg.slogdet(system)
    sign = np.where(minimum <= SINGULAR_TOLERANCE * scale, 0, np.sign(sign)).astype(np.int8)
    return radius, stability, minimum, sign
