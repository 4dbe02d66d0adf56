"""Every result code provoked on purpose, `throw` inside jit, and every bad input's message."""

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import pytest

import jaxfp

PICARD = jaxfp.Picard(rtol=1e-8, atol=1e-8)
# Inside `jax.jit` equinox's runtime error reaches the caller as a JaxRuntimeError.
RUNTIME_ERRORS = (eqx.EquinoxRuntimeError, jax.errors.JaxRuntimeError)


def _result(fn, y0, args=None, solver=PICARD, **kwargs):
    sol = jaxfp.fixed_point(fn, solver, y0, args, throw=False, **kwargs)
    return sol, jaxfp.RESULTS[sol.result]


def test_divergent_map_is_diverged():
    sol, message = _result(lambda y, a: 2 * y + 1, jnp.array(1.0))
    assert sol.result == jaxfp.RESULTS.diverged
    assert "diverging" in message


def test_two_cycle_is_stagnated():
    # x -> -x: every start except 0 cycles between x and -x.
    sol, message = _result(lambda y, a: -y, jnp.array([1.0, -2.0]))
    assert sol.result == jaxfp.RESULTS.stagnated
    assert "cycle" in message


def test_nan_input_is_nonfinite_input_and_not_iterated():
    sol, _ = _result(lambda y, a: a * y, jnp.array(1.0), jnp.nan)
    assert sol.result == jaxfp.RESULTS.nonfinite_input
    assert int(sol.stats.num_steps) == 0
    sol, _ = _result(lambda y, a: jnp.cos(y), jnp.array([1.0, jnp.inf]))
    assert sol.result == jaxfp.RESULTS.nonfinite_input


def test_overflowing_iterate_is_nonfinite_iterate():
    sol, message = _result(lambda y, a: jnp.exp(50.0 * y), jnp.array(1.0))
    assert sol.result == jaxfp.RESULTS.nonfinite_iterate
    assert "NaN or infinite" in message


def test_too_few_steps_is_max_steps_reached():
    sol, message = _result(lambda y, a: jnp.cos(y), jnp.array(1.0), max_steps=5)
    assert sol.result == jaxfp.RESULTS.max_steps_reached
    assert int(sol.stats.num_steps) == 5
    assert "max_steps" in message


def test_singular_newton_system_is_linear_solve_failed():
    # f(y) = y + 1 has no fixed point and J_g = 0 is singular.
    sol, message = _result(lambda y, a: y + 1.0, jnp.array([1.0]), solver=jaxfp.Newton(1e-8, 1e-8))
    assert sol.result == jaxfp.RESULTS.linear_solve_failed
    assert "Newton" in message


def test_stagnation_and_divergence_checks_can_be_disabled():
    sol, _ = _result(
        lambda y, a: -y,
        jnp.array(1.0),
        max_steps=100,
        monitor=jaxfp.Monitor(stagnation_patience=None),
    )
    assert sol.result == jaxfp.RESULTS.max_steps_reached
    sol, _ = _result(
        lambda y, a: 1.5 * y,
        jnp.array(1.0),
        max_steps=20,
        monitor=jaxfp.Monitor(divergence_ratio=None),
    )
    assert sol.result == jaxfp.RESULTS.max_steps_reached


def test_throw_raises_with_the_message_inside_jit():
    @jax.jit
    def solve(y0):
        return jaxfp.fixed_point(lambda y, a: 2 * y + 1, PICARD, y0).value

    with pytest.raises(RUNTIME_ERRORS, match="diverging"):
        solve(jnp.array(1.0))


def test_throw_false_under_vmap_keeps_every_lane():
    def solve(scale):
        return jaxfp.fixed_point(
            lambda y, a: jnp.tanh(a * y) + 0.5, PICARD, 0.0, scale, throw=False
        )

    sol = jax.vmap(solve)(jnp.array([0.5, jnp.nan, 0.9]))
    expected = [jaxfp.RESULTS.successful, jaxfp.RESULTS.nonfinite_input, jaxfp.RESULTS.successful]
    for i, code in enumerate(expected):
        assert (sol.result == code)[i]
    good = jaxfp.fixed_point(lambda y, a: jnp.tanh(a * y) + 0.5, PICARD, 0.0, 0.9)
    np.testing.assert_allclose(sol.value[2], good.value, atol=1e-12)


