"""Basin maps and volumes of diagonal networks have the product structure of their units."""

import itertools

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp._numerics import wilson_interval

BIASES = (0.1, -0.2, 0.05)
# Grid points are kept at least this far from each unit's basin boundary.
BOUNDARY_GAP = 1e-3
# Every map and sample below has this many starts, so the batched solve compiles once.
RESOLUTION = 24


def _scalar_roots(bias: float) -> tuple[float, float, float]:
    """The three fixed points of x = tanh(2x + b) for small |b|, by bisection (numpy)."""

    def root(low, high):
        f = lambda x: np.tanh(2 * x + bias) - x
        for _ in range(200):
            middle = 0.5 * (low + high)
            low, high = (middle, high) if np.sign(f(middle)) == np.sign(f(low)) else (low, middle)
        return 0.5 * (low + high)

    return root(-1.0, -0.3), root(-0.3, 0.3), root(0.3, 1.0)


@pytest.fixture(scope="module")
def diagonal():
    dim = len(BIASES)
    net = jaxfp.looped.LoopedNet(2.0 * jnp.eye(dim), jnp.array(BIASES), jaxfp.looped.Tanh())
    roots = [_scalar_roots(b) for b in BIASES]
    attractors = [(r[0], r[2]) for r in roots]
    points = jnp.array(list(itertools.product(*attractors)))  # 2^d attracting corners
    return net, points, [r[1] for r in roots]


def _expected_label(points, sides):
    # The product structure: unit i goes to its upper attractor iff it starts above its
    # repelling fixed point; the corner's index in `points` follows itertools.product order.
    index = 0
    for side in sides:
        index = 2 * index + int(side)
    return index


def test_basin_map_is_the_product_of_scalar_basins(diagonal):
    net, points, middles = diagonal
    grid = jaxfp.probe.basin_map(
        net, points, plane=(0, 1), origin=jnp.array([0.0, 0.0, 0.5]), resolution=RESOLUTION
    )
    u, v = np.asarray(grid.u), np.asarray(grid.v)
    assert np.min(np.abs(u - middles[0])) > BOUNDARY_GAP
    assert np.min(np.abs(v - middles[1])) > BOUNDARY_GAP
    expected = np.array(
        [
            [_expected_label(points, (ui > middles[0], vi > middles[1], True)) for ui in u]
            for vi in v
        ]
    )
    np.testing.assert_array_equal(np.asarray(grid.labels), expected)
    assert np.all(np.asarray(grid.result) == 0) and np.all(np.asarray(grid.steps) > 0)
    fractions = np.asarray(grid.fraction)
    assert fractions.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(fractions, [np.mean(expected == k) for k in range(len(points))])


def test_oblique_plane_and_unmatched_starts(diagonal):
    net, points, _ = diagonal
    directions = jnp.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]) / jnp.array([[2**0.5], [1.0]])
    grid = jaxfp.probe.basin_map(
        net, points[:1], plane=directions, extent=(-1.5, 1.5), resolution=RESOLUTION
    )
    labels = np.asarray(grid.labels)
    assert set(np.unique(labels)) == {-1, 0}  # only the (−,−,−) corner is listed


def test_monte_carlo_volumes_match_products_of_intervals(diagonal):
    net, points, middles = diagonal
    volumes = jaxfp.probe.basin_volumes(
        net, points, lower=-1.0, upper=1.0, num_samples=RESOLUTION**2, seed=1, confidence=0.999
    )
    upper_share = [(1 - m) / 2 for m in middles]  # uniform on [−1, 1], boundary at m
    expected = [
        np.prod([s if up else 1 - s for s, up in zip(upper_share, sides, strict=True)])
        for sides in itertools.product([False, True], repeat=len(BIASES))
    ]
    assert int(volumes.unmatched) == 0 and int(volumes.counts.sum()) == RESOLUTION**2
    assert np.all(np.asarray(volumes.lower) <= expected)
    assert np.all(np.asarray(volumes.upper) >= expected)
    assert bool(jnp.all(volumes.interval.contains(jnp.asarray(expected))))
    low, high = wilson_interval(volumes.counts, volumes.num_samples, 0.999)
    np.testing.assert_array_equal(volumes.interval.lower, low)
    np.testing.assert_array_equal(volumes.interval.upper, high)


def test_wilson_interval_reference_values():
    low, high = wilson_interval(jnp.array([0, 50, 100]), 100, 0.95)
    np.testing.assert_allclose(low, [0.0, 0.40383, 0.96301], atol=1e-5)
    np.testing.assert_allclose(high, [0.03699, 0.59617, 1.0], atol=1e-5)


def test_basin_map_errors(diagonal):
    net, points, _ = diagonal
    with pytest.raises(ValueError, match="plane"):
        jaxfp.probe.basin_map(net, points, plane=(0, 0))
    with pytest.raises(ValueError, match="plane"):
        jaxfp.probe.basin_map(net, points, plane=jnp.ones((2, 2)))
    with pytest.raises(ValueError, match="origin"):
        jaxfp.probe.basin_map(net, points, origin=jnp.ones(2))
    with pytest.raises(ValueError, match="extent"):
        jaxfp.probe.basin_map(net, points, extent=(1.0, -1.0))
    with pytest.raises(ValueError, match="resolution"):
        jaxfp.probe.basin_map(net, points, resolution=0)
    with pytest.raises(ValueError, match="lower"):
        jaxfp.probe.basin_volumes(net, points, lower=1.0, upper=-1.0)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(3, 10, confidence=1.5)


