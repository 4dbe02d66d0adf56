"""The completeness check: the fixed-point index sum against the Brouwer degree of x − F(x).

For a map h(x) = x − F(x) whose zeros (the fixed points of F) are isolated and nondegenerate, the
sum of their indices sign det(I − J_F(x*)) equals the degree of h on any ball holding them all
(Poincaré–Hopf / Brouwer degree). The degree is known without solving anything:

- **bounded σ** (both forms): F maps ℝ^d into a bounded box, so h is homotopic to the identity on a
  large sphere: degree +1 (and the number of fixed points is odd).
- **polynomial σ of degree p ≥ 1**, σ(u) = Σ c_k u^k, with W invertible: the top-degree part of h
  is −c_p (Wx)^{∘p} (σ-affine form) or −c_p W y^{∘p} (affine-σ form), whose only zero is 0, so
  deg h = sign det W · sign(−c_p)^d for odd p ≥ 3, and 0 for even p. For p = 1, h is affine and
  deg h = sign det(I − c_1 W) (σ-affine) or sign det(I − c_1 W) (affine-σ, same matrix spectrum).
  Construction (P) (σ = 3z − 4z³, W = ½I): +1.
- **diagonal W, any σ**: h splits into d scalar maps h_i(t) = t − σ(w_i t + b_i) (resp.
  t − w_i σ(t) − b_i), each of degree (sign h_i(+∞) − sign h_i(−∞)) / 2, read at |t| = 10⁸
  (where the activations jaxfp ships are monotone at infinity). Construction (E)
  (σ = 2^{p(2z−1)}, W = ½I): h_i(+∞) = +∞, h_i(−∞) = −∞, so each factor is +1 and the degree +1.
- otherwise the degree is not known (`None`), and completeness is not decided.

A found list whose index sum differs from the degree misses fixed points ("enumeration
incomplete"). Equality does not prove completeness (a missing pair of opposite indices cancels),
but it catches every odd number of missing points.
"""

import dataclasses
import math

import jax.numpy as jnp
import numpy as np
from jaxtyping import Int

from ..looped import LoopedNet

# |t| at which the diagonal case reads the sign of each scalar map t − F(t).
_FAR = 1e8


def _sign(value: float) -> int | None:
    if math.isnan(value) or value == 0:
        return None
    return 1 if value > 0 else -1


def _diagonal_degree(net: LoopedNet) -> int | None:
    weights = np.diag(np.asarray(net.W, dtype=np.float64))
    bias = np.asarray(net.b, dtype=np.float64)
    degree = 1
    for t in (_FAR, -_FAR):
        values = jnp.full(weights.shape, t, dtype=net.W.dtype)
        if net.form == "sigma-affine":
            image = np.asarray(net.activation(jnp.asarray(weights) * values + jnp.asarray(bias)))
        else:
            image = weights * np.asarray(net.activation(values)) + bias
        with np.errstate(invalid="ignore"):
            gaps = t - image.astype(np.float64)
        signs = [_sign(float(g)) for g in gaps]
        if any(s is None for s in signs):
            return None
        if t > 0:
            high = signs
        else:
            low = signs
    for upper, lower in zip(high, low, strict=True):
        degree *= (upper - lower) // 2
    return degree


def expected_degree(net: LoopedNet) -> int | None:
    """The Brouwer degree of x − F(x) over a ball holding every fixed point, when known.

    See the module docstring for the cases (bounded σ: +1; polynomial σ with invertible W;
    diagonal W). Returns `None` when no case applies.

    Example:
        >>> import jaxfp
        >>> from jaxfp.enumeration._index_check import expected_degree
        >>> nets = jaxfp.looped.poly_network(3), jaxfp.looped.exp_network(3)
        >>> [expected_degree(net) for net in nets]
        [1, 1]
    """
    low, high = net.activation.output_range
    if math.isfinite(low) and math.isfinite(high):
        return 1
    weights = np.asarray(net.W, dtype=np.float64)
    dim = weights.shape[0]
    coefficients = net.activation.polynomial_coefficients
    if coefficients is not None and len(coefficients) >= 2:
        degree = len(coefficients) - 1
        leading = coefficients[-1]
        if degree == 1:
            sign, _ = np.linalg.slogdet(np.eye(dim) - leading * weights)
            return int(sign) if sign != 0 else None
        sign_w, _ = np.linalg.slogdet(weights)
        if sign_w != 0:
            if degree % 2 == 0:
                return 0
            return int(sign_w) * int(np.sign(-leading)) ** dim
    if np.count_nonzero(weights - np.diag(np.diag(weights))) == 0:
        return _diagonal_degree(net)
    return None


