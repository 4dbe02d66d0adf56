"""The polynomial system x − F(x) = 0 of a looped network with a polynomial activation, in the
homogeneous coordinates the tracker works in.

With σ(u) = Σ_j c_j u^j of degree k, each equation of P(x) = x − σ(Wx + b) (or
P(y) = y − W σ(y) − b) has degree ≤ k, so P has at most k^d isolated complex solutions
(Bézout). The tracker follows the total-degree homotopy

    H(x, t) = (1 − t) · γ · G(x) + t · P(x),   G_i(x) = x_i^k − 1,

homogenised (x = z_{1:}/z_0) and restricted to a random affine chart a · z = 1, so paths that
go to infinity stay bounded (z_0 → 0) instead of escaping (Sommese & Wampler 2005, §3.7;
docs/theory.md, "Completeness"). Every function here is written for one path and batched with
`jax.vmap`.
"""

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Complex, Int

from ...looped import Activation, LoopedNet


def polynomial_coefficients(activation: Activation) -> tuple[float, ...] | None:
    """c_0, …, c_k of a polynomial activation (lowest degree first), or None when σ is not one:
    the activation's own `polynomial_coefficients` (names are never consulted)."""
    return activation.polynomial_coefficients


def polynomial_degree(net: LoopedNet) -> int | None:
    """The degree k of the network's polynomial activation, or None when it has none."""
    coefficients = polynomial_coefficients(net.activation)
    return None if coefficients is None else len(coefficients) - 1


class HomogeneousSystem(eqx.Module):
    """H(z, t) of one looped network: data only (W, b, c, γ, the chart a), all complex128.

    `z` has d + 1 entries (z_0 the homogenising coordinate); the d + 1 equations are the d
    homogenised homotopy equations and the chart equation a · z − 1.
    """

    weight: Complex[Array, "d d"]
    bias: Complex[Array, " d"]
    gamma: Complex[Array, ""]
    chart: Complex[Array, " d+1"]
    coefficients: tuple[float, ...] = eqx.field(static=True)
    form: str = eqx.field(static=True)

    @property
    def degree(self) -> int:
        return len(self.coefficients) - 1

    def _sigma(self, v, z0):
        """σ^h(v, z0) = Σ c_j v^j z0^{k−j} and its partial derivatives in v and in z0."""
        k = self.degree
        powers = [jnp.ones_like(z0)]
        for _ in range(k):
            powers.append(powers[-1] * z0)
        value = jnp.zeros_like(v)
        d_v = jnp.zeros_like(v)
        d_z0 = jnp.zeros_like(v)
        v_power = jnp.ones_like(v)  # v^j
        v_power_below = jnp.zeros_like(v)  # v^{j−1}
        for j, c in enumerate(self.coefficients):
            if c != 0.0:
                value = value + c * v_power * powers[k - j]
                if j > 0:
                    d_v = d_v + (c * j) * v_power_below * powers[k - j]
                if j < k:
                    d_z0 = d_z0 + (c * (k - j)) * v_power * powers[k - j - 1]
            v_power_below, v_power = v_power, v_power * v
        return value, d_v, d_z0

    def target(self, z):
        """P^h(z) and its Jacobian (d, d + 1)."""
        k = self.degree
        z0, y = z[0], z[1:]
        z0_k2 = z0 ** (k - 2)
        z0_k1 = z0_k2 * z0
        d = y.shape[0]
        if self.form == "sigma-affine":
            v = self.weight @ y + self.bias * z0
            value, d_v, d_z0 = self._sigma(v, z0)
            residual = y * z0_k1 - value
            jac_y = z0_k1 * jnp.eye(d, dtype=z.dtype) - d_v[:, None] * self.weight
            jac_z0 = (k - 1) * y * z0_k2 - d_v * self.bias - d_z0
        else:
            value, d_v, d_z0 = self._sigma(y, z0)
            residual = y * z0_k1 - self.weight @ value - self.bias * (z0_k1 * z0)
            jac_y = z0_k1 * jnp.eye(d, dtype=z.dtype) - self.weight * d_v[None, :]
            jac_z0 = (k - 1) * y * z0_k2 - self.weight @ d_z0 - k * self.bias * z0_k1
        return residual, jnp.concatenate([jac_z0[:, None], jac_y], axis=1)

    def start(self, z):
        """G^h(z) = y^k − z0^k and its Jacobian (d, d + 1)."""
        k = self.degree
        z0, y = z[0], z[1:]
        residual = y**k - z0**k
        jac_y = jnp.diag(k * y ** (k - 1))
        jac_z0 = jnp.full_like(y, -k * z0 ** (k - 1))
        return residual, jnp.concatenate([jac_z0[:, None], jac_y], axis=1)

    def homotopy(self, z, t):
        """(H(z, t), ∂H/∂z, ∂H/∂t), with the chart equation as the last row."""
        p, p_z = self.target(z)
        g, g_z = self.start(z)
        scale = (1.0 - t) * self.gamma
        value = jnp.concatenate([scale * g + t * p, (self.chart @ z - 1.0)[None]])
        jacobian = jnp.concatenate([scale * g_z + t * p_z, self.chart[None, :]], axis=0)
        derivative = jnp.concatenate([p - self.gamma * g, jnp.zeros((1,), z.dtype)])
        return value, jacobian, derivative


def make_system(net: LoopedNet, coefficients, seed: int) -> HomogeneousSystem:
    """The homotopy of `net` with γ and the chart a drawn from `seed` (|γ| = 1)."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    chart = rng.standard_normal(net.dim + 1) + 1j * rng.standard_normal(net.dim + 1)
    return HomogeneousSystem(
        weight=jnp.asarray(np.asarray(net.W), jnp.complex128),
        bias=jnp.asarray(np.asarray(net.b), jnp.complex128),
        gamma=jnp.asarray(np.exp(1j * angle), jnp.complex128),
        chart=jnp.asarray(chart / np.linalg.norm(chart), jnp.complex128),
        coefficients=tuple(coefficients),
        form=net.form,
    )


def start_point(system: HomogeneousSystem, index: Int[Array, ""], dim: int):
    """The start solution of path `index`: the base-k digits of the index pick a k-th root of
    unity per coordinate, x_i = exp(2πi·digit_i / k); returned in the chart a · z = 1."""
    k = system.degree
    digits = (index // (k ** jnp.arange(dim, dtype=index.dtype))) % k
    affine = jnp.exp(2j * jnp.pi * digits / k)
    z = jnp.concatenate([jnp.ones((1,), jnp.complex128), affine])
    return z / (system.chart @ z)
