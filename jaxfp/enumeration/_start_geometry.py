"""Where the starts of the `Starts` method sit: a centre and a scale derived from the network.

No activation is recognised by its name. The rules, in order:

1. **A product of one scalar map** (W = w·I and b = β·1): F acts coordinatewise as the scalar map
   g(t) = σ(w t + β) (or w σ(t) + β), whose fixed points are found on a grid with bisection. The
   centre is the middle scalar fixed point (the one separating the basins of its neighbours) and
   the scale ¾ of its distance to the nearest other scalar fixed point, so the corner starts lie
   inside the neighbouring basins.
2. **A bounded σ in the σ(Wx + b) form**: every fixed point lies in σ's range box; the centre is
   the box's centre and the scale 1.
3. Otherwise the origin, scale 1 (nothing about the network says better; pass `centre`/`scale`).
"""

import math

import jax.numpy as jnp
import numpy as np

from ..looped import LoopedNet

# The scalar map's fixed points are searched on this many grid points over the search interval.
_GRID = 4001
# Search interval of the scalar map for an unbounded σ: [−_REACH, _REACH].
_REACH = 10.0
# Fraction of the distance to the nearest other scalar fixed point used as the scale.
_SCALE_FRACTION = 0.75


def _scalar_map(net: LoopedNet):
    """(g, interval) when F is d copies of one scalar map g, else None."""
    weights, bias = np.asarray(net.W, np.float64), np.asarray(net.b, np.float64)
    w, beta = weights[0, 0], bias[0]
    if not (np.array_equal(weights, w * np.eye(net.dim)) and np.all(bias == beta)):
        return None
    low, high = net.activation.output_range
    if net.form == "sigma-affine":

        def g(t):
            return np.asarray(net.activation(jnp.asarray(w * t + beta)), np.float64)

        span = (low, high)
    else:

        def g(t):
            return w * np.asarray(net.activation(jnp.asarray(t)), np.float64) + beta

        span = sorted((w * low + beta, w * high + beta)) if w != 0 else (beta, beta)
    if not all(math.isfinite(v) for v in span):
        span = (-_REACH, _REACH)
    return g, span


def scalar_fixed_points(g, low: float, high: float) -> np.ndarray:
    """The sign changes of g(t) − t on a grid over [low, high], refined by bisection (sorted)."""
    grid = np.linspace(low, high, _GRID)
    with np.errstate(invalid="ignore", over="ignore"):
        gap = g(grid) - grid
    roots = list(grid[gap == 0])
    change = np.nonzero(np.sign(gap[:-1]) * np.sign(gap[1:]) < 0)[0]
    for i in change:
        a, b = grid[i], grid[i + 1]
        sign_a = np.sign(gap[i])
        for _ in range(60):
            mid = 0.5 * (a + b)
            if np.sign(g(np.array([mid]))[0] - mid) == sign_a:
                a = mid
            else:
                b = mid
        roots.append(0.5 * (a + b))
    return np.sort(np.asarray(roots, np.float64))


def default_centre_and_scale(net: LoopedNet) -> tuple[np.ndarray, float]:
    """The centre of the sign orthants and the corner starts' distance from it (module rules).

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> centre, scale = default_centre_and_scale(jaxfp.looped.poly_network(2))
        >>> centre.round(6).tolist(), round(scale, 6)
        ([0.0, 0.0], 0.75)
    """
    dim = net.dim
    scalar = _scalar_map(net)
    if scalar is not None:
        roots = scalar_fixed_points(scalar[0], *scalar[1])
        if roots.size:
            middle = roots[(roots.size - 1) // 2]
            others = np.abs(np.delete(roots, (roots.size - 1) // 2) - middle)
            scale = _SCALE_FRACTION * float(others.min()) if others.size else 1.0
            return np.full(dim, middle), scale if scale > 0 else 1.0
    low, high = net.activation.output_range
    if net.form == "sigma-affine" and math.isfinite(low) and math.isfinite(high):
        return np.full(dim, 0.5 * (low + high)), 1.0
    return np.zeros(dim), 1.0
