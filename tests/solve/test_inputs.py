"""The input-validation layer of the solver core: every bad option one clear error, and inputs
that used to crash or mislead (mixed dtypes, bfloat16, a norm returning a vector) now work or
say what to change."""

import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import optimistix as optx
import pytest

import jaxfp

SOLVER_CLASSES = (jaxfp.Picard, jaxfp.Anderson, jaxfp.Broyden, jaxfp.Newton)
ASSERT_TOL = 1e-6


@pytest.mark.parametrize("solver_class", SOLVER_CLASSES)
@pytest.mark.parametrize(
    ("rtol", "atol", "message"),
    [
        (-1e-8, 1e-8, "`rtol` must be a finite number ≥ 0, got -1e-08"),
        (1e-8, -1e-8, "`atol` must be a finite number ≥ 0, got -1e-08"),
        (float("nan"), 1e-8, "`rtol` must be a finite number ≥ 0, got nan"),
        (1e-8, float("inf"), "`atol` must be a finite number ≥ 0, got inf"),
        (0.0, 0.0, "`rtol` and `atol` are both 0"),
        ("1e-8", 1e-8, "`rtol` must be a real number"),
    ],
)
def test_bad_tolerances_are_refused_by_every_solver(solver_class, rtol, atol, message):
    with pytest.raises(ValueError, match=message):
        solver_class(rtol, atol)


def test_zero_atol_at_an_exact_fixed_point_converges_instead_of_nonfinite():
    # Newton lands on the fixed point 0 of f(y) = y / 2 exactly, where the relative rule alone
    # (atol = 0) used to divide 0 by 0 and report `nonfinite_iterate`.
    sol = jaxfp.fixed_point(lambda y, a: 0.5 * y, jaxfp.Newton(1e-6, 0.0), jnp.array([0.3, 1.0]))
    assert sol.result == jaxfp.RESULTS.successful
    assert float(jnp.max(jnp.abs(sol.value))) == 0.0


