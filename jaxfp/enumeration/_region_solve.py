"""The batched kernel: solve one chunk of activation regions at once.

Inside region s (piece s_i on coordinate i) σ(u) = D_s u + c_s, so the fixed-point equation
u = W σ(u) + b becomes the linear system (I − W D_s) u = W c_s + b. Its solution is a fixed point
exactly when every u_i lies in its piece s_i (the consistency test). Patterns are decoded from
integer region numbers inside the kernel, so no list of patterns is ever materialised.

Every test is scale-aware: the system is equilibrated (rows, then columns, scaled by powers of two
to a largest entry in [½, 1)) before it is factorised, so that the singularity test sees the
matrix's structure and not its scale (weights of 1e13 are no more singular than weights of 1),
and a residual is compared with the size of the terms it is computed from.
"""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.scipy.linalg as jsl
from jaxtyping import Array, Bool, Float, Int

from ._piecewise import PiecewiseProblem, evaluate
from ._pruning import RegionPlan, decode_patterns


class Tolerances(eqx.Module):
    """Tolerances of the region test (all relative to 1 + |u|).

    - `boundary`: a coordinate within `boundary·(1 + |u_i|)` of its piece's end counts as on the
      boundary; a candidate is consistent when no coordinate is outside by more than that.
    - `residual`: an accepted point must satisfy ‖W σ(u) + b − u‖_∞ ≤ residual·(1 + ‖u‖_∞ +
      ‖|W| |σ(u)| + |b|‖_∞) (relative to the terms of the sum, so round-off of huge weights is
      not a failure).
    - `singular`: a region whose equilibrated system's LU pivots have min/max ratio below this is
      sent to the exact (SVD and linear-programming) classification of singular regions.
    """

    boundary: float = 1e-9
    residual: float = 1e-8
    singular: float = 1e-11


# Status code of each region of a chunk.
INCONSISTENT, ACCEPTED, SINGULAR, RESIDUAL_FAILURE, PADDING = 0, 1, 2, 3, 4


class RegionSolution(eqx.Module):
    """One activation region solved (`solve_region`); `solve_chunk` returns a chunk of them, with
    a leading axis (rows beyond the last region have status PADDING).

    - `status`: INCONSISTENT, ACCEPTED, SINGULAR or RESIDUAL_FAILURE (or PADDING).
    - `pattern`: the region, its piece per coordinate.
    - `preactivation`: the region's candidate u.
    - `margin`: the smallest distance of a u_i to the ends of its piece; `on_boundary`: some u_i
      is within the boundary tolerance of an end.
    - `residual`: ‖W σ(u) + b − u‖_∞.
    - `determinant_sign`: sign det(I − W D_s).
    """

    status: Int[Array, "*chunk"]
    pattern: Int[Array, "*chunk d"]
    preactivation: Float[Array, "*chunk d"]
    margin: Float[Array, "*chunk"]
    on_boundary: Bool[Array, "*chunk"]
    residual: Float[Array, "*chunk"]
    determinant_sign: Int[Array, "*chunk"]


def equilibration(matrix: Float[Array, "d d"]) -> tuple[Float[Array, " d"], Float[Array, " d"]]:
    """Row and column scalings (powers of two, so exact) that bring the largest entry of every
    row, then of every column, of `matrix` into [½, 1); 1 for a row or column of zeros."""

    def power(largest):
        _, exponent = jnp.frexp(largest)
        return jnp.where(largest > 0, jnp.ldexp(jnp.ones_like(largest), -exponent), 1.0)

    rows = power(jnp.max(jnp.abs(matrix), axis=1))
    columns = power(jnp.max(jnp.abs(matrix * rows[:, None]), axis=0))
    return rows, columns


