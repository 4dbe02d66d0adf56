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
from jaxtyping import Array, Float, Int

from .._exported import exported_jit
from ._box import certify_box_unchecked
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


class SearchState(eqx.Module):
    """Device buffers of the search (rows past each count are scratch)."""

    pending_lower: Float[Array, "p d"]
    pending_upper: Float[Array, "p d"]
    n_pending: Int[Array, ""]
    found_lower: Float[Array, "f d"]
    found_upper: Float[Array, "f d"]
    found_enclosure_lower: Float[Array, "f d"]
    found_enclosure_upper: Float[Array, "f d"]
    found_method: Int[Array, " f"]
    found_margin: Float[Array, " f"]
    n_found: Int[Array, ""]
    small_lower: Float[Array, "s d"]
    small_upper: Float[Array, "s d"]
    n_small: Int[Array, ""]
    processed: Int[Array, ""]


def initial_state(lower: Array, upper: Array, batch_size: int) -> SearchState:
    """The search state holding the one box [lower, upper]."""

    lower, upper = np.asarray(lower), np.asarray(upper)

    def rows(count):
        return jnp.asarray(np.tile(lower, (count, 1))), jnp.asarray(np.tile(upper, (count, 1)))

    pending_lower, pending_upper = rows(_PENDING_BATCHES * batch_size)
    found_lower, found_upper = rows(_FOUND_BATCHES * batch_size)
    small_lower, small_upper = rows(_FOUND_BATCHES * batch_size)
    one, zero = jnp.asarray(np.int32(1)), jnp.asarray(np.int32(0))
    return SearchState(
        pending_lower=pending_lower,
        pending_upper=pending_upper,
        n_pending=one,
        found_lower=found_lower,
        found_upper=found_upper,
        found_enclosure_lower=found_lower,
        found_enclosure_upper=found_upper,
        found_method=jnp.asarray(np.zeros(found_lower.shape[0], np.int32)),
        found_margin=jnp.asarray(np.zeros(found_lower.shape[0], lower.dtype)),
        n_found=zero,
        small_lower=small_lower,
        small_upper=small_upper,
        n_small=zero,
        processed=zero,
    )


def _append(buffer: Array, count: Array, rows: Array, keep: Array) -> tuple[Array, Array]:
    """Write `rows[keep]` after the first `count` rows of `buffer` (prefix-sum positions)."""
    positions = count + jnp.cumsum(keep) - 1
    positions = jnp.where(keep, positions, buffer.shape[0])  # out of range: dropped
    return buffer.at[positions].set(rows, mode="drop"), count + jnp.sum(keep, dtype=jnp.int32)


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
    take = jnp.minimum(jnp.minimum(state.n_pending, batch_size), max_boxes - state.processed)
    start = state.n_pending - take
    lower = jax.lax.dynamic_slice_in_dim(state.pending_lower, start, batch_size)
    upper = jax.lax.dynamic_slice_in_dim(state.pending_upper, start, batch_size)
    live = jnp.arange(batch_size) < take

    certificate = jax.vmap(
        lambda low, high: certify_box_unchecked(net, low, high, "auto", weight_radius, bias_radius)
    )(lower, upper)
    enclosure_lower, enclosure_upper = certificate.enclosure_lower, certificate.enclosure_upper
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
    small = rest & too_small
    again = rest & ~too_small & shrank
    split = rest & ~too_small & ~shrank

    found_lower, n_found = _append(state.found_lower, state.n_found, lower, proven)
    found_upper, _ = _append(state.found_upper, state.n_found, upper, proven)
    found_enclosure_lower, _ = _append(
        state.found_enclosure_lower, state.n_found, enclosure_lower, proven
    )
    found_enclosure_upper, _ = _append(
        state.found_enclosure_upper, state.n_found, enclosure_upper, proven
    )
    found_method, _ = _append(state.found_method, state.n_found, method, proven)
    found_margin, _ = _append(state.found_margin, state.n_found, certificate.margin, proven)
    small_lower, n_small = _append(state.small_lower, state.n_small, low, small)
    small_upper, _ = _append(state.small_upper, state.n_small, high, small)

    # Children overwrite the popped rows: first child of every box kept (the shrunk box or the
    # left half), then the right halves.
    first_keep = again | split
    first_upper = jnp.where(split[:, None], left_upper, high)
    pending_lower, n_pending = _append(state.pending_lower, start, low, first_keep)
    pending_upper, _ = _append(state.pending_upper, start, first_upper, first_keep)
    pending_lower, n_pending_after = _append(pending_lower, n_pending, right_lower, split)
    pending_upper, _ = _append(pending_upper, n_pending, high, split)
    return SearchState(
        pending_lower=pending_lower,
        pending_upper=pending_upper,
        n_pending=n_pending_after,
        found_lower=found_lower,
        found_upper=found_upper,
        found_enclosure_lower=found_enclosure_lower,
        found_enclosure_upper=found_enclosure_upper,
        found_method=found_method,
        found_margin=found_margin,
        n_found=n_found,
        small_lower=small_lower,
        small_upper=small_upper,
        n_small=n_small,
        processed=state.processed + take,
    )


