"""The batched driver's compaction stages (lanes >= 32): every problem of a multi-stage run
finishes with its own correct value, result and exact step count.

The other driver tests use a few lanes, below the width where the driver compacts its busy
lanes into narrower loops; a loop change once left those stages never finishing (128
problems on 32 lanes) and no test noticed. Here `max_steps` bounds each problem, so a stage
that stops stepping or never lets its lanes finish fails on the step counts, not on time.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp

MAX_STEPS = 1024


def _fn(y, gain):
    return gain * y + (1 - gain) * 0.2 * jnp.cos(y)  # derivative about `gain` at the fixed point


def _problems(num_problems):
    y0s = jax.random.normal(jax.random.key(1), (num_problems, 3))
    # Contraction rates from about 0.1 to 0.97 (about 10 to 800 Picard steps), the slow
    # problems last so that the final stages hold only them.
    gains = 0.97 * jnp.linspace(0.0, 1.0, num_problems) ** 3
    return y0s, gains


SOLVER = jaxfp.Picard(1e-10, 1e-10)


@functools.cache
def _alone(num_problems):
    """Each problem solved alone, tested every step: its count is the first converged step."""
    y0s, gains = _problems(num_problems)
    return jax.vmap(
        lambda y0, g: jaxfp.fixed_point(_fn, SOLVER, y0, g, max_steps=MAX_STEPS, throw=False)
    )(y0s, gains)


# 128 problems: whole stages; 200: a ragged count (the last refill is partial).
@pytest.mark.parametrize(("num_problems", "check_every"), [(128, 8), (200, 1)])
def test_compaction_stages_finish_every_problem(num_problems, check_every):
    y0s, gains = _problems(num_problems)
    solver = SOLVER
    batched = jaxfp.fixed_point_batched(
        _fn,
        solver,
        y0s,
        gains,
        args_axes=0,
        lanes=32,
        max_steps=MAX_STEPS,
        monitor=jaxfp.Monitor(check_every=check_every),
    )
    alone = _alone(num_problems)
    assert np.all(alone.result == jaxfp.RESULTS.successful)
    assert np.all(batched.result == jaxfp.RESULTS.successful)
    np.testing.assert_allclose(batched.value, alone.value, rtol=0, atol=1e-8)
    np.testing.assert_array_less(batched.stats.residual, 1.0)
    # The driver tests every `check_every` steps in the full-width stage and every
    # min(8 * check_every, 32) steps in the narrow ones: a problem stops at most that many
    # steps after its first converged step, never before it.
    late = batched.stats.num_steps - alone.stats.num_steps
    assert np.all(late >= 0) and np.all(late < 32)
    slow = np.asarray(alone.stats.num_steps)
    assert slow.max() > 8 * slow.min()  # the spread that makes the run compact (sanity)


def test_compaction_keeps_failures_and_max_steps_per_problem():
    """In the narrow stages too, a problem that cannot converge ends with its own result."""
    y0s, gains = _problems(128)
    gains = gains.at[-1].set(jnp.nan).at[-2].set(-5.0)  # NaN input; an oscillation
    options = dict(lanes=32, max_steps=96, monitor=jaxfp.Monitor(check_every=4))
    sol = jaxfp.fixed_point_batched(_fn, SOLVER, y0s, gains, args_axes=0, **options)
    steps = np.asarray(sol.stats.num_steps)
    assert (sol.result == jaxfp.RESULTS.nonfinite_input)[-1] and steps[-1] == 0
    assert not (sol.result == jaxfp.RESULTS.successful)[-2]
    # Problems too slow for 96 steps run out at max_steps (rounded up to the stage's interval).
    needs = np.asarray(_alone(128).stats.num_steps)[:-2]
    fast, slow = needs <= 64, needs > 128
    assert fast.any() and slow.any()
    assert np.all((sol.result == jaxfp.RESULTS.successful)[:-2][fast])
    assert np.all((sol.result == jaxfp.RESULTS.max_steps_reached)[:-2][slow])
    assert np.all((steps[:-2][slow] >= 96) & (steps[:-2][slow] < 96 + 32))
