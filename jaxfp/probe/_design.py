"""Basin design: train W, b so that chosen sign patterns hold robust attracting fixed points."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from .. import certify
from .._misc import check_positive, check_positive_int
from ..enumeration._dispatch import check_method_and_run_options, enumerate_fixed_points
from ..looped import LoopedNet
from ._common import check_net, check_optimizer

# Steps each forbidden orthant's probe start is iterated in the surrogate.
_PROBE_STEPS = 30


class DesignResult(eqx.Module):
    """A trained looped network and the evidence that it holds the requested fixed points.

    - `net`: the trained `LoopedNet`.
    - `patterns`: the requested sign patterns (±1), shape (k, d); `forbidden`: the patterns
      that must hold no attracting fixed point, shape (m, d).
    - `certificates`: `jaxfp.certify.certify_box` on the trained box around each requested
      fixed point: a `jaxfp.certify.Certificate` whose leaves have leading axis k, with the
      boxes (`box.lower`, `box.upper`, shape (k, d)), their robustness margins δ (`margin`, P1
      Theorem 4.2, rigorous) and their bounds on ‖J_F‖∞ (`contraction_bound`).
    - `requested_margin`: the robustness margin δ asked for.
    - `fixed_points`, `attracting`: the enumeration's full list and its classification.
    - `loss`: the training loss per step.

    Computed from these: `certified`, `found`, `forbidden_found` and `success`.
    """

    net: LoopedNet
    patterns: Int[Array, "k d"]
    forbidden: Int[Array, "m d"]
    certificates: certify.Certificate
    requested_margin: float = eqx.field(static=True)
    fixed_points: Float[Array, "n d"]
    attracting: Bool[Array, " n"]
    loss: Float[Array, " steps"]

    @property
    def certified(self) -> Bool[Array, " k"]:
        """Each box provably holds exactly one fixed point (contraction, P1 Theorem 4.1) with
        (up to 0.1%) the margin asked for."""
        margin = self.certificates.margin
        return self.certificates.certified & (margin >= self.requested_margin * 0.999)

    @property
    def found(self) -> Bool[Array, " k"]:
        """The enumeration found an attracting fixed point with each requested pattern."""
        return self._holds_attracting(self.patterns)

    @property
    def forbidden_found(self) -> Bool[Array, " m"]:
        """The enumeration found an attracting fixed point with each forbidden pattern."""
        return self._holds_attracting(self.forbidden)

    @property
    def success(self) -> bool:
        """Every box certified with the margin asked for, every requested pattern found by the
        enumeration, and no forbidden one."""
        return bool(
            np.all(np.asarray(self.certified))
            and np.all(np.asarray(self.found))
            and not np.any(np.asarray(self.forbidden_found))
        )

    def _holds_attracting(self, patterns) -> Bool[Array, " p"]:
        points = np.asarray(self.fixed_points)[np.asarray(self.attracting, bool)]
        signs = {tuple(row) for row in np.where(points > 0, 1, -1).tolist()}
        return jnp.asarray([tuple(row) in signs for row in np.asarray(patterns).tolist()], bool)


def _check_patterns(patterns, dim: int, name: str) -> Int[Array, "k d"]:
    array = np.asarray(patterns)
    if array.size == 0:
        return jnp.zeros((0, dim), int)
    if array.ndim != 2 or array.shape[1] != dim or not np.all(np.isin(array, (-1, 1))):
        raise ValueError(
            f"`{name}` must be an array of shape (k, {dim}) with entries ±1 (one sign pattern "
            f"per row), got shape {array.shape}."
        )
    if len({tuple(row) for row in array.tolist()}) != len(array):
        raise ValueError(f"`{name}` repeats a sign pattern.")
    return jnp.asarray(array, int)


class _Targets(eqx.Module):
    """What the training aims at; the options are arrays, so one compilation serves them all."""

    patterns: Float[Array, "k d"]
    forbidden: Float[Array, "m d"]
    radius: Float[Array, ""]
    margin: Float[Array, ""]
    contraction: Float[Array, ""]
    gap: Float[Array, ""]


def _row_bound(low, high):
    return jnp.sum(jnp.maximum(jnp.abs(low), jnp.abs(high)), axis=-1)


def _loss(params, net: LoopedNet, targets: _Targets, contraction_weight):
    weight, bias, centers = params
    centers = jnp.where(contraction_weight > 0, centers, jax.lax.stop_gradient(centers))
    net = eqx.tree_at(lambda n: (n.W, n.b), net, (weight, bias))
    radius = targets.radius

    def box_terms(center, pattern):
        lower, upper = center - radius, center + radius
        image_low, image_high = net.interval(lower, upper)
        invariance = jax.nn.relu(targets.margin - (image_low - lower)) + jax.nn.relu(
            targets.margin - (upper - image_high)
        )
        rows = _row_bound(*net.jacobian_interval(lower, upper))
        contraction = jax.nn.relu(rows - targets.contraction)
        orthant = jax.nn.relu(targets.gap + radius - pattern * center)
        return jnp.sum(invariance) + contraction_weight * jnp.sum(contraction) + jnp.sum(orthant)

    total = jnp.sum(jax.vmap(box_terms)(centers, targets.patterns))
    if targets.forbidden.shape[0]:
        scale = jnp.mean(jnp.abs(centers))

        def forbidden_term(pattern):
            end = jax.lax.fori_loop(0, _PROBE_STEPS, lambda _, x: net(x), scale * pattern)
            return jax.nn.relu(jnp.min(pattern * end) + targets.gap)

        total = total + contraction_weight * jnp.sum(jax.vmap(forbidden_term)(targets.forbidden))
    return total


@eqx.filter_jit
def _train(net, targets, centers, steps: int, optimizer):
    params = (net.W, net.b, centers)
    grad = jax.value_and_grad(_loss)

    def step(carry, index):
        params, state = carry
        # Warm-up (first quarter): the boxes stay put and only invariance and the orthants count,
        # so a small starting W first grows past the bistable threshold (the contraction and
        # forbidden terms, or boxes sliding towards a single fixed point, would block it).
        # Then they are phased in linearly over the next half.
        weight = jnp.clip((index - steps // 4) / max(steps // 2, 1), 0.0, 1.0)
        value, gradient = grad(params, net, targets, weight)
        updates, state = optimizer.update(gradient, state)
        return (optax.apply_updates(params, updates), state), value

    (params, _), losses = jax.lax.scan(step, (params, optimizer.init(params)), jnp.arange(steps))
    return params, losses


def _check_enumeration_options(options: dict | None) -> dict:
    """`enumeration_options` as a dict, checked as `jaxfp.enumerate_fixed_points` will check
    it, before the training (so a mistake does not surface after every optimizer step)."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise ValueError(
            "`enumeration_options` must be a dict of keyword options for "
            f"jaxfp.enumerate_fixed_points, got {type(options).__name__}."
        )
    if "net" in options:
        raise ValueError("`enumeration_options` must not hold `net` (the trained network).")
    run_options = {key: value for key, value in options.items() if key != "method"}
    check_method_and_run_options(options.get("method"), run_options)
    return dict(options)


