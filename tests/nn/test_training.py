"""A small Equinox model with a DEQ layer trains with Optax (implicit and phantom gradients)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
import pytest

import jaxfp


class TanhCell(eqx.Module):
    linear: jaxfp.nn.SpectralNorm

    def __call__(self, z, x):
        return jnp.tanh(self.linear(z) + x)


class Model(eqx.Module):
    encoder: eqx.nn.Linear
    deq: jaxfp.nn.DEQ
    head: eqx.nn.Linear

    def __init__(self, key):
        k1, k2, k3, k4 = jax.random.split(key, 4)
        self.encoder = eqx.nn.Linear(3, 8, key=k1)
        cell = TanhCell(jaxfp.nn.SpectralNorm(eqx.nn.Linear(8, 8, key=k2), scale=0.9, key=k4))
        self.deq = jaxfp.nn.DEQ(cell, jaxfp.Anderson(1e-5, 1e-5))
        self.head = eqx.nn.Linear(8, 1, key=k3)

    def __call__(self, x):
        return self.head(self.deq(self.encoder(x)))[0]


@pytest.mark.parametrize("adjoint", [jaxfp.ImplicitAdjoint(), jaxfp.PhantomAdjoint(4, 0.8)])
def test_small_model_loss_decreases(adjoint):
    model = Model(jax.random.key(0))
    model = eqx.tree_at(lambda m: m.deq.adjoint, model, adjoint)
    xs = jax.random.normal(jax.random.key(1), (32, 3))
    ys = jnp.sin(xs[:, 0]) + xs[:, 1] * xs[:, 2]
    optimizer = optax.adam(3e-2)
    state = optimizer.init(eqx.filter(model, eqx.is_array))

    def loss(model):
        return jnp.mean((jax.vmap(model)(xs) - ys) ** 2)

    @eqx.filter_jit
    def step(model, state):
        value, grads = eqx.filter_value_and_grad(loss)(model)
        updates, state = optimizer.update(grads, state, eqx.filter(model, eqx.is_array))
        return eqx.apply_updates(model, updates), state, value

    losses = []
    for _ in range(15):
        model, state, value = step(model, state)
        losses.append(float(value))
    assert losses[-1] < 0.5 * losses[0]
