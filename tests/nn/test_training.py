"""DEQ models train: a small Equinox model's loss decreases; the digits DEQ learns."""

import equinox as eqx
import jax
import jax.numpy as jnp
import optax
import pytest

import jaxfp


class Model(eqx.Module):
    encoder: eqx.nn.Linear
    deq: jaxfp.nn.DEQ
    head: eqx.nn.Linear

    def __init__(self, key):
        k1, k2, k3 = jax.random.split(key, 3)
        self.encoder = eqx.nn.Linear(3, 8, key=k1)
        cell = jaxfp.nn.TanhCell(8, key=k2)
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


def test_digits_deq_learns_in_two_epochs():
    config = jaxfp.nn.DigitsTrainingConfig(
        width=16, epochs=2, batch_size=32, learning_rate=1e-2, max_steps=20, jacobian_penalty=0.1
    )
    records = []
    result = jaxfp.nn.train_digits_deq(config, on_epoch=records.append)
    assert len(records) == 2 and records[1].train_loss < records[0].train_loss
    assert result.test_accuracy > 0.8  # chance is 0.1
    assert result.mean_forward_steps > 0 and result.mean_backward_steps > 0


@pytest.mark.slow
def test_digits_deq_reaches_target_with_defaults():
    result = jaxfp.nn.train_digits_deq()
    assert result.test_accuracy >= 0.96
    assert result.wall_time <= 120


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 0}, "width"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"adjoint": "magic"}, "adjoint"),
        ({"test_fraction": 1.5}, "test_fraction"),
        ({"jacobian_penalty": -1.0}, "jacobian_penalty"),
    ],
)
def test_bad_training_config_raises(kwargs, message):
    with pytest.raises(ValueError, match=message):
        jaxfp.nn.DigitsTrainingConfig(**kwargs)
