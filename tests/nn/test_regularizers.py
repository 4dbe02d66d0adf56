"""Hutchinson penalty, spectral radius and correction loss against exact values."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp

MATRIX = jnp.array([[0.5, -0.4, 0.1], [0.3, 0.2, -0.6], [0.0, 0.7, 0.1]])
CELL = lambda z, x: jnp.tanh(MATRIX @ z + x)
Z = jnp.array([0.1, -0.3, 0.2])
X = jnp.array([0.2, 0.1, -0.1])
RADIUS_TOL = 1e-3


def _jacobian():
    return jax.jacfwd(CELL)(Z, X)


def test_hutchinson_estimate_is_unbiased_for_the_frobenius_norm():
    exact = jnp.sum(_jacobian() ** 2)
    estimate = jaxfp.nn.jacobian_penalty(CELL, Z, X, key=jax.random.key(0), num_samples=20000)
    np.testing.assert_allclose(estimate, exact, rtol=0.03)  # ~ 1/sqrt(20000) noise


def test_hutchinson_penalty_is_differentiable_in_parameters():
    grad = jax.grad(
        lambda m: jaxfp.nn.jacobian_penalty(
            lambda z, x: jnp.tanh(m @ z + x), Z, X, key=jax.random.key(0), num_samples=4
        )
    )(MATRIX)
    assert grad.shape == MATRIX.shape and jnp.all(jnp.isfinite(grad)) and jnp.any(grad != 0)


def test_spectral_radius_matches_eigenvalues():
    exact = jnp.max(jnp.abs(jnp.linalg.eigvals(_jacobian())))
    estimate = jaxfp.nn.spectral_radius(CELL, Z, X, key=jax.random.key(1), num_iterations=400)
    np.testing.assert_allclose(estimate, exact, rtol=RADIUS_TOL)


def test_correction_loss_weights_later_states_more():
    cell = lambda z, x: 0.5 * z + x
    states = [jnp.ones(2), jnp.array([1.5, 1.5]), jnp.array([1.75, 1.75])]  # from z0 = 0, x = 1
    loss_fn = lambda z: jnp.sum(z)
    got = jaxfp.nn.fixed_point_correction_loss(
        cell, jnp.zeros(2), jnp.ones(2), loss_fn, num_states=3, decay=0.5
    )
    weights = jnp.array([0.25, 0.5, 1.0])
    want = jnp.sum(weights * jnp.array([loss_fn(s) for s in states])) / jnp.sum(weights)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: jaxfp.nn.jacobian_penalty(CELL, Z, X, key=jax.random.key(0), num_samples=0),
            "num_samples",
        ),
        (
            lambda: jaxfp.nn.spectral_radius(CELL, Z, X, key=jax.random.key(0), num_iterations=1),
            "num_iterations",
        ),
        (
            lambda: jaxfp.nn.fixed_point_correction_loss(CELL, Z, X, jnp.sum, num_states=0),
            "num_states",
        ),
        (lambda: jaxfp.nn.fixed_point_correction_loss(CELL, Z, X, jnp.sum, decay=0.0), "decay"),
        # Were accepted (True as one sample or state) or raw errors (str comparison, JAX's
        # "invalid PRNG key data").
        (
            lambda: jaxfp.nn.jacobian_penalty(CELL, Z, X, key=jax.random.key(0), num_samples=True),
            "`num_samples` must be a positive integer",
        ),
        (
            lambda: jaxfp.nn.fixed_point_correction_loss(CELL, Z, X, jnp.sum, num_states=True),
            "`num_states` must be a positive integer",
        ),
        (
            lambda: jaxfp.nn.fixed_point_correction_loss(CELL, Z, X, jnp.sum, decay="0.5"),
            "`decay` must be a real number in",
        ),
        (lambda: jaxfp.nn.jacobian_penalty(CELL, Z, X, key=0), "`key` must be a JAX random key"),
        (lambda: jaxfp.nn.spectral_radius(CELL, Z, X, key="0"), "`key` must be a JAX random key"),
    ],
)
def test_bad_arguments_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()
