"""Basin escape: the smallest perturbation that sends the iteration to another fixed point."""

import functools
from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from .._fixed_point import fixed_point
from .._misc import check_positive, check_positive_int
from .._numerics import max_abs
from .._solution import RESULTS
from .._solver import Monitor, Picard
from ..looped import LoopedNet
from ._common import (
    check_net,
    check_optimizer,
    check_points,
    check_state,
    default_tolerance,
    is_index,
    spectral_radius,
)

Norm = Literal["l2", "linf", "l1"]
Mode = Literal["state", "bias"]

# An iterate counts as converged when max|F(x) − x| is below this.
_CONVERGED = 1e-8
# Scales tried (times target − x0) for a first perturbation that reaches the target.
_INITIAL_SCALES = (1.0, 2.0, 4.0, 8.0, 16.0)
# The hinge asks the target to be nearer than every other fixed point by this fraction of
# their squared separation.
_MARGIN = 0.1
# The default optimizer's rate (relative to the first perturbation), and the fraction of it
# reached after `optimizer_steps` steps.
_RATE = 0.05
_FINAL_FRACTION = 0.01


class EscapeResult(eqx.Module):
    """The smallest perturbation found that makes the iteration converge elsewhere.

    - `perturbation`: δ (added to x₀ in mode `"state"`, to b in mode `"bias"`), shape (d,);
      zeros when no δ was found.
    - `size`: ‖δ‖ in the chosen norm (+inf when no candidate δ reached an allowed target).
    - `start_index`: the fixed point the unperturbed iteration reaches (−1: none).
    - `target_index`: the basin aimed at (with `target=None`, the nearest one found; −1 when
      none was found).
    - `reached_index`: the fixed point the plain iteration reaches from the perturbed problem,
      verified by `jaxfp.fixed_point` with `jaxfp.Picard` (−1: none; in mode `"bias"` the
      limit is matched to the nearest fixed point of the unperturbed network).
    - `reached_point`: where that iteration converged, shape (d,).
    - `mode`, `norm`: as requested.

    The property `success` says whether the search worked.
    """

    perturbation: Float[Array, " d"]
    size: Float[Array, ""]
    start_index: Int[Array, ""]
    target_index: Int[Array, ""]
    reached_index: Int[Array, ""]
    reached_point: Float[Array, " d"]
    mode: str = eqx.field(static=True)
    norm: str = eqx.field(static=True)

    @property
    def success(self) -> Bool[Array, ""]:
        """A δ was found (`size` finite), its verified limit is the target
        (`reached_index == target_index`), and the target is another basin than the start's."""
        return (
            jnp.isfinite(self.size)
            & (self.reached_index == self.target_index)
            & (self.target_index != self.start_index)
        )


_NORMS = ("l2", "linf", "l1")
_MODES = ("state", "bias")


def _unroll(net, x, steps: int):
    return jax.lax.fori_loop(0, steps, lambda _, y: net(y), x)


def _nearest(points, x):
    return jnp.argmin(jnp.max(jnp.abs(points - x), axis=-1))


class _Problem(eqx.Module):
    """What is perturbed and measured: the start x₀ of `net`, its fixed points, and the mode
    and norm as indices into `_MODES`, `_NORMS` (arrays: one compilation serves all)."""

    net: LoopedNet
    x0: Float[Array, " d"]
    points: Float[Array, "n d"]
    mode: Int[Array, ""]
    norm: Int[Array, ""]

    def size(self, delta):
        """‖δ‖ in the problem's norm."""
        sizes = jnp.stack(
            [
                jnp.sqrt(jnp.sum(delta**2) + jnp.finfo(delta.dtype).tiny),
                jnp.max(jnp.abs(delta)),
                jnp.sum(jnp.abs(delta)),
            ]
        )
        return sizes[self.norm]

    def perturbed(self, delta):
        """The perturbed (network, start): δ added to the bias or to x₀."""
        on_bias = (self.mode == 1).astype(delta.dtype)
        net_p = eqx.tree_at(lambda n: n.b, self.net, self.net.b + on_bias * delta)
        return net_p, self.x0 + (1 - on_bias) * delta

    def lands(self, delta, target, steps: int):
        """Does the plain iteration (`steps` steps) from the perturbed problem converge next to
        fixed point `target` (nearest among `points`)?"""
        net_p, start = self.perturbed(delta)
        end = _unroll(net_p, start, steps)
        threshold = default_tolerance(end.dtype, _CONVERGED, 1e-4)
        converged = max_abs(net_p(end) - end) < threshold
        return converged & (_nearest(self.points, end) == target)


