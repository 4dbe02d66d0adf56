"""Every solver converges to the known fixed point of every zoo problem, in float32 and float64."""

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import pytest

import jaxfp

from .zoo import COS_FIXED_POINT, PROBLEMS, SOLVERS, TOLERANCES


def _cast(tree, dtype):
    return jax.tree.map(lambda a: jnp.asarray(a, dtype), tree)


@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_converges_to_known_fixed_point(problem, solver_name, dtype):
    fn, y0, args, expected = PROBLEMS[problem]
    solver_tol, assert_tol = TOLERANCES[dtype]
    solver = SOLVERS[solver_name](solver_tol)
    sol = jaxfp.fixed_point(fn, solver, _cast(y0, dtype), _cast(args, dtype), max_steps=500)
    assert sol.result == jaxfp.RESULTS.successful
    jax.tree.map(
        lambda got, want: np.testing.assert_allclose(got, want, atol=assert_tol, rtol=assert_tol),
        sol.value,
        expected,
    )
    assert jax.tree.leaves(sol.value)[0].dtype == dtype
    assert 0 < int(sol.stats.num_steps) <= 500
    assert float(sol.stats.residual) < 1
    assert float(sol.stats.best_residual) <= float(sol.stats.residual)


def test_accelerated_solvers_take_fewer_steps_than_picard():
    fn, y0, args, _ = PROBLEMS["tanh-net"]
    steps = {
        name: int(jaxfp.fixed_point(fn, SOLVERS[name](1e-11), y0, args).stats.num_steps)
        for name in ("picard", "anderson", "broyden", "newton")
    }
    assert steps["anderson"] < steps["picard"]
    assert steps["broyden"] < steps["picard"]
    assert steps["newton"] < steps["anderson"]


def test_newton_finds_repelling_fixed_point():
    # 0 repels the iteration of tanh(2x); Newton converges to it from nearby.
    sol = jaxfp.fixed_point(
        lambda y, a: jnp.tanh(2 * y), jaxfp.Newton(1e-12, 1e-12), jnp.array([0.2])
    )
    np.testing.assert_allclose(sol.value, 0.0, atol=1e-12)


def test_has_aux_returns_last_aux():
    def fn(y, args):
        fy = jnp.cos(y)
        return fy, {"gap": jnp.abs(fy - y)}

    sol = jaxfp.fixed_point(fn, jaxfp.Anderson(1e-10, 1e-10), jnp.array(1.0), has_aux=True)
    assert float(sol.aux["gap"]) < 1e-8
    np.testing.assert_allclose(sol.value, COS_FIXED_POINT, atol=1e-9)


def test_trace_records_first_steps_and_pads_with_nan():
    sol = jaxfp.fixed_point(
        lambda y, a: jnp.cos(y),
        jaxfp.Picard(1e-10, 1e-10),
        jnp.array(1.0),
        monitor=jaxfp.Monitor(trace_length=200),
    )
    steps = int(sol.stats.num_steps)
    trace = np.asarray(sol.stats.trace)
    assert trace.shape == (200,)
    assert np.all(np.isfinite(trace[:steps])) and np.all(np.isnan(trace[steps:]))
    assert trace[steps - 1] == pytest.approx(float(sol.stats.residual))
    assert trace[steps - 1] < 1 <= trace[steps - 2]


@pytest.mark.parametrize("check_every", [1, 3, 8])
def test_check_every_keeps_the_answer(check_every):
    fn, y0, args, expected = PROBLEMS["tanh-net"]
    sol = jaxfp.fixed_point(
        fn, jaxfp.Picard(1e-11, 1e-11), y0, args, monitor=jaxfp.Monitor(check_every=check_every)
    )
    np.testing.assert_allclose(sol.value, expected, atol=1e-8)
    assert int(sol.stats.num_steps) % check_every == 0


def test_closed_over_arrays_and_python_float_args():
    w = jnp.array([[0.3, 0.1], [0.0, 0.2]])
    sol = jaxfp.fixed_point(
        lambda y, scale: jnp.tanh(w @ y) + scale, jaxfp.Newton(1e-12, 1e-12), jnp.zeros(2), 0.5
    )
    np.testing.assert_allclose(sol.value, jnp.tanh(w @ sol.value) + 0.5, atol=1e-10)


def test_interop_with_optimistix_fixed_point():
    fn, y0, args, expected = PROBLEMS["tanh-net"]
    for solver in (
        jaxfp.Anderson(1e-11, 1e-11),
        jaxfp.Broyden(1e-11, 1e-11),
        jaxfp.Newton(1e-11, 1e-11),
    ):
        sol = optx.fixed_point(fn, solver, y0, args, max_steps=200)
        assert sol.result == optx.RESULTS.successful
        np.testing.assert_allclose(sol.value, expected, atol=1e-8)


def test_broyden_memory_is_fixed_size():
    fn, y0, args, _ = PROBLEMS["tanh-net"]
    sol = jaxfp.fixed_point(fn, jaxfp.Broyden(1e-11, 1e-11, memory=3), y0, args, max_steps=200)
    assert sol.result == jaxfp.RESULTS.successful
    assert sol.state.left.shape == (3, 5)


@pytest.mark.parametrize("safeguard_factor", [1.0, 0.5])
def test_anderson_safeguard_rejects_worse_steps_and_still_converges(safeguard_factor):
    # An expansive map on which plain Picard cycles: Anderson's residual is not monotone.
    def fn(y, args):
        return jnp.tanh(2.5 * jnp.roll(y, 1) - 1.3 * y + 0.2)

    solver = jaxfp.Anderson(1e-10, 1e-10, safeguard_factor=safeguard_factor)
    sol = jaxfp.fixed_point(fn, solver, jnp.zeros(6), max_steps=500)
    assert int(sol.state.restarts) > 0
    np.testing.assert_allclose(fn(sol.value, None), sol.value, atol=1e-9)


def _scaled_residual(fn, value, args, tol):
    fy = fn(value, args)
    return float(
        max(
            jnp.max(jnp.abs(a - b) / (tol + tol * jnp.abs(a)))
            for a, b in zip(jax.tree.leaves(fy), jax.tree.leaves(value), strict=True)
        )
    )


@pytest.mark.parametrize("entry_point", ["jaxfp", "optimistix"])
@pytest.mark.parametrize("problem", sorted(PROBLEMS))
def test_anderson_returns_the_iterate_it_tested(problem, entry_point):
    # `successful` means the returned value meets the tolerance: its residual is the one
    # `terminate` tested (`stats.residual`), not that of the untested mixed step after it.
    fn, y0, args, _ = PROBLEMS[problem]
    tol = 1e-9
    solver = jaxfp.Anderson(tol, tol)
    if entry_point == "jaxfp":
        sol = jaxfp.fixed_point(fn, solver, y0, args)
        tested = float(sol.stats.residual)
    else:
        sol = optx.fixed_point(fn, solver, y0, args)
        tested = float(sol.state.convergence.scaled_residual)
    assert tested < 1
    assert _scaled_residual(fn, sol.value, args, tol) == pytest.approx(tested, rel=1e-6)
