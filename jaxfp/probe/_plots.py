"""Pictures of probing results: bifurcation diagrams and basin maps (matplotlib)."""

from collections.abc import Sequence

import numpy as np

from ._basin_maps import BasinMap
from ._common import is_index
from ._continuation import Branch


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6, 4.5))[1]


def plot_bifurcation_diagram(branches: Branch | Sequence[Branch], coordinate: int = 0, ax=None):
    """Draw branches x*_i(λ): stable parts solid, unstable dashed, folds and other stability
    changes marked.

    Args:
        branches: one `jaxfp.probe.Branch` or several.
        coordinate: which entry i of x* to plot.
        ax: a matplotlib axes (default: a new figure).

    Returns:
        The matplotlib axes.

    Raises:
        ValueError: if `branches` holds no `Branch` or something else, or `coordinate` is not
            an index into the states.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(1)
        >>> branch = jaxfp.probe.continue_fixed_point(net, "bias:0", jnp.array([-0.99]), -1, 1)
        >>> ax = jaxfp.probe.plot_bifurcation_diagram(branch)
    """
    branches = [branches] if isinstance(branches, Branch) else list(branches)
    if not branches or not all(isinstance(branch, Branch) for branch in branches):
        raise ValueError(
            "`branches` must be a jaxfp.probe.Branch or a non-empty sequence of them, got "
            f"{[type(branch).__name__ for branch in branches]}."
        )
    for branch in branches:
        dim = branch.states.shape[1]
        if not (is_index(coordinate) and 0 <= coordinate < dim):
            raise ValueError(f"`coordinate` must be in 0 … {dim - 1}, got {coordinate!r}.")
    ax = _axes(ax)
    for number, branch in enumerate(branches):
        value = np.asarray(branch.parameter)
        state = np.asarray(branch.states[:, coordinate])
        stable = np.asarray(branch.stable)
        for flag, style in ((True, "-"), (False, "--")):
            masked = np.where(stable == flag, state, np.nan)
            label = None
            if number == 0:
                label = "stable" if flag else "unstable"
            ax.plot(value, masked, style, color="C0" if flag else "C3", label=label)
        for events, marker, name in (
            (branch.folds, "o", "fold"),
            (branch.stability_changes, "x", "stability change"),
        ):
            if len(events.kind):
                ax.plot(
                    np.asarray(events.parameter),
                    np.asarray(events.states[:, coordinate]),
                    marker,
                    color="k",
                    label=name if number == 0 else None,
                )
    ax.set_xlabel(branches[0].parameter_name)
    ax.set_ylabel(f"x*[{coordinate}]")
    ax.legend(loc="best")
    return ax


def plot_basin_map(basin: BasinMap, ax=None):
    """Colour each start of a basin map by the fixed point it reaches (grey: none) and mark
    the listed fixed points that lie in the slice.

    Args:
        basin: a `jaxfp.probe.BasinMap`.
        ax: a matplotlib axes (default: a new figure).

    Returns:
        The matplotlib axes.

    Raises:
        ValueError: if `basin` is not a `BasinMap`.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(2)
        >>> points = jnp.array([[0.957504, 0.957504], [-0.957504, -0.957504]])
        >>> ax = jaxfp.probe.plot_basin_map(jaxfp.probe.basin_map(net, points, resolution=8))
    """
    import matplotlib.colors as colors

    if not isinstance(basin, BasinMap):
        raise ValueError(f"`basin` must be a jaxfp.probe.BasinMap, got {type(basin).__name__}.")
    ax = _axes(ax)
    labels = np.asarray(basin.labels)
    count = len(basin.fixed_points)
    palette = ["0.85"] + [f"C{k % 10}" for k in range(count)]
    cmap = colors.ListedColormap(palette)
    u, v = np.asarray(basin.u), np.asarray(basin.v)
    ax.imshow(
        labels + 1,
        origin="lower",
        extent=(u[0], u[-1], v[0], v[-1]),
        cmap=cmap,
        vmin=-0.5,
        vmax=count + 0.5,
        interpolation="nearest",
        aspect="auto",
    )
    directions = np.asarray(basin.directions)
    offsets = np.asarray(basin.fixed_points) - np.asarray(basin.origin)
    coefficients, *_ = np.linalg.lstsq(directions.T, offsets.T, rcond=None)
    in_plane = np.linalg.norm(directions.T @ coefficients - offsets.T, axis=0) < 1e-6
    for k in np.flatnonzero(in_plane):
        ax.plot(*coefficients[:, k], "k*", markersize=9)
        ax.annotate(str(k), coefficients[:, k], textcoords="offset points", xytext=(4, 4))
    ax.set_xlabel("u")
    ax.set_ylabel("v")
    return ax
