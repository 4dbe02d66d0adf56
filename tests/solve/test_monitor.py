"""`jaxfp.Monitor`: its fields are checked when built, and both entry points read it alike."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp

PICARD = jaxfp.Picard(rtol=1e-10, atol=1e-10)


def _cos(y, args):
    return jnp.cos(y)


@pytest.mark.parametrize(
    "fields, match",
    [
        ({"check_every": 0}, "`check_every` must be a positive integer or None, got 0"),
        ({"check_every": 2.0}, "`check_every`"),
        ({"check_every": True}, "`check_every`"),
        ({"check_every": 1025}, "`check_every` must be at most 1024"),
        ({"trace_length": -1}, "`trace_length`"),
        ({"trace_length": None}, "`trace_length`"),
        ({"stagnation_patience": 0}, "`stagnation_patience`"),
        ({"stagnation_patience": 1.5}, "`stagnation_patience`"),
        ({"divergence_ratio": 1.0}, "`divergence_ratio`"),
        ({"divergence_ratio": float("inf")}, "`divergence_ratio`"),
        ({"divergence_ratio": "big"}, "`divergence_ratio`"),
    ],
)
def test_bad_fields_are_refused_when_built(fields, match):
    with pytest.raises(ValueError, match=match):
        jaxfp.Monitor(**fields)


@pytest.mark.parametrize("entry_point", ["fixed_point", "fixed_point_batched"])
@pytest.mark.parametrize("monitor", [None, 8, {"check_every": 2}, "fast"])
def test_a_monitor_that_is_not_a_monitor_is_refused(entry_point, monitor):
    y0 = jnp.zeros((3, 1)) if entry_point == "fixed_point_batched" else jnp.zeros(1)
    with pytest.raises(ValueError, match="`monitor` must be a jaxfp.Monitor, got"):
        getattr(jaxfp, entry_point)(_cos, PICARD, y0, monitor=monitor)


@pytest.mark.parametrize(
    "keyword", ["check_every", "trace_length", "stagnation_patience", "divergence_ratio"]
)
def test_the_settings_are_no_longer_keywords_of_the_entry_points(keyword):
    with pytest.raises(TypeError, match=keyword):
        jaxfp.fixed_point(_cos, PICARD, jnp.zeros(1), **{keyword: 4})


def test_the_test_interval_defaults_to_each_entry_point_s_own():
    # Picard on cos from 0 converges in a number of steps that is not a multiple of 8.
    alone = jaxfp.fixed_point(_cos, PICARD, jnp.zeros(1))
    batched = jaxfp.fixed_point_batched(_cos, PICARD, jnp.zeros((2, 1)))
    steps = int(alone.stats.num_steps)
    assert steps % 8 != 0
    assert batched.stats.num_steps.tolist() == [-(-steps // 8) * 8] * 2
    every_step = jaxfp.fixed_point_batched(
        _cos, PICARD, jnp.zeros((2, 1)), monitor=jaxfp.Monitor(check_every=1)
    )
    assert every_step.stats.num_steps.tolist() == [steps] * 2


def test_one_monitor_gives_both_entry_points_the_same_trace_and_verdict():
    monitor = jaxfp.Monitor(check_every=1, trace_length=4, stagnation_patience=None)
    y0s = jnp.array([[0.0], [1.0]])
    batched = jaxfp.fixed_point_batched(_cos, PICARD, y0s, monitor=monitor)
    alone = jax.vmap(lambda y0: jaxfp.fixed_point(_cos, PICARD, y0, monitor=monitor))(y0s)
    assert batched.stats.trace.shape == (2, 4)
    np.testing.assert_allclose(batched.stats.trace, alone.stats.trace, rtol=1e-12)
    assert bool(jnp.all(batched.result == jaxfp.RESULTS.successful))
    assert bool(jnp.all(alone.result == jaxfp.RESULTS.successful))


def _grow(monitor):
    return jaxfp.fixed_point(
        lambda y, a: 1.5 * y, PICARD, jnp.ones(1), max_steps=40, throw=False, monitor=monitor
    )


def test_disabled_divergence_detection_runs_to_max_steps():
    watched = _grow(jaxfp.Monitor(divergence_ratio=1e3))  # 1.5**18 > 1e3
    unwatched = _grow(jaxfp.Monitor(divergence_ratio=None))
    assert watched.result == jaxfp.RESULTS.diverged
    assert int(watched.stats.num_steps) < 20
    assert unwatched.result == jaxfp.RESULTS.max_steps_reached
    assert int(unwatched.stats.num_steps) == 40
