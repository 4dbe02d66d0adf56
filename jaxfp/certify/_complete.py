"""Certified-complete search: branch and bound over a box, proving every fixed point in it."""

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Int

from .._exported import exported_jit
from .._numerics.diagnostics import _bucket
from .._validation import check_count, check_real
from ..looped import LoopedNet, ParameterRadii
from ..looped._parameter_radii import checked_radii
from ._a_priori import a_priori_box
from ._box import check_box
from ._branch import concatenate_rows, run_search
from ._interval import Box

# Newton steps that sharpen each certified point inside its box.
_NEWTON_STEPS = 30

# Points compared with every proven box at once by `CompleteCertificate.locate`.
_LOCATE_BATCH = 64


class CompleteCertificate(eqx.Module):
    """The outcome of `certify_complete`.

    - `searched`: the `Box` that was searched (leaves of shape (d,)).
    - `boxes`: n `Box`es (leaves (n, d)), one per proven fixed point; each holds exactly one
      fixed point, in its interior, and the boxes' interiors do not overlap.
    - `enclosures`: n tight `Box`es (leaves (n, d)) that hold those fixed points.
    - `points`: (n, d), each fixed point to working precision (Newton from the midpoint of its
      enclosure, kept inside it).
    - `methods`: (n,) `CertificateMethod` codes (1 contraction, 2 Krawczyk).
    - `margins`: (n,) the robustness margin δ of each proven box (P1 Theorem 4.2: the
      largest δ with F(X) + B(0, δ) ⊆ X, a rigorous lower bound; negative when F(X) leaves X,
      as for a box proved by Krawczyk around a saddle or a repeller).
    - `complete`: True only when every box was excluded or proven: then the searched box holds
      **exactly** these n fixed points and no others.
    - `undecided`: m `Box`es (leaves (m, d)) neither excluded nor proven; none when
      `complete`. They may hold fixed points that are not in `points`.
    - `undecided_too_small`: (m,) True for a box that reached the size limit `min_width`
      (around a singular fixed point, where I − J_F is singular: a fold, a bifurcation or a
      continuum; or where J_F varies so fast that no box test decides), False for a box still
      pending when `max_boxes` ran out (`num_undecided_too_small`, `num_undecided_pending`).
    - `boxes_processed`: how many boxes were examined; `max_boxes`, `min_width`: the limits.

    `evidence` says in words what was proven, or what would finish the job (`hints`, one per
    kind of undecided box); `locate(points,
    rtol=, atol=)` says which proven box holds each of some (for example enumerated) points,
    and which lie outside the searched box.
    """

    searched: Box
    boxes: Box
    enclosures: Box
    points: Float[Array, "n d"]
    methods: Int[Array, " n"]
    margins: Float[Array, " n"]
    complete: Bool[Array, ""]
    undecided: Box
    undecided_too_small: Bool[Array, " m"]
    boxes_processed: int = eqx.field(static=True)
    max_boxes: int = eqx.field(static=True)
    min_width: float = eqx.field(static=True)

    @property
    def num_fixed_points(self) -> int:
        return int(self.points.shape[0])

    @property
    def num_undecided_too_small(self) -> int:
        """How many undecided boxes reached the size limit `min_width`."""
        return int(np.sum(np.asarray(self.undecided_too_small)))

    @property
    def num_undecided_pending(self) -> int:
        """How many undecided boxes were still pending when the budget `max_boxes` ran out."""
        return int(self.undecided_too_small.shape[0]) - self.num_undecided_too_small

    @property
    def hints(self) -> tuple[str, ...]:
        """What would finish the job, one hint per kind of undecided box (empty when
        `complete`): raising `max_boxes` finishes pending boxes; it does not help boxes at the
        size limit, which may hold a fixed point no box test can prove."""
        hints = []
        if self.num_undecided_pending:
            hints.append(
                f"{self.num_undecided_pending} box(es) still pending when the budget "
                f"max_boxes={self.max_boxes} ran out: raise `max_boxes`"
            )
        if self.num_undecided_too_small:
            hints.append(
                f"{self.num_undecided_too_small} box(es) narrower than "
                f"min_width={self.min_width:g} and still undecided: such a box may hold a fixed "
                "point no box test can prove (I − J_F singular: a fold, a bifurcation or a "
                "continuum; a fixed point on the searched box's boundary; or J_F varying by "
                "orders of magnitude across the box); a smaller `min_width` helps only while "
                "the boxes stay wider than rounding, raising `max_boxes` does not help, and "
                "another enumeration method may prove the list"
            )
        return tuple(hints)

    @property
    def evidence(self) -> str:
        """What the search proved, or why it is not complete and what would finish it."""
        found = (
            f"{self.num_fixed_points} fixed point(s) proven unique in their boxes after "
            f"{self.boxes_processed} boxes"
        )
        if bool(self.complete):
            return (
                f"{found}; every other box was excluded (0 ∉ X − F(X), or an empty "
                "Krawczyk/image enclosure), so the searched box holds exactly these fixed points"
            )
        return f"{found}; not complete: " + "; ".join(self.hints)

    def locate(
        self, points: ArrayLike, *, rtol: ArrayLike = 0.0, atol: ArrayLike = 0.0
    ) -> Int[Array, " k"]:
        """For each of `points` (k, d): the index of the proven box holding it, −1 when it lies
        in the searched box but in no proven box, −2 when it lies outside the searched box (as a
        NaN point does); each within a slack of `atol + rtol·|x|` per coordinate
        (`Box.contains`). A point on a face shared by two proven boxes gets the first of them.
        Memory is bounded: the points are compared with the boxes `_LOCATE_BATCH` at a time.

        Example:
            >>> import jax
            >>> jax.config.update("jax_enable_x64", True)
            >>> import jax.numpy as jnp, jaxfp
            >>> result = jaxfp.certify.certify_complete(jaxfp.looped.tanh_identity_network(1, 2.0))
            >>> [int(i) >= 0 for i in result.locate(result.points)]
            [True, True, True]
            >>> result.locate(jnp.array([[5.0]])).tolist()
            [-2]
        """
        dim = self.searched.lower.shape[-1]
        points = jnp.asarray(points, self.searched.lower.dtype).reshape(-1, dim)
        slack = atol + rtol * jnp.abs(points)
        outside = ~self.searched.contains(points, slack)
        if self.num_fixed_points == 0:
            return jnp.where(outside, -2, -1)

        def holder(point_and_slack):
            holding = self.boxes.contains(*point_and_slack)
            return jnp.where(jnp.any(holding), jnp.argmax(holding), -1)

        index = jax.lax.map(holder, (points, slack), batch_size=_LOCATE_BATCH)
        return jnp.where(outside, -2, index)