class _Search(eqx.Module):
    """How `escape_basin` searches: its checked options (the problem is an argument)."""

    unroll_steps: int = eqx.field(static=True)
    verify_steps: int = eqx.field(static=True)
    optimizer_steps: int = eqx.field(static=True)
    bisection_steps: int = eqx.field(static=True)
    optimizer: optax.GradientTransformation
    penalty: Float[Array, ""]  # an array: one compilation serves every penalty

    def surrogate(self, problem: _Problem, delta, target, separation, reference):
        """‖δ‖ (relative to the first perturbation) + penalty · hinge on the distances of
        F^T(perturbed start) to the target and to the nearest other fixed point."""
        net_p, start = problem.perturbed(delta)
        end = _unroll(net_p, start, self.unroll_steps)
        squared = jnp.sum((problem.points - end) ** 2, axis=-1)
        others = jnp.min(jnp.where(jnp.arange(squared.shape[0]) == target, jnp.inf, squared))
        hinge = jax.nn.relu((squared[target] - others) / separation + _MARGIN)
        return problem.size(delta) / reference + self.penalty * hinge

    def towards(self, problem: _Problem, target):
        """Search for the smallest δ reaching `target`: (δ, size, found)."""
        points = problem.points
        direction = points[target] - problem.x0
        scales = jnp.asarray(_INITIAL_SCALES, problem.x0.dtype)
        feasible = jax.vmap(lambda c: problem.lands(c * direction, target, self.verify_steps))(
            scales
        )
        delta0 = scales[jnp.argmax(feasible)] * direction
        found = jnp.any(feasible)
        reference = problem.size(delta0)
        distances = jnp.sum((points - points[target]) ** 2, axis=-1)
        separation = jnp.min(jnp.where(distances > 0, distances, jnp.inf))
        # The optimizer's updates are in units of the first perturbation's largest entry.
        unit = jnp.max(jnp.abs(delta0))
        optimizer = self.optimizer
        loss_grad = jax.grad(lambda d: self.surrogate(problem, d, target, separation, reference))
        check_steps = 4 * self.unroll_steps

        def step(carry, _):
            delta, state, best, best_size = carry
            updates, state = optimizer.update(loss_grad(delta), state)
            delta = optax.apply_updates(delta, unit * updates)
            size = problem.size(delta)
            reaches = problem.lands(delta, target, check_steps)
            better = reaches & (size < best_size)
            best = jnp.where(better, delta, best)
            # A step that leaves the target's basin is rejected: the search hugs the boundary.
            delta = jnp.where(reaches, delta, best)
            return (delta, state, best, jnp.where(better, size, best_size)), None

        init = (delta0, optimizer.init(delta0), delta0, reference)
        (last, _, best, _), _ = jax.lax.scan(step, init, None, length=self.optimizer_steps)
        # The smallest δ seen and the last accepted one (which has slid furthest along the
        # boundary) are both pulled onto the boundary along their rays; the smaller wins.
        rays = jnp.stack([best, last])
        reaching = jax.vmap(lambda d: problem.lands(d, target, self.verify_steps))(rays)
        rays = jnp.where(reaching[:, None], rays, delta0)
        deltas = jax.vmap(lambda d: self.to_boundary(problem, d, target))(rays)
        sizes = jax.vmap(problem.size)(deltas)
        return deltas[jnp.argmin(sizes)], jnp.min(sizes), found

    def to_boundary(self, problem: _Problem, delta, target):
        """s·δ with the smallest s ∈ (0, 1] found by bisection whose iteration still reaches
        `target` (δ itself must reach it)."""

        def bisect(_, bounds):
            low, high = bounds
            middle = 0.5 * (low + high)
            reaches = problem.lands(middle * delta, target, self.verify_steps)
            return jnp.where(reaches, low, middle), jnp.where(reaches, middle, high)

        one = jnp.ones((), delta.dtype)
        # Below ~2^-16 relative in float32 the end point would sit within round-off of the
        # boundary, where the verifying iteration cannot tell the sides apart.
        steps = min(self.bisection_steps, int(default_tolerance(delta.dtype, 60, 16)))
        _, high = jax.lax.fori_loop(0, steps, bisect, (0 * one, one))
        return high * delta


