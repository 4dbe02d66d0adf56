"""Basin escape against closed forms: the boundary is the repelling fixed point (or a fold)."""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfp
from jaxfp.probe import _escape
from jaxfp.probe._escape import _default_optimizer

X_STAR = 0.9575040240772687  # x = tanh(2x), positive root
# The bisection along the best ray is exact to ~1e-9; the optimiser's direction to ~1e-3.
BOUNDARY_TOLERANCE = 1e-6
DIRECTION_TOLERANCE = 2e-3
# In bias mode the verifying iteration crawls past the fold (critical slowing down).
FOLD_TOLERANCE = 1e-4


@pytest.fixture(scope="module")
def plane():
    net = jaxfp.looped.tanh_identity_network(2, gain=2.0)
    points = jnp.array(list(itertools.product([-X_STAR, 0.0, X_STAR], repeat=2)))
    return net, points


def _index(points, point):
    return int(np.argmin(np.max(np.abs(np.asarray(points) - np.asarray(point)), axis=1)))


def test_scalar_escape_crosses_the_repelling_fixed_point():
    net = jaxfp.looped.tanh_identity_network(1, gain=2.0)
    points = jnp.array([[-X_STAR], [0.0], [X_STAR]])
    out = jaxfp.probe.escape_basin(net, jnp.array([0.5]), points)
    assert bool(out.success) and int(out.start_index) == 2 and int(out.reached_index) == 0
    np.testing.assert_allclose(float(out.size), 0.5, atol=BOUNDARY_TOLERANCE)
    assert float(out.size) > 0.5  # just past the boundary x = 0, on the far side


def test_bias_escape_stops_at_the_fold():
    # From x* of tanh(2x), lowering b past the fold b = atanh(1/√2) − √2 removes the upper
    # branch; that fold is the smallest bias change that moves the iteration elsewhere.
    net = jaxfp.looped.tanh_identity_network(1, gain=2.0)
    points = jnp.array([[-X_STAR], [0.0], [X_STAR]])
    out = jaxfp.probe.escape_basin(net, jnp.array([X_STAR]), points, mode="bias")
    fold = np.arctanh(np.sqrt(0.5)) - np.sqrt(2.0)
    assert bool(out.success) and int(out.reached_index) == 0
    np.testing.assert_allclose(float(out.perturbation[0]), fold, atol=FOLD_TOLERANCE)


@pytest.mark.parametrize("norm", ["l2", "linf", "l1"])
def test_nearest_other_basin_flips_the_smaller_coordinate(plane, norm):
    net, points = plane
    out = jaxfp.probe.escape_basin(net, jnp.array([0.3, 0.7]), points, norm=norm)
    assert bool(out.success)
    assert int(out.reached_index) == _index(points, [-X_STAR, X_STAR])
    np.testing.assert_allclose(float(out.size), 0.3, atol=DIRECTION_TOLERANCE)
    # The start lies within ~1e-10 of the boundary: its residual shrinks, then grows as it leaves
    # the repelling manifold, which the divergence test would call diverging (escape_basin's
    # own verification turns it off too).
    reached = jaxfp.fixed_point(
        net.fixed_point_fn,
        jaxfp.Picard(1e-10, 1e-10),
        jnp.array([0.3, 0.7]) + out.perturbation,
        monitor=jaxfp.Monitor(divergence_ratio=None),
    ).value
    np.testing.assert_allclose(reached, [-X_STAR, X_STAR], atol=1e-8)


@pytest.mark.parametrize("norm, expected", [("linf", 0.7), ("l1", 1.0)])
def test_chosen_target_across_both_boundaries(plane, norm, expected):
    net, points = plane
    target = _index(points, [-X_STAR, -X_STAR])
    out = jaxfp.probe.escape_basin(net, jnp.array([0.3, 0.7]), points, target=target, norm=norm)
    assert bool(out.success) and int(out.target_index) == int(out.reached_index) == target
    np.testing.assert_allclose(float(out.size), expected, atol=DIRECTION_TOLERANCE)
    assert np.all(np.asarray(out.perturbation) < [-0.3, -0.7] + np.array([1e-9, 1e-9]))


def test_the_optimizer_given_is_the_one_that_searches(plane):
    # An optimizer that never moves δ leaves the first perturbation (straight at the target),
    # pulled onto the boundary x_0 = 0 along its ray: longer than the 0.3 Adam finds.
    net, points = plane
    x0 = jnp.array([0.3, 0.7])
    direction = np.array([-X_STAR, X_STAR]) - np.asarray(x0)
    out = jaxfp.probe.escape_basin(net, x0, points, optimizer=optax.set_to_zero())
    assert bool(out.success) and int(out.reached_index) == _index(points, [-X_STAR, X_STAR])
    expected = 0.3 * np.linalg.norm(direction) / abs(direction[0])
    np.testing.assert_allclose(float(out.size), expected, atol=BOUNDARY_TOLERANCE)


