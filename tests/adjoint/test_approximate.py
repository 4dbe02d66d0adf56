"""Phantom, one-step and unrolled gradients: values are z*, derivatives are the documented ones."""

import jax
import jax.numpy as jnp
import numpy as np

import jaxfp

from .zoo import LINEAR_SOLVERS, ZOO, loss, solve

EXACT_TOL = 1e-10
CELL, THETA, Z0 = ZOO["tanh"]


def _gradient(adjoint):
    return jax.jit(jax.grad(lambda theta: loss(solve(CELL, theta, Z0, adjoint).value)))(THETA)


def _distance(a, b):
    return max(
        float(jnp.max(jnp.abs(x - y)))
        for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True)
    )


def test_values_are_the_fixed_point():
    exact = solve(CELL, THETA, Z0, jaxfp.ImplicitAdjoint()).value
    for adjoint in (jaxfp.PhantomAdjoint(3, 0.5), jaxfp.OneStepAdjoint()):
        np.testing.assert_allclose(solve(CELL, THETA, Z0, adjoint).value, exact, atol=EXACT_TOL)


def test_phantom_gradient_approaches_the_implicit_gradient():
    exact = _gradient(jaxfp.ImplicitAdjoint(LINEAR_SOLVERS["anderson"]))
    errors = [_distance(_gradient(jaxfp.PhantomAdjoint(steps, 1.0)), exact) for steps in (1, 8, 40)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 1e-6


def test_one_step_is_the_jacobian_free_gradient():
    # For f(z) = a z + b: the fixed point is b / (1 - a); one-step gives dz/db = 1, not 1/(1 - a).
    def fixed_point(b, adjoint):
        return jaxfp.fixed_point(
            lambda z, b: 0.5 * z + b, jaxfp.Picard(1e-12, 1e-12), 0.0, b, adjoint=adjoint
        ).value

    assert float(jax.grad(fixed_point)(1.0, jaxfp.OneStepAdjoint())) == 1.0
    np.testing.assert_allclose(jax.grad(fixed_point)(1.0, jaxfp.ImplicitAdjoint()), 2.0, rtol=1e-5)
    np.testing.assert_allclose(
        jax.grad(fixed_point)(1.0, jaxfp.PhantomAdjoint(60, 1.0)), 2.0, rtol=1e-12
    )


def test_unrolled_gradient_is_exact_for_the_iterations_run():
    # After n Picard steps from 0, z_n = b (1 - 0.5^n) / 0.5 exactly.
    def fixed_point(b):
        sol = jaxfp.fixed_point(
            lambda z, b: 0.5 * z + b,
            jaxfp.Picard(1e-3, 1e-3),
            0.0,
            b,
            adjoint=jaxfp.UnrolledAdjoint(checkpoints=3),
        )
        return sol.value, sol.stats.num_steps

    gradient = jax.grad(lambda b: fixed_point(b)[0])(1.0)
    steps = int(fixed_point(1.0)[1])
    np.testing.assert_allclose(gradient, (1 - 0.5**steps) / 0.5, rtol=EXACT_TOL)
