"""Starts sit where the network says, never where an activation's name says."""

import jax.numpy as jnp
import numpy as np

import jaxfp
from jaxfp.enumeration._start_geometry import default_centre_and_scale


def test_construction_e_centre_is_its_scalar_maps_middle_fixed_point():
    centre, scale = default_centre_and_scale(jaxfp.looped.exp_network(3))
    middle = jaxfp.looped._builders.scalar_fixed_points("exp")[1][0]
    np.testing.assert_allclose(centre, middle, atol=1e-12)
    assert 0 < scale < middle - 1.0


def test_a_relabelled_activation_gets_the_same_starts():
    original = jaxfp.looped.poly_network(2)
    coefficients = original.activation.coefficients
    renamed = jaxfp.looped.LoopedNet(
        original.W, original.b, jaxfp.looped.Polynomial(coefficients, label="mine")
    )
    assert renamed.activation.name != original.activation.name
    (centre, scale), (centre2, scale2) = map(default_centre_and_scale, (original, renamed))
    np.testing.assert_array_equal(centre, centre2)
    assert scale == scale2


def test_bounded_activation_centres_on_its_range_box():
    weights = jnp.array([[1.0, 0.5], [-0.5, 2.0]])
    net = jaxfp.looped.LoopedNet(
        weights, jnp.zeros(2), jaxfp.looped.activation_from_name("sigmoid")
    )
    centre, scale = default_centre_and_scale(net)
    np.testing.assert_allclose(centre, 0.5) and np.testing.assert_allclose(scale, 1.0)
