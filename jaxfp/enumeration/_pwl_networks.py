"""The public entry point: exact enumeration of a `jaxfp.looped.LoopedNet` with a PWL σ."""

import numpy as np

from ..looped import LoopedNet, PiecewiseLinear
from ._exact_regions import enumerate_pwl_regions
from ._results import PWLFixedPoints


def is_piecewise_linear(net: LoopedNet) -> bool:
    """Whether `net`'s activation is a `PiecewiseLinear`, so that the exact method applies."""
    return isinstance(net.activation, PiecewiseLinear)


def enumerate_pwl_fixed_points(net: LoopedNet, **options) -> PWLFixedPoints:
    """Every fixed point of a looped network with a piecewise-linear σ, exactly and completely.

    Inside each activation region (one piece of σ per coordinate) the network is affine, so the
    region's only candidate solves one linear system, and it is a fixed point exactly when it
    lies in its region. All (k + 1)^d regions are solved in float64 as batched LU solves, in
    chunks generated from integer indices, laid out over `devices`, after interval pruning;
    singular regions are classified exactly (SVD and linear programming), boundary points are
    reported once, and every point's residual is checked. The result carries the evidence of
    completeness (regions solved + pruned = all regions) and an upper bound on the count.
    This is the piecewise-linear case of the sign-basin enumeration of P1 (Ke, Li, Liang, Shi,
    Song 2024, arXiv:2410.11279).

    Args:
        net: a `jaxfp.looped.LoopedNet` whose activation is a `jaxfp.looped.PiecewiseLinear`
            (`relu`, `leaky_relu(a)`, `hardtanh`, `absolute`, or any `pwl:` activation), in either
            form.
        **options: the keyword options of `jaxfp.enumeration._exact_regions.
            enumerate_pwl_regions`, which does the work: `chunk_size` (regions per batch, the
            memory bound), `prune` (skip regions proven empty by interval bounds),
            `max_frontier` (the largest level of the pruning search tree), `tolerances` (the
            boundary, residual and singularity tolerances), `devices` (to spread each chunk
            over; default all local devices), `progress` (called after each chunk).

    The computation is in float64 whatever the global setting, but a `LoopedNet` built without
    `jax_enable_x64` already holds float32 weights: build it under float64 for exact weights.

    Returns:
        a `jaxfp.enumeration._results.PWLFixedPoints`.

    Raises:
        ValueError: if `net` is not a `LoopedNet`, its activation is not piecewise linear (use the
            iterative enumeration engine for those), or an option is invalid.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.LoopedNet(3.0 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.hardtanh())
        >>> found = enumerate_pwl_fixed_points(net)
        >>> found.num_fixed_points, int(found.attracting.sum()), found.complete
        (9, 4, True)
    """
    return enumerate_pwl_regions(*pwl_arrays(net), form=net.form, **options)


def pwl_arrays(net: LoopedNet) -> tuple[np.ndarray, ...]:
    """`(W, b, breakpoints, slopes, intercepts)` of a looped network with a piecewise-linear σ:
    the arguments of the exact-regions engine (`jaxfp.enumeration._exact_regions`).

    Raises:
        ValueError: if `net` is not a `LoopedNet` or its activation is not piecewise linear.
    """
    if not isinstance(net, LoopedNet):
        raise ValueError(f"`net` must be a jaxfp.looped.LoopedNet, got {type(net).__name__}.")
    if not is_piecewise_linear(net):
        raise ValueError(
            f"`net` has the activation {net.activation.name!r}, which is not piecewise linear: "
            "the exact region method needs a jaxfp.looped.PiecewiseLinear activation (relu, "
            "leaky_relu, hardtanh, abs, pwl:...); use the iterative enumeration engine instead."
        )
    pieces = net.activation
    return tuple(
        np.asarray(array)
        for array in (net.W, net.b, pieces.breakpoints, pieces.slopes, pieces.intercepts)
    )
