"""Certificates for one box: the contraction test (P1 Thm 4.1) and the Krawczyk test."""

from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from .._misc import real_array
from .._numerics import max_abs
from ..looped import LoopedNet, ParameterRadii
from ..looped._parameter_radii import checked_radii
from ..looped._rounding import (
    add,
    interval_matmul,
    point_matmul,
    round_down,
    round_up,
    subtract,
)
from ._interval import Box
from ._results import Certificate, CertificateMethod, CertificateReason

Method = Literal["auto", "contraction", "krawczyk"]
_METHODS = ("auto", "contraction", "krawczyk")


def check_box(net: LoopedNet, lower, upper) -> Box:
    """The box [lower, upper] for `net`, validated (shapes at trace time, values when
    concrete)."""
    if not isinstance(net, LoopedNet):
        raise ValueError(f"`net` must be a jaxfp.looped.LoopedNet, got {type(net).__name__}.")
    lower, upper = real_array(lower, "lower"), real_array(upper, "upper")
    for argument, value in (("lower", lower), ("upper", upper)):
        if value.shape != (net.dim,):
            raise ValueError(
                f"box `{argument}` must have shape (d,) = ({net.dim},) for this network, got "
                f"{value.shape}."
            )
    if not isinstance(lower, jax.core.Tracer) and not isinstance(upper, jax.core.Tracer):
        low, high = np.asarray(lower), np.asarray(upper)
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError("box `lower` and `upper` must be finite.")
        if np.any(low > high):
            raise ValueError("box needs `lower` <= `upper` in every coordinate.")
    return Box(lower, upper)


def check_method(method) -> None:
    """Refuse a certificate `method` other than "auto", "contraction" and "krawczyk"."""
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"`method` must be one of {_METHODS}, got {method!r}.")


def _row_sum_bound(low: Array, high: Array) -> Array:
    """Rigorous upper bound of max_i Σ_j max(|low_ij|, |high_ij|) (the ∞-norm bound)."""
    magnitude = jnp.maximum(jnp.abs(low), jnp.abs(high))
    n = magnitude.shape[-1]
    eps = jnp.finfo(magnitude.dtype).eps
    # NaN-keeping: a NaN entry makes the bound NaN (never < 1), where XLA:CPU's `jnp.max`
    # over ≥ 4096 row sums (a batch of boxes) could drop it and prove a contraction.
    return round_up(max_abs(jnp.sum(magnitude, axis=-1), axis=-1) * (1 + (n + 1) * eps), 2.0)


def robustness_margin(
    net: LoopedNet,
    lower: Float[Array, " d"],
    upper: Float[Array, " d"],
    *,
    radii: ParameterRadii | None = None,
) -> Float[Array, ""]:
    """The robustness margin δ of a box X (P1 Theorem 4.2): the largest δ with
    F(X) + B(0, δ) ⊆ X in the ∞-norm, as a rigorous lower bound from interval arithmetic
    (negative when F(X) leaves X). With parameter noise (`radii`: every W', b' with
    |W' − W| ≤ E, |b' − b| ≤ e entrywise) it is the margin left for all of them.

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        lower, upper: the box, shape (d,).
        radii: a `jaxfp.looped.ParameterRadii` (E, e), or None for the exact W, b.

    Returns:
        A scalar array δ.

    Raises:
        ValueError: on a box of the wrong shape, non-real, non-finite or reversed bounds, or
            `radii` that is not a `ParameterRadii` or does not fit the network's shapes.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.poly_network(2)
        >>> low, high = jnp.full(2, 1 - 0.2779), jnp.full(2, 1.2779)
        >>> delta = jaxfp.certify.robustness_margin(net, low, high)
        >>> round(float(delta), 4)
        0.1513
    """
    box = check_box(net, lower, upper)
    return _margin(net, box, checked_radii(radii, net.dim))


def image(net: LoopedNet, box: Box, radii: ParameterRadii) -> Box:
    """F(X): the interval enclosure of F over the box X (outward rounded)."""
    return Box(*net.interval(box.lower, box.upper, radii))


def _margin_of_image(box: Box, image: Box) -> Array:
    """Rigorous lower bound of the ∞-norm margin of the image F(X) inside X."""
    return jnp.minimum(
        jnp.min(round_down(image.lower - box.lower)), jnp.min(round_down(box.upper - image.upper))
    )


@eqx.filter_jit
def _margin(net, box, radii):
    return _margin_of_image(box, image(net, box, radii))


