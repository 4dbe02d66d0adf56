"""The typed result of the exact enumeration of a piecewise-linear looped network."""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int


class SingularRegions(eqx.Module):
    """The activation regions whose system I − W D_s is singular, each classified exactly.

    - `patterns`: the region's piece per coordinate.
    - `kinds`: one name of `jaxfp.enumeration.SINGULAR_REGION_KINDS` per region (`continuum`,
      `single_point`, `no_solution`, `misses_region`, `regular`, `undecided`).
    - `points`: a fixed point of the region in the network's coordinates x (NaN when it holds
      none).
    - `nullity`: the dimension of the null space of I − W D_s.
    """

    patterns: Int[Array, "n d"]
    kinds: tuple[str, ...] = eqx.field(static=True)
    points: Float[Array, "n d"]
    nullity: Int[Array, " n"]


class PWLFixedPoints(eqx.Module):
    """All fixed points of a piecewise-linear looped network, with the evidence of completeness.

    Per isolated fixed point (rows, one per distinct point):
    - `points`: x with F(x) = x.
    - `preactivations`: u, the argument of σ at the fixed point (Wx + b for σ(Wx + b), x for
      W σ(x) + b).
    - `patterns`: the activation region, the piece of σ holding each u_i.
    - `spectral_radius`: of the Jacobian D_s W of the iterated map (for a point on a region
      boundary, the largest over the regions that share it); the property `attracting` is
      `spectral_radius < 1`.
    - `margins`: the consistency margin, the smallest distance of a u_i to the ends of its piece
      (≥ 0 up to round-off); `on_boundary` flags margins within the boundary tolerance. The
      property `certified` marks the points strictly inside their region (positive margin, not
      on a boundary; every point is residual-checked): isolated, nondegenerate fixed points.
    - `residuals`: ‖F(x) − x‖_∞ evaluated with σ itself.
    - `index_signs`: sign det(I − J) (0 on a boundary, where one region's J does not decide it).

    Run-level fields: `singular_regions`; `num_regions_total` ((k + 1)^d), `num_regions_solved`
    (linear systems solved), `num_residual_failures` (consistent candidates that failed the
    residual check); `upper_bound` and `upper_bound_reference`; `expected_degree` (the Brouwer
    degree of I − F, 1 for a bounded σ, else `None`); `complete` and `evidence` (why the list
    is, or is not, complete). Read off them: `num_regions_pruned` (excluded by the interval
    tests), `num_singular_regions`, `num_on_boundary` (points on a region boundary),
    `index_sum` (Σ `index_signs`), `has_continuum`.
    """

    points: Float[Array, "n d"]
    preactivations: Float[Array, "n d"]
    patterns: Int[Array, "n d"]
    spectral_radius: Float[Array, " n"]
    margins: Float[Array, " n"]
    on_boundary: Bool[Array, " n"]
    residuals: Float[Array, " n"]
    index_signs: Int[Array, " n"]
    singular_regions: SingularRegions
    form: str = eqx.field(static=True)
    num_regions_total: int = eqx.field(static=True)
    num_regions_solved: int = eqx.field(static=True)
    num_residual_failures: int = eqx.field(static=True)
    upper_bound: int = eqx.field(static=True)
    upper_bound_reference: str = eqx.field(static=True)
    expected_degree: int | None = eqx.field(static=True)
    complete: bool = eqx.field(static=True)
    evidence: str = eqx.field(static=True)

    @property
    def num_fixed_points(self) -> int:
        return self.points.shape[0]

    @property
    def attracting(self) -> Bool[Array, " n"]:
        return self.spectral_radius < 1

    @property
    def certified(self) -> Bool[Array, " n"]:
        return ~self.on_boundary & (self.margins > 0)

    @property
    def num_regions_pruned(self) -> int:
        return self.num_regions_total - self.num_regions_solved

    @property
    def index_sum(self) -> int:
        return int(jnp.sum(self.index_signs))

    @property
    def num_singular_regions(self) -> int:
        return len(self.singular_regions.kinds)

    @property
    def num_on_boundary(self) -> int:
        return int(jnp.sum(self.on_boundary))

    @property
    def has_continuum(self) -> bool:
        return "continuum" in self.singular_regions.kinds
