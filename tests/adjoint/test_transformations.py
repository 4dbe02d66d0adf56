"""Implicit differentiation composes with jit, vmap, grad, jvp, jacfwd/jacrev and Hessians."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp

from .zoo import LINEAR_SOLVERS, ZOO, solve

MODE_TOL = 1e-8  # forward vs reverse mode: both exact up to the 1e-12 linear solves
HESSIAN_TOL = 1e-6  # second derivatives vs central differences of gradients
FLOAT32_TOL = 1e-4  # float32 gradient (solves at 1e-6, 1e-5) vs the float64 one

ADJOINT = jaxfp.ImplicitAdjoint(LINEAR_SOLVERS["anderson"])
CELL, THETA, Z0 = ZOO["tanh"]


def _fixed_point_of_input(inputs):
    return solve(CELL, {"weight": THETA["weight"], "input": inputs}, Z0, ADJOINT).value


@pytest.fixture(scope="module")
def jacobians():
    inputs = THETA["input"]
    forward = jax.jit(jax.jacfwd(_fixed_point_of_input))(inputs)
    reverse = jax.jit(jax.jacrev(_fixed_point_of_input))(inputs)
    return inputs, forward, reverse


def test_forward_mode_equals_reverse_mode(jacobians):
    _, forward, reverse = jacobians
    np.testing.assert_allclose(forward, reverse, rtol=MODE_TOL, atol=MODE_TOL)


def test_jacobian_is_the_implicit_function_theorem(jacobians):
    inputs, forward, _ = jacobians
    z = _fixed_point_of_input(inputs)
    sech2 = 1 - jnp.tanh(THETA["weight"] @ z + inputs) ** 2
    # dz/dx = (I - D W)^{-1} D with D = diag(sech²)
    expected = jnp.linalg.solve(jnp.eye(5) - sech2[:, None] * THETA["weight"], jnp.diag(sech2))
    np.testing.assert_allclose(forward, expected, rtol=MODE_TOL, atol=MODE_TOL)


def test_vmap_of_grad_equals_loop_of_grad():
    batch = THETA["input"] + jnp.linspace(-1, 1, 3)[:, None]
    grad = jax.grad(lambda x: jnp.sum(_fixed_point_of_input(x) ** 2))
    batched = jax.jit(jax.vmap(grad))(batch)
    looped = jnp.stack([jax.jit(grad)(x) for x in batch])
    np.testing.assert_allclose(batched, looped, rtol=MODE_TOL, atol=MODE_TOL)


def test_grad_of_vmap_and_jvp_of_vmap_agree():
    batch = THETA["input"] + jnp.linspace(-1, 1, 3)[:, None]
    total = lambda xs: jnp.sum(jax.vmap(_fixed_point_of_input)(xs) ** 2)
    gradient = jax.jit(jax.grad(total))(batch)
    direction = jnp.cos(jnp.arange(batch.size, dtype=batch.dtype)).reshape(batch.shape)
    _, derivative = jax.jit(lambda d: jax.jvp(total, (batch,), (d,)))(direction)
    np.testing.assert_allclose(jnp.vdot(gradient, direction), derivative, rtol=MODE_TOL)


def test_hessian_vector_product_matches_differences_of_gradients():
    objective = lambda x: jnp.sum(jnp.sin(_fixed_point_of_input(x)))
    grad = jax.grad(objective)
    inputs = THETA["input"]
    direction = jnp.linspace(-1.0, 1.0, 5)
    hvp = jax.jit(lambda x, d: jax.jvp(grad, (x,), (d,))[1])(inputs, direction)
    step = 1e-5
    jit_grad = jax.jit(grad)
    differences = (jit_grad(inputs + step * direction) - jit_grad(inputs - step * direction)) / (
        2 * step
    )
    np.testing.assert_allclose(hvp, differences, rtol=HESSIAN_TOL, atol=HESSIAN_TOL)


def test_float32_gradients_are_accurate():
    def objective(inputs, linear_solver, dtype):
        weight = THETA["weight"].astype(dtype)
        fn = lambda z, x: jnp.tanh(weight @ z + x)
        solver = jaxfp.Anderson(1e-6, 1e-6) if dtype == jnp.float32 else jaxfp.Picard(1e-12, 1e-12)
        sol = jaxfp.fixed_point(
            fn,
            solver,
            jnp.zeros(5, dtype),
            inputs.astype(dtype),
            adjoint=jaxfp.ImplicitAdjoint(linear_solver),
            max_steps=3000,
        )
        return jnp.sum(sol.value**2)

    reference = jax.jit(jax.grad(lambda x: objective(x, LINEAR_SOLVERS["anderson"], jnp.float64)))(
        THETA["input"]
    )
    for solver in (jaxfp.AndersonLinearSolver(), jaxfp.NeumannLinearSolver()):
        got = jax.jit(jax.grad(lambda x, s=solver: objective(x, s, jnp.float32)))(
            THETA["input"].astype(jnp.float32)
        )
        assert got.dtype == jnp.float32
        np.testing.assert_allclose(got, reference, rtol=FLOAT32_TOL, atol=FLOAT32_TOL)


@pytest.mark.parametrize(
    "adjoint",
    [jaxfp.ImplicitAdjoint(), jaxfp.PhantomAdjoint(), jaxfp.OneStepAdjoint()],
    ids=lambda adjoint: type(adjoint).__name__,
)
def test_derivative_with_respect_to_the_initial_guess_is_zero(adjoint):
    # Only y0 is differentiated (args a Python int): the fixed point does not depend on y0.
    def root(y0):
        cell = lambda y, a: 0.5 * jnp.cos(y) * a
        return jaxfp.fixed_point(cell, jaxfp.Picard(1e-10, 1e-10), y0, 1, adjoint=adjoint).value

    assert float(jax.grad(root)(jnp.array(0.5))) == 0.0
    assert float(jax.jvp(root, (jnp.array(0.5),), (jnp.array(1.0),))[1]) == 0.0
