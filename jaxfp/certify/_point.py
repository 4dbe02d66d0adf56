"""A certificate per found fixed point: a small box around it, radius chosen automatically."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._exported import exported_jit
from .._misc import real_array
from .._numerics import max_abs
from ..looped import LoopedNet, ParameterRadii
from ..looped._parameter_radii import checked_radii
from ..looped._rounding import as_float, round_down, round_up
from ._box import (
    Method,
    certify_box_unchecked,
    check_method,
    image,
    krawczyk,
    preconditioner_at,
)
from ._interval import Box
from ._results import Certificate, CertificateMethod, CertificateReason

# Points certified together (vmap) inside the sequential map over a batch: large enough to
# amortise dispatch, small enough for the d × d interval matrices to stay in cache.
_CHUNK = 1024
# Radii tried when `radius=None`, relative to 1 + ‖x*‖_∞ (plus the smallest sensible radius).
_LADDER = (1e-1, 1e-2, 1e-3, 1e-5, 1e-8)
# Rounds of tightening of a certified enclosure, at most, and the width (in ulps of
# 1 + ‖x*‖_∞) below which it is not tightened further: a polished point stays inside.
_TIGHTEN_ROUNDS = 16
_TIGHTEST_ULPS = 1024


@exported_jit
def _batch(net, points, radius, method, radii) -> Certificate:
    return jax.lax.map(
        lambda point: _one(net, point, radius, method, radii),
        points,
        batch_size=min(points.shape[0], _CHUNK),
    )


def _tightened(net, certificate, method, radii, preconditioner) -> Certificate:
    """`certificate` with its enclosure E of the unique fixed point x̂ tightened (so that its
    `encloses_point` and `point_distance` speak of the tight E). x̂ ∈ E gives x̂ = F(x̂) ∈ F(E)
    and x̂ ∈ K(E) (Krawczyk, unless `method` is "contraction"), so E ← E ∩ F(E) ∩ K(E),
    outward rounded, still holds x̂, and so does E widened (within the last E) to
    `_TIGHTEST_ULPS` about its centre; the rounds stop when E stops halving. Without this a
    point far from x̂ could lie in the loose first enclosure of a large certified box."""
    point = certificate.point
    floor = _TIGHTEST_ULPS * jnp.finfo(point.dtype).eps * (1.0 + max_abs(point))
    if method != "contraction" and preconditioner is None:
        preconditioner = preconditioner_at(net, point)  # any C is rigorous: one for all rounds

    def shrink(carry):
        enclosure, _, rounds = carry
        new = enclosure.intersect(image(net, enclosure, radii).nan_as_unbounded())
        if method != "contraction":
            new = new.intersect(krawczyk(net, enclosure, radii, preconditioner)[0])
        # Widened back to the floor around its centre (a superset: still rigorous), so that a
        # point within the floor of x̂ is never cut off by a round that overshoots.
        centre = new.midpoint
        new = Box(
            jnp.maximum(enclosure.lower, jnp.minimum(new.lower, round_down(centre - floor))),
            jnp.minimum(enclosure.upper, jnp.maximum(new.upper, round_up(centre + floor))),
        )
        halved = max_abs(new.width) <= 0.5 * max_abs(enclosure.width)
        return new, halved, rounds + 1

    def keep_going(carry):
        _, halved, rounds = carry
        return halved & (rounds < _TIGHTEN_ROUNDS)

    start = (certificate.enclosure, certificate.certified, 0)
    enclosure, _, _ = jax.lax.while_loop(keep_going, shrink, start)
    return eqx.tree_at(lambda c: c.enclosure, certificate, enclosure)


def _about_point(certificate: Certificate) -> Certificate:
    """`certified` only when the box holds one fixed point *and* the point is in its enclosure."""
    about_point = certificate.certified & certificate.encloses_point
    reason = CertificateReason.where(
        certificate.certified & ~certificate.encloses_point,
        CertificateReason.point_not_enclosed,
        certificate.reason,
    )
    method = CertificateMethod.where(about_point, certificate.method, CertificateMethod.none)
    return eqx.tree_at(
        lambda c: (c.certified, c.reason, c.method), certificate, (about_point, reason, method)
    )


def _certify_at(net, point, box, method, radii, preconditioner=None):
    """The certificate of `box` built around `point`, about `point`."""
    certificate = certify_box_unchecked(net, box, method, radii, preconditioner, point)
    return _about_point(_tightened(net, certificate, method, radii, preconditioner))


@eqx.filter_jit
def _one(net, point, radius, method, radii) -> Certificate:
    def box(r):
        return Box(round_down(point - r), round_up(point + r))

    if radius is not None:
        return _certify_at(net, point, box(radius), method, radii)
    preconditioner = None if method == "contraction" else preconditioner_at(net, point)
    newton_step = (
        jnp.zeros_like(point) if preconditioner is None else preconditioner @ (point - net(point))
    )
    scale = 1.0 + max_abs(point)
    smallest = jnp.maximum(4.0 * max_abs(newton_step), 64.0 * jnp.finfo(point.dtype).eps * scale)
    # Largest first; the last rung is the smallest sensible box.
    rungs = jnp.concatenate([scale * jnp.asarray(_LADDER, point.dtype), smallest[None]])
    rungs = jnp.maximum(rungs, smallest)

    def attempt(index):
        return _certify_at(net, point, box(rungs[index]), method, radii, preconditioner)

    # Largest radius first, stopping at the first certified one (so a batch of attracting
    # points pays for one rung). The loop starts from a blank refusal, so that the attempt is
    # traced (and compiled) once.
    blank = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), jax.eval_shape(attempt, 0))

    def keep_going(carry):
        index, certificate = carry
        return (~certificate.certified) & (index < len(rungs))

    def next_rung(carry):
        index, _ = carry
        return index + 1, attempt(index)

    _, certificate = jax.lax.while_loop(keep_going, next_rung, (0, blank))
    return certificate


def certify_fixed_point(
    net: LoopedNet,
    x_star: Float[Array, "*batch d"],
    radius: ArrayLike | None = None,
    *,
    method: Method = "auto",
    radii: ParameterRadii | None = None,
) -> Certificate:
    """Certify a (numerically found) fixed point with a box X = x* ± r (`certify_box`).

    The answer is about the given point: `certified` is True only when X provably holds
    exactly one fixed point x̂ **and** x* lies in x̂'s enclosure (`encloses_point`): X ∩ F(X) ∩
    K(X), tightened by rounds of E ← E ∩ F(E) ∩ K(E) while it halves (down to about a thousand
    ulps of 1 + ‖x*‖_∞, so a polished point stays inside); `point_distance` bounds ‖x* − x̂‖_∞
    rigorously. A point near a fixed point but outside its enclosure gets
    `reason == point_not_enclosed`.

    With `radius=None` the radius is chosen automatically: it tries the radii
    (1 + ‖x*‖_∞)·{10⁻¹, 10⁻², 10⁻³, 10⁻⁵, 10⁻⁸} and the smallest sensible radius (4× the Newton
    correction ‖(I − J)⁻¹(x* − F(x*))‖_∞, at least 64 ulps), largest first, and keeps the
    **largest** box that certifies the point (the strongest statement: uniqueness in a bigger
    region, and for attracting points the contraction test with its robustness margin). If none
    certifies, the smallest box's refusal is returned. The preconditioner is computed once per
    point.

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        x_star: one point (d,) or a batch (n, d) (certified in vmapped chunks of 1024).
        radius: None (automatic), or a radius ≥ 0 (scalar or (d,)).
        method: `"auto"`, `"contraction"` or `"krawczyk"` (see `certify_box`).
        radii: a `jaxfp.looped.ParameterRadii` for interval parameters W ± E, b ± e (see
            `certify_box`), or None for the exact W, b.

    Returns:
        A `jaxfp.certify.Certificate` (with a leading batch axis for a batch of points).

    Raises:
        ValueError: if `x_star` is not real or does not have shape (d,) or (n, d), `radius` is
            negative or not finite, `method` is unknown, or the other arguments are invalid
            (see `certify_box`).

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(2, gain=2.0)
        >>> points = jaxfp.looped.reference_fixed_points("tanh-identity", 2)
        >>> certs = jaxfp.certify.certify_fixed_point(net, points)
        >>> bool(certs.certified.all())
        True
    """
    if not isinstance(net, LoopedNet):
        raise ValueError(f"`net` must be a jaxfp.looped.LoopedNet, got {type(net).__name__}.")
    check_method(method)
    x_star = real_array(x_star, "x_star")
    if x_star.ndim not in (1, 2) or x_star.shape[-1] != net.dim:
        raise ValueError(
            f"`x_star` must have shape (d,) or (n, d) with d = {net.dim}, got {x_star.shape}."
        )
    if radius is not None:
        radius = as_float(radius)
        if radius.shape not in ((), (net.dim,)):
            raise ValueError(
                f"`radius` must be a scalar or have shape ({net.dim},), got {radius.shape}."
            )
        if not isinstance(radius, jax.core.Tracer) and not bool(
            jnp.all(jnp.isfinite(radius) & (radius >= 0))
        ):
            raise ValueError(f"`radius` must be finite and ≥ 0, got {radius}.")
    radii = checked_radii(radii, net.dim)
    if x_star.ndim == 2:
        return _batch(net, x_star, radius, method, radii)
    return _one(net, x_star, radius, method, radii)
