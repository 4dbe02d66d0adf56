"""The Bézout completeness proof for a polynomial activation: as many certified, distinct
fixed points as the Bézout number means there is no other fixed point, real or complex.

With σ(u) = Σ_{j ≤ k} c_j u^j, c_k ≠ 0, k ≥ 2, equation i of x − F(x) = 0 is
x_i − σ(w_i · x + b_i) (form σ(Wx + b)) or x_i − Σ_j W_ij σ(x_j) − b_i (form W σ(x) + b). Its
exact total degree is k when row i of W is nonzero (the degree-k part, −c_k (w_i · x)^k or
−c_k Σ_j W_ij x_j^k, is then a nonzero form) and 1 when the row is zero (x_i minus a constant).
By the refined Bézout theorem (Fulton 1984, *Intersection Theory*, Example 8.4.6), the
irreducible components Z of the projective closure of the solution set satisfy
Σ_Z deg Z ≤ B = Π_i deg_i; an isolated solution is a component of degree ≥ 1.

A certificate of `jaxfp.certify.certify_fixed_point` proves a unique fixed point in a box with
I − J_F nonsingular there (the contraction test: ‖J_F‖∞ < 1 on the box; Krawczyk's test
K(X) ⊂ int X: every matrix of the interval Jacobian is then regular, Rump 2010, *Acta
Numerica* 19), so each certified point is a nonsingular, hence isolated, complex solution.
Certified points whose enclosures (`Certificate.enclosure`) are pairwise disjoint
are distinct. B of them exhaust the bound: the solution set has no other component at all, so
the list is complete. Uncertified points and points whose enclosures overlap are not counted.
"""

import math
from typing import NamedTuple

import numpy as np

from ..looped import LoopedNet
from ._certificates import certify_points_with_enclosures
from ._fixed_points import Proof

# Clusters of possibly overlapping enclosures up to this size are compared pairwise.
_PAIRWISE = 64


class BezoutCheck(NamedTuple):
    """The outcome of `bezout_check`: `proof` (or None), `evidence` in words, and per point
    `certified` and `certificate_margin` (NaN where not certified), for `assemble_fixed_points`'s
    `diagnostics` so the points are not certified twice."""

    proof: Proof | None
    evidence: str
    certified: np.ndarray
    certificate_margin: np.ndarray


def equation_degrees(net: LoopedNet) -> tuple[int, ...] | None:
    """The exact total degree of each equation of x − F(x) = 0, or None when σ is not a
    polynomial of degree ≥ 2 (`Activation.polynomial_coefficients`, names never consulted).

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> weight = jnp.array([[0.5, 0.2], [0.0, 0.0]])
        >>> sigma = jaxfp.looped.Polynomial([0.0, 3.0, 0.0, -4.0])
        >>> net = jaxfp.looped.LoopedNet(weight, jnp.zeros(2), sigma)
        >>> equation_degrees(net)
        (3, 1)
    """
    coefficients = net.activation.polynomial_coefficients
    if coefficients is None:
        return None
    nonzero = np.flatnonzero(np.asarray(coefficients, np.float64) != 0.0)
    degree = int(nonzero[-1]) if nonzero.size else 0
    if degree < 2:
        return None
    rows = np.any(np.asarray(net.W) != 0.0, axis=1)
    return tuple(degree if row else 1 for row in rows)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Integer ranks of float values, order and ties kept exactly."""
    return np.unique(values, return_inverse=True)[1].reshape(values.shape).astype(np.int64)


def _split(labels: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Refine clusters along one axis: within a cluster, boxes are split where the sorted
    intervals [lower, upper] leave a gap (then boxes on both sides are disjoint)."""
    n = labels.size
    ranks = _ranks(np.concatenate([lower, upper]))
    low, high = ranks[:n], ranks[n:]
    order = np.lexsort((low, labels))
    group, low, high = labels[order], low[order], high[order]
    span = 2 * n
    reach = np.maximum.accumulate(group * span + high) - group * span
    gap = np.ones(n, bool)
    gap[1:] = (group[1:] != group[:-1]) | (low[1:] > reach[:-1])
    refined = np.empty(n, np.int64)
    refined[order] = np.cumsum(gap) - 1
    return refined


