"""`jaxfp.enumerate_fixed_points`: one entry point, methods as objects, one result."""

from .._validation import check_callable
from ..looped import LoopedNet
from ._fixed_points import FixedPoints
from ._method_auto import Auto
from ._method_base import AbstractEnumerationMethod

# Every run option any method takes (not hyperparameters: where and how a run happens).
RUN_OPTIONS = ("checkpoint", "resume", "devices", "part", "progress")


def enumerate_fixed_points(
    net: LoopedNet, method: AbstractEnumerationMethod | None = None, **run_options
) -> FixedPoints:
    """All fixed points of a looped network F(x) = σ(Wx + b) or W σ(x) + b (P1, Ke et al. 2024,
    arXiv:2410.11279; docs/theory.md), with the grounds on which the list is complete.

    The method is an object holding hyperparameters: `jaxfp.enumeration.Auto()` (default: the
    method chosen from σ's properties), `Starts(...)`, `ExactRegions(...)`,
    `BranchAndBound(box=...)`. `complete` is True only when the method proved it (`proof`).

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        method: a `jaxfp.enumeration.AbstractEnumerationMethod` (default `Auto()`).
        **run_options: where and how the run happens, not what it computes: `checkpoint`,
            `resume`, `devices`, `part`, `progress` (each method takes some of them).

    Returns:
        A `jaxfp.enumeration.FixedPoints`.

    Raises:
        ValueError: if `net` is not a `LoopedNet`, `method` is not a method, a run option is
            unknown or not taken by the method, or the method refuses the network.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> found = jaxfp.enumerate_fixed_points(jaxfp.looped.tanh_identity_network(2))
        >>> found.num_fixed_points, int(found.attracting.sum()), found.complete
        (9, 4, True)
    """
    if not isinstance(net, LoopedNet):
        raise ValueError(f"`net` must be a jaxfp.looped.LoopedNet, got {type(net).__name__}.")
    method = check_method_and_run_options(method, run_options)
    return method.run(net, **run_options)


def check_method_and_run_options(
    method: AbstractEnumerationMethod | None, run_options: dict
) -> AbstractEnumerationMethod:
    """`enumerate_fixed_points`'s checks of `method` (default `Auto()`) and `run_options`, which
    need no network (so callers that enumerate later, such as `jaxfp.probe.design_network`,
    run them before their own work); returns the method.

    Example:
        >>> check_method_and_run_options(None, {}).name
        'auto'
    """
    method = Auto() if method is None else method
    if not isinstance(method, AbstractEnumerationMethod):
        raise ValueError(
            "`method` must be a jaxfp.enumeration method (Auto(), Starts(...), ExactRegions(...),"
            f" BranchAndBound(...)), got {method!r}."
        )
    unknown = sorted(set(run_options) - set(RUN_OPTIONS))
    if unknown:
        raise ValueError(
            f"unknown run option(s) {unknown}: run options are {list(RUN_OPTIONS)}; "
            "hyperparameters belong to the method object (e.g. Starts(starts_per_orthant=4))."
        )
    refused = sorted(set(run_options) - set(method.run_options))
    if refused:
        raise ValueError(
            f"method {method.name!r} does not take the run option(s) {refused} "
            f"(it takes {list(method.run_options) or 'none'})."
        )
    check_callable(run_options.get("progress"), "progress")
    return method