def _a_priori_box(net: LoopedNet) -> Box:
    """`a_priori_box(net)`, or a ValueError saying that a box must be given."""
    box = a_priori_box(net)
    if box is None:
        low, high = net.activation.output_range
        raise ValueError(
            f"activation {net.activation.name!r} is unbounded (output range ({low}, {high})) and "
            "the interval iteration X <- F(X) ∩ X from its range box stays infinite, so there "
            "is no a-priori box holding every fixed point: pass `lower` and `upper`."
        )
    return box


@exported_jit
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


def _polished(net, enclosures: Box) -> Array:
    """`_polish` from each enclosure's midpoint (NumPy bounds), in batches padded to a power of
    two (so that few shapes compile)."""
    count = enclosures.lower.shape[0]
    if count == 0:
        return jnp.asarray(enclosures.lower)
    size = _bucket(count)
    padded = Box(
        *(
            jnp.asarray(np.concatenate([bound, np.repeat(bound[-1:], size - count, axis=0)]))
            for bound in (enclosures.lower, enclosures.upper)
        )
    )
    return _polish(net, padded.lower, padded.upper, padded.midpoint)[:count]


def certify_complete(
    net: LoopedNet,
    lower: Float[Array, " d"] | None = None,
    upper: Float[Array, " d"] | None = None,
    *,
    max_boxes: int = 1_500_000,
    batch_size: int = 256,
    min_width: float = 1e-10,
    radii: ParameterRadii | None = None,
) -> CompleteCertificate:
    """Find and prove **all** fixed points of F in a box, by branch and bound on the device.

    Boxes are processed `batch_size` at a time in one compiled loop (`certify_box` under
    `vmap`): a box is dropped when it provably holds no fixed point (0 ∉ X − F(X), or K(X)
    misses X), kept when the Krawczyk or contraction test proves exactly one fixed point in its
    interior, and otherwise shrunk to X ∩ F(X) ∩ K(X) (which keeps every fixed point; inflated
    by 1% of X's width, inside X), then examined again if that halved it, else split in two
    along its widest side. The host only reads counts (and grows a full buffer).
    `complete` is True only when no box is left undecided: then the proven boxes hold every
    fixed point in the searched box, one each. Otherwise the undecided boxes are returned, and
    `evidence` says what would finish the job.

    For a bounded activation the box defaults to one that provably holds every fixed point,
    from σ's own range (`activation.output_range`, never its name): σ(ℝ)^d for σ(Wx + b), and
    W·σ(ℝ)^d + b for W σ(x) + b. An unbounded activation needs the user's box (any box known to
    hold every fixed point makes the result a complete enumeration). The result records the
    box searched.

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        lower, upper: the box to search (both or neither).
        max_boxes: budget of boxes examined before giving up (`complete=False`).
        batch_size: boxes examined together in one compiled step.
        min_width: boxes narrower than this (relative to 1 + |x|) are left undecided (the
            size limit).
        radii: a `jaxfp.looped.ParameterRadii` for interval parameters (see `certify_box`):
            then a certified box holds exactly one fixed point for every W', b' within the
            radii. None for the exact W, b.

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
        >>> result.num_fixed_points, bool(result.complete)
        (3, True)
        >>> result.evidence.split(";")[0]
        '3 fixed point(s) proven unique in their boxes after 10 boxes'
    """
    if not isinstance(net, LoopedNet):
        raise ValueError(f"`net` must be a jaxfp.looped.LoopedNet, got {type(net).__name__}.")
    max_boxes, batch_size = (
        check_count(max_boxes, "max_boxes"),
        check_count(batch_size, "batch_size"),
    )
    check_real(min_width, "min_width", 0, math.inf, open_lower=True)
    if (lower is None) != (upper is None):
        raise ValueError("give both `lower` and `upper` (the box to search), or neither.")
    if lower is None:
        box = _a_priori_box(net)
        lower, upper = box.lower, box.upper
    searched = check_box(net, lower, upper)
    search = run_search(
        net,
        searched,
        max_boxes=max_boxes,
        batch_size=batch_size,
        min_width=min_width,
        radii=checked_radii(radii, net.dim),
    )
    found, undecided = search.found, concatenate_rows([search.small, search.pending])
    too_small = np.arange(len(undecided.lower)) < len(search.small.lower)
    return CompleteCertificate(
        searched=searched,
        boxes=jax.tree.map(jnp.asarray, found.box),
        enclosures=jax.tree.map(jnp.asarray, found.enclosure),
        points=_polished(net, found.enclosure),
        methods=jnp.asarray(found.method),
        margins=jnp.asarray(found.margin),
        complete=jnp.asarray(len(too_small) == 0),
        undecided=jax.tree.map(jnp.asarray, undecided),
        undecided_too_small=jnp.asarray(too_small),
        boxes_processed=search.processed,
        max_boxes=max_boxes,
        min_width=min_width,
    )
