"""DEQ tools: prepare-once cells, variational dropout, mixed precision, stats and traces, warm
starts, and the errors of a state that is not shaped like the input."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp

SOLVER = jaxfp.Anderson(rtol=1e-8, atol=1e-8)
FIXED_POINT_TOL = 1e-6
BFLOAT16_TOL = 5e-2  # bfloat16 keeps 8 significant bits


class NormalizedCell(eqx.Module):
    linear: jaxfp.nn.SpectralNorm
    dropout: jaxfp.nn.VariationalDropout | None = None

    def __call__(self, z, x):
        z = z if self.dropout is None else self.dropout(z)
        return jnp.tanh(self.linear(z) + x)


def _cell(dropout=None, width=4):
    layer = eqx.nn.Linear(width, width, key=jax.random.key(0))
    return NormalizedCell(jaxfp.nn.SpectralNorm(layer, scale=0.8, key=jax.random.key(1)), dropout)


def _primitives_in_loops(jaxpr, inside=False):
    """Names of the primitives that run inside a while loop's body, at any depth."""
    found = set()
    for eqn in jaxpr.eqns:
        if inside:
            found.add(eqn.primitive.name)
        for name, param in eqn.params.items():
            subs = param if isinstance(param, tuple | list) else [param]
            for sub in subs:
                sub = getattr(sub, "jaxpr", sub)
                if hasattr(sub, "eqns"):
                    in_body = inside or (eqn.primitive.name == "while" and name == "body_jaxpr")
                    found |= _primitives_in_loops(sub, in_body)
    return found


@pytest.mark.parametrize(
    "cell",
    [_cell(), jaxfp.nn.MonotoneCell(4, 4, key=jax.random.key(2))],
    ids=["spectral-norm", "monotone"],
)
def test_power_iteration_runs_once_per_solve_not_per_step(cell):
    deq = jaxfp.nn.DEQ(cell, jaxfp.Picard(rtol=1e-6, atol=1e-6), max_steps=500)
    x = jnp.linspace(-1.0, 1.0, 4)
    forward = jax.make_jaxpr(lambda x: deq(x))(x).jaxpr
    gradient = jax.make_jaxpr(jax.grad(lambda x: jnp.sum(deq(x))))(x).jaxpr
    assert "while" in {eqn.primitive.name for eqn in forward.eqns} or _primitives_in_loops(forward)
    assert "scan" not in _primitives_in_loops(forward)
    assert "scan" not in _primitives_in_loops(gradient)
    # the unprepared cell does run its power iteration on every call
    assert "scan" in {eqn.primitive.name for eqn in jax.make_jaxpr(cell)(x, x).jaxpr.eqns}


def test_prepared_layer_matches_the_cell():
    cell = _cell()
    x, z = jnp.linspace(-1.0, 1.0, 4), jnp.ones(4)
    np.testing.assert_allclose(jaxfp.nn.prepare_cell(cell)(z, x), cell(z, x), rtol=1e-12)
    monotone = jaxfp.nn.MonotoneCell(4, 4, key=jax.random.key(2))
    np.testing.assert_allclose(jaxfp.nn.prepare_cell(monotone)(z, x), monotone(z, x), rtol=1e-12)


def test_variational_dropout_mask_is_fixed_during_a_solve_and_redrawn_per_key():
    dropout = jaxfp.nn.VariationalDropout((4,), 0.5)
    deq = jaxfp.nn.DEQ(_cell(dropout), SOLVER)
    x = jnp.linspace(-1.0, 1.0, 4)
    key = jax.random.key(3)
    z = deq(x, key=key)
    # z is a fixed point of the cell with the one mask drawn from `key`
    prepared = jaxfp.nn.prepare_cell(deq.cell, key)
    np.testing.assert_allclose(prepared(z, x), z, atol=FIXED_POINT_TOL)
    others = [deq(x, key=k) for k in jax.random.split(jax.random.key(4), 4)]
    assert any(not np.allclose(z, other, atol=1e-3) for other in others)
    # no key (evaluation): no dropout
    plain = jaxfp.nn.DEQ(_cell(), SOLVER)
    np.testing.assert_allclose(deq(x), plain(x), atol=FIXED_POINT_TOL)
    inference = eqx.tree_at(
        lambda d: d.cell.dropout, deq, jaxfp.nn.VariationalDropout((4,), 0.5, True)
    )
    np.testing.assert_allclose(inference(x, key=key), plain(x), atol=FIXED_POINT_TOL)


