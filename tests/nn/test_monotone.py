"""The monotone cell: I − W ⪰ mI, and one fixed point reached from every start."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp

UNIQUE_TOL = 1e-7  # solves at 1e-10
GRAD_TOL = 1e-5


@pytest.fixture(scope="module")
def cell():
    return jaxfp.nn.MonotoneCell(8, 3, monotonicity=0.2, key=jax.random.key(0))


def test_parameterisation_is_strongly_monotone(cell):
    identity_minus = jnp.eye(8) - cell.weight()
    symmetric = 0.5 * (identity_minus + identity_minus.T)
    assert jnp.min(jnp.linalg.eigvalsh(symmetric)) >= 0.2 - 1e-12


def test_fixed_point_is_unique_from_random_starts(cell):
    x = jnp.array([1.0, -2.0, 0.5])
    solver = jaxfp.Picard(rtol=1e-10, atol=1e-10)
    starts = 5.0 * jax.random.normal(jax.random.key(1), (6, 8))
    solve = jax.jit(jax.vmap(lambda z0: jaxfp.fixed_point(cell, solver, z0, x, max_steps=5000)))
    solutions = solve(starts)
    assert jnp.all(solutions.result == jaxfp.RESULTS.successful)
    np.testing.assert_allclose(
        solutions.value, solutions.value[0][None].repeat(6, 0), atol=UNIQUE_TOL
    )
    z = solutions.value[0]
    np.testing.assert_allclose(cell.equilibrium_map(z, x), z, atol=UNIQUE_TOL)


def test_monotone_deq_gradient_matches_finite_differences(cell):
    deq = jaxfp.nn.DEQ(
        cell,
        jaxfp.Anderson(1e-11, 1e-11),
        max_steps=2000,
        state_shape=jax.ShapeDtypeStruct((8,), jnp.float64),
    )
    loss = jax.jit(lambda x: jnp.sum(jnp.sin(deq(x))))
    x = jnp.array([1.0, -2.0, 0.5])
    direction = jnp.array([0.3, -0.2, 0.9])
    step = 1e-6
    difference = (loss(x + step * direction) - loss(x - step * direction)) / (2 * step)
    np.testing.assert_allclose(
        jnp.vdot(jax.jit(jax.grad(loss))(x), direction), difference, rtol=GRAD_TOL, atol=GRAD_TOL
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"state_size": 0}, "state_size"),
        ({"monotonicity": 0.0}, "monotonicity"),
        ({"step_fraction": 1.0}, "step_fraction"),
        # Were accepted (an infinite margin, a bool size) or raw TypeErrors (str comparisons).
        ({"monotonicity": float("inf")}, "`monotonicity` must be a positive finite number"),
        ({"monotonicity": "0.5"}, "`monotonicity` must be a positive finite number"),
        ({"step_fraction": "0.5"}, "`step_fraction` must be a real number in \\(0, 1\\)"),
        ({"state_size": True}, "`state_size` must be a positive integer"),
    ],
)
def test_bad_options_raise(kwargs, message):
    options = {"state_size": 4, "input_size": 2} | kwargs
    with pytest.raises(ValueError, match=message):
        jaxfp.nn.MonotoneCell(
            options.pop("state_size"), options.pop("input_size"), key=jax.random.key(0), **options
        )


def test_gradient_reaches_the_input_injection(cell):
    deq = jaxfp.nn.DEQ(
        cell,
        jaxfp.Picard(rtol=1e-10, atol=1e-10),
        max_steps=5000,
        state_shape=jax.ShapeDtypeStruct((8,), jnp.float64),
    )
    x = jnp.array([1.0, -2.0, 0.5])
    grads = eqx.filter_grad(lambda d: jnp.sum(jnp.sin(d(x))))(deq)
    injection = grads.cell.input_injection
    assert isinstance(cell.input_injection, eqx.nn.Linear)
    for leaf in (injection.weight, injection.bias):
        assert jnp.all(jnp.isfinite(leaf)) and jnp.any(leaf != 0)
