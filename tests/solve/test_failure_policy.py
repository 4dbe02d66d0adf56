"""The failure policy of the solver core: strict (NaN derivatives on failure) and best effort.

Also a stopping-rule regression of the adversarial pass: slow but steady convergence stopped
as stagnation.
"""

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

import jaxfp

ADJOINTS = {
    "implicit": jaxfp.ImplicitAdjoint(),
    "phantom": jaxfp.PhantomAdjoint(steps=4),
    "one_step": jaxfp.OneStepAdjoint(),
    "unrolled": jaxfp.UnrolledAdjoint(),
}
FORWARD_MODE = ("implicit", "phantom", "one_step")


def _cos_value(a, adjoint, *, max_steps=3, best_effort=False, throw=False, has_aux=False):
    """The fixed point of y = cos(a y), with too few steps to converge at 1e-12."""
    fn = lambda y, a: jnp.cos(a * y)  # noqa: E731
    if has_aux:
        fn = lambda y, a: (jnp.cos(a * y), {"double": 2 * y})  # noqa: E731
    sol = jaxfp.fixed_point(
        fn,
        jaxfp.Picard(1e-12, 1e-12),
        jnp.array(0.0),
        a,
        max_steps=max_steps,
        adjoint=adjoint,
        throw=throw,
        has_aux=has_aux,
        best_effort=best_effort,
    )
    return sol


@pytest.mark.parametrize("name", sorted(ADJOINTS))
def test_gradient_through_failed_solve_is_nan(name):
    adjoint = ADJOINTS[name]
    sol = _cos_value(jnp.array(1.0), adjoint)
    assert sol.result == jaxfp.RESULTS.max_steps_reached
    assert bool(jnp.isfinite(sol.value))
    gradient = jax.grad(lambda a: _cos_value(a, adjoint).value)(jnp.array(1.0))
    assert bool(jnp.isnan(gradient))
    aux_gradient = jax.grad(lambda a: _cos_value(a, adjoint, has_aux=True).aux["double"])(
        jnp.array(1.0)
    )
    assert bool(jnp.isnan(aux_gradient))
    if name in FORWARD_MODE:
        _, tangent = jax.jvp(lambda a: _cos_value(a, adjoint).value, (1.0,), (1.0,))
        assert bool(jnp.isnan(tangent))


@pytest.mark.parametrize("name", sorted(ADJOINTS))
def test_gradient_through_converged_solve_stays_finite(name):
    adjoint = ADJOINTS[name]
    gradient = jax.grad(lambda a: _cos_value(a, adjoint, max_steps=400).value)(jnp.array(1.0))
    assert bool(jnp.isfinite(gradient))


@pytest.mark.parametrize("name", sorted(ADJOINTS))
def test_best_effort_gradient_is_finite_and_code_still_says_not_converged(name):
    adjoint = ADJOINTS[name]
    sol = _cos_value(jnp.array(1.0), adjoint, best_effort=True, throw=True)  # does not raise
    assert sol.result == jaxfp.RESULTS.max_steps_reached
    assert float(sol.stats.best_residual) > 1
    gradient = jax.grad(lambda a: _cos_value(a, adjoint, best_effort=True).value)(1.0)
    assert bool(jnp.isfinite(gradient))


def test_best_effort_value_is_the_lowest_residual_iterate():
    # Picard from 0 on cos: the iterates zig-zag towards 0.739 with falling residuals, so the
    # lowest-residual iterate is the last tested one, whose residual is `best_residual`.
    sol = _cos_value(jnp.array(1.0), jaxfp.ImplicitAdjoint(), max_steps=5, best_effort=True)
    y = sol.value
    scaled = jnp.abs(jnp.cos(y) - y) / (1e-12 + 1e-12 * jnp.abs(jnp.cos(y)))
    assert float(scaled) == pytest.approx(float(sol.stats.best_residual), rel=1e-12)
    # A diverging iteration: best effort returns the early, small-residual iterate.
    sol = jaxfp.fixed_point(
        lambda y, a: 2 * y + 1, jaxfp.Picard(1e-8, 1e-8), jnp.array(0.0), best_effort=True
    )
    assert sol.result == jaxfp.RESULTS.diverged
    assert float(sol.value) == 0.0


