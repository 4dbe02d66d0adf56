"""Implicit gradients equal finite differences (float64) and unrolled gradients, on a zoo."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp

from .zoo import LINEAR_SOLVERS, ZOO, loss, solve

FD_TOL = 1e-6  # central differences with step 1e-6 in float64
UNROLLED_TOL = 1e-8  # unrolled gradient of a converged (1e-12) iteration
DEFAULT_TOL = 1e-4  # the default adjoint (rtol 1e-5) against the tight one


def _objective(name, adjoint):
    cell, _, z0 = ZOO[name]
    return jax.jit(lambda theta: loss(solve(cell, theta, z0, adjoint).value))


def _random_direction(theta, seed=0):
    leaves, treedef = jax.tree_util.tree_flatten(theta)
    keys = jax.random.split(jax.random.key(seed), len(leaves))
    return treedef.unflatten(
        [jax.random.normal(k, jnp.shape(x)) for k, x in zip(keys, leaves, strict=True)]
    )


def _dot(a, b):
    return sum(
        jnp.vdot(x, y)
        for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True)
    )


FINITE_DIFFERENCE_CASES = [(name, "anderson") for name in sorted(ZOO)] + [
    ("tanh", "neumann"),
    ("pytree", "gmres"),
]


@pytest.mark.parametrize(("name", "solver_name"), FINITE_DIFFERENCE_CASES)
def test_implicit_gradient_matches_finite_differences(name, solver_name):
    theta = ZOO[name][1]
    objective = _objective(name, jaxfp.ImplicitAdjoint(LINEAR_SOLVERS[solver_name]))
    gradient = jax.grad(objective)(theta)
    direction = _random_direction(theta)
    step = 1e-6
    shifted = lambda s: jax.tree_util.tree_map(lambda t, d: t + s * d, theta, direction)
    finite_difference = (objective(shifted(step)) - objective(shifted(-step))) / (2 * step)
    np.testing.assert_allclose(
        _dot(gradient, direction), finite_difference, rtol=FD_TOL, atol=FD_TOL
    )


@pytest.mark.parametrize("name", ["pytree", "tanh"])
def test_implicit_gradient_matches_unrolled_gradient(name):
    theta = ZOO[name][1]
    implicit = jax.grad(_objective(name, jaxfp.ImplicitAdjoint(LINEAR_SOLVERS["anderson"])))(theta)
    unrolled = jax.grad(_objective(name, jaxfp.UnrolledAdjoint()))(theta)
    default = jax.grad(_objective(name, jaxfp.ImplicitAdjoint()))(theta)
    for a, b, c in zip(*map(jax.tree_util.tree_leaves, (implicit, unrolled, default)), strict=True):
        np.testing.assert_allclose(a, b, rtol=UNROLLED_TOL, atol=UNROLLED_TOL)
        np.testing.assert_allclose(c, a, rtol=DEFAULT_TOL, atol=DEFAULT_TOL)


def test_gradient_reaches_closed_over_arrays_and_args():
    cell, theta, z0 = ZOO["tanh"]
    adjoint = jaxfp.ImplicitAdjoint(LINEAR_SOLVERS["anderson"])

    def closed_over(weight, inputs):
        fn = lambda z, args: jnp.tanh(weight @ z + args)  # weight is closed over
        return loss(
            jaxfp.fixed_point(
                fn, jaxfp.Picard(1e-12, 1e-12), z0, inputs, adjoint=adjoint, max_steps=3000
            ).value
        )

    def through_args(weight, inputs):
        return loss(solve(cell, {"weight": weight, "input": inputs}, z0, adjoint).value)

    got = jax.jit(jax.grad(closed_over, argnums=(0, 1)))(theta["weight"], theta["input"])
    want = jax.jit(jax.grad(through_args, argnums=(0, 1)))(theta["weight"], theta["input"])
    assert jnp.all(jnp.abs(got[0]) > 0)  # every closed-over entry receives a gradient
    for a, b in zip(got, want, strict=True):
        np.testing.assert_allclose(a, b, rtol=UNROLLED_TOL, atol=UNROLLED_TOL)


def test_gradient_through_aux_is_exact():
    cell, theta, z0 = ZOO["tanh"]
    adjoint = jaxfp.ImplicitAdjoint(LINEAR_SOLVERS["anderson"])

    def via_aux(theta):
        fn = lambda z, th: (cell(z, th), jnp.sum(z**2))
        sol = jaxfp.fixed_point(
            fn, jaxfp.Picard(1e-12, 1e-12), z0, theta, adjoint=adjoint, has_aux=True, max_steps=3000
        )
        return sol.aux

    def via_value(theta):
        return jnp.sum(solve(cell, theta, z0, adjoint).value ** 2)

    got, want = jax.jit(jax.grad(via_aux))(theta), jax.jit(jax.grad(via_value))(theta)
    for a, b in zip(jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want), strict=True):
        np.testing.assert_allclose(a, b, rtol=UNROLLED_TOL, atol=UNROLLED_TOL)