def _has_room(state: SearchState, batch_size: int) -> tuple[Array, Array, Array]:
    """Whether one more step fits in each buffer (pending, found, small)."""
    pending = state.n_pending + batch_size <= state.pending_lower.shape[0]
    found = state.n_found + batch_size <= state.found_lower.shape[0]
    small = state.n_small + batch_size <= state.small_lower.shape[0]
    return pending, found, small


@exported_jit
def _run(net, state, max_boxes, min_width, weight_radius, bias_radius, batch_size, spilled):
    def keep_going(state):
        pending, found, small = _has_room(state, batch_size)
        work = (state.n_pending > 0) & (state.processed < max_boxes)
        # With rows spilled to the host, a short stack goes back to the host to be refilled,
        # so that every batch is the one an unbounded stack would pop.
        full_batch = (state.n_pending >= batch_size) | ~spilled
        return work & pending & found & small & full_batch

    def step(state):
        return _step(net, state, max_boxes, min_width, weight_radius, bias_radius, batch_size)

    return jax.lax.while_loop(keep_going, step, state)


class SearchResult(eqx.Module):
    """The finished search, on the host: proven boxes (with their enclosures, certificate
    methods and robustness margins), boxes left at the size limit, boxes still pending, and
    the number of boxes examined."""

    found_lower: np.ndarray
    found_upper: np.ndarray
    found_enclosure_lower: np.ndarray
    found_enclosure_upper: np.ndarray
    found_method: np.ndarray
    found_margin: np.ndarray
    small_lower: np.ndarray
    small_upper: np.ndarray
    pending_lower: np.ndarray
    pending_upper: np.ndarray
    processed: int


_FOUND = (
    "found_lower",
    "found_upper",
    "found_enclosure_lower",
    "found_enclosure_upper",
    "found_method",
    "found_margin",
)
_SMALL = ("small_lower", "small_upper")
_PENDING = ("pending_lower", "pending_upper")


def _take(buffers: dict, names: tuple[str, ...], start: int, stop: int) -> list[np.ndarray]:
    return [buffers[name][start:stop].copy() for name in names]


def run_search(
    net, lower, upper, *, max_boxes, batch_size, min_width, weight_radius, bias_radius
) -> SearchResult:
    """Run the search to the end (stack empty or budget spent). Between compiled runs the
    host empties a full buffer of proven or size-limited boxes into host memory, spills the
    bottom of a full stack, and refills a short stack from the spilled rows (the most recently
    spilled first, so the stack order is kept); no buffer changes shape, so nothing recompiles."""
    state = initial_state(lower, upper, batch_size)
    budget = jnp.asarray(np.int32(max_boxes))
    width = jnp.asarray(np.asarray(min_width, np.asarray(lower).dtype))
    found: list[list[np.ndarray]] = []
    small: list[list[np.ndarray]] = []
    spilled: list[list[np.ndarray]] = []
    keep = _KEEP_BATCHES * batch_size
    while True:
        state = _run(
            net, state, budget, width, weight_radius, bias_radius, batch_size,
            jnp.asarray(bool(spilled)),
        )  # fmt: skip
        buffers = {name: np.asarray(getattr(state, name)) for name in state.__dataclass_fields__}
        n_pending, n_found, n_small = (int(buffers[n]) for n in ("n_pending", "n_found", "n_small"))
        processed = int(buffers["processed"])
        finished = (n_pending == 0 and not spilled) or processed >= max_boxes
        if finished or n_found + batch_size > buffers["found_lower"].shape[0]:
            found.append(_take(buffers, _FOUND, 0, n_found))
            n_found = 0
        if finished or n_small + batch_size > buffers["small_lower"].shape[0]:
            small.append(_take(buffers, _SMALL, 0, n_small))
            n_small = 0
        if finished:
            stack = [*spilled, _take(buffers, _PENDING, 0, n_pending)]
            return SearchResult(
                *(np.concatenate(column) for column in zip(*found, strict=True)),
                *(np.concatenate(column) for column in zip(*small, strict=True)),
                *(np.concatenate(column) for column in zip(*stack, strict=True)),
                processed=processed,
            )
        if n_pending + batch_size > buffers["pending_lower"].shape[0]:
            spilled.append(_take(buffers, _PENDING, 0, n_pending - keep))
            for name in _PENDING:
                buffers[name][:keep] = buffers[name][n_pending - keep : n_pending]
            n_pending = keep
        elif n_pending < batch_size and spilled:
            rows = spilled.pop()
            count = rows[0].shape[0]
            for name, below in zip(_PENDING, rows, strict=True):
                buffers[name][count : count + n_pending] = buffers[name][:n_pending].copy()
                buffers[name][:count] = below
            n_pending += count
        counts = {"n_pending": n_pending, "n_found": n_found, "n_small": n_small}
        buffers.update({name: np.int32(value) for name, value in counts.items()})
        state = SearchState(**{name: jnp.asarray(value) for name, value in buffers.items()})