def distinct_lower_bound(lower: np.ndarray, upper: np.ndarray) -> int:
    """A rigorous lower bound on the number of distinct fixed points held by boxes that each
    hold exactly one: boxes separated along some axis (closed intervals) hold distinct ones.

    Example:
        >>> import numpy as np
        >>> lower = np.array([[0.0, 0.0], [0.5, 0.0], [2.0, 2.0]])
        >>> distinct_lower_bound(lower, lower + 1.0)
        2
    """
    n = lower.shape[0]
    if n == 0:
        return 0
    labels = np.zeros(n, np.int64)
    while True:
        before = int(labels.max())
        for axis in range(lower.shape[1]):
            labels = _split(labels, lower[:, axis], upper[:, axis])
        if int(labels.max()) == before:
            break
    sizes = np.bincount(labels)
    count = int(np.sum(sizes == 1))
    for cluster in np.flatnonzero(sizes > 1):
        members = np.flatnonzero(labels == cluster)
        if members.size > _PAIRWISE:
            count += 1  # at least one fixed point; the others may coincide with it
            continue
        kept: list[int] = []
        for i in members:  # greedy: keep a box disjoint from every kept one
            if all(np.any((upper[i] < lower[j]) | (upper[j] < lower[i])) for j in kept):
                kept.append(i)
        count += len(kept)
    return count


def bezout_check(net: LoopedNet, points, method: str) -> BezoutCheck:
    """Certify `points` and prove the list complete by Bézout's theorem when it can.

    Args:
        net: a `jaxfp.looped.LoopedNet` (any activation: without a polynomial one of degree
            ≥ 2 there is no proof, only the certificates).
        points: (n, d) fixed points found by some method (distinct or not).
        method: the method whose points these are (named in the proof's argument; the
            proof's `method` is "bezout").

    Returns:
        A `BezoutCheck`.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import itertools, jaxfp
        >>> points = list(itertools.product([-1.0, 0.0, 1.0], repeat=2))
        >>> check = bezout_check(jaxfp.looped.poly_network(2), points, "starts")
        >>> check.proof.method, int(check.certified.sum())
        ('bezout', 9)
    """
    points = np.asarray(points, np.float64).reshape(-1, net.dim)
    certified, margin, lower, upper = certify_points_with_enclosures(net, points)
    degrees = equation_degrees(net)
    if degrees is None:
        return BezoutCheck(None, "", certified, margin)
    bound = math.prod(degrees)
    distinct = distinct_lower_bound(lower[certified], upper[certified])
    shape = " · ".join(str(d) for d in degrees) if len(set(degrees)) > 1 else None
    product = shape or f"{degrees[0]}^{len(degrees)}"
    if distinct < bound:
        evidence = (
            f"Bézout bound {product} = {bound}: {distinct} certified distinct fixed point(s), "
            "fewer than the bound, so it does not prove completeness (complex or missed "
            "solutions may make up the difference)"
        )
        return BezoutCheck(None, evidence, certified, margin)
    if distinct > bound:  # impossible: a certificate or the degrees are wrong
        evidence = (
            f"{distinct} certified distinct fixed points exceed the Bézout bound {bound}: an "
            "internal inconsistency, so completeness is not claimed"
        )
        return BezoutCheck(None, evidence, certified, margin)
    argument = (
        f"Bézout: the equations of x − F(x) = 0 have total degrees {product}, so the solution "
        f"set in ℂ^{net.dim} has components of total degree at most {bound} (refined Bézout, "
        f"Fulton 1984, Ex. 8.4.6); {method} found {bound} fixed points, each certified (unique "
        "in its box, I − J_F nonsingular: an isolated solution) with pairwise disjoint "
        "enclosures (distinct), which exhaust the bound: there is no other fixed point, real "
        "or complex"
    )
    return BezoutCheck(Proof("bezout", argument), argument, certified, margin)
