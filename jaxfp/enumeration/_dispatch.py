"""`jaxfp.enumerate_fixed_points`: one entry point, the exact or the iterative method."""

from typing import Literal

from ..looped import LoopedNet
from ._iterative import enumerate_iterative
from ._pwl_networks import enumerate_pwl_fixed_points, is_piecewise_linear
from ._result import IterativeFixedPoints
from ._results import PWLFixedPoints

METHODS = ("auto", "exact-regions", "iterative")


def enumerate_fixed_points(
    net: LoopedNet,
    *,
    method: Literal["auto", "exact-regions", "iterative"] = "auto",
    **options,
) -> IterativeFixedPoints | PWLFixedPoints:
    """All fixed points of a looped network F(x) = σ(Wx + b) or W σ(x) + b (P1, Ke et al. 2024,
    arXiv:2410.11279; docs/theory.md).

    - `method="exact-regions"` (piecewise-linear σ only): every activation region's linear system
      is solved; the list is exact and complete (`jaxfp.enumeration.enumerate_pwl_fixed_points`,
      returns a `PWLFixedPoints`).
    - `method="iterative"` (any σ): starts in every sign orthant, the iterated map plus Newton,
      deduplication, classification, certificates and the index-sum completeness check
      (`jaxfp.enumeration.enumerate_iterative`, returns an `IterativeFixedPoints`).
    - `method="auto"`: exact-regions for piecewise-linear σ, iterative otherwise.

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        method: `"auto"`, `"exact-regions"` or `"iterative"`.
        **options: keyword options of the chosen method (for the iterative one:
            `starts_per_orthant`, `centre`, `scale`, `sample`, `faces`, `seed`, `certify`,
            `checkpoint`, `resume`, `devices`, `chunk_size`, `options`, `callback`).

    Returns:
        An `IterativeFixedPoints` or a `PWLFixedPoints`; both have `points`, `attracting`,
        `certified`, `spectral_radius`, `index_sum`, `expected_degree` and `complete`.

    Raises:
        ValueError: for an unknown `method`, `exact-regions` on a non-piecewise-linear σ, an
            option the chosen method does not take, or any error of the method itself.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> found = jaxfp.enumerate_fixed_points(jaxfp.looped.tanh_identity_network(2))
        >>> found.method, found.n_fixed_points, int(found.attracting.sum())
        ('iterative', 9, 4)
    """
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}, got {method!r}.")
    if not isinstance(net, LoopedNet):
        raise ValueError(f"`net` must be a jaxfp.looped.LoopedNet, got {type(net).__name__}.")
    piecewise = is_piecewise_linear(net)
    if method == "auto":
        method = "exact-regions" if piecewise else "iterative"
    if method == "exact-regions" and not piecewise:
        raise ValueError(
            f"method 'exact-regions' needs a piecewise-linear activation; {net.activation.name!r} "
            "is not one (use method='iterative')."
        )
    solve = enumerate_pwl_fixed_points if method == "exact-regions" else enumerate_iterative
    try:
        return solve(net, **options)
    except TypeError as error:
        if "unexpected keyword argument" in str(error):
            raise ValueError(f"method {method!r}: {error}") from None
        raise