@eqx.filter_jit
def _escape(search: _Search, problem: _Problem, target):
    """Searches every candidate target at once (vmap) and verifies the best one."""
    net, points = problem.net, problem.points
    attracting = jax.vmap(lambda x: spectral_radius(net, x))(points) < 1
    start = _solve(net, problem.x0, search.verify_steps)
    start_index = jnp.where(start.result == RESULTS.successful, _nearest(points, start.value), -1)
    candidates = jnp.arange(points.shape[0])
    allowed = jnp.where(target < 0, attracting & (candidates != start_index), candidates == target)
    deltas, sizes, found = jax.vmap(lambda c: search.towards(problem, c))(candidates)
    sizes = jnp.where(allowed & found, sizes, jnp.inf)
    nearest = jnp.argmin(sizes)
    # With no δ found, the result names the target asked for (−1: none) and δ = 0, not the
    # first candidate's unverified attempt.
    any_found = jnp.isfinite(sizes[nearest])
    best = jnp.where(any_found, nearest, target)
    delta = jnp.where(any_found, deltas[nearest], jnp.zeros_like(problem.x0))
    net_p, start_p = problem.perturbed(delta)
    reached = _solve(net_p, start_p, 4 * search.verify_steps)
    ok = reached.result == RESULTS.successful
    reached_index = jnp.where(ok, _nearest(points, reached.value), -1)
    return delta, sizes[nearest], start_index, best, reached_index, reached.value


@functools.lru_cache(maxsize=8)
def _default_optimizer(steps: int) -> optax.GradientTransformation:
    """Adam whose rate decays from 0.05 to 1% of that over `steps` steps: `escape_basin`'s
    optimizer for `optimizer=None`. One object per `steps` (cached), so repeated calls reuse
    the compiled search instead of compiling it again for a new, equal optimizer."""
    return optax.adam(optax.exponential_decay(_RATE, steps, _FINAL_FRACTION))


def _solve(net, x, max_steps):
    tolerance = default_tolerance(x.dtype, 1e-13, 1e-6)
    return fixed_point(
        net.fixed_point_fn,
        Picard(rtol=tolerance, atol=tolerance),
        x,
        max_steps=max_steps,
        throw=False,
        monitor=Monitor(stagnation_patience=None, divergence_ratio=None),
    )


