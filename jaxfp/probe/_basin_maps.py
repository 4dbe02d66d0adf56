"""Basin maps on 2-D slices of state space, and Monte Carlo basin volumes."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Float, Int, PRNGKeyArray

from .._misc import check_key, check_positive_int, real_array
from .._numerics import wilson_interval
from .._validation import check_count, check_real
from ..certify import Interval
from ..looped import LoopedNet
from ._attraction import Attraction, check_attraction
from ._common import check_finite, check_net, check_points, check_state, is_index


class BasinMap(eqx.Module):
    """Which fixed point a solver reaches from each start of a 2-D grid.

    The starts are `origin + u·directions[0] + v·directions[1]` for u in `u` and v in `v`.

    - `u`, `v`: the grid coordinates, shapes (nu,), (nv,).
    - `origin`, `directions`: the slice, shapes (d,), (2, d).
    - `labels`: index into `fixed_points` of the limit from each start, −1 when the iteration
      did not converge or converged to a point not in the list; shape (nv, nu) (rows are v).
    - `steps`: iterations taken from each start, shape (nv, nu).
    - `result`: each start's `jaxfp.RESULTS` code, shape (nv, nu).
    - `fixed_points`: the list the limits were matched to, shape (n, d).

    The property `fraction` is the share of the grid reaching each fixed point.
    """

    u: Float[Array, " nu"]
    v: Float[Array, " nv"]
    origin: Float[Array, " d"]
    directions: Float[Array, "2 d"]
    labels: Int[Array, "nv nu"]
    steps: Int[Array, "nv nu"]
    result: Int[Array, "nv nu"]
    fixed_points: Float[Array, "n d"]

    @property
    def fraction(self) -> Float[Array, " n"]:
        """Fraction of the slice's grid reaching each fixed point (area fractions), shape (n,).

        Example:
            >>> import jax.numpy as jnp, jaxfp
            >>> net = jaxfp.looped.tanh_identity_network(2)
            >>> points = jnp.array([[0.957504, 0.957504]])
            >>> grid = jaxfp.probe.basin_map(net, points, extent=(0.5, 1.5), resolution=4)
            >>> grid.fraction.tolist()
            [1.0]
        """
        counts = jnp.sum(self.labels[..., None] == jnp.arange(len(self.fixed_points)), (0, 1))
        return counts / self.labels.size


def _slice(net: LoopedNet, plane, origin):
    dim = net.dim
    origin = jnp.zeros(dim) if origin is None else check_state(origin, dim, "origin")
    if isinstance(plane, (tuple, list)) and len(plane) == 2 and all(map(is_index, plane)):
        first, second = (int(index) for index in plane)
        if not (0 <= first < dim and 0 <= second < dim and first != second):
            raise ValueError(
                f"`plane` must name two different coordinates in 0 … {dim - 1}, got {plane}."
            )
        return origin, jnp.eye(dim)[jnp.array([first, second])]
    message = (
        f"`plane` must be two coordinate indices (i, j) or two direction vectors of shape "
        f"(2, {dim}), got {plane!r}."
    )
    try:
        directions = real_array(plane, "plane")
    except ValueError:
        raise ValueError(message) from None
    if directions.shape != (2, dim) or jnp.issubdtype(jnp.asarray(plane).dtype, jnp.bool_):
        raise ValueError(message)
    check_finite(directions, "plane")
    if np.linalg.matrix_rank(np.asarray(directions)) < 2:
        raise ValueError("`plane`'s two direction vectors must be linearly independent.")
    return origin, directions


def _range(extent, name) -> tuple[float, float]:
    message = f"`{name}` must be a pair (low, high) of finite numbers, got {extent!r}."
    try:
        for value in extent:
            check_real(value, name)
        low, high = (float(value) for value in extent)
    except (TypeError, ValueError):
        raise ValueError(message) from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(message)
    if not math.isfinite(high - low):
        raise ValueError(f"`{name}` spans more than the largest float: got {extent!r}.")
    if not low < high:
        raise ValueError(f"`{name}` must have low < high, got {extent!r}.")
    return low, high


def _box(lower, upper, dim: int) -> tuple[Array, Array]:
    """The box [lower, upper] of `basin_volumes` as two finite vectors of shape (d,)."""
    ends = []
    for name, value in (("lower", lower), ("upper", upper)):
        end = check_finite(real_array(value, name), name)
        if end.ndim > 1 or end.shape not in ((), (1,), (dim,)):
            raise ValueError(f"`{name}` must be a number or of shape ({dim},), got {end.shape}.")
        ends.append(jnp.broadcast_to(end, (dim,)))
    low, high = ends
    if not bool(np.all(np.asarray(low) < np.asarray(high))):
        raise ValueError("`lower` must be below `upper` in every coordinate.")
    return low, high


def basin_map(
    net: LoopedNet,
    fixed_points: ArrayLike,
    *,
    plane: tuple[int, int] | ArrayLike = (0, 1),
    origin: ArrayLike | None = None,
    extent: tuple[float, float] = (-2.0, 2.0),
    extent_v: tuple[float, float] | None = None,
    resolution: int = 64,
    attraction: Attraction = Attraction(),
) -> BasinMap:
    """The basins of attraction of a solver on a 2-D slice through state space.

    `attraction` iterates from every start of a `resolution × resolution` grid and matches each
    limit to the nearest listed fixed point; its default solver, `jaxfp.Picard`, is the plain
    iteration x_{t+1} = F(x_t), the network's own dynamics (another solver maps its own basins,
    see `jaxfp.probe.Attraction`).

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        fixed_points: the fixed points to match, shape (n, d) (e.g. from the enumeration).
        plane: two coordinate indices (i, j) (the slice spanned by e_i, e_j) or a (2, d) array
            of direction vectors.
        origin: the slice's origin, shape (d,) (default 0).
        extent: (low, high) of the first grid coordinate u.
        extent_v: (low, high) of v (default: `extent`).
        resolution: grid points per axis.
        attraction: the `jaxfp.probe.Attraction` (solver, `max_steps`, `match_tolerance`,
            `lanes`) run from each start.

    Returns:
        A `jaxfp.probe.BasinMap`.

    Raises:
        ValueError: for a bad `net`, `fixed_points`, `plane`, `origin`, extents or
            `resolution`, before any start is solved (a bad `attraction` is refused when built).

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(2)
        >>> x = 0.957504
        >>> points = jnp.array([[x, x], [-x, x], [x, -x], [-x, -x]])
        >>> attraction = jaxfp.probe.Attraction(max_steps=500)
        >>> grid = jaxfp.probe.basin_map(net, points, extent=(-1.0, 1.0), resolution=4,
        ...                              attraction=attraction)
        >>> grid.labels.tolist()
        [[3, 3, 2, 2], [3, 3, 2, 2], [1, 1, 0, 0], [1, 1, 0, 0]]
    """
    net = check_net(net)
    points = check_points(fixed_points, net.dim)
    origin, directions = _slice(net, plane, origin)
    u_low, u_high = _range(extent, "extent")
    v_low, v_high = _range(extent if extent_v is None else extent_v, "extent_v")
    resolution = check_positive_int(resolution, "resolution")
    check_attraction(attraction)
    u = np.linspace(u_low, u_high, resolution)
    v = np.linspace(v_low, v_high, resolution)
    uu, vv = np.meshgrid(u, v)
    starts = origin + uu.reshape(-1, 1) * directions[0] + vv.reshape(-1, 1) * directions[1]
    labels, solution = attraction(net, points, starts)
    shape = (resolution, resolution)
    return BasinMap(
        u=jnp.asarray(u),
        v=jnp.asarray(v),
        origin=origin,
        directions=directions,
        labels=labels.reshape(shape),
        steps=solution.stats.num_steps.reshape(shape),
        result=solution.result._value.reshape(shape),
        fixed_points=points,
    )


class BasinVolumes(eqx.Module):
    """Monte Carlo estimates of the basin volumes inside a box, with Wilson intervals.

    - `counts`: starts reaching each fixed point, shape (n,).
    - `num_samples`, `confidence`: as requested.

    The estimates are computed from these: `fraction`, `interval` (the Wilson score interval
    at `confidence`, Wilson 1927, a `jaxfp.certify.Interval`; `lower` and `upper` are its
    ends), and `unmatched`.
    """

    counts: Int[Array, " n"]
    num_samples: int = eqx.field(static=True)
    confidence: float = eqx.field(static=True)

    @property
    def fraction(self) -> Float[Array, " n"]:
        """Fraction of uniform starts reaching each fixed point, shape (n,)."""
        return self.counts / self.num_samples

    @property
    def interval(self) -> Interval:
        """Each fraction's Wilson score interval at `confidence`, shape (n,).

        Example:
            >>> import jax.numpy as jnp, jaxfp
            >>> volumes = jaxfp.probe.BasinVolumes(jnp.array([50, 50]), 100, 0.95)
            >>> [round(float(e), 4) for e in (volumes.interval.lower[0], volumes.upper[0])]
            [0.4038, 0.5962]
        """
        return Interval(*wilson_interval(self.counts, self.num_samples, self.confidence))

    @property
    def lower(self) -> Float[Array, " n"]:
        """`interval.lower`, shape (n,)."""
        return self.interval.lower

    @property
    def upper(self) -> Float[Array, " n"]:
        """`interval.upper`, shape (n,)."""
        return self.interval.upper

    @property
    def unmatched(self) -> Int[Array, ""]:
        """Starts that did not converge to a listed fixed point (cycles, other points,
        non-convergence)."""
        return self.num_samples - jnp.sum(self.counts)


def basin_volumes(
    net: LoopedNet,
    fixed_points: ArrayLike,
    *,
    lower: ArrayLike,
    upper: ArrayLike,
    num_samples: int = 4096,
    key: PRNGKeyArray | None = None,
    seed: int = 0,
    confidence: float = 0.95,
    attraction: Attraction = Attraction(),
) -> BasinVolumes:
    """Fractions of the box [lower, upper] attracted to each fixed point (Monte Carlo).

    Uniform starts in the box are solved with `jaxfp.fixed_point_batched` and matched to the
    nearest listed fixed point; the fraction reaching each comes with a Wilson score interval,
    which stays honest for fractions near 0 or 1 and for few samples.

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        fixed_points: the fixed points, shape (n, d).
        lower, upper: the box, shapes (d,) (or scalars).
        num_samples: uniform starts drawn.
        key: a `jax.random` key (default: `jax.random.PRNGKey(seed)`).
        seed: the seed when `key` is None.
        confidence: confidence level of the intervals.
        attraction: the `jaxfp.probe.Attraction` run from each start (the fractions are
            those of its solver's basins).

    Returns:
        A `jaxfp.probe.BasinVolumes`.

    Raises:
        ValueError: for a bad `net`, `fixed_points`, box, `num_samples`, `confidence`, `seed`,
            `key` or `attraction`, before any start is drawn.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(1)
        >>> points = jnp.array([[-0.957504], [0.957504]])
        >>> out = jaxfp.probe.basin_volumes(net, points, lower=-1.0, upper=1.0,
        ...                                 num_samples=1000)
        >>> bool(out.lower[1] < 0.5 < out.upper[1])
        True
    """
    net = check_net(net)
    points = check_points(fixed_points, net.dim)
    low, high = _box(lower, upper, net.dim)
    num_samples = check_positive_int(num_samples, "num_samples")
    check_real(confidence, "confidence", 0, 1, open_lower=True)
    if key is None:
        seed = check_count(seed, "seed", minimum=0)
    else:
        check_key(key)
    check_attraction(attraction)
    key = jax.random.PRNGKey(seed) if key is None else key
    starts = jax.random.uniform(key, (num_samples, net.dim), minval=low, maxval=high)
    labels, _ = attraction(net, points, starts)
    counts = jnp.sum(labels[:, None] == jnp.arange(len(points)), axis=0)
    return BasinVolumes(counts=counts, num_samples=num_samples, confidence=confidence)
