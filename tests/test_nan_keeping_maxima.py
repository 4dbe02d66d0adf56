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


def test_same_point_of_a_batch_is_false_where_a_coordinate_is_nan():
    from jaxfp._numerics import same_point

    x = jnp.ones((4096, 4))
    y = x.at[7, 2].set(jnp.nan)
    same = np.asarray(jax.jit(lambda a, b: same_point(a, b, 1e-8, 1e-8))(x, y))
    assert not same[7] and np.delete(same, 7).all()


def test_match_points_never_matches_a_nan_row():
    from jaxfp._numerics import match_points

    values = jnp.zeros((4096, 4)).at[7, 2].set(jnp.nan)
    matched = np.asarray(jax.jit(lambda v: match_points(v, jnp.zeros((1, 4)), 1e-8, 1e-8))(values))
    assert matched[7] == -1 and (np.delete(matched, 7) == 0).all()


def test_a_point_holding_a_nan_is_never_certified():
    net = jaxfp.looped.LoopedNet(0.5 * jnp.eye(4), jnp.zeros(4), jaxfp.looped.Tanh())
    points = jnp.zeros((1024, 4)).at[7, 2].set(jnp.nan)
    certificates = jax.vmap(lambda x: jaxfp.certify.certify_fixed_point(net, x))(points)
    certified = np.asarray(certificates.certified)
    assert not certified[7] and np.delete(certified, 7).all()