def design_network(
    net: LoopedNet,
    patterns: ArrayLike,
    *,
    forbidden: ArrayLike | None = None,
    radius: float = 0.25,
    margin: float = 0.05,
    contraction: float = 0.9,
    gap: float = 0.05,
    steps: int = 800,
    optimizer: optax.GradientTransformation = optax.adam(0.02),
    enumeration_options: dict | None = None,
) -> DesignResult:
    """Train W, b (Optax) so that each requested sign pattern holds a robust attracting fixed
    point, and (optionally) the forbidden patterns hold none; then verify.

    Each requested pattern s gets a trainable box X_s = [c_s − r, c_s + r] inside its orthant
    (s ⊙ c_s ≥ r + gap). The loss is zero exactly when interval arithmetic proves, for every
    box, F(X_s) + B(0, margin) ⊆ X_s and every row of |J_F| over X_s sums to ≤ `contraction`:
    the sufficient conditions of P1 (Ke et al. 2024, arXiv:2410.11279) Theorems 4.1–4.2 —
    exactly one attracting fixed point in X_s, robust to noise of size `margin`. So training
    drives the certificate itself. A forbidden pattern s' adds the penalty that the iteration
    from inside its orthant stays there (relu(min_i s'_i x_T,i + gap), T = 30 steps).

    Verification uses other code paths: `jaxfp.certify.certify_box` on every box (its `margin`
    is `jaxfp.certify.robustness_margin`), and `jaxfp.enumerate_fixed_points` for the
    full list of fixed points (the requested patterns must hold an attracting one, the
    forbidden ones none).

    Args:
        net: the starting `jaxfp.looped.LoopedNet` (its activation and form are kept).
        patterns: requested sign patterns, shape (k, d), entries ±1.
        forbidden: sign patterns that must hold no attracting fixed point, shape (m, d).
        radius: half-width r of each box (∞-norm).
        margin: the robustness margin δ asked for.
        contraction: the bound asked for on ‖J_F‖∞ over each box (< 1).
        gap: how far the boxes stay inside their orthants.
        steps: optimizer steps.
        optimizer: the Optax optimizer of (W, b, box centres), with any rate or schedule. It is
            part of the compiled training and is compared by identity: the same object (or the
            default) reuses the compilation, a new one (even an equal `optax.adam(0.02)`)
            compiles the training again.
        enumeration_options: keyword options for `jaxfp.enumerate_fixed_points`.

    Returns:
        A `jaxfp.probe.DesignResult`; `success` says whether everything was verified.

    Raises:
        ValueError: for a bad `net`, patterns (shape, entries, repeats, or a pattern both
            requested and forbidden), a non-positive option / `contraction` ≥ 1, an
            `optimizer` that is not an `optax.GradientTransformation`, or
            `enumeration_options` that `jaxfp.enumerate_fixed_points` would refuse (all
            checked before the training).

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> start = jaxfp.looped.LoopedNet(0.5 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.Tanh())
        >>> out = jaxfp.probe.design_network(start, [[1, 1], [-1, 1]], forbidden=[[1, -1]])
        >>> out.success
        True
    """
    net = check_net(net)
    dim = net.dim
    patterns = _check_patterns(patterns, dim, "patterns")
    if patterns.shape[0] == 0:
        raise ValueError("`patterns` must hold at least one sign pattern.")
    forbidden = _check_patterns([] if forbidden is None else forbidden, dim, "forbidden")
    overlap = {tuple(r) for r in np.asarray(patterns).tolist()} & {
        tuple(r) for r in np.asarray(forbidden).tolist()
    }
    if overlap:
        raise ValueError(f"pattern(s) {sorted(overlap)} are both requested and forbidden.")
    radius = check_positive(radius, "radius")
    margin = check_positive(margin, "margin")
    gap = check_positive(gap, "gap")
    contraction = check_positive(contraction, "contraction")
    if contraction >= 1:
        raise ValueError(f"`contraction` must be below 1, got {contraction}.")
    steps = check_positive_int(steps, "steps")
    optimizer = check_optimizer(optimizer)
    enumeration_options = _check_enumeration_options(enumeration_options)
    dtype = net.W.dtype
    options = (jnp.asarray(value, dtype) for value in (radius, margin, contraction, gap))
    targets = _Targets(patterns.astype(dtype), forbidden.astype(dtype), *options)
    centers = patterns.astype(dtype) * (radius + gap + margin + 0.5)
    (weight, bias, centers), losses = _train(net, targets, centers, steps, optimizer)
    trained = LoopedNet(weight, bias, net.activation, net.form)
    certify_around = lambda center: certify.certify_box(trained, center - radius, center + radius)
    certificates = jax.vmap(certify_around)(centers)
    found = enumerate_fixed_points(trained, **enumeration_options)
    return DesignResult(
        net=trained,
        patterns=patterns,
        forbidden=forbidden,
        certificates=certificates,
        requested_margin=margin,
        fixed_points=jnp.asarray(found.points).reshape(-1, dim),
        attracting=jnp.asarray(found.attracting, bool),
        loss=losses,
    )
