"""Piece tables of a continuous piecewise-linear activation, and its exact interval image.

A continuous piecewise-linear (PWL) activation with k breakpoints β_1 < … < β_k has k + 1 pieces;
on piece j (between β_j and β_{j+1}, with β_0 = −∞ and β_{k+1} = +∞) it is
σ(u) = slopes[j]·u + intercepts[j]. Pieces are closed: a breakpoint belongs to both neighbours.
"""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..looped import PiecewiseLinear


class PieceTable(eqx.Module):
    """Arrays describing a continuous PWL activation piece by piece.

    - `breakpoints`: β_1 < … < β_k, shape (k,).
    - `slopes`, `intercepts`: σ(u) = slopes[j]·u + intercepts[j] on piece j, shape (k + 1,).

    Piece j is the closed interval [`lower[j]`, `upper[j]`] = [β_j, β_{j+1}] (±∞ at the ends).
    Build it with `piece_table(activation)` from a checked `jaxfp.looped.PiecewiseLinear`.
    """

    breakpoints: Float[Array, " k"]
    slopes: Float[Array, " k+1"]
    intercepts: Float[Array, " k+1"]

    @property
    def lower(self) -> Float[Array, " k+1"]:
        """The left end of each piece: −∞, β_1, …, β_k."""
        return jnp.concatenate([jnp.full(1, -jnp.inf, self.breakpoints.dtype), self.breakpoints])

    @property
    def upper(self) -> Float[Array, " k+1"]:
        """The right end of each piece: β_1, …, β_k, +∞."""
        return jnp.concatenate([self.breakpoints, jnp.full(1, jnp.inf, self.breakpoints.dtype)])

    @property
    def num_pieces(self) -> int:
        return self.slopes.shape[0]

    @property
    def bounded(self) -> bool:
        """Whether σ is bounded (both outer pieces flat), so that F maps ℝ^d into a box."""
        slopes = np.asarray(self.slopes)
        return bool(slopes[0] == 0 and slopes[-1] == 0)


class PiecewiseProblem(eqx.Module):
    """The fixed-point equation u = W σ(u) + b of a looped network with a continuous PWL σ, in
    the pre-activation coordinates u (u = Wx + b for σ(Wx + b), u = x for W σ(x) + b), which
    the pruning and the region solves take: `weights` W, `bias` b and σ's `table`."""

    weights: Float[Array, "d d"]
    bias: Float[Array, " d"]
    table: PieceTable

    @property
    def dim(self) -> int:
        return self.bias.shape[0]


def piece_table(activation: PiecewiseLinear) -> PieceTable:
    """The `PieceTable` of a continuous PWL activation, in float64.

    Args:
        activation: a `jaxfp.looped.PiecewiseLinear`, which has checked its breakpoints, slopes
            and intercepts (shapes, finite values, increasing breakpoints, continuity).

    Returns:
        a `PieceTable`.

    Example:
        >>> import jaxfp
        >>> piece_table(jaxfp.looped.relu()).num_pieces
        2
    """
    return PieceTable(
        breakpoints=jnp.asarray(np.asarray(activation.breakpoints, dtype=np.float64)),
        slopes=jnp.asarray(np.asarray(activation.slopes, dtype=np.float64)),
        intercepts=jnp.asarray(np.asarray(activation.intercepts, dtype=np.float64)),
    )


def evaluate(table: PieceTable, u: Float[Array, "..."]) -> Float[Array, "..."]:
    """σ(u) elementwise, each value on its own piece (finite `u`)."""
    piece = jnp.searchsorted(table.breakpoints, u)
    return table.slopes[piece] * u + table.intercepts[piece]


def _evaluate_extended(table: PieceTable, t: Float[Array, " d"]) -> Float[Array, " d"]:
    """σ(t) with σ(±∞) the limit of the outer pieces (±∞, or the constant of a flat piece)."""
    finite = jnp.where(jnp.isinf(t), 0.0, t)
    value = evaluate(table, finite)
    low_limit = jnp.where(
        table.slopes[0] == 0, table.intercepts[0], -jnp.inf * jnp.sign(table.slopes[0])
    )
    high_limit = jnp.where(
        table.slopes[-1] == 0, table.intercepts[-1], jnp.inf * jnp.sign(table.slopes[-1])
    )
    value = jnp.where(t == -jnp.inf, low_limit, value)
    return jnp.where(t == jnp.inf, high_limit, value)


def interval_image(
    table: PieceTable, lo: Float[Array, " d"], hi: Float[Array, " d"]
) -> tuple[Float[Array, " d"], Float[Array, " d"]]:
    """The exact image σ([lo, hi]) coordinatewise: the extreme values of σ at the two ends and at
    the breakpoints inside (σ is monotone between breakpoints). Ends may be infinite."""
    candidates = [_evaluate_extended(table, lo), _evaluate_extended(table, hi)]
    if table.breakpoints.shape[0]:
        inside = (lo[:, None] <= table.breakpoints) & (table.breakpoints <= hi[:, None])
        at_breaks = evaluate(table, table.breakpoints)
        candidates_low = jnp.where(inside, at_breaks, jnp.inf).min(axis=1)
        candidates_high = jnp.where(inside, at_breaks, -jnp.inf).max(axis=1)
    else:
        candidates_low = jnp.full_like(lo, jnp.inf)
        candidates_high = jnp.full_like(lo, -jnp.inf)
    low = jnp.minimum(jnp.minimum(*candidates), candidates_low)
    high = jnp.maximum(jnp.maximum(*candidates), candidates_high)
    return low, high