def index_sum(determinant_signs: Int[np.ndarray, " n"]) -> int:
    """Σ sign det(I − J(x*)) over a list of fixed points.

    Example:
        >>> import numpy as np
        >>> index_sum(np.array([1, 1, -1]))
        1
    """
    return int(np.sum(np.asarray(determinant_signs, dtype=np.int64)))


def index_verdict(total: int, degree: int | None, signs) -> tuple[bool | None, str]:
    """The index check of a point list in words: (consistent, or None when undecided; sentence).

    A consistent index check (Σ sign det(I − J) equal to the degree of x − F(x)) is necessary for
    a complete list, never a proof: two missing points of opposite index leave it unchanged.

    Example:
        >>> index_verdict(1, 1, [1, 1, -1])[0], index_verdict(2, 1, [1, 1])[1][:26]
        (True, 'index check inconsistent: ')
    """
    degenerate = int(np.sum(np.asarray(signs) == 0))
    if degree is None:
        return None, f"index sum {total}; the degree of x − F(x) is not known"
    if degenerate:
        return None, f"index check undecided: {degenerate} degenerate point(s) (I − J singular)"
    if total != degree:
        return False, (
            f"index check inconsistent: index sum {total} ≠ degree {degree}, so fixed points are "
            "missing"
        )
    return True, (
        f"index check consistent: index sum {total} = degree {degree} (necessary for a complete "
        "list, not a proof)"
    )


@dataclasses.dataclass(frozen=True)
class IndexCheck:
    """The index check of a list of fixed points (see the module docstring).

    - `index_sum`: Σ sign det(I − J(x*)) over the points.
    - `expected_degree`: the Brouwer degree of x − F(x), `None` when it is not known.
    - `consistent`: whether the two agree (`index_verdict`); `None` when undecided, `False` too
      when the check is withheld (`withheld`: a part, or a sample, of a run).
    - `words`: the verdict in words.

    Example:
        >>> check = IndexCheck.of([1, 1, -1], 1)
        >>> check.index_sum, check.consistent, check.withheld("sampled").consistent
        (1, True, False)
    """

    index_sum: int
    expected_degree: int | None
    consistent: bool | None
    words: str

    @classmethod
    def of(cls, signs, degree: int | None) -> "IndexCheck":
        """The check of the points whose signs sign det(I − J) are `signs`, against `degree`."""
        total = index_sum(signs)
        return cls(total, degree, *index_verdict(total, degree, signs))

    def withheld(self, why: str) -> "IndexCheck":
        """The same sum and degree, not claimed consistent, for the reason `why`."""
        return dataclasses.replace(self, consistent=False, words=why)

    def decided(self) -> "IndexCheck":
        """An undecided check (`consistent` None) read as not consistent: a bool flag."""
        return dataclasses.replace(self, consistent=bool(self.consistent))


class IndexCheckFields:
    """The index check's numbers of a record holding an `IndexCheck` as `index`, under the
    names the results read (`FixedPoints`, the starts record)."""

    index: IndexCheck

    @property
    def index_sum(self) -> int:
        return self.index.index_sum

    @property
    def expected_degree(self) -> int | None:
        return self.index.expected_degree

    @property
    def index_consistent(self) -> bool | None:
        return self.index.consistent


def index_evidence(net: LoopedNet, signs) -> IndexCheck:
    """The `IndexCheck` of a point list of `net` from its points' signs sign det(I − J).

    Example:
        >>> import jaxfp
        >>> check = index_evidence(jaxfp.looped.poly_network(1), [-1, 1, -1])
        >>> check.index_sum, check.expected_degree, check.consistent
        (-1, 1, False)
    """
    return IndexCheck.of(signs, expected_degree(net))


def check_completeness(net: LoopedNet, points) -> tuple[int, int | None, bool]:
    """The index-sum test for a list of fixed points of `net` found by any means.

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        points: the distinct fixed points, shape (n, d).

    Returns:
        `(index_sum, expected_degree, consistent)`: `consistent` is False when the index sum
        differs from the known degree ("enumeration incomplete"), when the degree is unknown, or
        when a point is degenerate (I − J singular, index 0).

    Raises:
        ValueError: if `points` does not have shape (n, d).

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> from jaxfp.enumeration._index_check import check_completeness
        >>> net = jaxfp.looped.poly_network(1)
        >>> full, missing = [[-1.0], [0.0], [1.0]], [[-1.0], [1.0]]
        >>> check_completeness(net, full), check_completeness(net, missing)
        ((1, 1, True), (2, 1, False))
    """
    from .._numerics.diagnostics import classify_jacobians, jacobians

    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != net.dim:
        raise ValueError(f"`points` must have shape (n, {net.dim}), got {points.shape}.")
    _, _, _, signs = classify_jacobians(jacobians(net, points))
    check = index_evidence(net, signs)
    return check.index_sum, check.expected_degree, check.consistent is True