@pytest.mark.parametrize(
    ("shape", "probability", "inference"),
    [
        ((4,), 1.0, False),
        ((4,), -0.1, False),
        ((0,), 0.5, False),
        ((4,), "0.5", False),  # was a raw TypeError ('<=' between int and str)
        ((4,), 0.5, "yes"),  # was accepted (and meant inference)
    ],
)
def test_bad_dropout_raises(shape, probability, inference):
    with pytest.raises(ValueError, match="`probability`|`shape`|`inference`"):
        jaxfp.nn.VariationalDropout(shape, probability, inference)


@pytest.mark.parametrize(
    "key",
    [0, "seed", jnp.ones(2), jax.random.split(jax.random.key(0), 2)],
    ids=["int", "str", "float array", "batch of keys"],
)
def test_a_key_that_is_not_one_random_key_is_named(key):
    # Was JAX's "invalid PRNG key data" TypeError (or `split`'s), naming no argument.
    deq = jaxfp.nn.DEQ(_cell(jaxfp.nn.VariationalDropout((4,), 0.5)), SOLVER)
    with pytest.raises(ValueError, match="`key` must be a JAX random key"):
        deq(jnp.ones(4), key=key)
    with pytest.raises(ValueError, match="`key` must be a JAX random key"):
        jaxfp.nn.VariationalDropout((4,), 0.5)(jnp.ones(4), key=key)


def test_mixed_precision_bfloat16_cell_float32_state():
    cell = jax.tree.map(lambda a: a.astype(jnp.bfloat16) if eqx.is_inexact_array(a) else a, _cell())
    solver = jaxfp.Anderson(rtol=1e-2, atol=1e-2)
    deq = jaxfp.nn.DEQ(cell, solver, cell_dtype=jnp.bfloat16)
    x = jnp.linspace(-1.0, 1.0, 4).astype(jnp.float32)
    z, stats = deq(x, return_stats=True)
    assert z.dtype == jnp.float32 and not bool(stats.inexact)
    reference = jaxfp.nn.DEQ(_cell(), SOLVER)(x.astype(jnp.float64))
    np.testing.assert_allclose(z, reference, atol=BFLOAT16_TOL)
    grad = jax.grad(lambda x: jnp.sum(deq(x)))(x)
    assert grad.dtype == jnp.float32 and bool(jnp.all(jnp.isfinite(grad)))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"cell_dtype": jnp.int32}, "`cell_dtype`"),
        ({"cell_dtype": "nonsense"}, "`cell_dtype`"),  # was numpy's "data type not understood"
        ({"monitor": 5}, "`monitor` must be a jaxfp.Monitor, got int"),
        ({"throw": "no"}, "`throw` must be True or False"),  # was accepted as truthy
        ({"best_effort": None}, "`best_effort` must be True or False"),
        ({"state_shape": (4,)}, "`state_shape` must be a pytree of `jax.ShapeDtypeStruct`"),
    ],
)
def test_bad_layer_options_raise_when_the_layer_is_built(options, message):
    with pytest.raises(ValueError, match=message):
        jaxfp.nn.DEQ(_cell(), **options)