def test_best_effort_still_fails_on_nonfinite_iterates():
    fn = lambda y, a: y * 1e300 + 1e300  # noqa: E731  (overflows to inf)
    with pytest.raises(eqx.EquinoxRuntimeError, match="NaN or infinite"):
        jaxfp.fixed_point(fn, jaxfp.Picard(1e-8, 1e-8), jnp.array(1.0), best_effort=True)
    gradient = jax.grad(
        lambda a: (
            jaxfp.fixed_point(
                lambda y, a: a * (y * 1e300 + 1e300),
                jaxfp.Picard(1e-8, 1e-8),
                jnp.array(1.0),
                a,
                throw=False,
                best_effort=True,
            ).value
        )
    )(1.0)
    assert bool(jnp.isnan(gradient))


def test_best_effort_batched_reports_each_problem():
    gains = jnp.array([0.5, 2.0])  # the second map diverges
    sol = jaxfp.fixed_point_batched(
        lambda y, g: g * y + 1.0,
        jaxfp.Picard(1e-10, 1e-10),
        jnp.zeros((2, 1)),
        gains,
        args_axes=0,
        best_effort=True,
        monitor=jaxfp.Monitor(
            check_every=1
        ),  # the best is taken among the iterates tested at convergence checks
    )
    successful = sol.result == jaxfp.RESULTS.successful
    diverged = sol.result == jaxfp.RESULTS.diverged
    assert successful.tolist() == [True, False]
    assert diverged.tolist() == [False, True]
    assert float(sol.value[1, 0]) == 0.0  # the lowest-residual iterate, not the blown-up one
    assert float(sol.stats.best_residual[0]) < 1 < float(sol.stats.best_residual[1])


def test_best_effort_backward_solve_keeps_lowest_residual_iterate():
    # One backward step cannot solve u = g + J^T u: strict is NaN, best effort is finite and
    # close to the exact implicit gradient of y = 0.5 y + a (2.0), from the better side.
    adjoint = jaxfp.ImplicitAdjoint(jaxfp.NeumannLinearSolver(1e-12, 1e-12, max_steps=3))

    def value(a, best_effort):
        fn = lambda y, a: 0.5 * y + a  # noqa: E731
        solver = jaxfp.Picard(1e-12, 1e-12)
        return jaxfp.fixed_point(
            fn, solver, 0.0, a, adjoint=adjoint, throw=False, best_effort=best_effort
        ).value

    assert bool(jnp.isnan(jax.grad(value)(1.0, False)))
    gradient = float(jax.grad(value)(1.0, True))
    assert 1.5 < gradient < 2.0


def test_linear_solvers_return_lowest_residual_iterate_on_failure():
    # Spectral radius 1.03: the Neumann iterates' residuals grow, so the start v = r (whose
    # residual is A r) beats the last iterate by far; a failed solve returns the better one.
    matrix = jnp.array([[0.9, 0.5], [-0.5, 0.9]])
    rhs = jnp.ones(2)
    start_residual = float(jnp.max(jnp.abs(matrix @ rhs)))
    for solver in (
        jaxfp.NeumannLinearSolver(rtol=0.0, atol=1e-12, max_steps=60),
        jaxfp.AndersonLinearSolver(rtol=0.0, atol=1e-12, max_steps=2, history=1),
    ):
        out = solver.solve(lambda v: matrix @ v, rhs)
        assert not bool(out.converged)
        residual = float(jnp.max(jnp.abs(rhs + matrix @ out.value - out.value)))
        assert residual <= start_residual


def test_slow_steady_convergence_is_not_stagnated():
    # x <- -x + x^3: derivative -1 at the fixed point 0, |x| falls by a factor 1 - x^2 per
    # step (0.1% in 100 steps at x = 0.003): slow, steady progress, never stagnation.
    fn = lambda x, a: -x + x**3  # noqa: E731
    sol = jaxfp.fixed_point(
        fn, jaxfp.Picard(1e-10, 1e-10), jnp.array(0.003), max_steps=1024, throw=False
    )
    assert sol.result == jaxfp.RESULTS.max_steps_reached
    assert float(sol.stats.residual) < float(sol.stats.best_residual) * 1.0001
    # A true 2-cycle is still stagnation.
    sol = jaxfp.fixed_point(
        lambda y, a: -y, jaxfp.Picard(1e-8, 1e-8), jnp.array([1.0, -2.0]), throw=False
    )
    assert sol.result == jaxfp.RESULTS.stagnated