@pytest.mark.parametrize(
    "options,match",
    [
        # Each of these mapped a grid of NaN (or collapsed) starts and returned all labels -1.
        (dict(origin=jnp.array([jnp.nan, 0.0, 0.0])), "`origin` contains NaN"),
        (dict(plane=jnp.array([[1.0, 0.0, 0.0], [jnp.nan, 1.0, 0.0]])), "`plane` contains NaN"),
        (dict(plane=jnp.zeros((2, 3))), "linearly independent"),
        (dict(plane=(True, False)), "`plane` must be two coordinate indices"),
        (dict(extent=(-1e308, 1e308)), "`extent` spans more than the largest float"),
        # These raised raw errors from inside NumPy or JAX, or dropped the imaginary part.
        (dict(origin=jnp.zeros(3) + 1j), "`origin` must hold real numbers.*complex"),
        (dict(plane="xy"), "`plane` must be two coordinate indices"),
        (dict(extent=2.0), "`extent` must be a pair"),
        (dict(extent=("a", "b")), "`extent` must be a pair"),
    ],
)
def test_bad_slices_are_refused_before_any_start(diagonal, options, match):
    net, points, _ = diagonal
    with pytest.raises(ValueError, match=match):
        jaxfp.probe.basin_map(net, points, resolution=2, **options)


@pytest.mark.parametrize(
    "options,match",
    [
        (dict(lower=-jnp.inf, upper=jnp.inf), "`lower` contains NaN or infinite"),  # was 0 counts
        (dict(lower=jnp.zeros(2)), "`lower` must be a number or of shape \\(3,\\)"),
        (dict(lower="a"), "`lower` must hold real numbers"),
        (dict(upper=1.0 + 0j), "`upper` must hold real numbers.*complex"),
        (dict(confidence="0.9"), "`confidence` must be a real number in \\(0, 1\\)"),
        (dict(seed=1.5), "`seed` must be a non-negative integer"),
        (dict(key=3), "`key` must be a JAX random key"),
    ],
)
def test_bad_boxes_and_options_of_the_volumes(diagonal, options, match):
    net, points, _ = diagonal
    box = dict(lower=-1.0, upper=1.0, num_samples=4)
    with pytest.raises(ValueError, match=match):
        jaxfp.probe.basin_volumes(net, points, **{**box, **options})


@pytest.mark.parametrize("plane", [[0, 2], (np.int64(0), np.int64(2))])
def test_a_list_or_numpy_integers_name_coordinates(diagonal, plane):
    # Both were refused as malformed direction vectors.
    net, points, _ = diagonal
    expected = jaxfp.probe.basin_map(net, points, plane=(0, 2), resolution=2)
    grid = jaxfp.probe.basin_map(net, points, plane=plane, resolution=2)
    np.testing.assert_array_equal(grid.labels, expected.labels)
    np.testing.assert_array_equal(grid.directions, expected.directions)


def test_plot_basin_map_refuses_another_object():
    with pytest.raises(ValueError, match="`basin` must be a jaxfp.probe.BasinMap, got list"):
        jaxfp.probe.plot_basin_map([1])


def test_another_solver_maps_its_own_basins():
    # The plain iteration reaches only the 4 attracting corners of tanh(2x)'s 9 fixed points;
    # Anderson, from the same grid, also converges to saddles and to the repelling origin.
    net = jaxfp.looped.tanh_identity_network(2)
    found = jaxfp.enumerate_fixed_points(net)
    attracting = np.asarray(found.attracting)
    maps = {
        name: jaxfp.probe.basin_map(
            net,
            found.points,
            extent=(-1.0, 1.0),
            resolution=8,
            attraction=jaxfp.probe.Attraction(solver=solver),
        )
        for name, solver in [
            ("picard", jaxfp.Picard(rtol=1e-10, atol=1e-10)),
            ("anderson", jaxfp.Anderson(rtol=1e-10, atol=1e-10)),
        ]
    }
    for grid in maps.values():
        assert np.all(np.asarray(grid.result) == 0) and np.all(np.asarray(grid.labels) >= 0)
        assert float(jnp.sum(grid.fraction)) == pytest.approx(1.0)
    assert np.all(attracting[np.asarray(maps["picard"].labels)])
    assert not np.all(attracting[np.asarray(maps["anderson"].labels)])


def test_a_bad_attraction_is_refused_before_any_start(diagonal, monkeypatch):
    net, points, _ = diagonal

    def no_solve(*args, **kwargs):
        raise AssertionError("a start was solved before the options were checked")

    monkeypatch.setattr("jaxfp.probe._attraction.fixed_point_batched", no_solve)
    with pytest.raises(ValueError, match="`attraction`"):
        jaxfp.probe.basin_map(net, points, resolution=2, attraction="picard")
    with pytest.raises(ValueError, match="`attraction`"):
        jaxfp.probe.basin_volumes(
            net, points, lower=-1.0, upper=1.0, num_samples=4, attraction=jaxfp.Picard(1e-6, 1e-6)
        )