def escape_basin(
    net: LoopedNet,
    x0: ArrayLike,
    fixed_points: ArrayLike,
    *,
    target: int | None = None,
    mode: Mode = "state",
    norm: Norm = "l2",
    unroll_steps: int = 10,
    optimizer_steps: int = 150,
    optimizer: optax.GradientTransformation | None = None,
    penalty: float = 10.0,
    verify_steps: int = 2000,
    bisection_steps: int = 30,
) -> EscapeResult:
    """The smallest perturbation of a start x₀ (or of the bias) that changes its basin.

    The plain iteration x_{t+1} = F(x_t) from x₀ converges to some fixed point. This finds a
    small δ (in the `norm` given) such that the iteration from x₀ + δ (mode `"state"`), or the
    iteration of σ(Wx + b + δ) from x₀ (mode `"bias"`: an input entering the bias), converges
    to fixed point `target` — or, with `target=None`, to any other attracting fixed point (all
    candidates are searched at once with `jax.vmap` and the smallest δ wins).

    Method: the basin indicator is piecewise constant, so it is replaced by a differentiable
    surrogate (in the spirit of Carlini & Wagner's margin attacks, 2017): the distance of
    F^T(x₀ + δ) (T = `unroll_steps` unrolled steps) to the target fixed point must undercut
    its distance to every other fixed point by a margin. The Optax `optimizer` minimises
    ‖δ‖ + penalty · hinge from a δ that reaches the target, rejecting steps whose plain
    iteration leaves the target's basin (so the search slides along the basin boundary) and
    keeping the smallest δ that reaches it; a bisection along that δ's ray then lands on the
    basin boundary, and the final δ is verified by re-running the plain iteration with
    `jaxfp.fixed_point`.
    Where the boundary is the stable manifold of a repelling or saddle fixed point, the size
    found is the distance to it along the best direction.

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        x0: the start, shape (d,).
        fixed_points: the fixed points of `net`, shape (n, d) (e.g. from the enumeration);
            limits are matched to the nearest of them.
        target: index into `fixed_points` to reach, or None for "any other attracting one".
        mode: `"state"` (perturb x₀) or `"bias"` (perturb b, i.e. an input u with b + u).
        norm: `"l2"`, `"linf"` or `"l1"`.
        unroll_steps: T, the unrolled steps of the surrogate.
        optimizer_steps: optimizer steps.
        optimizer: the Optax optimizer of δ, with any rate or schedule; its updates are taken
            in units of the first perturbation's largest entry (a rate is relative to it).
            None: Adam whose rate decays from 0.05 to 1% of that over `optimizer_steps` steps.
            The optimizer is part of the compiled search and is compared by identity: passing
            the same object again (or None) reuses the compilation, a new one (even an equal
            `optax.adam(0.05)`) compiles the search again.
        penalty: weight of the hinge against ‖δ‖.
        verify_steps: plain-iteration steps when checking a candidate δ.
        bisection_steps: bisection steps along the best ray.

    Returns:
        A `jaxfp.probe.EscapeResult`; read `success`, `size` and `reached_index`.

    Raises:
        ValueError: for a bad `net`, `x0`, `fixed_points`, `target`, `mode`, `norm`, a
            non-positive count, or an `optimizer` that is not an `optax.GradientTransformation`.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(1, gain=2.0)
        >>> points = jnp.array([[-0.957504], [0.0], [0.957504]])
        >>> out = jaxfp.probe.escape_basin(net, jnp.array([0.5]), points)
        >>> bool(out.success), int(out.reached_index), round(float(out.size), 4)
        (True, 0, 0.5)
    """
    net = check_net(net)
    x0 = check_state(x0, net.dim, "x0")
    points = check_points(fixed_points, net.dim)
    if mode not in _MODES:
        raise ValueError(f"`mode` must be 'state' or 'bias', got {mode!r}.")
    if norm not in _NORMS:
        raise ValueError(f"`norm` must be 'l2', 'linf' or 'l1', got {norm!r}.")
    if target is not None and not (is_index(target) and 0 <= target < len(points)):
        raise ValueError(
            f"`target` must be None or an index into `fixed_points` (0 … {len(points) - 1}), "
            f"got {target!r}."
        )
    problem = _Problem(
        net, x0, points, jnp.asarray(_MODES.index(mode)), jnp.asarray(_NORMS.index(norm))
    )
    optimizer_steps = check_positive_int(optimizer_steps, "optimizer_steps")
    search = _Search(
        check_positive_int(unroll_steps, "unroll_steps"),
        check_positive_int(verify_steps, "verify_steps"),
        optimizer_steps,
        check_positive_int(bisection_steps, "bisection_steps"),
        check_optimizer(_default_optimizer(optimizer_steps) if optimizer is None else optimizer),
        jnp.asarray(check_positive(penalty, "penalty"), x0.dtype),
    )
    code = jnp.asarray(-1 if target is None else int(target))
    return EscapeResult(*_escape(search, problem, code), mode, norm)
