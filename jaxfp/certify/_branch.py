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
from jaxtyping import Array, Bool, Int

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


class Rows(eqx.Module):
    """A fixed-capacity buffer of rows: the first `count` rows of every column are in use, the
    others scratch. On the device inside the loop, and as NumPy arrays on the host between runs."""

    columns: dict[str, Array]
    count: Int[Array, ""]

    @property
    def capacity(self) -> int:
        return next(iter(self.columns.values())).shape[0]

    def has_room(self, batch_size: int) -> Bool[Array, ""]:
        """Whether `batch_size` more rows fit."""
        return self.count + batch_size <= self.capacity

    def append(self, rows: dict[str, Array], keep: Bool[Array, " b"]) -> "Rows":
        """`rows[keep]` written after the first `count` rows (prefix-sum positions)."""
        positions = self.count + jnp.cumsum(keep) - 1
        positions = jnp.where(keep, positions, self.capacity)  # out of range: dropped
        columns = {
            name: column.at[positions].set(rows[name], mode="drop")
            for name, column in self.columns.items()
        }
        return Rows(columns, self.count + jnp.sum(keep, dtype=jnp.int32))

    def take(self, start: int, stop: int) -> dict[str, np.ndarray]:
        """A copy of rows `start … stop − 1` of every column (on the host)."""
        return {name: column[start:stop].copy() for name, column in self.columns.items()}


class SearchState(eqx.Module):
    """Device buffers of the search: the stack of pending boxes (columns lower, upper), the
    proven boxes (with their enclosures, certificate methods and margins) and the boxes left at
    the size limit; and the number of boxes examined."""

    pending: Rows
    found: Rows
    small: Rows
    processed: Int[Array, ""]


def initial_state(lower: Array, upper: Array, batch_size: int) -> SearchState:
    """The search state holding the one box [lower, upper]."""

    lower, upper = np.asarray(lower), np.asarray(upper)

    def boxes(batches):
        rows = batches * batch_size
        return {"lower": np.tile(lower, (rows, 1)), "upper": np.tile(upper, (rows, 1))}

    found = boxes(_FOUND_BATCHES)
    found.update(
        enclosure_lower=found["lower"],
        enclosure_upper=found["upper"],
        method=np.zeros(found["lower"].shape[0], np.int32),
        margin=np.zeros(found["lower"].shape[0], lower.dtype),
    )
    zero = np.int32(0)
    state = SearchState(
        pending=Rows(boxes(_PENDING_BATCHES), np.int32(1)),
        found=Rows(found, zero),
        small=Rows(boxes(_FOUND_BATCHES), zero),
        processed=zero,
    )
    return jax.tree.map(jnp.asarray, state)


def _children(lower, upper, enclosure_lower, enclosure_upper, min_width):
    """The shrunk box, whether it is at the size limit, whether to re-examine it unsplit, and
    its two halves along the widest side."""
    eps = jnp.finfo(lower.dtype).eps
    floor = INFLATE_ULPS * eps * (1.0 + jnp.maximum(jnp.abs(lower), jnp.abs(upper)))
    pad = jnp.maximum(INFLATE * (upper - lower), floor)
    enclosure_lower = jnp.where(jnp.isnan(enclosure_lower), lower, enclosure_lower)
    enclosure_upper = jnp.where(jnp.isnan(enclosure_upper), upper, enclosure_upper)
    low = jnp.maximum(lower, enclosure_lower - pad)
    high = jnp.minimum(upper, enclosure_upper + pad)
    width = high - low
    scale = 1.0 + jnp.maximum(jnp.abs(low), jnp.abs(high))
    too_small = jnp.max(width / scale, axis=-1) < min_width
    shrank = jnp.max(width, axis=-1) < REEXAMINE * jnp.max(upper - lower, axis=-1)
    axis = jnp.argmax(width, axis=-1)
    cut = jnp.take_along_axis(low + SPLIT * width, axis[:, None], axis=-1)
    on_axis = jnp.arange(low.shape[-1])[None, :] == axis[:, None]
    left_upper = jnp.where(on_axis, cut, high)
    right_lower = jnp.where(on_axis, cut, low)
    return low, high, too_small, shrank, left_upper, right_lower