def _face_misses(net, box, jac_low, jac_high, radii) -> Array:
    """Whether some component g_i = x_i − F_i(x) provably has no zero in X, by monotonicity in
    its own coordinate: where ∂g_i/∂x_i = 1 − ∂F_i/∂x_i keeps one sign over X (from J_F's
    enclosure), g_i's range over X lies between its ranges over the two faces x_i = lower_i and
    x_i = upper_i, which the interval extension bounds without the dependency between x_i and
    F_i(x) that X − F(X) loses (for σ(Wx + b) and W σ(x) + b with monotone σ those face bounds
    are the exact ranges, up to rounding). Rigorous: only enclosures are compared."""
    lower, upper = box.lower, box.upper
    dim = lower.shape[0]
    own = jnp.eye(dim, dtype=bool)

    def on_face(value):
        """F's enclosure on each face x_i = value_i; the i-th component of the i-th face."""
        faces = Box(
            jnp.where(own, value[:, None], lower[None, :]),
            jnp.where(own, value[:, None], upper[None, :]),
        )
        images = jax.vmap(lambda face: image(net, face, radii))(faces)
        return jnp.diagonal(images.lower), jnp.diagonal(images.upper)

    at_lower_low, at_lower_high = on_face(lower)
    at_upper_low, at_upper_high = on_face(upper)
    # g_i on the faces: [value_i − F_i^high, value_i − F_i^low], outward rounded.
    g_lower = subtract(lower, lower, at_lower_low, at_lower_high)
    g_upper = subtract(upper, upper, at_upper_low, at_upper_high)
    slope_low, slope_high = subtract(1.0, 1.0, jnp.diagonal(jac_low), jnp.diagonal(jac_high))
    increasing, decreasing = slope_low > 0, slope_high < 0
    # Increasing in x_i: g_i(X) ⊆ [min over the lower face, max over the upper face].
    positive = (increasing & (g_lower[0] > 0)) | (decreasing & (g_upper[0] > 0))
    negative = (increasing & (g_upper[1] < 0)) | (decreasing & (g_lower[1] < 0))
    return jnp.any(positive | negative)


def preconditioner_at(net: LoopedNet, point: Array) -> Array:
    """C ≈ (I − J_F(point))⁻¹ for Krawczyk (the identity when singular: any C is rigorous)."""
    eye = jnp.eye(net.dim, dtype=point.dtype)
    inverse = jnp.linalg.inv(eye - net.jacobian(point))
    return jnp.where(jnp.all(jnp.isfinite(inverse)), inverse, eye)


def krawczyk(net, box: Box, radii, preconditioner) -> tuple[Box, Array]:
    """K(X) for x − F(x) = 0 and the bound ‖I − C(I − J(X))‖_∞. A NaN bound of K(X) (a
    singular preconditioner) carries no information: it is replaced by ∓inf."""
    lower, upper = box.lower, box.upper
    eye = jnp.eye(net.dim, dtype=lower.dtype)
    middle = box.midpoint
    if preconditioner is None:
        preconditioner = preconditioner_at(net, middle)
    image_low, image_high = net.interval(middle, middle, radii)
    residual_low, residual_high = subtract(middle, middle, image_low, image_high)
    step_low, step_high = point_matmul(preconditioner, residual_low, residual_high)
    newton_low, newton_high = subtract(middle, middle, step_low, step_high)
    jac_low, jac_high = net.jacobian_interval(lower, upper, radii)
    defect_low, defect_high = subtract(eye, eye, jac_low, jac_high)
    product_low, product_high = point_matmul(preconditioner, defect_low, defect_high)
    slope_low, slope_high = subtract(eye, eye, product_low, product_high)
    offset_low, offset_high = subtract(lower, upper, middle, middle)
    spread_low, spread_high = interval_matmul(slope_low, slope_high, offset_low, offset_high)
    k_low, k_high = add(newton_low, newton_high, spread_low, spread_high)
    return Box(k_low, k_high).nan_as_unbounded(), _row_sum_bound(slope_low, slope_high)


