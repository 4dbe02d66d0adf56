"""Typed results of the certificates."""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from .._numerics import max_abs
from ..looped._rounding import round_up
from ._interval import Box


class CertificateMethod(eqx.Enumeration):
    """Which test proved the certificate (`none` when refused)."""

    none = "No test proved a unique fixed point in the box."
    contraction = (
        "F(X) ⊆ X and sup‖J_F(X)‖_∞ ≤ K < 1 (P1 Theorem 4.1): exactly one fixed point in X; it is "
        "attracting and every start in X converges to it at rate K."
    )
    krawczyk = (
        "Krawczyk's test K(X) ⊆ interior(X), K(X) = m − C(m − F(m)) + (I − C(I − J_F(X)))(X − m): "
        "exactly one fixed point in X (attracting, saddle or repelling)."
    )


class CertificateReason(eqx.Enumeration):
    """Why a box was refused (`certified` when it was not)."""

    certified = ""
    no_fixed_point = (
        "Proved that the box holds no fixed point: F(X) misses X in some coordinate "
        "(0 ∉ X − F(X)) or K(X) ∩ X is empty. Look elsewhere."
    )
    not_invariant = (
        "F(X) is not inside X, so the contraction test (P1 Theorem 4.1) does not apply, and the "
        "Krawczyk test failed too. Use a smaller box centred on the fixed point "
        "(`certify_fixed_point` with `radius=None` picks one), or check that the box holds "
        "exactly one fixed point."
    )
    not_contracting = (
        "F(X) ⊆ X but sup‖J_F(X)‖_∞ ≥ 1, and the Krawczyk test failed. Shrink the box around the "
        "fixed point; if the fixed point is a saddle or repelling, only Krawczyk can prove it, on "
        "a box small enough for J_F to vary little."
    )
    krawczyk_failed = (
        "The Krawczyk test failed: K(X) is not inside the interior of X. Shrink the box around "
        "the fixed point (I − J_F may be near-singular: a fold or a bifurcation)."
    )
    point_not_enclosed = (
        "The box around the given point holds exactly one fixed point, but the point lies outside "
        "that fixed point's enclosure: it is not the fixed point (`point_distance` bounds how far "
        "it is from it). Polish the point (Newton) and certify it again."
    )
    invalid_box = (
        "The box has a lower bound above its upper bound or a non-finite bound, or the interval "
        "enclosures overflowed (an unbounded activation on a large box). Use a finite, smaller box."
    )


class Certificate(eqx.Module):
    """The outcome of `certify_box` / `certify_fixed_point` (batched leaves under `vmap`).

    - `certified`: from `certify_box`, True when the box provably holds exactly one fixed
      point x̂. From `certify_fixed_point`, True only when, in addition, the given point x*
      lies in x̂'s enclosure (`encloses_point`): a statement about that point, not only about a
      nearby box.
    - `method`: a `CertificateMethod` (`contraction`, `krawczyk`, or `none`).
    - `reason`: a `CertificateReason` (`certified`, or why not; `CertificateReason[r]` gives
      the message).
    - `contraction_bound`: for the contraction test, K ≥ sup‖J_F(X)‖_∞ (rigorous upper bound);
      for Krawczyk, ‖I − C(I − J_F(X))‖_∞; the first when no test succeeded.
    - `margin`: the robustness margin δ = min(F(X)_lo − X_lo, X_hi − F(X)_hi) in the ∞-norm
      (rigorous lower bound): F(X) + B(0, δ) ⊆ X when δ ≥ 0 (P1 Theorem 4.2); negative when
      F(X) leaves X. With `method == contraction`, noisy iterates x_{t+1} = F(x_t) + h_t,
      ‖h_t‖_∞ ≤ δ, stay in X and ‖x_t − x*‖ ≤ K^t‖x_0 − x*‖ + δ/(1 − K).
    - `box`: the box X (a `Box`).
    - `enclosure`: the `Box` X ∩ F(X) ∩ K(X), which holds every fixed point in X (it may be
      empty, `enclosure.is_empty()`, when X holds none).
    - `point`: the point the box was built around (x* for `certify_fixed_point`, the box's
      midpoint for `certify_box`).

    `encloses_point` and `point_distance` are computed from these.
    """

    certified: Bool[Array, ""]
    method: CertificateMethod
    reason: CertificateReason
    contraction_bound: Float[Array, ""]
    margin: Float[Array, ""]
    box: Box
    enclosure: Box
    point: Float[Array, " d"]

    @property
    def encloses_point(self) -> Bool[Array, "*batch"]:
        """Whether `point` lies in the enclosure."""
        return self.enclosure.contains(self.point)

    @property
    def point_distance(self) -> Float[Array, "*batch"]:
        """When the box provably holds exactly one fixed point x̂ (`reason` is `certified` or
        `point_not_enclosed`), a rigorous upper bound of ‖point − x̂‖_∞ (the enclosure's
        farthest corner); +inf otherwise."""
        enclosure, point = self.enclosure, self.point
        farthest = jnp.maximum(round_up(point - enclosure.lower), round_up(enclosure.upper - point))
        one_fixed_point = (self.reason == CertificateReason.certified) | (
            self.reason == CertificateReason.point_not_enclosed
        )
        return jnp.where(one_fixed_point, max_abs(farthest, axis=-1), jnp.inf)
