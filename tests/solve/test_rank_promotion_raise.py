"""Every solver under `jax.numpy_rank_promotion("raise")`, as optimistix's own suite runs.

Guards the batch-vectorised LU that `jaxfp.Newton` picks for small dense Jacobians: it divided
a (rows, batch) block by a (batch,) pivot row, an implicit rank promotion that this mode refuses
(optimistix's tests/test_fixed_point.py failed on its three-unknown Robertson midpoint problems).
"""

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import pytest

import jaxfp

from .zoo import PROBLEMS, SOLVERS, TOLERANCES

SOLVER_TOL, ASSERT_TOL = TOLERANCES[jnp.float64]
# Central finite differences of a solve at SOLVER_TOL: agreement to about sqrt(eps).
JVP_TOL = 1e-6


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_solves_under_rank_promotion_raise(solver, problem):
    fn, y0, args, expected = PROBLEMS[problem]
    with jax.numpy_rank_promotion("raise"):
        sol = jaxfp.fixed_point(fn, SOLVERS[solver](SOLVER_TOL), y0, args, max_steps=2000)
        optx_sol = optx.fixed_point(fn, SOLVERS[solver](SOLVER_TOL), y0, args, max_steps=2000)
    assert sol.result == jaxfp.RESULTS.successful
    assert optx_sol.result == optx.RESULTS.successful
    for value in (sol.value, optx_sol.value):
        jax.tree.map(
            lambda got, want: np.testing.assert_allclose(got, want, atol=ASSERT_TOL),
            value,
            expected,
        )


def test_vmapped_newton_and_its_jvp_under_rank_promotion_raise():
    # Three unknowns, so the default linear solver is the vectorised LU (also under vmap).
    y0 = PROBLEMS["cos"][1]
    solver = jaxfp.Newton(SOLVER_TOL, SOLVER_TOL)

    def solve(scale):
        return jaxfp.fixed_point(lambda y, s: jnp.cos(s * y), solver, y0, scale).value

    scales = jnp.array([0.5, 1.0, 1.5])
    with jax.numpy_rank_promotion("raise"):
        values = jax.vmap(solve)(scales)
        _, tangent = jax.jvp(solve, (jnp.array(1.0),), (jnp.array(1.0),))
    np.testing.assert_allclose(jnp.cos(scales[:, None] * values), values, atol=ASSERT_TOL)
    step = 1e-5
    difference = (solve(jnp.array(1.0 + step)) - solve(jnp.array(1.0 - step))) / (2 * step)
    np.testing.assert_allclose(tangent, difference, atol=JVP_TOL)