def certify_box(
    net: LoopedNet,
    lower: Float[Array, " d"],
    upper: Float[Array, " d"],
    *,
    method: Method = "auto",
    radii: ParameterRadii | None = None,
) -> Certificate:
    """Prove that the box X = [lower, upper] holds exactly one fixed point of F, rigorously.

    Two tests, each with outward-rounded interval arithmetic:

    - **contraction** (P1 Theorem 4.1, Ke et al. 2024, arXiv:2410.11279): F(X) ⊆ X and
      K = sup_X ‖J_F‖_∞ < 1. Then the fixed point is attracting and the margin of F(X) inside
      X is its robustness δ (Theorem 4.2).
    - **Krawczyk** (for x − F(x) = 0): with m the midpoint and C ≈ (I − J_F(m))⁻¹,
      K(X) = m − C(m − F(m)) + (I − C(I − J_F(X)))(X − m). K(X) ⊆ interior(X) proves existence
      and uniqueness in X for any kind of fixed point (saddles and repellers too).

    Both see every fixed point in X inside F(X) and K(X): if either misses X the box provably
    holds none (`reason == no_fixed_point`); so does a component g_i = x_i − F_i(x) that
    is monotone in x_i over X and keeps one sign on both faces x_i = lower_i, upper_i (a
    tighter range of g_i than X_i − F_i(X), which loses the dependency between them). With
    `radii` the tests hold for every W', b' within those entrywise radii (robustness to
    parameter noise).
    Written for one box; batch with `jax.vmap`; jit-friendly.

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        lower, upper: the box, shape (d,).
        method: `"auto"` (contraction, else Krawczyk), `"contraction"` or `"krawczyk"`.
        radii: a `jaxfp.looped.ParameterRadii` for interval weights W ± E and biases b ± e,
            or None for the exact W, b.

    Returns:
        A `jaxfp.certify.Certificate`.

    Raises:
        ValueError: on a box of the wrong shape, non-real, non-finite or reversed bounds (when
            concrete), `radii` that is not a `ParameterRadii` or does not fit the network's
            shapes, an unknown `method`, or a `net` that is not a `LoopedNet`.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.poly_network(3)
        >>> cert = jaxfp.certify.certify_box(net, jnp.full(3, 1 - 0.2779), jnp.full(3, 1.2779))
        >>> bool(cert.certified), round(float(cert.contraction_bound), 4)
        (True, 0.9495)
    """
    check_method(method)
    box = check_box(net, lower, upper)
    return certify_box_unchecked(net, box, method, checked_radii(radii, net.dim))


@eqx.filter_jit
def certify_box_unchecked(
    net, box: Box, method, radii: ParameterRadii, preconditioner=None, point=None
) -> Certificate:
    """`certify_box` after validation (compiled; also the body batched by the other entry
    points, which may pass a precomputed Krawczyk preconditioner and the point the box was
    built around, the midpoint by default)."""
    lower, upper = box.lower, box.upper
    valid = jnp.all(lower <= upper) & jnp.all(jnp.isfinite(lower)) & jnp.all(jnp.isfinite(upper))

    image_box = image(net, box, radii)
    jac_low, jac_high = net.jacobian_interval(lower, upper, radii)
    margin = _margin_of_image(box, image_box)
    bound = _row_sum_bound(jac_low, jac_high)
    invariant = jnp.all(image_box.lower >= lower) & jnp.all(image_box.upper <= upper)
    contracting = bound < 1
    misses = jnp.any(image_box.upper < lower) | jnp.any(image_box.lower > upper)
    misses = misses | _face_misses(net, box, jac_low, jac_high, radii)

    if method == "contraction":  # skip the Krawczyk work entirely
        k_box = Box(jnp.full_like(lower, -jnp.inf), jnp.full_like(upper, jnp.inf))
        k_bound = jnp.full_like(bound, jnp.inf)
    else:
        k_box, k_bound = krawczyk(net, box, radii, preconditioner)
    krawczyk_inside = jnp.all(k_box.lower > lower) & jnp.all(k_box.upper < upper)
    misses = misses | jnp.any(k_box.upper < lower) | jnp.any(k_box.lower > upper)

    use_contraction = method in ("auto", "contraction")
    use_krawczyk = method in ("auto", "krawczyk")
    by_contraction = valid & invariant & contracting & use_contraction
    by_krawczyk = valid & krawczyk_inside & use_krawczyk & ~by_contraction
    certified = by_contraction | by_krawczyk
    enclosures_finite = jnp.all(jnp.isfinite(image_box.lower) & jnp.isfinite(image_box.upper))

    if method == "krawczyk":
        failure = CertificateReason.krawczyk_failed
    else:
        failure = CertificateReason.where(
            invariant, CertificateReason.not_contracting, CertificateReason.not_invariant
        )
    reason = CertificateReason.where(
        certified,
        CertificateReason.certified,
        CertificateReason.where(
            valid & misses,
            CertificateReason.no_fixed_point,
            CertificateReason.where(
                valid & enclosures_finite, failure, CertificateReason.invalid_box
            ),
        ),
    )
    chosen = CertificateMethod.where(
        by_contraction,
        CertificateMethod.contraction,
        CertificateMethod.where(by_krawczyk, CertificateMethod.krawczyk, CertificateMethod.none),
    )
    return Certificate(
        certified=certified,
        method=chosen,
        reason=reason,
        contraction_bound=jnp.where(by_krawczyk, k_bound, bound),
        margin=margin,
        box=box,
        enclosure=box.intersect(image_box).intersect(k_box),
        point=box.midpoint if point is None else point,
    )
