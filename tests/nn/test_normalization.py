"""Spectral and weight normalisation of cells."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp

SIGMA_TOL = 1e-6


def test_spectral_norm_sets_the_largest_singular_value():
    layer = eqx.nn.Linear(6, 5, key=jax.random.key(0))
    normalised = jaxfp.nn.SpectralNorm(layer, scale=0.7, num_iterations=100, key=jax.random.key(1))
    np.testing.assert_allclose(jnp.linalg.norm(normalised.weight(), ord=2), 0.7, rtol=SIGMA_TOL)
    x = jnp.ones(6)
    np.testing.assert_allclose(normalised(x), normalised.weight() @ x + layer.bias, rtol=1e-12)


def test_normalised_cells_make_a_contractive_deq_with_gradients():
    keys = jax.random.split(jax.random.key(2), 3)
    spectral = jaxfp.nn.SpectralNorm(eqx.nn.Linear(4, 4, key=keys[0]), scale=0.9, key=keys[1])
    weight_norm = eqx.nn.WeightNorm(eqx.nn.Linear(4, 4, key=keys[2]))
    for linear in (spectral, weight_norm):
        deq = jaxfp.nn.DEQ(
            lambda z, x, lin=linear: jnp.tanh(0.5 * lin(z) + x),
            jaxfp.Picard(1e-8, 1e-8),
            max_steps=500,
        )
        z = deq(jnp.ones(4))
        np.testing.assert_allclose(deq.cell(z, jnp.ones(4)), z, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": 0.0}, "scale"),
        ({"num_iterations": 0}, "num_iterations"),
        # Were accepted (an infinite scale, a bool count) or raw errors (TypeError, AttributeError).
        ({"scale": float("inf")}, "`scale` must be a positive finite number"),
        ({"scale": "1"}, "`scale` must be a positive finite number"),
        ({"num_iterations": True}, "`num_iterations` must be a positive integer"),
        ({"weight_name": "kernel"}, "has no weight named 'kernel'"),
        ({"key": 0}, "`key` must be a JAX random key"),
    ],
)
def test_spectral_norm_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        jaxfp.nn.SpectralNorm(
            eqx.nn.Linear(3, 3, key=jax.random.key(0)), **({"key": jax.random.key(1)} | kwargs)
        )


def test_spectral_norm_rejects_non_matrix_weights():
    with pytest.raises(ValueError, match="matrix"):
        jaxfp.nn.SpectralNorm(
            eqx.nn.Linear(3, 3, key=jax.random.key(0)), "bias", key=jax.random.key(1)
        )