def test_zero_atol_with_an_exact_start_is_successful_at_once():
    sol = jaxfp.fixed_point(lambda y, a: 0 * y, jaxfp.Anderson(1e-6, 0.0), jnp.zeros(3))
    assert sol.result == jaxfp.RESULTS.successful
    assert int(sol.stats.num_steps) == 1


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: jaxfp.Anderson(1e-6, 1e-6, history=2.5), "`history` must be a positive integer"),
        (lambda: jaxfp.Anderson(1e-6, 1e-6, history=True), "`history` must be a positive integer"),
        (lambda: jaxfp.Broyden(1e-6, 1e-6, memory=1.5), "`memory` must be a positive integer"),
        (lambda: jaxfp.Anderson(1e-6, 1e-6, history=2**31), "at most 2147483647"),
        (lambda: jaxfp.Picard(1e-6, 1e-6, norm="max"), "`norm` must be a function"),
        (lambda: jaxfp.AndersonLinearSolver(history=2.5), "`history` must be a positive integer"),
        (lambda: jaxfp.NeumannLinearSolver(max_steps=10.0), "`max_steps` must be a positive"),
        (lambda: jaxfp.NeumannLinearSolver(rtol=float("nan")), "`rtol` must be a finite"),
    ],
)
def test_bad_hyperparameters_get_one_clear_error(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_numpy_integer_hyperparameters_are_python_ints():
    solver = jaxfp.Anderson(1e-8, 1e-8, history=np.int64(3))
    assert type(solver.history) is int
    sol = jax.jit(lambda y: jaxfp.fixed_point(lambda y, a: jnp.cos(y), solver, y).value)(
        jnp.zeros(2)
    )
    np.testing.assert_allclose(sol, 0.7390851332151607, atol=ASSERT_TOL)


@pytest.mark.parametrize("solver_class", SOLVER_CLASSES)
def test_norm_returning_a_vector_is_refused_at_trace_time_naming_norm(solver_class):
    solver = solver_class(1e-6, 1e-6, norm=lambda tree: jnp.abs(tree))
    with pytest.raises(ValueError, match="`norm` must return a scalar.*shape \\(3,\\)"):
        jaxfp.fixed_point(lambda y, a: jnp.cos(y), solver, jnp.zeros(3))


@pytest.mark.parametrize("solver_class", SOLVER_CLASSES)
def test_pytree_state_with_float32_and_float64_leaves_converges(solver_class):
    y0 = {"low": jnp.zeros(2, jnp.float32), "high": jnp.zeros(3, jnp.float64)}

    def fn(y, args):
        return {"low": jnp.cos(y["low"]), "high": 0.5 * jnp.cos(y["high"]) + 0.1}

    sol = jaxfp.fixed_point(fn, solver_class(1e-5, 1e-5), y0)
    assert sol.value["low"].dtype == jnp.float32
    assert sol.value["high"].dtype == jnp.float64
    assert sol.stats.residual.dtype == jnp.float64
    np.testing.assert_allclose(sol.value["low"], 0.7390851, atol=1e-4)
    np.testing.assert_allclose(sol.value["high"], fn(sol.value, None)["high"], atol=1e-4)


@pytest.mark.parametrize("norm", [optx.max_norm, optx.two_norm, optx.rms_norm])
def test_fused_norms_match_the_norm_on_mixed_dtypes(norm):
    y0 = (jnp.zeros(2, jnp.float32), jnp.zeros(3))
    fn = lambda y, a: (jnp.cos(y[0]), jnp.cos(y[1]))  # noqa: E731
    sol = jaxfp.fixed_point(
        fn,
        jaxfp.Picard(1e-3, 1e-3, norm=norm),
        y0,
        max_steps=3,
        throw=False,
        monitor=jaxfp.Monitor(trace_length=3),
    )
    # The first step's residual is measured at y0 = 0: f(0) - 0 = 1 everywhere, scale 2e-3.
    expected = float(norm((jnp.ones(2) / 2e-3, jnp.ones(3) / 2e-3)))
    np.testing.assert_allclose(sol.stats.trace[0], expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16])
@pytest.mark.parametrize("solver_class", [jaxfp.Anderson, jaxfp.Newton])
def test_half_precision_states_solve_their_small_systems_in_float32(solver_class, dtype):
    # LAPACK has no bfloat16/float16 kernels: this used to raise NotImplementedError.
    sol = jaxfp.fixed_point(lambda y, a: jnp.cos(y), solver_class(1e-2, 1e-2), jnp.zeros(3, dtype))
    assert sol.value.dtype == dtype
    assert sol.result == jaxfp.RESULTS.successful
    np.testing.assert_allclose(np.asarray(sol.value, np.float32), 0.739, atol=2e-2)


def test_newton_gmres_tolerance_below_float32_precision_is_named_up_front():
    solver = jaxfp.Newton(1e-5, 1e-5, jacobian="jvp", linear_solver=lx.GMRES(1e-8, 1e-8))
    fn = lambda y, a: jnp.tanh(0.5 * y + 1.0)  # noqa: E731
    with pytest.raises(ValueError, match="lie below the precision of the float32 state"):
        jaxfp.fixed_point(fn, solver, jnp.zeros(3, jnp.float32))
    # The same solver in float64, and a reachable tolerance in float32, both converge.
    assert jaxfp.fixed_point(fn, solver, jnp.zeros(3)).result == jaxfp.RESULTS.successful
    loose = jaxfp.Newton(1e-5, 1e-5, jacobian="jvp", linear_solver=lx.GMRES(1e-6, 1e-6))
    sol = jaxfp.fixed_point(fn, loose, jnp.zeros(3, jnp.float32))
    assert sol.result == jaxfp.RESULTS.successful


