"""The DEQ layer: fixed points, stats, initial states, pytree states, vmap, filter_jit/grad."""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import pytest

import jaxfp

FIXED_POINT_TOL = 1e-6  # solver tolerance is 1e-8
GRAD_TOL = 1e-6
BACKWARD_TOL = 1e-4  # default backward solve: rtol 1e-5, atol 1e-6


class Cell(eqx.Module):
    linear: eqx.nn.Linear

    def __call__(self, z, x):
        return jnp.tanh(0.5 * self.linear(z) + x)


class PytreeCell(eqx.Module):
    linear: eqx.nn.Linear

    def __call__(self, z, x):
        return {"fast": jnp.tanh(0.4 * self.linear(z["slow"]) + x), "slow": 0.5 * z["fast"]}


SOLVER = jaxfp.Anderson(rtol=1e-8, atol=1e-8)


@pytest.fixture(scope="module")
def deq():
    return jaxfp.nn.DEQ(Cell(eqx.nn.Linear(4, 4, key=jax.random.key(0))), SOLVER)


def test_output_is_a_fixed_point_and_stats_say_so(deq):
    x = jnp.linspace(-1.0, 1.0, 4)
    z, stats = deq(x, return_stats=True)
    np.testing.assert_allclose(deq.cell(z, x), z, atol=FIXED_POINT_TOL)
    assert stats.result == jaxfp.RESULTS.successful
    assert float(stats.residual) < 1 and 0 < int(stats.num_steps) < 50


@pytest.mark.parametrize("solver", [jaxfp.Picard, jaxfp.Anderson], ids=["picard", "anderson"])
def test_num_steps_counts_solver_steps_one_cell_call_each_and_stops_at_max_steps(solver):
    calls = []

    def cell(z, x):
        jax.debug.callback(lambda: calls.append(1))
        return 0.999 * jnp.tanh(z) + x  # far too slow to converge in 5 steps at 1e-12

    deq = jaxfp.nn.DEQ(cell, solver(rtol=1e-12, atol=1e-12), max_steps=5, throw=False)
    z, stats = deq(jnp.linspace(-1.0, 1.0, 4), return_stats=True)
    jax.block_until_ready(z)
    assert stats.result == jaxfp.RESULTS.max_steps_reached and bool(stats.inexact)
    assert int(stats.num_steps) == 5 == len(calls)
    # under vmap (as in training) every sample's count stays within max_steps
    xs = jnp.stack([jnp.zeros(4), jnp.full(4, 3.0)])
    _, batched = jax.vmap(lambda x: deq(x, return_stats=True))(xs)
    assert int(jnp.max(batched.num_steps)) == 5


def test_vmap_batches_examples(deq):
    xs = jax.random.normal(jax.random.key(1), (3, 4))
    batched = eqx.filter_jit(lambda layer, xs: jax.vmap(layer)(xs))(deq, xs)
    for x, z in zip(xs, batched, strict=True):
        np.testing.assert_allclose(z, deq(x), atol=FIXED_POINT_TOL)


def test_initial_states_all_reach_the_same_fixed_point(deq):
    x = jnp.linspace(-1.0, 1.0, 4)
    reference = deq(x)
    variants = [
        dataclasses.replace(deq, initial_state="input"),
        dataclasses.replace(deq, initial_state=lambda x: 0.3 * x),
        dataclasses.replace(deq, state_shape=jax.ShapeDtypeStruct((4,), x.dtype)),
    ]
    for variant in variants:
        np.testing.assert_allclose(variant(x), reference, atol=FIXED_POINT_TOL)
    np.testing.assert_allclose(deq(x, z0=jnp.ones(4)), reference, atol=FIXED_POINT_TOL)
    np.testing.assert_allclose(deq.initial_value(x), jnp.zeros(4))


def test_pytree_state_and_filter_grad_match_finite_differences():
    cell = PytreeCell(eqx.nn.Linear(4, 4, key=jax.random.key(2)))
    shape = {
        "fast": jax.ShapeDtypeStruct((4,), jnp.float64),
        "slow": jax.ShapeDtypeStruct((4,), jnp.float64),
    }
    layer = jaxfp.nn.DEQ(cell, SOLVER, state_shape=shape)
    x = jnp.linspace(-1.0, 1.0, 4)

    @eqx.filter_jit
    def loss(layer):
        z = layer(x)
        return jnp.sum(z["fast"] ** 2) + jnp.sum(jnp.sin(z["slow"]))

    grads = eqx.filter_grad(loss)(layer)
    weight_grad = grads.cell.linear.weight
    assert weight_grad.shape == (4, 4) and jnp.all(jnp.isfinite(weight_grad))
    step = 1e-6
    bump = lambda s: eqx.tree_at(
        lambda d: d.cell.linear.weight, layer, layer.cell.linear.weight.at[1, 2].add(s)
    )
    difference = (loss(bump(step)) - loss(bump(-step))) / (2 * step)
    np.testing.assert_allclose(weight_grad[1, 2], difference, rtol=GRAD_TOL, atol=GRAD_TOL)
    assert jnp.all(jnp.isfinite(grads.cell.linear.bias))


def test_backward_solve_reports_steps(deq):
    x = jnp.linspace(-1.0, 1.0, 4)
    z = deq(x)
    out = deq.backward_solve(x, z, jnp.ones(4))
    assert bool(out.converged) and int(out.num_steps) > 1
    # u = g + Jᵀu, solved densely.
    jacobian = jax.jacfwd(deq.cell)(z, x)
    expected = jnp.linalg.solve(jnp.eye(4) - jacobian.T, jnp.ones(4))
    np.testing.assert_allclose(out.value, expected, rtol=BACKWARD_TOL, atol=BACKWARD_TOL)
    jfb = eqx.tree_at(lambda d: d.adjoint, deq, jaxfp.OneStepAdjoint())
    with pytest.raises(ValueError, match="ImplicitAdjoint"):
        jfb.backward_solve(x, z, jnp.ones(4))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_steps": 0}, "max_steps"),
        ({"initial_state": "ones"}, "initial_state"),
        # Were accepted when built and failed at the first call (or, for an optimistix
        # solver, inside the solve).
        ({"solver": "anderson"}, "`solver` must be a jaxfp solver"),
        ({"solver": optx.FixedPointIteration(1e-6, 1e-6)}, "`solver` must be a jaxfp solver"),
        ({"adjoint": "implicit"}, "`adjoint` must be a jaxfp adjoint; got str"),
        ({"adjoint": None}, "`adjoint` must be a jaxfp adjoint; got NoneType"),
    ],
)
def test_bad_options_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        jaxfp.nn.DEQ(lambda z, x: z, **kwargs)


def test_a_cell_that_is_not_callable_is_refused_when_built():
    with pytest.raises(ValueError, match="`cell` must be a callable cell"):
        jaxfp.nn.DEQ(jnp.eye(3))
