"""The branch-and-bound engine on the device: fixed-size batches of boxes per compiled step.

The search state lives in fixed-capacity device buffers (a stack of pending boxes, the proven
boxes, the boxes left at the size limit) with counts. One compiled `lax.while_loop` pops a
batch of `batch_size` boxes, examines them all at once (`certify_box_unchecked` under `vmap`),
and writes the outcome back with prefix sums: proven boxes to their buffer, excluded ones
dropped, the others shrunk to X ∩ F(X) ∩ K(X) and pushed back (re-examined when that shrank
them enough, split in two along the widest side otherwise). The loop stops when the stack is
empty, the budget is spent, or a buffer could overflow; the host (`run_search`) then moves
rows between the device buffers and host memory: it empties a full buffer of proven or
size-limited boxes, spills the bottom of a full stack, and refills the stack from the spilled
rows when it runs low. The buffers never change shape, so the loop compiles once per network
shape and batch size, and boxes are examined in the same order as with one unbounded stack.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int, PyTree

from .._exported import exported_jit
from ._box import certify_box_unchecked
from ._interval import Box
from ._results import CertificateMethod, CertificateReason

# Boxes are split at this fraction of their widest side (off-centre, so a fixed point at a
# symmetric position, such as the origin, does not land on a face between two boxes).
SPLIT = 0.4637
# Fraction of a box's width kept around its enclosure when it is shrunk, and at least this
# many ulps of (1 + |x|): a side shrunk below the rounding error of the interval tests (tens of
# ulps) could never hold K(X) in its interior, and its fixed point would stay unproven.
INFLATE = 0.01
INFLATE_ULPS = 1024.0
# A shrunk box whose widest side is below this fraction of the old widest side is examined
# again as it is (interval Newton converges there) instead of being split.
REEXAMINE = 0.5
# Buffer capacities, in batches; the host empties (or spills) a buffer that fills up.
_PENDING_BATCHES = 16
_FOUND_BATCHES = 2
# Batches of pending boxes kept on the device when the host spills the bottom of the stack.
_KEEP_BATCHES = 4


class Proven(eqx.Module):
    """Rows of proven boxes: each box, the enclosure of its one fixed point, the test that
    proved it (a `CertificateMethod` code) and its robustness margin."""

    box: Box
    enclosure: Box
    method: Int[Array, " n"]
    margin: Float[Array, " n"]


class Rows(eqx.Module):
    """A fixed-capacity buffer of rows: `columns` is a pytree (a `Box`, `Proven`) whose leaves
    hold one row per index of their leading axis; the first `count` rows are in use, the others
    scratch. On the device inside the loop, and as NumPy arrays on the host between runs."""

    columns: PyTree[Array]
    count: Int[Array, ""]

    @property
    def capacity(self) -> int:
        return jax.tree.leaves(self.columns)[0].shape[0]

    def has_room(self, batch_size: int) -> Bool[Array, ""]:
        """Whether `batch_size` more rows fit."""
        return self.count + batch_size <= self.capacity

    def append(self, rows: PyTree[Array], keep: Bool[Array, " b"]) -> "Rows":
        """`rows[keep]` (a pytree like `columns`) written after the first `count` rows
        (prefix-sum positions)."""
        positions = self.count + jnp.cumsum(keep) - 1
        positions = jnp.where(keep, positions, self.capacity)  # out of range: dropped
        columns = jax.tree.map(
            lambda column, new: column.at[positions].set(new, mode="drop"), self.columns, rows
        )
        return Rows(columns, self.count + jnp.sum(keep, dtype=jnp.int32))

    def take(self, start: int, stop: int) -> PyTree[np.ndarray]:
        """A copy of rows `start … stop − 1` (on the host)."""
        return jax.tree.map(lambda column: column[start:stop].copy(), self.columns)


class SearchState(eqx.Module):
    """Device buffers of the search: the stack of pending boxes, the proven boxes and the boxes
    left at the size limit; and the number of boxes examined."""

    pending: Rows
    found: Rows
    small: Rows
    processed: Int[Array, ""]


def initial_state(box: Box, batch_size: int) -> SearchState:
    """The search state holding the one box `box`."""

    def boxes(batches):
        return jax.tree.map(lambda bound: np.tile(bound, (batches * batch_size, 1)), box)

    found = boxes(_FOUND_BATCHES)
    rows = found.lower.shape[0]
    proven = Proven(found, found, np.zeros(rows, np.int32), np.zeros(rows, found.lower.dtype))
    zero = np.int32(0)
    state = SearchState(
        pending=Rows(boxes(_PENDING_BATCHES), np.int32(1)),
        found=Rows(proven, zero),
        small=Rows(boxes(_FOUND_BATCHES), zero),
        processed=zero,
    )
    return jax.tree.map(jnp.asarray, state)


def _children(boxes: Box, enclosures: Box, min_width):
    """Each box shrunk to its enclosure (inflated, within the box), whether it is at the size
    limit, whether to re-examine it unsplit, and its two halves along the widest side."""
    lower, upper = boxes.lower, boxes.upper
    eps = jnp.finfo(lower.dtype).eps
    floor = INFLATE_ULPS * eps * (1.0 + jnp.maximum(jnp.abs(lower), jnp.abs(upper)))
    pad = jnp.maximum(INFLATE * boxes.width, floor)
    enclosure_lower = jnp.where(jnp.isnan(enclosures.lower), lower, enclosures.lower)
    enclosure_upper = jnp.where(jnp.isnan(enclosures.upper), upper, enclosures.upper)
    low = jnp.maximum(lower, enclosure_lower - pad)
    high = jnp.minimum(upper, enclosure_upper + pad)
    width = high - low
    scale = 1.0 + jnp.maximum(jnp.abs(low), jnp.abs(high))
    too_small = jnp.max(width / scale, axis=-1) < min_width
    shrank = jnp.max(width, axis=-1) < REEXAMINE * jnp.max(boxes.width, axis=-1)
    axis = jnp.argmax(width, axis=-1)
    cut = jnp.take_along_axis(low + SPLIT * width, axis[:, None], axis=-1)
    on_axis = jnp.arange(low.shape[-1])[None, :] == axis[:, None]
    left = Box(low, jnp.where(on_axis, cut, high))
    right = Box(jnp.where(on_axis, cut, low), high)
    return Box(low, high), too_small, shrank, left, right


def _step(net, state: SearchState, max_boxes, min_width, radii, batch_size):
    take = jnp.minimum(jnp.minimum(state.pending.count, batch_size), max_boxes - state.processed)
    start = state.pending.count - take
    boxes = jax.tree.map(
        lambda bound: jax.lax.dynamic_slice_in_dim(bound, start, batch_size), state.pending.columns
    )
    live = jnp.arange(batch_size) < take

    certificate = jax.vmap(lambda box: certify_box_unchecked(net, box, "auto", radii))(boxes)
    method = certificate.method._value
    # The fixed point must be in the box's interior, so that neighbouring boxes never share it:
    # K(X) ⊆ interior(X) gives that; the contraction test needs F(X) strictly inside X.
    interior = (method == CertificateMethod.krawczyk._value) | (certificate.margin > 0)
    proven = live & certificate.certified & interior
    excluded = certificate.reason._value == CertificateReason.no_fixed_point._value
    excluded = live & ~proven & (excluded | certificate.enclosure.is_empty())
    rest = live & ~proven & ~excluded

    shrunk, too_small, shrank, left, right = _children(boxes, certificate.enclosure, min_width)
    split = rest & ~too_small & ~shrank
    found = state.found.append(
        Proven(boxes, certificate.enclosure, method, certificate.margin), proven
    )
    small = state.small.append(shrunk, rest & too_small)
    # Children overwrite the popped rows: first child of every box kept (the shrunk box or the
    # left half), then the right halves.
    first = jax.tree.map(lambda half, box: jnp.where(split[:, None], half, box), left, shrunk)
    pending = Rows(state.pending.columns, start).append(first, rest & ~too_small)
    pending = pending.append(right, split)
    return SearchState(pending, found, small, state.processed + take)


@exported_jit
def _run(net, state, max_boxes, min_width, radii, batch_size, spilled):
    def keep_going(state):
        room = [rows.has_room(batch_size) for rows in (state.pending, state.found, state.small)]
        work = (state.pending.count > 0) & (state.processed < max_boxes)
        # With rows spilled to the host, a short stack goes back to the host to be refilled,
        # so that every batch is the one an unbounded stack would pop.
        full_batch = (state.pending.count >= batch_size) | ~spilled
        return work & room[0] & room[1] & room[2] & full_batch

    def step(state):
        return _step(net, state, max_boxes, min_width, radii, batch_size)

    return jax.lax.while_loop(keep_going, step, state)


class SearchResult(eqx.Module):
    """The finished search, on the host: the proven boxes, the boxes left at the size limit and
    the boxes still pending, and the number of boxes examined."""

    found: Proven
    small: Box
    pending: Box
    processed: int


def concatenate_rows(parts: list[PyTree[np.ndarray]]) -> PyTree[np.ndarray]:
    """The rows of `parts` (pytrees of the same structure), one after the other."""
    return jax.tree.map(lambda *columns: np.concatenate(columns), *parts)


def run_search(net, box: Box, *, max_boxes, batch_size, min_width, radii) -> SearchResult:
    """Run the search to the end (stack empty or budget spent). Between compiled runs the
    host empties a full buffer of proven or size-limited boxes into host memory, spills the
    bottom of a full stack, and refills a short stack from the spilled rows (the most recently
    spilled first, so the stack order is kept); no buffer changes shape, so nothing recompiles."""
    state = initial_state(jax.tree.map(np.asarray, box), batch_size)
    budget = jnp.asarray(np.int32(max_boxes))
    width = jnp.asarray(np.asarray(min_width, np.asarray(box.lower).dtype))
    emptied: dict[str, list[PyTree[np.ndarray]]] = {"found": [], "small": []}
    spilled: list[Box] = []
    keep = _KEEP_BATCHES * batch_size
    while True:
        state = _run(net, state, budget, width, radii, batch_size, jnp.asarray(bool(spilled)))
        host = jax.tree.map(np.asarray, state)
        processed = int(host.processed)
        n_pending = int(host.pending.count)
        finished = (n_pending == 0 and not spilled) or processed >= max_boxes
        buffers = {}
        for name, parts in emptied.items():
            rows = getattr(host, name)
            if finished or not rows.has_room(batch_size):
                parts.append(rows.take(0, int(rows.count)))
                rows = Rows(rows.columns, np.int32(0))
            buffers[name] = rows
        if finished:
            return SearchResult(
                found=concatenate_rows(emptied["found"]),
                small=concatenate_rows(emptied["small"]),
                pending=concatenate_rows([*spilled, host.pending.take(0, n_pending)]),
                processed=processed,
            )
        pending = jax.tree.map(np.array, host.pending.columns)
        if n_pending + batch_size > host.pending.capacity:
            spilled.append(host.pending.take(0, n_pending - keep))
            for column in jax.tree.leaves(pending):
                column[:keep] = column[n_pending - keep : n_pending]
            n_pending = keep
        elif n_pending < batch_size and spilled:
            below = spilled.pop()
            count = below.lower.shape[0]
            for column, rows in zip(jax.tree.leaves(pending), jax.tree.leaves(below), strict=True):
                column[count : count + n_pending] = column[:n_pending].copy()
                column[:count] = rows
            n_pending += count
        host = SearchState(Rows(pending, np.int32(n_pending)), **buffers, processed=host.processed)
        state = jax.tree.map(jnp.asarray, host)