def test_backward_solve_tolerance_below_float32_precision_is_named():
    adjoint = jaxfp.ImplicitAdjoint(jaxfp.NeumannLinearSolver(rtol=1e-9, atol=1e-9))
    fn = lambda y, a: (0.5 * y + a, None)  # noqa: E731
    ones = jnp.ones(2, jnp.float32)
    with pytest.raises(ValueError, match="NeumannLinearSolver.*below the precision"):
        adjoint.backward_solve(fn, ones, ones, ones)
    gmres = jaxfp.ImplicitAdjoint(lx.GMRES(rtol=1e-9, atol=1e-9))
    with pytest.raises(ValueError, match="lineax.GMRES.*below the precision"):
        gmres.backward_solve(fn, ones, ones, ones)


@pytest.mark.parametrize(
    "adjoint",
    [
        jaxfp.ImplicitAdjoint(),
        jaxfp.PhantomAdjoint(),
        jaxfp.OneStepAdjoint(),
        jaxfp.UnrolledAdjoint(),
    ],
)
@pytest.mark.parametrize("scale", [1, True])
def test_python_int_or_bool_in_args_solves_under_every_adjoint(adjoint, scale):
    fn = lambda y, a: jnp.cos(y) * a  # noqa: E731
    sol = jaxfp.fixed_point(fn, jaxfp.Picard(1e-8, 1e-8), 0.5, scale, adjoint=adjoint)
    np.testing.assert_allclose(sol.value, 0.7390851332151607, atol=ASSERT_TOL)


def test_python_int_in_args_solves_in_fixed_point_batched():
    fn = lambda y, a: jnp.cos(y) * a  # noqa: E731
    sol = jaxfp.fixed_point_batched(fn, jaxfp.Picard(1e-8, 1e-8), jnp.zeros((3, 2)), 1)
    np.testing.assert_allclose(sol.value, 0.7390851332151607, atol=ASSERT_TOL)


def test_python_floats_as_y0_and_args_compile_once():
    traces = []

    def fn(y, a):
        traces.append(None)  # runs only while tracing
        return jnp.cos(a * y)

    solver = jaxfp.Picard(1e-8, 1e-8)
    jaxfp.fixed_point(fn, solver, 0.5, 1.0)
    compiled = len(traces)
    for value in np.linspace(0.6, 0.9, 5):
        jaxfp.fixed_point(fn, solver, float(value), float(value))
    assert len(traces) == compiled


def test_numpy_integer_max_steps_is_a_python_int_not_a_tracer():
    sol = jaxfp.fixed_point(
        lambda y, a: jnp.cos(y), jaxfp.Picard(1e-8, 1e-8), 0.5, max_steps=np.int64(5), throw=False
    )
    assert sol.result == jaxfp.RESULTS.max_steps_reached
    assert int(sol.stats.num_steps) == 5


def test_max_steps_beyond_32_bits_is_refused_with_the_one_limit():
    # One limit, one message: not 2**31 - 1 first and 2**24 after.
    with pytest.raises(ValueError, match="`max_steps` must be at most 16777216, got 2147483648"):
        jaxfp.fixed_point(lambda y, a: jnp.cos(y), jaxfp.Picard(1e-8, 1e-8), 0.5, max_steps=2**31)


@pytest.mark.parametrize("entry", ["fixed_point", "fixed_point_batched"])
def test_max_steps_beyond_the_exact_float32_count_is_refused(entry):
    """The step count lives in the solver's progress tracker, a float array (exact to 2**24)."""
    solve = getattr(jaxfp, entry)
    y0 = jnp.zeros((2, 1)) if entry == "fixed_point_batched" else jnp.zeros(1)
    with pytest.raises(ValueError, match=r"`max_steps` must be at most 16777216, got 16777217"):
        solve(lambda y, a: jnp.cos(y), jaxfp.Picard(1e-8, 1e-8), y0, max_steps=2**24 + 1)