def test_throw_true_under_vmap_raises_if_any_lane_fails():
    def solve(scale):
        return jaxfp.fixed_point(lambda y, a: jnp.tanh(a * y) + 0.5, PICARD, 0.0, scale).value

    with pytest.raises(RUNTIME_ERRORS, match="NaN or infinity"):
        jax.vmap(solve)(jnp.array([0.5, jnp.nan]))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: jaxfp.fixed_point(lambda y, a: y[:2], PICARD, jnp.zeros(3)), "shape"),
        (lambda: jaxfp.fixed_point(lambda y, a: (y, y), PICARD, jnp.zeros(3)), "structure"),
        (
            lambda: jaxfp.fixed_point(lambda y, a: y.astype(jnp.float32), PICARD, jnp.zeros(3)),
            "dtype",
        ),
        (lambda: jaxfp.fixed_point(lambda y, a: y, PICARD, {}), "at least one array"),
        (lambda: jaxfp.fixed_point(lambda y, a: y, "picard", jnp.zeros(2)), "`solver`"),
        (
            lambda: jaxfp.fixed_point(lambda y, a: y, PICARD, jnp.zeros(2), max_steps=0),
            "`max_steps`",
        ),
        (
            lambda: jaxfp.Monitor(check_every=0),
            "`check_every`",
        ),
        (
            lambda: jaxfp.Monitor(trace_length=-1),
            "`trace_length`",
        ),
        (
            lambda: jaxfp.fixed_point(lambda y, a: y, PICARD, jnp.zeros(2), adjoint="implicit"),
            "`adjoint`",
        ),
        (lambda: jaxfp.fixed_point(lambda y, a: y, PICARD, jnp.zeros(2), has_aux=True), "pair"),
        (
            lambda: jaxfp.Monitor(stagnation_patience=0),
            "`stagnation_patience`",
        ),
        (
            lambda: jaxfp.Monitor(divergence_ratio=0.5),
            "`divergence_ratio`",
        ),
        (lambda: jaxfp.Picard(1e-6, 1e-6, damping=1.0), "`damping`"),
        (lambda: jaxfp.Anderson(1e-6, 1e-6, history=0), "`history`"),
        (lambda: jaxfp.Anderson(1e-6, 1e-6, mixing=0.0), "`mixing`"),
        (lambda: jaxfp.Anderson(1e-6, 1e-6, ridge=-1.0), "`ridge`"),
        (lambda: jaxfp.Broyden(1e-6, 1e-6, memory=0), "`memory`"),
        (lambda: jaxfp.Newton(1e-6, 1e-6, jacobian="hessian"), "`jacobian`"),
        (lambda: jaxfp.Newton(1e-6, 1e-6, damping=0.0), "`damping`"),
    ],
)
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_newton_matrix_free_with_gmres():
    w = 0.5 * jnp.eye(6)
    sol = jaxfp.fixed_point(
        lambda y, a: jnp.tanh(w @ y + 1.0),
        jaxfp.Newton(1e-10, 1e-10, jacobian="jvp", linear_solver=lx.GMRES(1e-12, 1e-12)),
        jnp.zeros(6),
    )
    np.testing.assert_allclose(sol.value, jnp.tanh(0.5 * sol.value + 1.0), atol=1e-9)


@pytest.mark.parametrize(
    "solver", [PICARD, jaxfp.Anderson(rtol=1e-8, atol=1e-8)], ids=["Picard", "Anderson"]
)
def test_one_nan_among_many_entries_is_nonfinite_iterate(solver):
    # A single NaN in a float32 state of 2^17 entries: XLA:CPU's vectorised `jnp.max` over such
    # an array has been seen to drop a NaN, so the residual norm must see it some other way.
    size, bad = 2**17, 12345
    mask = jnp.zeros(size, jnp.float32).at[bad].set(1.0)

    def fn(y, args):  # entry `bad`: 1 -> 0.5 -> -0.44 -> log of a negative number
        return 0.5 * y + mask * jnp.log(jnp.where(mask > 0, y, 1.0))

    sol, _ = _result(fn, jnp.ones(size, jnp.float32), solver=solver)
    assert sol.result == jaxfp.RESULTS.nonfinite_iterate


def _never_traced(y, args):
    raise AssertionError("`fn` was traced before the bad option was refused")


@pytest.mark.parametrize(
    "call, match",
    [
        # Used to be taken as truthy or falsy: `throw="no"` raised, `throw=None` never did.
        (lambda: jaxfp.fixed_point(_never_traced, PICARD, jnp.zeros(2), throw="no"), "`throw`"),
        (lambda: jaxfp.fixed_point(_never_traced, PICARD, jnp.zeros(2), throw=None), "`throw`"),
        (lambda: jaxfp.fixed_point(_never_traced, PICARD, jnp.zeros(2), has_aux=1), "`has_aux`"),
        (
            lambda: jaxfp.fixed_point_batched(_never_traced, PICARD, jnp.zeros((2, 2)), has_aux=0),
            "`has_aux`",
        ),
        # A loop body of 10**9 unrolled steps: tracing never finished.
        (
            lambda: jaxfp.Monitor(check_every=10**9),
            "`check_every` must be at most 1024",
        ),
        # Raw errors from deep inside: 'int' object is not callable, 'float' has no .shape,
        # numpy's '<U3 is not a valid JAX array type', lineax's 'str' has no .init, iota's dtype.
        (lambda: jaxfp.fixed_point(3, PICARD, jnp.zeros(2)), "`fn` must be a function"),
        (lambda: jaxfp.fixed_point(lambda y, a: 0.5, PICARD, 0.1), "must return JAX arrays"),
        (lambda: jaxfp.fixed_point(_never_traced, PICARD, "abc"), "`y0` must be a pytree"),
        (lambda: jaxfp.Newton(1e-6, 1e-6, linear_solver="lu"), "`linear_solver` must be a"),
        (
            lambda: jaxfp.fixed_point_batched(_never_traced, PICARD, jnp.zeros((2, 2)), lanes=True),
            "`lanes` must be a positive integer",
        ),
    ],
)
def test_bad_switches_and_problems_are_refused_before_fn_is_traced(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_integer_y0s_of_fixed_point_batched_solve_as_floats_like_fixed_point():
    # Used to fail inside equinox's closure conversion ("different dynamic arguments").
    fn = lambda y, a: jnp.cos(y)
    batched = jaxfp.fixed_point_batched(fn, PICARD, jnp.zeros((3, 2), int))
    single = jaxfp.fixed_point(fn, PICARD, jnp.zeros(2, int))
    assert batched.value.dtype == single.value.dtype == jnp.result_type(float)
    np.testing.assert_allclose(batched.value[0], single.value)
