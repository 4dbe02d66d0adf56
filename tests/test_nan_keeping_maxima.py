"""Maxima that decide an outcome keep a NaN, at batch sizes where XLA:CPU's row-wise `jnp.max`
drops it (≥ 4096 reduced entries in all; see `jaxfp._numerics.max_abs`).

- certification: the ∞-norm bound of an interval Jacobian proves a contraction when < 1, so a
  NaN entry must make the bound NaN, never a finite one;
- probing: the spectral radius decides which fixed points are attracting, so a NaN Jacobian
  must give a NaN radius (not attracting), never a finite one.
"""

import jax
import jax.numpy as jnp
import numpy as np

import jaxfp
from jaxfp.certify._box import _row_sum_bound
from jaxfp.probe._common import spectral_radius


def test_row_sum_bound_of_a_batch_of_boxes_is_nan_for_a_box_holding_a_nan():
    low = jnp.full((1024, 4, 4), -0.01)
    high = jnp.full((1024, 4, 4), 0.01).at[7, 2, 1].set(jnp.nan)
    bound = np.asarray(jax.jit(jax.vmap(_row_sum_bound))(low, high))
    assert np.isnan(bound[7])
    others = np.delete(bound, 7)
    assert np.all((0.04 <= others) & (others < 0.05))


def test_spectral_radius_of_a_batch_of_points_is_nan_at_a_nan_point():
    net = jaxfp.looped.LoopedNet(0.5 * jnp.eye(16), jnp.zeros(16), jaxfp.looped.Tanh())
    points = jnp.zeros((256, 16)).at[7, 3].set(jnp.nan)
    radius = np.asarray(jax.jit(jax.vmap(lambda x: spectral_radius(net, x)))(points))
    assert np.isnan(radius[7])
    np.testing.assert_allclose(np.delete(radius, 7), 0.5)
    assert not (radius < 1)[7]  # so that point is never counted as attracting
