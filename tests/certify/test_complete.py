"""certify_complete: branch and bound proves every fixed point in a box."""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp.certify as certify
import jaxfp.looped as looped

POINT_TOLERANCE = 1e-9


def _sorted(points):
    points = np.asarray(points)
    return points[np.lexsort(points.T[::-1])]


def test_tanh_two_dimensions_has_exactly_nine_fixed_points():
    result = certify.certify_complete(looped.tanh_identity_network(2, gain=2.0))
    assert bool(result.complete) and result.num_fixed_points == 9
    assert result.undecided.lower.shape == (0, 2)
    expected = _sorted(looped.reference_fixed_points("tanh-identity", 2))
    np.testing.assert_allclose(_sorted(result.points), expected, atol=POINT_TOLERANCE)
    # The a-priori box of tanh is [-1, 1]^d (a hair wider), and it is recorded.
    assert bool(jnp.all(result.searched.lower <= -1.0)) and bool(
        jnp.all(result.searched.upper >= 1.0)
    )
    inside = (result.boxes.lower <= result.points) & (result.points <= result.boxes.upper)
    assert bool(jnp.all(inside))


def test_unbounded_activation_searches_the_users_box():
    net = looped.poly_network(1)
    result = certify.certify_complete(net, jnp.array([-1.5]), jnp.array([1.6]))
    assert bool(result.complete) and result.num_fixed_points == 3
    np.testing.assert_allclose(
        np.sort(np.asarray(result.points[:, 0])), [-1.0, 0.0, 1.0], atol=POINT_TOLERANCE
    )
    np.testing.assert_array_equal(result.searched.lower, [-1.5])


def test_budget_exhausted_is_reported_incomplete():
    result = certify.certify_complete(
        looped.tanh_identity_network(2, gain=2.0), max_boxes=3, batch_size=2
    )
    assert not bool(result.complete)
    assert result.undecided.lower.shape[0] > 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"lower": jnp.zeros(2)}, "give both `lower` and `upper`"),
        ({"max_boxes": 0}, "`max_boxes` must be a positive integer"),
        ({"batch_size": 1.5}, "`batch_size` must be a positive integer"),
        ({"min_width": 0.0}, r"`min_width` must be a real number in \(0, inf\)"),
        ({"min_width": float("inf")}, "`min_width` must be a real number"),
        ({"min_width": "1e-8"}, "`min_width` must be a real number"),
        (
            {"radii": looped.ParameterRadii(bias_radius=jnp.ones(3))},
            r"`bias_radius` must be a scalar or have shape \(2,\)",
        ),
    ],
)
def test_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        certify.certify_complete(looped.tanh_identity_network(2), **kwargs)


def test_unbounded_activation_needs_a_box():
    with pytest.raises(ValueError, match="is unbounded .* pass `lower` and `upper`"):
        certify.certify_complete(looped.poly_network(2))
