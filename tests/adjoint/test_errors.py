"""A failed backward solve is reported (error with throw, NaN otherwise); bad options raise."""

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import pytest

import jaxfp

from .zoo import FORWARD, ZOO, loss

CELL, THETA, Z0 = ZOO["tanh"]
STARVED = jaxfp.ImplicitAdjoint(jaxfp.NeumannLinearSolver(rtol=1e-12, atol=1e-12, max_steps=2))


def _gradient(throw):
    def objective(theta):
        sol = jaxfp.fixed_point(
            CELL, FORWARD, Z0, theta, adjoint=STARVED, throw=throw, max_steps=3000
        )
        return loss(sol.value)

    return eqx.filter_jit(jax.grad(objective))(THETA)


def test_failed_backward_solve_raises_with_throw():
    with pytest.raises(eqx.EquinoxRuntimeError, match="backward .adjoint. linear solve"):
        jax.block_until_ready(_gradient(throw=True))


def test_failed_backward_solve_gives_nan_not_zeros_without_throw():
    gradient = _gradient(throw=False)
    assert all(jnp.all(jnp.isnan(leaf)) for leaf in jax.tree_util.tree_leaves(gradient))


def test_backward_solve_reports_steps_and_failure():
    fn = lambda z, theta: (CELL(z, theta), None)
    root = jaxfp.fixed_point(CELL, FORWARD, Z0, THETA, max_steps=3000).value
    starved = STARVED.backward_solve(fn, root, THETA, jnp.ones(5))
    assert int(starved.num_steps) == 2 and not bool(starved.converged)
    solved = jaxfp.ImplicitAdjoint().backward_solve(fn, root, THETA, jnp.ones(5))
    assert bool(solved.converged) and int(solved.num_steps) > 1


def test_diverging_backward_solve_is_reported():
    # f(z) = -2 z + x: Anderson solves the forward problem, but Neumann on Jᵀ = -2 diverges.
    fn = lambda z, x: -2.0 * z + x
    adjoint = jaxfp.ImplicitAdjoint(jaxfp.NeumannLinearSolver())
    forward = jaxfp.Anderson(1e-10, 1e-10)

    def objective(x):
        return jnp.sum(jaxfp.fixed_point(fn, forward, jnp.zeros(2), x, adjoint=adjoint).value)

    grad = eqx.filter_jit(jax.grad(objective))
    with pytest.raises(eqx.EquinoxRuntimeError, match="backward"):
        jax.block_until_ready(grad(jnp.ones(2)))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: jaxfp.ImplicitAdjoint(linear_solver="gmres"), "linear_solver"),
        (lambda: jaxfp.ImplicitAdjoint(linear_solver=jaxfp.Picard(1e-6, 1e-6)), "linear_solver"),
        (lambda: jaxfp.NeumannLinearSolver(rtol=-1.0), "rtol"),
        (lambda: jaxfp.NeumannLinearSolver(rtol=0.0, atol=0.0), "rtol"),
        (lambda: jaxfp.AndersonLinearSolver(max_steps=0), "max_steps"),
        (lambda: jaxfp.AndersonLinearSolver(history=0), "history"),
        (lambda: jaxfp.AndersonLinearSolver(ridge=-1.0), "ridge"),
        (lambda: jaxfp.PhantomAdjoint(steps=0), "steps"),
        (lambda: jaxfp.PhantomAdjoint(damping=1.5), "damping"),
        (lambda: jaxfp.PhantomAdjoint(damping=0.0), "damping"),
        (lambda: jaxfp.UnrolledAdjoint(checkpoints=0), "checkpoints"),
    ],
)
def test_bad_options_raise_value_errors_naming_the_argument(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_lineax_solvers_are_accepted():
    # u = g + Jᵀu with J = 0.5 I and g = 1 has the solution u = 2.
    adjoint = jaxfp.ImplicitAdjoint(lx.GMRES(rtol=1e-8, atol=1e-8))
    fn = lambda z, x: (0.5 * z + x, None)
    out = adjoint.backward_solve(fn, jnp.ones(3), jnp.ones(3), jnp.ones(3))
    assert bool(out.converged)
    np.testing.assert_allclose(out.value, 2.0, rtol=1e-8)
