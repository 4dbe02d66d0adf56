"""Interval pruning of activation regions.

Every fixed point, in either form of the looped network, gives a u with u = W σ(u) + b (u is the
pre-activation Wx + b of F(x) = σ(Wx + b), and x itself for F(x) = W σ(x) + b). So u lies in any
box U that is mapped into itself by U ↦ U ∩ (W σ(U) + b) (interval arithmetic; σ(U) is exact for
a PWL σ). Starting from ℝ^d this contracts to the a-priori box that σ's range gives, and any piece
of coordinate i not meeting U_i holds no fixed point ("forced pieces").

A search tree then fixes the pieces of the first coordinates one level at a time: a prefix whose
box becomes empty under the same contraction holds no fixed point and is cut. Both tests are
interval tests, widened by a slack relative to the size of the terms each bound sums, so that
round-off never cuts a true fixed point.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float, Int

from .._validation import MAX_ENUMERATION_SIZE
from ._piecewise import PiecewiseProblem, interval_image

# Relative widening of every interval bound (round-off safety of the pruning tests).
PRUNING_SLACK = 1e-9
# Contraction sweeps of each prefix test, and of the global box.
_PREFIX_SWEEPS = 4
_GLOBAL_SWEEPS = 20
# Batches of prefixes are padded to a power of this many rows.
_BUCKET_BASE = 8


class RegionPlan(eqx.Module):
    """The activation regions left to solve after pruning, generated from integer indices.

    Region number `n` (0 ≤ n < `num_regions`) combines prefix row `n // num_suffix` of
    `prefixes` (the pieces fixed by the search tree; -1 on coordinates it left free; rows are
    padded to `max_frontier`) with the mixed-radix digits of `n % num_suffix` on the free
    coordinates: coordinate i takes piece `suffix_pieces[i, digit_i]`, `digit_i < radices[i]`
    (radix 1 on the coordinates the prefix fixes). Every shape depends only on d, the number of
    pieces and the padded prefix count, so one compiled kernel serves many networks.
    """

    prefixes: Int[Array, "num_prefixes d"]
    suffix_pieces: Int[Array, "d k+1"]
    radices: Int[Array, " d"]
    num_suffix: Int[Array, ""]
    num_regions: Int[Array, ""]


def _affine_interval(weights, bias, lo, hi):
    """Bounds of W x + b over the box [lo, hi] (ends may be infinite; 0·∞ counts as 0), each
    widened by `PRUNING_SLACK` relative to the size of the terms it sums (so that the round-off
    of huge weights whose terms cancel never cuts a fixed point)."""
    positive, negative = jnp.maximum(weights, 0.0), jnp.minimum(weights, 0.0)

    def product(w, x):
        return jnp.where(w == 0, 0.0, w * x[None, :]).sum(axis=1)

    def size(w_lo, w_hi):  # Σ |w x| over the finite ends a bound sums, + |b|
        finite_lo, finite_hi = (jnp.where(jnp.isfinite(x), jnp.abs(x), 0.0) for x in (lo, hi))
        return product(jnp.abs(w_lo), finite_lo) + product(jnp.abs(w_hi), finite_hi) + abs(bias)

    low = product(positive, lo) + product(negative, hi) + bias
    high = product(positive, hi) + product(negative, lo) + bias
    low_size, high_size = size(positive, negative), size(negative, positive)
    return low - PRUNING_SLACK * (1 + low_size), high + PRUNING_SLACK * (1 + high_size)


def contract_box(
    problem: PiecewiseProblem,
    lo: Float[Array, " d"],
    hi: Float[Array, " d"],
    sweeps: int | Int[Array, ""],
) -> tuple[Float[Array, " d"], Float[Array, " d"], Bool[Array, ""]]:
    """Apply U ↦ U ∩ (W σ(U) + b) `sweeps` times; return the box and whether it stayed nonempty."""

    def sweep(_, state):
        lo, hi, feasible = state
        image_lo, image_hi = interval_image(problem.table, lo, hi)
        new_lo, new_hi = _affine_interval(problem.weights, problem.bias, image_lo, image_hi)
        lo, hi = jnp.maximum(lo, new_lo), jnp.minimum(hi, new_hi)
        return lo, hi, feasible & jnp.all(lo <= hi)

    return jax.lax.fori_loop(0, sweeps, sweep, (lo, hi, jnp.all(lo <= hi)))


@jax.jit
def _contract_prefixes(problem, box_lo, box_hi, prefixes, sweeps):
    """Contract the box of each prefix (a full-length pattern, -1 on the coordinates not fixed
    yet): return the boxes and which stayed nonempty."""
    lower, upper = problem.table.lower, problem.table.upper

    def one(prefix):
        fixed = prefix >= 0
        piece = jnp.maximum(prefix, 0)
        lo = jnp.where(fixed, jnp.maximum(box_lo, lower[piece]), box_lo)
        hi = jnp.where(fixed, jnp.minimum(box_hi, upper[piece]), box_hi)
        return contract_box(problem, lo, hi, sweeps)

    return jax.vmap(one)(prefixes)


def _contract(problem, box_lo, box_hi, prefixes, sweeps):
    """`_contract_prefixes` on `prefixes` padded to a power of `_BUCKET_BASE` rows (few compiled
    shapes, little padding), as numpy."""
    rows = _BUCKET_BASE
    while rows < prefixes.shape[0]:
        rows *= _BUCKET_BASE
    padded = np.full((rows, prefixes.shape[1]), -1, dtype=np.int64)
    padded[: prefixes.shape[0]] = prefixes
    lo, hi, feasible = _contract_prefixes(
        problem, box_lo, box_hi, jnp.asarray(padded), jnp.asarray(sweeps)
    )
    count = prefixes.shape[0]
    return np.asarray(lo)[:count], np.asarray(hi)[:count], np.asarray(feasible)[:count]


def plan_regions(problem: PiecewiseProblem, *, prune: bool, max_frontier: int) -> RegionPlan:
    """Prune the (k + 1)^d activation regions of `problem` and return the plan of those left to
    solve.

    With `prune=False` every region is kept. With `prune=True` the pieces that miss the global
    box are dropped, then the search tree over prefixes runs while its frontier stays below
    `max_frontier` nodes.
    """
    table = problem.table
    d, pieces = problem.dim, table.num_pieces
    if prune:
        free = np.full((1, d), -1, dtype=np.int64)
        everything = jnp.asarray(np.full(d, np.inf))
        lo, hi, _ = _contract(problem, -everything, everything, free, _GLOBAL_SWEEPS)
        lo, hi = lo[0], hi[0]
        lower, upper = np.asarray(table.lower), np.asarray(table.upper)
        allowed = (lower[None, :] <= hi[:, None]) & (lo[:, None] <= upper[None, :])
    else:
        lo, hi = np.full(d, -np.inf), np.full(d, np.inf)
        allowed = np.ones((d, pieces), dtype=bool)
    radices = allowed.sum(axis=1)
    piece_lists = [np.flatnonzero(row) for row in allowed]
    prefixes = np.zeros((1, 0), dtype=np.int64)
    if prune and np.all(radices > 0):
        box_lo, box_hi = jnp.asarray(lo), jnp.asarray(hi)
        while (
            prefixes.shape[1] < d and prefixes.shape[0] * radices[prefixes.shape[1]] <= max_frontier
        ):
            length = prefixes.shape[1]
            column = piece_lists[length]
            children = np.full((prefixes.shape[0] * len(column), d), -1, dtype=np.int64)
            children[:, :length] = np.repeat(prefixes, len(column), axis=0)
            children[:, length] = np.tile(column, prefixes.shape[0])
            feasible = _contract(problem, box_lo, box_hi, children, _PREFIX_SWEEPS)[2]
            prefixes = children[feasible, : length + 1]
            if prefixes.shape[0] == 0:
                break
    length = prefixes.shape[1]
    suffix_pieces = np.zeros((d, pieces), dtype=np.int64)
    for i in range(d):
        suffix_pieces[i, : radices[i]] = piece_lists[i]
    suffix_radices = np.where(np.arange(d) < length, 1, np.maximum(radices, 1)).astype(np.int64)
    num_suffix = int(np.prod([int(r) for r in suffix_radices], dtype=object))
    num_regions = prefixes.shape[0] * num_suffix if np.all(radices > 0) else 0
    num_suffix = num_suffix if num_regions else 1
    if num_regions >= MAX_ENUMERATION_SIZE:
        raise ValueError(
            f"{num_regions} activation regions remain after pruning: too many to enumerate "
            "(more than 2^62). Reduce the dimension or use the iterative engine."
        )
    padded = np.full((max(max_frontier, prefixes.shape[0]), d), -1, dtype=np.int64)
    padded[: prefixes.shape[0], :length] = prefixes
    return RegionPlan(
        prefixes=jnp.asarray(padded),
        suffix_pieces=jnp.asarray(suffix_pieces),
        radices=jnp.asarray(suffix_radices),
        num_suffix=jnp.asarray(num_suffix, dtype=jnp.int64),
        num_regions=jnp.asarray(num_regions, dtype=jnp.int64),
    )


def decode_patterns(plan: RegionPlan, indices: Int[Array, " n"]) -> Int[Array, "n d"]:
    """The activation patterns (piece per coordinate) of the regions numbered `indices`."""
    prefix = plan.prefixes[indices // plan.num_suffix]
    rest = indices % plan.num_suffix
    digits = []
    for i in reversed(range(plan.radices.shape[0])):
        digits.append(plan.suffix_pieces[i, rest % plan.radices[i]])
        rest = rest // plan.radices[i]
    suffix = jnp.stack(digits[::-1], axis=1)
    return jnp.where(prefix >= 0, prefix, suffix)
