"""`jaxfp.certify.Box` (batched boxes, broadcasting, empty intersections, NaN bounds) and
`CompleteCertificate.locate`, which matches points to proven boxes with it."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfp.certify import Box, CompleteCertificate

jax.config.update("jax_enable_x64", True)

# Two boxes in ℝ^2 (a batch of shape (2,)): [0, 1] × [0, 2] and [1, 3] × [-1, 1].
BOXES = Box(jnp.array([[0.0, 0.0], [1.0, -1.0]]), jnp.array([[1.0, 2.0], [3.0, 1.0]]))


def test_contains_broadcasts_points_against_the_batch_of_boxes():
    points = jnp.array([[0.5, 1.5], [2.0, 0.0], [1.0, 1.0], [5.0, 0.0]])
    table = np.asarray(BOXES.contains(points[:, None, :]))  # (4 points, 2 boxes)
    assert table.shape == (4, 2)
    # (1, 1) is on a corner of both boxes: closed boxes hold their faces.
    assert table.tolist() == [[True, False], [False, True], [True, True], [False, False]]
    one_box_per_point = np.asarray(BOXES.contains(jnp.array([[0.5, 1.5], [0.5, 1.5]])))
    assert one_box_per_point.tolist() == [True, False]


def test_contains_with_atol_widens_every_side_and_takes_an_array_slack():
    outside = jnp.array([1.0 + 1e-3, 2.0 + 1e-3])  # just past the first box's upper corner
    assert not bool(BOXES.contains(outside)[0])
    assert bool(BOXES.contains(outside, atol=2e-3)[0])
    assert not bool(BOXES.contains(outside, atol=5e-4)[0])
    below = jnp.array([-1e-3, -1e-3])
    assert bool(BOXES.contains(below, atol=2e-3)[0])
    # A per-coordinate slack: enough in the second coordinate only is not enough.
    assert not bool(BOXES.contains(outside, atol=jnp.array([0.0, 1.0]))[0])
    assert bool(BOXES.contains(outside, atol=jnp.array([1e-2, 1e-2]))[0])


def test_midpoint_radius_and_width_per_coordinate():
    np.testing.assert_array_equal(BOXES.midpoint, [[0.5, 1.0], [2.0, 0.0]])
    np.testing.assert_array_equal(BOXES.width, [[1.0, 2.0], [2.0, 2.0]])
    radius = np.asarray(BOXES.radius)
    low, high = np.asarray(BOXES.midpoint) - radius, np.asarray(BOXES.midpoint) + radius
    assert np.all(low <= np.asarray(BOXES.lower)) and np.all(high >= np.asarray(BOXES.upper))
    huge = Box(jnp.full(2, -1e308), jnp.full(2, 1.7e308))  # upper − lower overflows
    assert bool(jnp.all(jnp.isfinite(huge.midpoint)))
    assert bool(huge.contains(huge.midpoint))


def test_intersect_broadcasts_and_an_empty_intersection_is_empty():
    other = Box(jnp.array([0.5, 0.5]), jnp.array([2.0, 0.75]))  # one box against the batch
    both = BOXES.intersect(other)
    np.testing.assert_array_equal(both.lower, [[0.5, 0.5], [1.0, 0.5]])
    np.testing.assert_array_equal(both.upper, [[1.0, 0.75], [2.0, 0.75]])
    assert np.asarray(both.is_empty()).tolist() == [False, False]
    apart = BOXES.intersect(Box(jnp.array([1.5, 1.5]), jnp.array([2.0, 1.75])))
    # The first box misses it in x, the second in y: each has one empty side.
    assert np.asarray(apart.is_empty()).tolist() == [True, True]
    touching = BOXES.intersect(Box(jnp.array([1.0, 1.0]), jnp.array([1.0, 1.0])))
    assert np.asarray(touching.is_empty()).tolist() == [False, False]  # a point is not empty
    assert not bool(jnp.any(apart.contains(jnp.array([1.75, 1.6]))))


def test_nan_as_unbounded_replaces_only_nan_bounds():
    box = Box(jnp.array([jnp.nan, -1.0, -jnp.inf]), jnp.array([1.0, jnp.nan, 2.0]))
    widened = box.nan_as_unbounded()
    np.testing.assert_array_equal(widened.lower, [-jnp.inf, -1.0, -jnp.inf])
    np.testing.assert_array_equal(widened.upper, [1.0, jnp.inf, 2.0])
    # A NaN bound says nothing: the raw box holds no point, the widened one every point
    # that its other bounds allow.
    point = jnp.array([0.0, 0.0, 0.0])
    assert not bool(box.contains(point)) and bool(widened.contains(point))
    # Intersecting with the widened box keeps the other box: NaN never reaches the result.
    kept = Box(jnp.zeros(3), jnp.ones(3)).intersect(widened)
    np.testing.assert_array_equal(kept.lower, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(kept.upper, [1.0, 1.0, 1.0])


def _certificate(boxes: Box, points) -> CompleteCertificate:
    """A certificate over [-1, 20] with the given proven boxes (built by hand)."""
    count, dim = boxes.lower.shape
    return CompleteCertificate(
        searched=Box(jnp.full(dim, -1.0), jnp.full(dim, 20.0)),
        boxes=boxes,
        enclosures=boxes,
        points=jnp.asarray(points, jnp.float64),
        methods=jnp.ones(count, int),
        margins=jnp.zeros(count),
        complete=jnp.asarray(True),
        undecided=Box(jnp.zeros((0, dim)), jnp.zeros((0, dim))),
        undecided_too_small=jnp.zeros(0, bool),
        boxes_processed=count,
        max_boxes=count,
        min_width=1e-10,
    )


def test_locate_finds_the_holding_box_even_when_another_point_is_nearer():
    # x = 9 lies in [0, 10], whose fixed point 0.1 is farther from it than 10.5 in [10, 11].
    result = _certificate(
        Box(jnp.array([[0.0], [10.0]]), jnp.array([[10.0], [11.0]])), [[0.1], [10.5]]
    )
    assert result.locate(jnp.array([[9.0], [10.5], [15.0], [30.0]])).tolist() == [0, 1, -1, -2]


def test_locate_slack_is_atol_plus_rtol_times_the_point():
    result = _certificate(
        Box(jnp.array([[0.0], [10.0]]), jnp.array([[10.0], [11.0]])), [[0.1], [10.5]]
    )
    past = jnp.array([[11.0 + 1e-6]])
    assert result.locate(past).tolist() == [-1]
    assert result.locate(past, atol=2e-6).tolist() == [1]
    assert result.locate(past, rtol=1e-7).tolist() == [1]  # 1e-7 · 11 > 1e-6
    assert result.locate(past, rtol=1e-8).tolist() == [-1]
    assert result.locate(jnp.array([[20.5]]), atol=1.0).tolist() == [-1]  # the searched box too


def test_locate_with_no_points_or_no_proven_boxes():
    result = _certificate(Box(jnp.array([[0.0]]), jnp.array([[1.0]])), [[0.5]])
    assert result.locate(jnp.zeros((0, 1))).shape == (0,)
    empty = _certificate(Box(jnp.zeros((0, 1)), jnp.zeros((0, 1))), jnp.zeros((0, 1)))
    assert empty.locate(jnp.array([[0.5], [30.0]])).tolist() == [-1, -2]


def test_locate_batches_many_points_against_many_boxes():
    # More points than one batch of `locate`: boxes [i/8, i/8 + 0.1], points at their centres.
    count = 150
    lower = jnp.arange(count, dtype=jnp.float64)[:, None] / 8
    boxes = Box(lower, lower + 0.1)
    result = _certificate(boxes, boxes.midpoint)
    order = np.random.default_rng(0).permutation(count)
    assert result.locate(boxes.midpoint[order]).tolist() == order.tolist()


@pytest.mark.parametrize(
    "lower, upper, match",
    [
        (jnp.zeros(2), jnp.ones(3), r"one shape \(\.\.\., d\).*\(2,\) and \(3,\)"),
        (jnp.zeros(()), jnp.ones(()), r"one shape \(\.\.\., d\)"),
        (jnp.zeros((2, 0)), jnp.ones((2, 0)), r"d ≥ 1"),
        ([0.0, 0.0], jnp.ones(2), "`lower` must be an array, got list"),
        (jnp.zeros(2), 1.0, "`upper` must be an array, got float"),
    ],
)
def test_a_malformed_box_is_refused_when_built(lower, upper, match):
    # Before: built silently; a (2,) ~ (3,) box failed later inside a certificate's arithmetic.
    with pytest.raises(ValueError, match=match):
        Box(lower, upper)


def test_an_empty_box_from_an_intersection_is_still_a_box():
    box = Box(jnp.zeros(2), jnp.ones(2)).intersect(Box(jnp.full(2, 2.0), jnp.full(2, 3.0)))
    assert bool(box.is_empty())