def test_stats_flag_inexact_samples_and_keep_traces():
    deq = jaxfp.nn.DEQ(_cell(), SOLVER, max_steps=3, monitor=jaxfp.Monitor(trace_length=5))
    x = jnp.linspace(-2.0, 2.0, 4)
    z_star = jaxfp.nn.DEQ(_cell(), SOLVER)(x)
    # the first sample starts at z* (converged at once), the second misses 1e-8 in three steps
    z0s = jnp.stack([z_star, jnp.zeros(4)])
    _, stats = jax.vmap(lambda z0: deq(x, z0, return_stats=True))(z0s)
    np.testing.assert_array_equal(stats.inexact, [False, True])
    assert float(stats.inexact_fraction) == 0.5
    assert stats.trace.shape == (2, 5) and bool(jnp.all(jnp.isnan(stats.trace[1, 3:])))
    assert float(stats.best_residual[1]) <= float(stats.trace[1, 0])


def test_warm_start_from_previous_fixed_point_takes_fewer_steps():
    deq = jaxfp.nn.DEQ(_cell(), SOLVER)
    x = jnp.linspace(-1.0, 1.0, 4)
    z, cold = deq(x, return_stats=True)
    _, warm = deq(x, z0=jax.lax.stop_gradient(z), return_stats=True)
    assert int(warm.num_steps) < int(cold.num_steps)


class PytreeCell(eqx.Module):
    def __call__(self, z, x):
        return {"fast": jnp.tanh(0.4 * z["slow"] + x), "slow": 0.5 * z["fast"]}


def test_pytree_state_without_state_shape_is_a_clear_error():
    deq = jaxfp.nn.DEQ(PytreeCell(), SOLVER)
    with pytest.raises(ValueError, match="state_shape"):
        deq(jnp.ones(3))


def test_state_of_another_shape_without_state_shape_is_a_clear_error():
    deq = jaxfp.nn.DEQ(lambda z, x: jnp.tanh(jnp.concatenate([z, z]) + 0.0), SOLVER)
    with pytest.raises(ValueError, match="state_shape"):
        deq(jnp.ones(3))


def test_default_best_effort_keeps_training_through_inexact_solves():
    deq = jaxfp.nn.DEQ(_cell(), SOLVER, max_steps=3)  # 1e-8 is out of reach in three steps
    x = jnp.linspace(-2.0, 2.0, 4)
    z, stats = deq(x, return_stats=True)
    assert bool(stats.inexact) and stats.result != jaxfp.RESULTS.successful
    grad = jax.grad(lambda x: jnp.sum(deq(x)))(x)
    assert bool(jnp.all(jnp.isfinite(grad)))
    converged = jax.grad(lambda x: jnp.sum(jaxfp.nn.DEQ(_cell(), SOLVER)(x)))(x)
    np.testing.assert_allclose(grad, converged, rtol=0.2)  # the gradient at a nearby point
    strict = jaxfp.nn.DEQ(_cell(), SOLVER, max_steps=3, best_effort=False)
    with pytest.raises(Exception, match="max_steps"):
        strict(x)


def test_the_layer_passes_its_monitor_to_the_forward_solve():
    x = jnp.linspace(-2.0, 2.0, 4)
    # With the stagnation test off and divergence off the three steps run to max_steps;
    # the trace has the monitor's length whatever the layer's max_steps.
    monitor = jaxfp.Monitor(trace_length=7, stagnation_patience=None, divergence_ratio=None)
    deq = jaxfp.nn.DEQ(_cell(), SOLVER, max_steps=3, monitor=monitor, throw=False)
    _, stats = deq(x, return_stats=True)
    assert stats.trace.shape == (7,) and int(stats.num_steps) == 3
    assert bool(jnp.all(jnp.isfinite(stats.trace[:3]))) and bool(
        jnp.all(jnp.isnan(stats.trace[3:]))
    )
    with pytest.raises(TypeError):
        jaxfp.nn.DEQ(_cell(), trace_length=5)  # the keyword became monitor=Monitor(...)
