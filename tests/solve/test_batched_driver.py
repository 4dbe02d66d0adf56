"""The batched driver: per-problem results equal solving each problem alone; failures stay put."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp

from .zoo import SOLVERS

VALUE_TOL = 1e-8


def _fn(y, gain):
    return jnp.tanh(gain * y + 0.5)


@pytest.fixture(scope="module")
def problems():
    y0s = jax.random.normal(jax.random.key(0), (37, 3))
    gains = jnp.linspace(0.05, 0.98, 37)  # very different iteration counts
    return y0s, gains


@pytest.mark.parametrize("name", ["picard", "anderson", "newton"])
def test_matches_solving_each_problem_alone(problems, name):
    y0s, gains = problems
    solver = SOLVERS[name](1e-11)
    batched = jaxfp.fixed_point_batched(
        _fn,
        solver,
        y0s,
        gains,
        args_axes=0,
        lanes=5,
        max_steps=2000,
        monitor=jaxfp.Monitor(check_every=4),
    )
    alone = jax.vmap(lambda y0, g: jaxfp.fixed_point(_fn, solver, y0, g, max_steps=2000))(
        y0s, gains
    )
    assert jnp.all(batched.result == jaxfp.RESULTS.successful)
    np.testing.assert_allclose(batched.value, alone.value, atol=VALUE_TOL)
    # Steps agree up to the driver's check_every (4) granularity.
    assert np.all(np.abs(batched.stats.num_steps - alone.stats.num_steps) < 4)


def test_one_bad_problem_never_spoils_the_others(problems):
    y0s, gains = problems
    gains = gains.at[3].set(jnp.nan).at[10].set(-5.0)  # NaN input, and a 2-cycle-ish oscillation
    sol = jaxfp.fixed_point_batched(
        _fn, jaxfp.Picard(1e-10, 1e-10), y0s, gains, args_axes=0, lanes=4
    )
    assert (sol.result == jaxfp.RESULTS.nonfinite_input)[3]
    assert not (sol.result == jaxfp.RESULTS.successful)[10]
    good = np.ones(37, bool)
    good[[3, 10]] = False
    assert jnp.all((sol.result == jaxfp.RESULTS.successful)[good])
    np.testing.assert_allclose(sol.value[good], _fn(sol.value[good], gains[good, None]), atol=1e-8)


def test_shared_and_batched_args_mix_like_vmap_in_axes():
    weights = jnp.array([[0.2, 0.1], [0.0, 0.3]])
    biases = jnp.arange(6.0).reshape(3, 2) / 6

    def fn(y, args):
        w, b = args
        return jnp.tanh(w @ y + b)

    sol = jaxfp.fixed_point_batched(
        fn, jaxfp.Newton(1e-12, 1e-12), jnp.zeros((3, 2)), (weights, biases), args_axes=(None, 0)
    )
    np.testing.assert_allclose(sol.value, jnp.tanh(sol.value @ weights.T + biases), atol=1e-10)


def test_more_lanes_than_problems_and_pytree_starts():
    y0s = {"a": jnp.zeros((2, 3)), "b": jnp.ones((2,))}
    sol = jaxfp.fixed_point_batched(
        lambda y, _: {"a": jnp.cos(y["a"]), "b": 0.5 * y["b"]},
        jaxfp.Anderson(1e-10, 1e-10),
        y0s,
        lanes=64,
    )
    assert sol.value["a"].shape == (2, 3) and sol.value["b"].shape == (2,)
    np.testing.assert_allclose(sol.value["b"], 0.0, atol=1e-9)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"y0s": {"a": jnp.zeros((2, 1)), "b": jnp.zeros((3, 1))}}, "leading"),
        ({"y0s": jnp.array(1.0)}, "leading"),
        ({"lanes": 0}, "`lanes`"),
        ({"monitor": {"check_every": 4}}, "`monitor` must be a jaxfp.Monitor, got dict"),
        ({"max_steps": 0}, "`max_steps`"),
        ({"args": jnp.zeros(5), "args_axes": 0}, "leading axis 4"),
        ({"args": jnp.zeros(4), "args_axes": 1}, "0 or None"),
        ({"args": (jnp.zeros(4),), "args_axes": (0, None)}, "prefix"),
    ],
)
def test_bad_input(kwargs, match):
    call = {"y0s": jnp.zeros((4, 1)), "args": None, "args_axes": None, **kwargs}
    with pytest.raises(ValueError, match=match):
        jaxfp.fixed_point_batched(
            lambda y, a: y * 0.5,
            jaxfp.Picard(1e-6, 1e-6),
            call["y0s"],
            call["args"],
            args_axes=call["args_axes"],
            **{k: v for k, v in kwargs.items() if k in ("lanes", "monitor", "max_steps")},
        )


def test_zero_problems_give_an_empty_solution():
    gains = jnp.zeros((0,))
    sol = jaxfp.fixed_point_batched(
        lambda y, gain: jnp.tanh(gain * y + 1.0),
        jaxfp.Picard(1e-6, 1e-6),
        jnp.zeros((0, 3)),
        gains,
        args_axes=0,
        has_aux=False,
    )
    assert sol.value.shape == (0, 3) and (sol.result == jaxfp.RESULTS.successful).shape == (0,)
    assert sol.stats.num_steps.shape == (0,) and sol.state is None
    # `fn`'s mistakes are still reported with zero problems.
    with pytest.raises(ValueError, match="shapes of `y0`"):
        jaxfp.fixed_point_batched(lambda y, a: y[:2], jaxfp.Picard(1e-6, 1e-6), jnp.zeros((0, 3)))


# `x` differentiated as `fixed_point_batched`'s `args`, its `y0s`, or an array `fn` closes over.
_DIFFERENTIATED_INPUTS = {
    "args": lambda x: (lambda y, gain: jnp.cos(gain * y), jnp.ones((2, 2)), x),
    "y0s": lambda x: (lambda y, _: jnp.cos(y), x * jnp.ones((2, 2)), None),
    "fn": lambda x: (lambda y, _: jnp.cos(x * y), jnp.ones((2, 2)), None),
}


@pytest.mark.parametrize("transform", ["grad", "jvp"])
@pytest.mark.parametrize("differentiated", sorted(_DIFFERENTIATED_INPUTS))
def test_differentiating_fixed_point_batched_raises_instead_of_a_silent_zero(
    transform, differentiated
):
    def total(x):
        fn, y0s, args = _DIFFERENTIATED_INPUTS[differentiated](x)
        solver = jaxfp.Picard(1e-10, 1e-10)
        return jaxfp.fixed_point_batched(fn, solver, y0s, args).value.sum()

    with pytest.raises(ValueError, match=r"differentiate `jax.vmap\(jaxfp.fixed_point\)`"):
        if transform == "grad":
            jax.grad(total)(1.0)
        else:
            jax.jvp(total, (1.0,), (1.0,))
    assert jnp.isfinite(total(1.0))  # undifferentiated calls are unaffected


def test_repr_of_zero_problems_shows_an_empty_result():
    # equinox's `Enumeration` maps codes to messages with `np.vectorize`, which refused the
    # size-0 array: `repr(sol)` raised.
    sol = jaxfp.fixed_point_batched(
        lambda y, a: jnp.cos(y), jaxfp.Picard(1e-6, 1e-6), jnp.zeros((0, 3))
    )
    assert "RESULTS<[]>" in repr(sol)
    assert jaxfp.RESULTS[sol.result] == "[]"
    one = jaxfp.fixed_point_batched(
        lambda y, a: jnp.cos(y), jaxfp.Picard(1e-6, 1e-6), jnp.zeros((1, 3))
    )
    assert jaxfp.RESULTS[one.result] == "['']"
    assert repr(jaxfp.RESULTS.max_steps_reached).startswith("jaxfp._solution.RESULTS<The ")
