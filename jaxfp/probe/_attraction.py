"""`Attraction`: how `basin_map` and `basin_volumes` iterate from each start and match the limit
it reaches to a listed fixed point."""

import functools as ft

import equinox as eqx
from jaxtyping import Array, ArrayLike, Float, Int

from .._batched import fixed_point_batched
from .._misc import check_positive, check_positive_int
from .._numerics import match_points
from .._solution import RESULTS, Solution
from .._solver import AbstractFixedPointSolver, Picard
from .._solver.base import check_solver
from ..looped import LoopedNet
from ._common import check_net, check_points


@eqx.filter_jit
def _labels(solution, points, match_tolerance):
    converged = solution.result == RESULTS.successful
    return match_points(solution.value, points, match_tolerance, 0.0, valid=converged)


class Attraction(eqx.Module):
    """How a basin probe iterates from each start and matches the limit it reaches: one record
    for `jaxfp.probe.basin_map` and `jaxfp.probe.basin_volumes` alike, checked when built.

    Calling it runs `solver` from every start with `jaxfp.fixed_point_batched`, whose refilled
    lanes keep the cost at the total number of steps, and matches each limit to the nearest
    listed fixed point. The default, `jaxfp.Picard`, is the plain iteration x_{t+1} = F(x_t):
    the network's own dynamics. Any other solver has its own basins, which may differ:
    Anderson, Broyden and Newton can converge to a repelling fixed point, or from a start the
    plain iteration carries elsewhere.

    Args:
        solver: the `jaxfp.AbstractFixedPointSolver` whose basins are probed; its `rtol`,
            `atol` and `norm` are the stopping rule.
        max_steps: iteration limit per start.
        match_tolerance: max-norm distance within which a limit matches a listed fixed point.
        lanes: starts solved at once.

    Raises:
        ValueError: naming the field, for a `solver` that is not a jaxfp solver, a `max_steps`
            or `lanes` that is not a positive integer, or a `match_tolerance` that is not a
            positive finite number.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(1)
        >>> points = jnp.array([[-0.957504], [0.957504]])
        >>> attraction = jaxfp.probe.Attraction(max_steps=200, lanes=2)
        >>> labels, solution = attraction(net, points, jnp.array([[-0.5], [0.3], [2.0]]))
        >>> labels.tolist(), (solution.result == jaxfp.RESULTS.successful).tolist()
        ([0, 1, 1], [True, True, True])
    """

    solver: AbstractFixedPointSolver = Picard(rtol=1e-10, atol=1e-10)
    max_steps: int = eqx.field(
        default=1000, static=True, converter=ft.partial(check_positive_int, name="max_steps")
    )
    match_tolerance: float = eqx.field(
        default=1e-6, static=True, converter=ft.partial(check_positive, name="match_tolerance")
    )
    lanes: int = eqx.field(
        default=1024, static=True, converter=ft.partial(check_positive_int, name="lanes")
    )

    def __check_init__(self):
        check_solver(self.solver)

    def __call__(
        self, net: LoopedNet, fixed_points: ArrayLike, starts: Float[Array, "m d"]
    ) -> tuple[Int[Array, " m"], Solution]:
        """The index into `fixed_points` of the limit each start reaches (−1: the iteration
        did not converge, or converged to a point not in the list), and the batched solve's
        `jaxfp.Solution` (`stats.num_steps`: the steps from each start; `result`: each start's
        `jaxfp.RESULTS` code).

        Raises:
            ValueError: for a bad `net` or `fixed_points`.
        """
        net = check_net(net)
        points = check_points(fixed_points, net.dim)
        solution = fixed_point_batched(
            net.fixed_point_fn,
            self.solver,
            starts,
            lanes=min(self.lanes, len(starts)),
            max_steps=self.max_steps,
        )
        return _labels(solution, points, self.match_tolerance), solution


def check_attraction(attraction) -> None:
    """A `ValueError` naming `attraction` unless it is a `jaxfp.probe.Attraction` (the check of
    the functions that take one, as `check_solver` is for solvers)."""
    if not isinstance(attraction, Attraction):
        raise ValueError(
            f"`attraction` must be a jaxfp.probe.Attraction, got {type(attraction).__name__}."
        )