def region_system(weights, bias, slopes, intercepts):
    """The equilibrated system of the region with σ = slopes·u + intercepts coordinatewise:
    (scaled, rhs, columns) with `scaled` y = `rhs` and u = `columns`·y, where scaled =
    R (I − W D_s) C and rhs = R (W c_s + b) (`equilibration`; NumPy or JAX arrays)."""
    matrix = jnp.eye(bias.shape[0]) - weights * slopes[None, :]
    rows, columns = equilibration(matrix)
    scaled = matrix * rows[:, None] * columns[None, :]
    return scaled, rows * (weights @ intercepts + bias), columns


def residual_check(weights, bias, sigma_u, u, tolerance):
    """‖W σ(u) + b − u‖_∞ and whether it is at most `tolerance` times the size of the terms,
    1 + ‖u‖_∞ + ‖|W| |σ(u)| + |b|‖_∞ (NumPy or JAX arrays)."""
    residual = jnp.max(jnp.abs(weights @ sigma_u + bias - u), initial=0.0)
    terms = jnp.abs(weights) @ jnp.abs(sigma_u) + jnp.abs(bias)
    size = 1 + jnp.max(jnp.abs(u), initial=0.0) + jnp.max(terms, initial=0.0)
    return residual, residual <= tolerance * size


def solve_region(
    problem: PiecewiseProblem, pattern: Int[Array, " d"], tolerances: Tolerances
) -> RegionSolution:
    """Solve one region: its candidate u, classified (`RegionSolution`; SINGULAR when the
    equilibrated LU factorisation is numerically singular)."""
    weights, bias, table = problem.weights, problem.bias, problem.table
    d = problem.dim
    scaled, rhs, columns = region_system(
        weights, bias, table.slopes[pattern], table.intercepts[pattern]
    )
    lu, pivots = jsl.lu_factor(scaled)
    diagonal = jnp.abs(jnp.diag(lu))
    singular = diagonal.min() <= tolerances.singular * diagonal.max()
    y = jsl.lu_solve((lu, pivots), rhs)
    y = y + jsl.lu_solve((lu, pivots), rhs - scaled @ y)
    u = columns * y
    singular = singular | ~jnp.all(jnp.isfinite(u))
    slack = tolerances.boundary * (1 + jnp.abs(u))
    distance = jnp.minimum(u - table.lower[pattern], table.upper[pattern] - u)
    consistent = jnp.all(distance >= -slack)
    on_boundary = jnp.any(distance <= slack)
    residual, residual_ok = residual_check(
        weights, bias, evaluate(table, u), u, tolerances.residual
    )
    swaps = jnp.sum(pivots != jnp.arange(d))
    sign = jnp.prod(jnp.sign(jnp.diag(lu))) * (1 - 2 * (swaps % 2))
    status = jnp.where(
        singular,
        SINGULAR,
        jnp.where(~consistent, INCONSISTENT, jnp.where(residual_ok, ACCEPTED, RESIDUAL_FAILURE)),
    )
    return RegionSolution(
        status=status,
        pattern=pattern,
        preactivation=u,
        margin=distance.min(initial=jnp.inf),
        on_boundary=on_boundary,
        residual=residual,
        determinant_sign=sign.astype(int),
    )


@functools.partial(jax.jit, static_argnames=("chunk_size", "sharding"))
def solve_chunk(
    problem: PiecewiseProblem,
    plan: RegionPlan,
    tolerances: Tolerances,
    start: Int[Array, ""],
    stop: Int[Array, ""],
    *,
    chunk_size: int,
    sharding: jax.sharding.Sharding | None,
) -> RegionSolution:
    """Solve regions `start … min(start + chunk_size, stop) − 1` of `plan` (batched LU solves
    under vmap), the batch laid out over devices by `sharding` when given."""
    indices = start + jnp.arange(chunk_size, dtype=jnp.int64)
    if sharding is not None:
        indices = jax.lax.with_sharding_constraint(indices, sharding)
    valid = indices < stop
    patterns = decode_patterns(plan, jnp.where(valid, indices, 0))
    solved = jax.vmap(lambda pattern: solve_region(problem, pattern, tolerances))(patterns)
    return eqx.tree_at(lambda chunk: chunk.status, solved, jnp.where(valid, solved.status, PADDING))
