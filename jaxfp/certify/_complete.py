"""Certified-complete search: branch and bound over a box, proving every fixed point in it."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int

from ..looped import LoopedNet
from ..looped._rounding import point_matmul
from ._box import certify_box_unchecked, check_box, check_radii, radii_as_arrays
from ._results import CertificateMethod, CertificateReason

# Boxes are split at this fraction of their widest side (off-centre, so a fixed point at a
# symmetric position, such as the origin, does not land on a face between two boxes).
_SPLIT = 0.4637
# Fraction of a box's width kept around its enclosure when it is shrunk.
_INFLATE = 0.01
# Newton steps that sharpen each certified point inside its box.
_NEWTON_STEPS = 30


class CompleteCertificate(eqx.Module):
    """The outcome of `certify_complete`.

    - `searched_lower`, `searched_upper`: the box that was searched (shape (d,)).
    - `boxes_lower`, `boxes_upper`: (n, d), one box per certified fixed point; each holds
      exactly one fixed point, in its interior, and the boxes do not overlap.
    - `enclosures_lower`, `enclosures_upper`: (n, d), tight boxes that hold those fixed points.
    - `points`: (n, d), each fixed point to working precision (Newton from the midpoint of its
      enclosure, kept inside it).
    - `methods`: (n,) `CertificateMethod` codes (1 contraction, 2 Krawczyk).
    - `complete`: True when the search finished within its budget: then the searched box holds
      **exactly** these n fixed points and no others.
    - `undecided_lower`, `undecided_upper`: (m, d) boxes neither excluded nor certified when
      the budget ran out (or too small to split further); empty when `complete`.
    - `boxes_processed`: how many boxes were examined.
    """

    searched_lower: Float[Array, " d"]
    searched_upper: Float[Array, " d"]
    boxes_lower: Float[Array, "n d"]
    boxes_upper: Float[Array, "n d"]
    enclosures_lower: Float[Array, "n d"]
    enclosures_upper: Float[Array, "n d"]
    points: Float[Array, "n d"]
    methods: Int[Array, " n"]
    complete: Bool[Array, ""]
    undecided_lower: Float[Array, "m d"]
    undecided_upper: Float[Array, "m d"]
    boxes_processed: int = eqx.field(static=True)

    @property
    def n_fixed_points(self) -> int:
        return int(self.points.shape[0])


def _a_priori_box(net: LoopedNet) -> tuple[Array, Array]:
    low, high = net.activation.output_range
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(
            f"activation {net.activation.name!r} is unbounded (output range ({low}, {high})), "
            "so there is no a-priori box holding every fixed point: pass `lower` and `upper`."
        )
    ones = jnp.ones(net.dim, dtype=net.W.dtype)
    if net.form == "sigma-affine":
        return low * ones, high * ones
    image_low, image_high = point_matmul(net.W, low * ones, high * ones)
    return image_low + net.b, image_high + net.b  # widened below


@eqx.filter_jit
def _polish(net, lower, upper, start):
    """Newton from each enclosure's midpoint, kept inside its box (the box is proved to hold
    exactly one fixed point, so this only sharpens the reported coordinates)."""

    def one(low, high, x):
        eye = jnp.eye(net.dim, dtype=x.dtype)

        def step(x, _):
            update = jnp.linalg.solve(eye - net.jacobian(x), x - net(x))
            update = jnp.where(jnp.all(jnp.isfinite(update)), update, 0.0)
            return jnp.clip(x - update, low, high), None

        return jax.lax.scan(step, x, None, length=_NEWTON_STEPS)[0]

    return jax.vmap(one)(lower, upper, start)


@eqx.filter_jit
def _examine(net, lower, upper, weight_radius, bias_radius):
    return jax.vmap(
        lambda low, high: certify_box_unchecked(net, low, high, "auto", weight_radius, bias_radius)
    )(lower, upper)


def certify_complete(
    net: LoopedNet,
    lower: Float[Array, " d"] | None = None,
    upper: Float[Array, " d"] | None = None,
    *,
    max_boxes: int = 200_000,
    batch_size: int = 256,
    min_width: float = 1e-10,
    weight_radius=None,
    bias_radius=0.0,
) -> CompleteCertificate:
    """Find and prove **all** fixed points of F in a box, by branch and bound.

    Each box X is examined with `certify_box`: it is discarded when it provably holds no fixed
    point (F(X) or K(X) misses X), kept as a certified fixed point when the Krawczyk or
    contraction test proves exactly one fixed point in its interior, and otherwise shrunk to
    X ∩ F(X) ∩ K(X) (which keeps every fixed point; inflated by 1% of X's width, inside X) and
    split in two along its widest side.
    When no box is left, the certified boxes hold every fixed point in the searched box,
    one each (`complete=True`).

    For a bounded activation the box defaults to one that holds every fixed point of F
    (σ's `output_range`^d for σ(Wx + b), W·range + b for W σ(x) + b); an unbounded activation
    needs the user's box. The result records the box searched.

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        lower, upper: the box to search (both or neither).
        max_boxes: budget of boxes examined before giving up (`complete=False`).
        batch_size: boxes examined together (one compiled batch).
        min_width: boxes narrower than this (relative to 1 + |x|) are left undecided.
        weight_radius, bias_radius: interval parameters (see `certify_box`): then a certified
            box holds exactly one fixed point for every W', b' within the radii.

    Returns:
        A `jaxfp.certify.CompleteCertificate`.

    Raises:
        ValueError: if only one of `lower`/`upper` is given, the box is invalid, the activation
            is unbounded and no box is given, or a budget argument is not positive.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> result = jaxfp.certify.certify_complete(jaxfp.looped.tanh_identity_network(1, 2.0))
        >>> result.n_fixed_points, bool(result.complete)
        (3, True)
    """
    if not isinstance(net, LoopedNet):
        raise ValueError(f"`net` must be a jaxfp.looped.LoopedNet, got {type(net).__name__}.")
    for argument, value in (("max_boxes", max_boxes), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{argument}` must be a positive integer, got {value!r}.")
    if not (math.isfinite(min_width) and min_width > 0):
        raise ValueError(f"`min_width` must be finite and > 0, got {min_width!r}.")
    if (lower is None) != (upper is None):
        raise ValueError("give both `lower` and `upper` (the box to search), or neither.")
    if lower is None:
        lower, upper = _a_priori_box(net)
        # Outward by a relative hair: the a-priori box must be closed around the range.
        pad = 1e-12 * (1.0 + jnp.maximum(jnp.abs(lower), jnp.abs(upper)))
        lower, upper = lower - pad, upper + pad
    lower, upper = check_box(net, lower, upper)
    check_radii(weight_radius, bias_radius)
    weight_radius, bias_radius = radii_as_arrays(weight_radius, bias_radius)
    dim = net.dim

    pending = [(np.asarray(lower), np.asarray(upper))]
    found_boxes, found_enclosures, found_methods, undecided = [], [], [], []
    processed = 0
    while pending and processed < max_boxes:
        take = pending[-batch_size:]
        del pending[-batch_size:]
        processed += len(take)
        batch_lower = np.stack([box[0] for box in take])
        batch_upper = np.stack([box[1] for box in take])
        padding = batch_size - len(take)
        padded_lower = np.concatenate([batch_lower, np.repeat(batch_lower[:1], padding, 0)])
        padded_upper = np.concatenate([batch_upper, np.repeat(batch_upper[:1], padding, 0)])
        certificate = _examine(
            net, jnp.asarray(padded_lower), jnp.asarray(padded_upper), weight_radius, bias_radius
        )
        certified = np.asarray(certificate.certified)[: len(take)]
        reasons = np.asarray(certificate.reason._value)[: len(take)]
        methods = np.asarray(certificate.method._value)[: len(take)]
        margin = np.asarray(certificate.margin)[: len(take)]
        enclosure_lower = np.asarray(certificate.enclosure_lower)[: len(take)]
        enclosure_upper = np.asarray(certificate.enclosure_upper)[: len(take)]
        excluded_code = CertificateReason.no_fixed_point._value
        krawczyk_code = CertificateMethod.krawczyk._value
        for i in range(len(take)):
            low, high = batch_lower[i], batch_upper[i]
            # The fixed point must be in the interior, so neighbouring boxes never share it.
            interior = methods[i] == krawczyk_code or margin[i] > 0
            if certified[i] and interior:
                found_boxes.append((low, high))
                found_enclosures.append((enclosure_lower[i], enclosure_upper[i]))
                found_methods.append(methods[i])
                continue
            if reasons[i] == excluded_code or np.any(enclosure_lower[i] > enclosure_upper[i]):
                continue
            # Shrink to the enclosure, inflated by a little of the old width and kept inside the
            # old box (the enclosure may be degenerate at a super-attracting point).
            pad = _INFLATE * (high - low)
            low = np.maximum(low, enclosure_lower[i] - pad)
            high = np.minimum(high, enclosure_upper[i] + pad)
            width = high - low
            if np.max(width / (1.0 + np.maximum(np.abs(low), np.abs(high)))) < min_width:
                undecided.append((low, high))
                continue
            axis = int(np.argmax(width))
            cut = low[axis] + _SPLIT * width[axis]
            left_high, right_low = high.copy(), low.copy()
            left_high[axis], right_low[axis] = cut, cut
            pending.append((low, left_high))
            pending.append((right_low, high))
    undecided.extend(pending)

    def stack(pairs, index):
        if not pairs:
            return jnp.zeros((0, dim), dtype=lower.dtype)
        return jnp.asarray(np.stack([pair[index] for pair in pairs]))

    enclosures_lower, enclosures_upper = stack(found_enclosures, 0), stack(found_enclosures, 1)
    points = 0.5 * (enclosures_lower + enclosures_upper)
    if found_enclosures:
        points = _polish(net, enclosures_lower, enclosures_upper, points)
    return CompleteCertificate(
        searched_lower=lower,
        searched_upper=upper,
        boxes_lower=stack(found_boxes, 0),
        boxes_upper=stack(found_boxes, 1),
        enclosures_lower=enclosures_lower,
        enclosures_upper=enclosures_upper,
        points=points,
        methods=jnp.asarray(np.asarray(found_methods, dtype=np.int32)),
        complete=jnp.asarray(not undecided),
        undecided_lower=stack(undecided, 0),
        undecided_upper=stack(undecided, 1),
        boxes_processed=processed,
    )