def _rates(optimizer, steps):
    # On a constant gradient Adam's step is its rate (m̂ / √v̂ = 1, up to its ε).
    def step(state, _):
        updates, state = optimizer.update(jnp.ones(()), state)
        return state, -updates

    _, rates = jax.lax.scan(step, optimizer.init(jnp.zeros(())), None, length=steps + 1)
    return np.asarray(rates)


@pytest.mark.parametrize("steps", [20, 400])
def test_the_default_rate_decays_to_one_percent_over_optimizer_steps(steps):
    rates = _rates(_default_optimizer(steps), steps)
    np.testing.assert_allclose(rates[[0, steps // 2, steps]], [0.05, 0.005, 0.0005], rtol=1e-5)


def test_the_default_optimizer_is_adam_decaying_over_optimizer_steps():
    net = jaxfp.looped.tanh_identity_network(1, gain=2.0)
    points, x0 = jnp.array([[-X_STAR], [0.0], [X_STAR]]), jnp.array([0.5])
    schedule = optax.exponential_decay(0.05, 20, 0.01)
    given = jaxfp.probe.escape_basin(
        net, x0, points, optimizer_steps=20, optimizer=optax.adam(schedule)
    )
    default = jaxfp.probe.escape_basin(net, x0, points, optimizer_steps=20)
    np.testing.assert_array_equal(default.perturbation, given.perturbation)


def test_the_default_optimizer_and_any_penalty_reuse_the_compiled_search(monkeypatch):
    assert _default_optimizer(37) is _default_optimizer(37)
    traces = []
    solve = _escape._solve

    def counting_solve(*args, **kwargs):
        traces.append(None)  # runs only while tracing
        return solve(*args, **kwargs)

    monkeypatch.setattr(_escape, "_solve", counting_solve)
    net = jaxfp.looped.tanh_identity_network(1, gain=2.0)
    points, x0 = jnp.array([[-X_STAR], [0.0], [X_STAR]]), jnp.array([0.5])
    jaxfp.probe.escape_basin(net, x0, points, optimizer_steps=37)
    compiled = len(traces)
    for penalty in (5.0, 20.0):
        jaxfp.probe.escape_basin(net, x0, points, optimizer_steps=37, penalty=penalty)
    assert compiled > 0 and len(traces) == compiled


def test_escape_errors(plane):
    net, points = plane
    x0 = jnp.array([0.3, 0.7])
    with pytest.raises(ValueError, match="target"):
        jaxfp.probe.escape_basin(net, x0, points, target=9)
    with pytest.raises(ValueError, match="norm"):
        jaxfp.probe.escape_basin(net, x0, points, norm="l3")
    with pytest.raises(ValueError, match="mode"):
        jaxfp.probe.escape_basin(net, x0, points, mode="weights")
    with pytest.raises(ValueError, match="fixed_points"):
        jaxfp.probe.escape_basin(net, x0, points[:, :1])
    with pytest.raises(ValueError, match="x0"):
        jaxfp.probe.escape_basin(net, jnp.ones(3), points)
    with pytest.raises(ValueError, match="optimizer_steps"):
        jaxfp.probe.escape_basin(net, x0, points, optimizer_steps=0)
    with pytest.raises(ValueError, match="`optimizer` must be an optax.GradientTransformation"):
        jaxfp.probe.escape_basin(net, x0, points, optimizer=0.05)


@pytest.mark.parametrize("value", [jnp.nan, jnp.inf])
def test_a_nonfinite_start_is_refused(plane, value):
    # It was searched and reported as a failed escape of size inf.
    net, points = plane
    with pytest.raises(ValueError, match="`x0` contains NaN or infinite entries"):
        jaxfp.probe.escape_basin(net, jnp.array([0.3, value]), points)


def test_a_numpy_integer_target_is_an_index(plane):
    # It was refused as "not an index into `fixed_points`".
    net, points = plane
    x0 = jnp.array([0.3, 0.7])
    chosen = jaxfp.probe.escape_basin(net, x0, points, target=np.int64(0), optimizer_steps=5)
    assert int(chosen.target_index) == 0


def test_no_other_basin_names_no_target():
    # tanh(x/2) has one fixed point, 0: there is no other basin to reach, so the result says so
    # (no target, δ = 0, size +inf) instead of naming fixed point 0 as the target.
    net = jaxfp.looped.tanh_identity_network(1, gain=0.5)
    out = jaxfp.probe.escape_basin(net, jnp.array([0.4]), jnp.array([[0.0]]))
    assert not bool(out.success)
    assert int(out.start_index) == 0 and int(out.target_index) == -1
    assert np.isinf(float(out.size)) and np.all(np.asarray(out.perturbation) == 0.0)
