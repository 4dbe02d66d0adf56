"""The edge of chaos: the weight variance σ_w² at which χ₁ = 1, for a given bias variance σ_b²
(Schoenholz et al. 2017), from the mean-field maps of `_signal_propagation`."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._numerics import bisection_bracket
from ._activation_type import KernelActivation
from ._signal_propagation import _check_activation, _check_variances, _chi1, _q_fixed_point

_SIGMA_W2_GRID = 96
_SIGMA_W2_RANGE = (1e-2, 1e2)
_BISECTION_STEPS = 60
# |χ₁ − 1| above this at the end of the σ_w² search means the edge found is where the
# variance starts to explode, not where χ₁ = 1.
_EDGE_TOLERANCE = 1e-6


@eqx.filter_jit
def _edge_core(activation: KernelActivation, sigma_b2):
    def excess(log_sigma_w2):
        sigma_w2 = jnp.exp(log_sigma_w2)
        q_star, exists = _q_fixed_point(activation, sigma_w2, sigma_b2)
        # A q-map without finite fixed point has exploding variance: count it as chaotic.
        return jnp.where(exists, _chi1(activation, q_star, sigma_w2) - 1.0, 1.0)

    grid = jnp.linspace(*np.log(_SIGMA_W2_RANGE), _SIGMA_W2_GRID)
    values = jax.vmap(excess)(grid)
    above = values >= 0.0
    index = jnp.argmax(above)
    found = jnp.any(above) & (index > 0)
    lower, upper = grid[jnp.maximum(index - 1, 0)], grid[index]
    low, high = bisection_bracket(excess, lower, upper, steps=_BISECTION_STEPS)
    # χ₁ just on the ordered side of the edge (where q* exists).
    chi1_below = excess(low) + 1.0
    return jnp.exp(0.5 * (low + high)), found, chi1_below


class EdgeOfChaos(eqx.Module):
    """A point (σ_w², σ_b²) on the edge of chaos; built by `edge_of_chaos`.

    Its fields: `sigma_w2`, `sigma_b2`; `chi1` (χ₁ just on the ordered side); `kind`:
    `"critical"` when χ₁ = 1 there (within 1e-6), or `"variance_explodes"` when the ordered
    phase ends because the q-map loses its finite fixed point before χ₁ reaches 1 (GELU at
    large σ_b²; ReLU with σ_b² > 0 reaches χ₁ = 1 exactly there).

    Example:
        >>> import jaxfp.kernels as jk
        >>> jk.edge_of_chaos(jk.get_activation("tanh"), 0.0).kind
        'critical'
    """

    sigma_w2: float
    sigma_b2: float
    chi1: float
    kind: str


def edge_of_chaos(activation: KernelActivation, sigma_b2: float) -> EdgeOfChaos:
    """The weight variance σ_w² on the edge of chaos (χ₁ = 1) at bias variance `sigma_b2`.

    Searches σ_w² in [0.01, 100] for the first crossing of χ₁ = 1 (q* recomputed at each
    σ_w²; where the q-map has no finite fixed point, q* > 1e8, the variance explodes and the
    point counts as chaotic, which gives ReLU's σ_w² = 2 at every σ_b²), then bisects to
    ~1e-9 relative in σ_w².

    Raises:
        ValueError: for a bad `sigma_b2`, a discontinuous activation, or when the
            ordered phase does not end for σ_w² in that range.

    Example:
        >>> import jaxfp.kernels as jk
        >>> round(jk.edge_of_chaos(jk.get_activation("relu"), 0.0).sigma_w2, 6)
        2.0
    """
    _check_activation(activation)
    _, sigma_b2 = _check_variances(1.0, sigma_b2)
    sigma_w2, found, chi1 = _edge_core(activation, jnp.asarray(sigma_b2))
    if not bool(found):
        raise ValueError(
            f"χ₁ = 1 is not crossed for sigma_w2 in {_SIGMA_W2_RANGE} with {activation.name} at "
            f"sigma_b2={sigma_b2}: this activation has no edge of chaos there."
        )
    kind = "critical" if abs(float(chi1) - 1.0) <= _EDGE_TOLERANCE else "variance_explodes"
    return EdgeOfChaos(float(sigma_w2), float(sigma_b2), float(chi1), kind)
