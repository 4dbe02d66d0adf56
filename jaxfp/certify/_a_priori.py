"""A box that provably holds every fixed point of a looped network, from σ's range alone.

Every fixed point of F(x) = σ(Wx + b) lies in σ's range box σ(ℝ)^d, and every one of
F(x) = W σ(x) + b in W·σ(ℝ)^d + b. When σ is bounded that box is finite and is the answer. When
it is bounded on one side only (σ = 2^{q(u)} of P1's construction (E), softplus, ELU, …) the box
X_0 has infinite sides, and the interval iteration X_{k+1} = F(X_k) ∩ X_k (F's interval
extension, outward rounded, valid at infinite endpoints) can make it finite: a fixed point in
X_k is F of itself, so it lies in F(X_k) too. For (E) with W = ½I, X_0 = [0, ∞)^d and X_1 =
[0, 32]^d. The iteration stops once the box is finite or stops shrinking; where it stays
infinite there is no a-priori box (`a_priori_box` returns None).
"""

import math

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ..looped import LoopedNet
from ..looped._rounding import add, point_matmul, round_down, round_up
from ._interval import Box

# The a-priori box is widened by this fraction of its width (at least of 1): every fixed point
# lies in the closed box, so the claim stays true, and fixed points on the range's boundary
# (hard clips in their flat parts, say) lie inside the searched box, where they can be proved.
_A_PRIORI_MARGIN = 1e-7
# Steps of the interval iteration X <- F(X) ∩ X tried before giving up on an infinite box.
_NARROWING_STEPS = 8

_Bounds = tuple[Float[Array, " d"], Float[Array, " d"]]


def a_priori_box(net: LoopedNet) -> Box | None:
    """A closed `Box` that holds every fixed point of `net`, or None when σ's range
    does not give a finite one (see the module docstring). Outward rounded and widened by
    `_A_PRIORI_MARGIN`.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> box = a_priori_box(jaxfp.looped.exp_network(2))  # σ(ℝ) = (0, ∞)
        >>> [round(float(v), 3) for v in (*box.lower, *box.upper)]
        [-0.0, -0.0, 32.0, 32.0]
        >>> a_priori_box(jaxfp.looped.poly_network(2)) is None  # σ(ℝ) = ℝ
        True
    """
    low, high = net.activation.output_range
    ones = np.ones(net.dim, dtype=net.W.dtype)
    sigma_of_affine = net.form == "sigma-affine"
    if math.isfinite(low) and math.isfinite(high):
        return _widened_range_box(net.W, net.b, low * ones, high * ones, sigma_of_affine)
    box = Box(jnp.asarray(low * ones), jnp.asarray(high * ones))
    if not sigma_of_affine:
        box = Box(*_affine_image(net.W, net.b, box.lower, box.upper))
    for _ in range(_NARROWING_STEPS):
        narrowed = _narrowing_step(net, box)
        if bool(narrowed.is_empty()):
            return None  # no fixed point at all; left to the methods, which show it
        unchanged = bool(
            jnp.all(narrowed.lower == box.lower) & jnp.all(narrowed.upper == box.upper)
        )
        box = narrowed
        if _finite(box) or unchanged:
            break
    return _widened(box) if _finite(box) else None


def _finite(box: Box) -> bool:
    return bool(jnp.all(jnp.isfinite(box.lower) & jnp.isfinite(box.upper)))


def _widened(box: Box) -> Box:
    """The box widened by `_A_PRIORI_MARGIN` of its width (at least of 1) on every side."""
    margin = _A_PRIORI_MARGIN * jnp.maximum(box.width, 1.0)
    return Box(box.lower - margin, box.upper + margin)


@eqx.filter_jit
def _widened_range_box(weight, bias, low, high, sigma_of_affine: bool) -> Box:
    """σ(ℝ)^d = [low, high] or W·[low, high] + b, outward rounded and widened (one compiled
    program: its few operations would otherwise compile one by one)."""
    if sigma_of_affine:
        lower, upper = round_down(low), round_up(high)
    else:
        image_low, image_high = point_matmul(weight, low, high)
        lower, upper = add(image_low, image_high, bias, bias)
    return _widened(Box(lower, upper))


@eqx.filter_jit
def _narrowing_step(net: LoopedNet, box: Box) -> Box:
    """F(X) ∩ X for the box X (sides may be infinite)."""
    sigma = net.activation
    lower, upper = box.lower, box.upper
    if net.form == "sigma-affine":
        image = _unknown_as_everything(*sigma.interval(*_affine_image(net.W, net.b, lower, upper)))
    else:
        image = _affine_image(net.W, net.b, *_unknown_as_everything(*sigma.interval(lower, upper)))
    return box.intersect(Box(*image))


def _unknown_as_everything(lower: Array, upper: Array) -> _Bounds:
    """An interval extension's NaN bound (an infinite argument it cannot handle) as ∓∞."""
    known = Box(lower, upper).nan_as_unbounded()
    return known.lower, known.upper


def _affine_image(weight: Array, bias: Array, lower: Array, upper: Array) -> _Bounds:
    """{W x + b : x ∈ [lower, upper]}, outward rounded, for sides that may be infinite: a zero
    weight contributes 0 (not 0·∞), so a lower bound sums only finite values and −∞ (and an
    upper bound finite values and +∞). The rounding error of the products and the sum is
    bounded by (2n + 2)·eps·Σ|terms| (γ_n with room to spare, Higham §3.1)."""
    positive, negative = weight > 0, weight < 0
    low_terms = jnp.where(positive, weight * lower, jnp.where(negative, weight * upper, 0.0))
    high_terms = jnp.where(positive, weight * upper, jnp.where(negative, weight * lower, 0.0))
    size = weight.shape[-1] + 1
    eps = jnp.finfo(weight.dtype).eps
    tiny = jnp.finfo(weight.dtype).smallest_normal

    def error(terms):
        magnitude = jnp.where(jnp.isfinite(terms), jnp.abs(terms), 0.0).sum(axis=-1)
        return (2 * size + 2) * eps * (magnitude + jnp.abs(bias)) + tiny

    low = low_terms.sum(axis=-1) + bias - error(low_terms)
    high = high_terms.sum(axis=-1) + bias + error(high_terms)
    return round_down(low), round_up(high)
