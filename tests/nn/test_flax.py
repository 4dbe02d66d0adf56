"""Flax cells in `jaxfp.nn.DEQ`: an NNX module as the cell and inside an NNX model (trained with
`nnx.Optimizer`), and a Linen module through its `apply` (gradients match finite differences)."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import linen, nnx

import jaxfp

SOLVER = jaxfp.Anderson(rtol=1e-10, atol=1e-10)
FIXED_POINT_TOL = 1e-8
GRAD_TOL = 1e-5  # central differences with step 1e-6 in float64


class NnxCell(nnx.Module):
    def __init__(self, width: int, rngs: nnx.Rngs):
        self.linear = nnx.Linear(width, width, param_dtype=jnp.float64, rngs=rngs)

    def __call__(self, z, x):
        return jnp.tanh(0.5 * self.linear(z) + x)


class NnxModel(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.encoder = nnx.Linear(3, 4, param_dtype=jnp.float64, rngs=rngs)
        self.cell = NnxCell(4, rngs)
        self.head = nnx.Linear(4, 1, param_dtype=jnp.float64, rngs=rngs)

    def __call__(self, xs):
        deq = jaxfp.nn.DEQ(self.cell, SOLVER)
        return self.head(jax.vmap(deq)(self.encoder(xs)))[:, 0]


def test_nnx_module_is_a_cell():
    cell = NnxCell(4, nnx.Rngs(0))
    x = jnp.linspace(-1.0, 1.0, 4)
    z, stats = jaxfp.nn.DEQ(cell, SOLVER)(x, return_stats=True)
    np.testing.assert_allclose(cell(z, x), z, atol=FIXED_POINT_TOL)
    assert not bool(stats.inexact)


def test_nnx_model_with_a_deq_trains():
    model = NnxModel(nnx.Rngs(0))
    xs = jax.random.normal(jax.random.key(1), (16, 3))
    ys = jnp.sin(xs[:, 0]) + 0.5 * xs[:, 1]
    optimizer = nnx.Optimizer(model, optax.adam(3e-2), wrt=nnx.Param)

    @nnx.jit
    def step(model, optimizer):
        loss, grads = nnx.value_and_grad(lambda m: jnp.mean((m(xs) - ys) ** 2))(model)
        optimizer.update(model, grads)
        return loss

    losses = [float(step(model, optimizer)) for _ in range(20)]
    assert losses[-1] < 0.5 * losses[0]


class LinenCell(linen.Module):
    @linen.compact
    def __call__(self, z, x):
        return jnp.tanh(0.5 * linen.Dense(4, param_dtype=jnp.float64)(z) + x)


def test_linen_module_through_apply_has_exact_gradients():
    cell = LinenCell()
    params = cell.init(jax.random.key(0), jnp.zeros(4), jnp.zeros(4))
    x = jnp.linspace(-1.0, 1.0, 4)

    def loss(params):
        deq = jaxfp.nn.DEQ(lambda z, x: cell.apply(params, z, x), SOLVER)
        return jnp.sum(deq(x) ** 2)

    grads = jax.grad(loss)(params)
    kernel = params["params"]["Dense_0"]["kernel"]
    step = 1e-6
    for index in [(0, 0), (1, 2), (3, 1)]:
        bump = lambda s, index=index: jax.tree.map(
            lambda k: k.at[index].add(s) if k.shape == kernel.shape else k, params
        )
        numeric = (loss(bump(step)) - loss(bump(-step))) / (2 * step)
        np.testing.assert_allclose(
            grads["params"]["Dense_0"]["kernel"][index], numeric, atol=GRAD_TOL
        )
