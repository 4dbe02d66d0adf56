"""The batched driver's narrow stages (compaction) test every problem as often as the first
stage: each problem's step count, result and value are those of `jaxfp.fixed_point` alone."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp


def _fn(y, gain):
    return gain * y + 0.5  # contracts at the rate `gain`


@pytest.mark.parametrize("check_every", [1, 4])
def test_compacted_problems_keep_their_own_steps(check_every):
    # 256 problems in 256 lanes: three stages (256, 32 and 4 lanes); the few slow gains near 1
    # finish in the narrow ones, the slowest alone in the last.
    gains = jnp.concatenate([jnp.full(240, 0.1), jnp.linspace(0.9, 0.98, 16)])
    y0s = jax.random.normal(jax.random.key(1), (256, 2))
    solver = jaxfp.Picard(1e-10, 1e-10)
    options = dict(max_steps=3000, monitor=jaxfp.Monitor(check_every=check_every))
    batched = jaxfp.fixed_point_batched(_fn, solver, y0s, gains, args_axes=0, lanes=256, **options)
    alone = jax.vmap(lambda y0, g: jaxfp.fixed_point(_fn, solver, y0, g, throw=False, **options))(
        y0s, gains
    )
    assert jnp.all(alone.result == jaxfp.RESULTS.successful)
    assert np.all(np.asarray(alone.stats.num_steps[240:]) > 8 * np.max(alone.stats.num_steps[:240]))
    np.testing.assert_array_equal(batched.stats.num_steps, alone.stats.num_steps)
    assert jnp.all(batched.result == jaxfp.RESULTS.successful)
    np.testing.assert_allclose(batched.value, alone.value, rtol=1e-14, atol=0)
