"""`jaxfp.probe.Attraction`: the one record of how the basin probes iterate and match, checked
when built; `basin_map` and `basin_volumes` give with it what their four keywords gave."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp.probe import Attraction

# Recorded from the code before Attraction (float64): basin_map(tanh_identity_network(2),
# enumerate_fixed_points(net).points, extent=(-1.3, 1.1), resolution=9, ...), and
# basin_volumes(..., lower=-1.0, upper=1.2, num_samples=97, seed=3, ...).
PICARD_LABELS = [[0] * 5 + [1] * 4] * 5 + [[2] * 5 + [7] * 4] * 4
ANDERSON_LABELS = [
    [0, 0, 0, 0, 3, 1, 1, 1, 1],
    [0, 0, 0, 0, 3, 3, 1, 1, 1],
    [0, 0, 0, 0, 3, 1, 1, 1, 1],
    [0, 0, 0, 0, 6, 1, 1, 1, 1],
    [4, 4, 4, 8, 5, 5, 1, 8, 8],
    [2, 4, 2, 2, 5, 5, 7, 8, 1],
    [2, 2, 2, 2, 2, 7, 7, 7, 7],
    [2, 2, 2, 2, 6, 6, 7, 7, 7],
    [2, 2, 2, 2, 6, 2, 7, 7, 7],
]
PICARD_STEPS_ROW, PICARD_STEPS_MIDDLE = [16] * 4 + [24] + [16] * 4, [24] * 9
PICARD_COUNTS = [23, 28, 24, 0, 0, 0, 0, 22, 0]
ANDERSON_COUNTS = [17, 22, 19, 6, 0, 6, 3, 19, 5]
ANDERSON = jaxfp.Anderson(rtol=1e-10, atol=1e-10)


@pytest.fixture(scope="module")
def tanh_net():
    with jax.enable_x64(True):
        net = jaxfp.looped.tanh_identity_network(2)
        return net, jaxfp.enumerate_fixed_points(net).points


@pytest.mark.parametrize(
    "field, value",
    [
        ("max_steps", 0),
        ("max_steps", 2.0),
        ("max_steps", True),
        ("lanes", 0),
        ("lanes", -3),
        ("match_tolerance", 0.0),
        ("match_tolerance", -1e-9),
        ("match_tolerance", float("nan")),
        ("match_tolerance", "1e-6"),
        ("solver", "picard"),
        ("solver", jaxfp.looped.Tanh()),
    ],
)
def test_each_bad_field_is_refused_when_built_naming_it(field, value):
    with pytest.raises(ValueError, match=f"`{field}`"):
        Attraction(**{field: value})


def test_defaults_and_conversions():
    attraction = Attraction()
    assert attraction.solver == jaxfp.Picard(rtol=1e-10, atol=1e-10)
    assert (attraction.max_steps, attraction.match_tolerance, attraction.lanes) == (
        1000,
        1e-6,
        1024,
    )
    converted = Attraction(
        max_steps=np.int64(7), match_tolerance=np.float32(0.5), lanes=np.int32(3)
    )
    assert type(converted.max_steps) is int and type(converted.lanes) is int
    assert type(converted.match_tolerance) is float


def test_a_record_of_another_kind_is_refused(tanh_net):
    net, points = tanh_net
    with pytest.raises(ValueError, match="`attraction` must be a jaxfp.probe.Attraction"):
        jaxfp.probe.basin_map(net, points, resolution=2, attraction=dict(max_steps=10))
    with pytest.raises(ValueError, match="`attraction` must be a jaxfp.probe.Attraction"):
        jaxfp.probe.basin_volumes(net, points, lower=-1.0, upper=1.0, attraction=ANDERSON)


@pytest.mark.parametrize("keyword", ["max_steps", "solver", "match_tolerance", "lanes"])
def test_the_old_keywords_are_gone(tanh_net, keyword):
    net, points = tanh_net
    value = getattr(Attraction(), keyword)
    with pytest.raises(TypeError, match=keyword):
        jaxfp.probe.basin_map(net, points, resolution=2, **{keyword: value})
    with pytest.raises(TypeError, match=keyword):
        jaxfp.probe.basin_volumes(net, points, lower=-1.0, upper=1.0, **{keyword: value})


@pytest.mark.parametrize(
    "attraction, labels",
    [
        (Attraction(), PICARD_LABELS),
        (Attraction(lanes=7), PICARD_LABELS),
        (Attraction(solver=ANDERSON), ANDERSON_LABELS),
    ],
)
def test_basin_map_gives_the_recorded_labels(tanh_net, attraction, labels):
    net, points = tanh_net
    with jax.enable_x64(True):
        grid = jaxfp.probe.basin_map(
            net, points, extent=(-1.3, 1.1), resolution=9, attraction=attraction
        )
    np.testing.assert_array_equal(grid.labels, labels)
    assert np.all(np.asarray(grid.result) == 0)
    if attraction.solver == Attraction().solver:
        steps = [PICARD_STEPS_ROW] * 4 + [PICARD_STEPS_MIDDLE] + [PICARD_STEPS_ROW] * 4
        np.testing.assert_array_equal(grid.steps, steps)


def test_too_few_steps_leave_every_start_unmatched(tanh_net):
    net, points = tanh_net
    with jax.enable_x64(True):
        grid = jaxfp.probe.basin_map(
            net, points, extent=(-1.3, 1.1), resolution=9, attraction=Attraction(max_steps=3)
        )
    assert np.all(np.asarray(grid.labels) == -1)
    assert np.all(np.asarray(grid.result) == jaxfp.RESULTS.max_steps_reached._value)


@pytest.mark.parametrize(
    "attraction, counts",
    [(Attraction(), PICARD_COUNTS), (Attraction(solver=ANDERSON), ANDERSON_COUNTS)],
)
def test_basin_volumes_give_the_recorded_counts(tanh_net, attraction, counts):
    net, points = tanh_net
    with jax.enable_x64(True):
        volumes = jaxfp.probe.basin_volumes(
            net, points, lower=-1.0, upper=1.2, num_samples=97, seed=3, attraction=attraction
        )
    np.testing.assert_array_equal(volumes.counts, counts)


def test_calling_it_labels_each_start_and_keeps_the_solution(tanh_net):
    net, points = tanh_net
    starts = jnp.array([[-0.5, -0.5], [0.5, 0.5], [0.5, -0.5]])
    with jax.enable_x64(True):
        labels, solution = Attraction(lanes=2)(net, points, starts)
    np.testing.assert_array_equal(labels, [0, 7, 1])
    assert solution.value.shape == (3, 2) and np.all(np.asarray(solution.stats.num_steps) > 0)
    with pytest.raises(ValueError, match="`fixed_points`"):
        Attraction()(net, points[:, :1], starts)
