"""Compiled kernels of pseudo-arclength continuation on z = (x, λ): tangent, corrector,
diagnostics. The driver (adaptive steps, event location) is in `continuation.py`."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Complex, Float, Int

from .._numerics import max_abs
from ..looped import LoopedNet
from ._parameters import AbstractParameter


def residual(net: LoopedNet, parameter: AbstractParameter, z: Float[Array, " d+1"]):
    """G(z) = F(x; λ) − x for z = (x, λ)."""
    x, value = z[:-1], z[-1]
    return parameter.replace(net, value)(x) - x


def _bordered(net, parameter, z, tangent):
    """The bordered matrix [DG(z); tangentᵀ] of shape (d + 1, d + 1)."""
    jacobian = jax.jacfwd(lambda zz: residual(net, parameter, zz))(z)
    return jnp.concatenate([jacobian, tangent[None, :]], axis=0)


@eqx.filter_jit
def tangent_at(net, parameter, z, previous) -> Float[Array, " d+1"]:
    """Unit tangent t of the branch at z with t·previous > 0 (solves [DG; previousᵀ] t = e)."""
    matrix = _bordered(net, parameter, z, previous)
    rhs = jnp.zeros_like(z).at[-1].set(1.0)
    tangent = jnp.linalg.solve(matrix, rhs)
    return tangent / jnp.linalg.norm(tangent)


@eqx.filter_jit
def correct(
    net, parameter, anchor, tangent, arclength, tolerance, max_iterations: int
) -> tuple[Float[Array, " d+1"], Bool[Array, ""], Int[Array, ""]]:
    """Newton on [G(z) = 0; tangent·(z − anchor) = arclength] from the predictor
    anchor + arclength·tangent. Returns (z, converged, iterations)."""
    predictor = anchor + arclength * tangent

    def system(z):
        return jnp.concatenate(
            [residual(net, parameter, z), (tangent @ (z - anchor) - arclength)[None]]
        )

    def cond(carry):
        _, step_norm, iteration = carry
        return (step_norm > tolerance) & (iteration < max_iterations)

    def body(carry):
        z, _, iteration = carry
        matrix = _bordered(net, parameter, z, tangent)
        step = jnp.linalg.solve(matrix, system(z))
        return z - step, jnp.max(jnp.abs(step)), iteration + 1

    init = (predictor, jnp.array(jnp.inf, predictor.dtype), jnp.array(0))
    z, step_norm, iterations = jax.lax.while_loop(cond, body, init)
    converged = (
        (step_norm <= tolerance)
        & jnp.all(jnp.isfinite(z))
        & (max_abs(residual(net, parameter, z)) <= 10 * tolerance)
    )
    return z, converged, iterations


class Diagnostics(eqx.Module):
    eigenvalues: Complex[Array, " d"]
    spectral_radius: Float[Array, ""]


@eqx.filter_jit
def diagnostics(net, parameter, z) -> Diagnostics:
    """Eigenvalues of J_F and its spectral radius at z = (x, λ)."""
    x, value = z[:-1], z[-1]
    eigenvalues = jnp.linalg.eigvals(parameter.replace(net, value).jacobian(x))
    return Diagnostics(eigenvalues, max_abs(eigenvalues))