def _step(net, state: SearchState, max_boxes, min_width, weight_radius, bias_radius, batch_size):
    take = jnp.minimum(jnp.minimum(state.pending.count, batch_size), max_boxes - state.processed)
    start = state.pending.count - take
    lower, upper = (
        jax.lax.dynamic_slice_in_dim(state.pending.columns[side], start, batch_size)
        for side in ("lower", "upper")
    )
    live = jnp.arange(batch_size) < take

    certificate = jax.vmap(
        lambda box: certify_box_unchecked(net, box, "auto", weight_radius, bias_radius)
    )(Box(lower, upper))
    enclosure_lower, enclosure_upper = certificate.enclosure.lower, certificate.enclosure.upper
    method = certificate.method._value
    # The fixed point must be in the box's interior, so that neighbouring boxes never share it:
    # K(X) ⊆ interior(X) gives that; the contraction test needs F(X) strictly inside X.
    interior = (method == CertificateMethod.krawczyk._value) | (certificate.margin > 0)
    proven = live & certificate.certified & interior
    empty = jnp.any(enclosure_lower > enclosure_upper, axis=-1)
    excluded = (certificate.reason._value == CertificateReason.no_fixed_point._value) | empty
    excluded = live & ~proven & excluded
    rest = live & ~proven & ~excluded

    low, high, too_small, shrank, left_upper, right_lower = _children(
        lower, upper, enclosure_lower, enclosure_upper, min_width
    )
    split = rest & ~too_small & ~shrank
    found = state.found.append(
        {
            "lower": lower,
            "upper": upper,
            "enclosure_lower": enclosure_lower,
            "enclosure_upper": enclosure_upper,
            "method": method,
            "margin": certificate.margin,
        },
        proven,
    )
    small = state.small.append({"lower": low, "upper": high}, rest & too_small)
    # Children overwrite the popped rows: first child of every box kept (the shrunk box or the
    # left half), then the right halves.
    first = {"lower": low, "upper": jnp.where(split[:, None], left_upper, high)}
    pending = Rows(state.pending.columns, start).append(first, rest & ~too_small)
    pending = pending.append({"lower": right_lower, "upper": high}, split)
    return SearchState(pending, found, small, state.processed + take)


@exported_jit
def _run(net, state, max_boxes, min_width, weight_radius, bias_radius, batch_size, spilled):
    def keep_going(state):
        room = [rows.has_room(batch_size) for rows in (state.pending, state.found, state.small)]
        work = (state.pending.count > 0) & (state.processed < max_boxes)
        # With rows spilled to the host, a short stack goes back to the host to be refilled,
        # so that every batch is the one an unbounded stack would pop.
        full_batch = (state.pending.count >= batch_size) | ~spilled
        return work & room[0] & room[1] & room[2] & full_batch

    def step(state):
        return _step(net, state, max_boxes, min_width, weight_radius, bias_radius, batch_size)

    return jax.lax.while_loop(keep_going, step, state)


class SearchResult(eqx.Module):
    """The finished search, on the host: proven boxes (columns lower, upper, enclosure_lower,
    enclosure_upper, method, margin), boxes left at the size limit and boxes still pending
    (columns lower, upper), and the number of boxes examined."""

    found: dict[str, np.ndarray]
    small: dict[str, np.ndarray]
    pending: dict[str, np.ndarray]
    processed: int


def concatenate_rows(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The rows of `parts` (dicts with the same columns), one after the other."""
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def run_search(
    net, box: Box, *, max_boxes, batch_size, min_width, weight_radius, bias_radius
) -> SearchResult:
    """Run the search to the end (stack empty or budget spent). Between compiled runs the
    host empties a full buffer of proven or size-limited boxes into host memory, spills the
    bottom of a full stack, and refills a short stack from the spilled rows (the most recently
    spilled first, so the stack order is kept); no buffer changes shape, so nothing recompiles."""
    state = initial_state(box.lower, box.upper, batch_size)
    budget = jnp.asarray(np.int32(max_boxes))
    width = jnp.asarray(np.asarray(min_width, np.asarray(box.lower).dtype))
    emptied: dict[str, list[dict[str, np.ndarray]]] = {"found": [], "small": []}
    spilled: list[dict[str, np.ndarray]] = []
    keep = _KEEP_BATCHES * batch_size
    while True:
        state = _run(
            net, state, budget, width, weight_radius, bias_radius, batch_size,
            jnp.asarray(bool(spilled)),
        )  # fmt: skip
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
        pending = {name: np.array(column) for name, column in host.pending.columns.items()}
        if n_pending + batch_size > host.pending.capacity:
            spilled.append(host.pending.take(0, n_pending - keep))
            for column in pending.values():
                column[:keep] = column[n_pending - keep : n_pending]
            n_pending = keep
        elif n_pending < batch_size and spilled:
            below = spilled.pop()
            count = below["lower"].shape[0]
            for name, column in pending.items():
                column[count : count + n_pending] = column[:n_pending].copy()
                column[:count] = below[name]
            n_pending += count
        host = SearchState(Rows(pending, np.int32(n_pending)), **buffers, processed=host.processed)
        state = jax.tree.map(jnp.asarray, host)
