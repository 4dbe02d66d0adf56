"""The a-priori box: every fixed point lies in it, it is finite exactly when σ's range and the
interval iteration X <- F(X) ∩ X make it so, and the polynomial interval extension it relies on
stays rigorous at infinite endpoints."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp.certify._a_priori import a_priori_box

jax.config.update("jax_enable_x64", True)


def newton_fixed_points(net, starts: int = 4000, seed: int = 0, spread: float = 8.0):
    """Fixed points found by a dense, independent Newton search (numpy, no intervals)."""
    rng = np.random.default_rng(seed)
    found = []
    solve = jax.jit(
        jax.vmap(
            lambda x: jax.lax.fori_loop(
                0,
                60,
                lambda _, y: y - jnp.linalg.solve(jnp.eye(net.dim) - net.jacobian(y), y - net(y)),
                x,
            )
        )
    )
    points = np.asarray(solve(jnp.asarray(spread * rng.standard_normal((starts, net.dim)))))
    residual = np.abs(points - np.asarray(jax.vmap(net)(jnp.asarray(points)))).max(axis=1)
    for point in points[np.isfinite(residual) & (residual < 1e-10)]:
        if not any(np.abs(point - other).max() < 1e-7 for other in found):
            found.append(point)
    return np.array(found).reshape(-1, net.dim)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_construction_e_gets_a_finite_box_holding_its_known_fixed_points(dim):
    # σ(ℝ) = (0, ∞): the range box is infinite; one narrowing step gives [0, 32]^d.
    net = jaxfp.looped.exp_network(dim)
    box = a_priori_box(net)
    lower, upper = np.asarray(box.lower), np.asarray(box.upper)
    assert np.all(lower <= 0.0) and np.all(lower > -1e-4)
    assert np.all(upper >= 32.0) and np.all(upper < 32.001)
    values = jaxfp.looped._builders.scalar_fixed_points("exp")[1]
    grid = np.stack(np.meshgrid(*[values] * dim), -1).reshape(-1, dim)
    assert np.all((grid >= lower) & (grid <= upper))


def test_no_box_where_the_iteration_stays_infinite():
    assert a_priori_box(jaxfp.looped.poly_network(2)) is None  # σ(ℝ) = ℝ
    # x = e^{x/2}: X = [0, ∞) -> [1, ∞) -> [e^{1/2}, ∞) -> ...: never finite.
    net = jaxfp.looped.LoopedNet(
        0.5 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.activation_from_name("exp")
    )
    assert a_priori_box(net) is None


def test_a_bounded_range_gives_its_range_box():
    box = a_priori_box(jaxfp.looped.tanh_identity_network(3))
    lower, upper = box.lower, box.upper
    assert np.allclose(lower, -1.0, atol=1e-6) and np.allclose(upper, 1.0, atol=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_every_fixed_point_of_a_random_one_side_bounded_net_is_inside(seed):
    # σ = exp with W ≤ 0 in the σ(Wx + b) form: X = [0, ∞) -> [0, e^b]; the box must hold every
    # fixed point an independent search finds.
    rng = np.random.default_rng(seed)
    dim = 2 + seed % 2
    weight = -np.abs(rng.standard_normal((dim, dim)))
    net = jaxfp.looped.LoopedNet(
        weight, rng.standard_normal(dim), jaxfp.looped.activation_from_name("exp")
    )
    box = a_priori_box(net)
    lower, upper = np.asarray(box.lower), np.asarray(box.upper)
    assert np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))
    points = newton_fixed_points(net)
    assert points.shape[0] >= 1
    assert np.all((points >= lower) & (points <= upper))


@pytest.mark.parametrize(
    "coefficients",
    [
        (0.0, 3.0, 0.0, -4.0),
        (0.0, 0.0, 1.0),
        (1.0, -2.0, 0.5, 0.25),
        (0, 0, 0, 0, 1.0),
        (0.0, 1.0, 0.0, 1.0),  # no real critical point: one piece
        (1.0, -1.0, 0.0, -2.0),
    ],
)
@pytest.mark.parametrize(
    ("lower", "upper"),
    [(0.0, np.inf), (-np.inf, 0.0), (-np.inf, np.inf), (2.0, np.inf), (1.0, 2.0), (-3.0, 0.5)],
)
def test_polynomial_interval_is_rigorous_at_infinite_endpoints(coefficients, lower, upper):
    sigma = jaxfp.looped.Polynomial(coefficients)
    low, high = (float(v[0]) for v in sigma.interval(jnp.array([lower]), jnp.array([upper])))
    samples = np.linspace(max(lower, -1e3), min(upper, 1e3), 200_001)
    values = np.polynomial.polynomial.polyval(samples, coefficients)
    assert low <= values.min() and high >= values.max()


def test_a_polynomial_without_critical_points_is_one_monotone_piece():
    # z + z³ has no real critical point (the only piece is the whole line).
    sigma = jaxfp.looped.Polynomial((0.0, 1.0, 0.0, 1.0))
    low, high = sigma.interval(jnp.array([1.0, 0.0]), jnp.array([2.0, jnp.inf]))
    assert np.allclose(low, [2.0, 0.0], atol=1e-12) and np.allclose(high[:1], [10.0])
    assert np.isposinf(high[1])


def test_polynomial_interval_is_tight_on_a_half_line():
    # 3z − 4z³ on [0, ∞): at most 1 (at z = ½), unbounded below; on [2, ∞): at most −26.
    sigma = jaxfp.looped.Polynomial((0.0, 3.0, 0.0, -4.0))
    low, high = sigma.interval(jnp.array([0.0, 2.0]), jnp.array([jnp.inf, jnp.inf]))
    assert np.all(np.isneginf(low))
    assert np.allclose(high, [1.0, -26.0], rtol=1e-12)
