"""The monotone-face exclusion test of `certify_box` (`jaxfp.certify._box._face_misses`) never
drops a box that holds a fixed point, and it drops boxes that 0 ∉ X − F(X) and Krawczyk keep.
Random bounded-σ nets in both forms with high gains; fixed points from plain Newton in float64
(independent of the interval layer), boxes random around them."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp.looped as looped
from jaxfp.certify import Box, CertificateReason, certify_box
from jaxfp.certify._box import _face_misses

CASES = [
    ("tanh", "sigma-affine", 3),
    ("tanh", "affine-sigma", 3),
    ("sin", "sigma-affine", 3),
    ("sigmoid", "affine-sigma", 3),
]


def _net(activation, form, dim, seed):
    rng = np.random.default_rng(seed)
    weight = np.eye(dim) * 2.5 + 0.8 * rng.standard_normal((dim, dim)) / np.sqrt(dim)
    bias = 0.3 * rng.standard_normal(dim)
    return looped.LoopedNet(weight, bias, looped.activation_from_name(activation), form=form)


def _newton_points(net, count=64, seed=0):
    """Fixed points of plain Newton on x − F(x) from random starts (residual < 1e-12)."""
    eye = jnp.eye(net.dim)

    def solve(x):
        step = lambda _, x: x - jnp.linalg.solve(eye - net.jacobian(x), x - net(x))  # noqa: E731
        return jax.lax.fori_loop(0, 50, step, x)

    starts = np.random.default_rng(seed).uniform(-2.5, 2.5, (count, net.dim))
    points = np.asarray(jax.jit(jax.vmap(solve))(jnp.asarray(starts)))
    residual = np.max(np.abs(points - np.asarray(jax.vmap(net)(jnp.asarray(points)))), axis=1)
    return points[np.isfinite(residual) & (residual < 1e-12)]


@pytest.mark.parametrize(("activation", "form", "dim"), CASES)
def test_boxes_around_fixed_points_are_never_excluded(activation, form, dim):
    net = _net(activation, form, dim, seed=dim)
    points = _newton_points(net)
    assert len(points) >= 2
    rng = np.random.default_rng(1)
    # Boxes from tiny to wide, the point anywhere inside (also near a face).
    below = np.exp(rng.uniform(np.log(1e-9), np.log(2.0), (len(points), 8, dim)))
    above = np.exp(rng.uniform(np.log(1e-9), np.log(2.0), (len(points), 8, dim)))
    lower = (points[:, None, :] - below).reshape(-1, dim)
    upper = (points[:, None, :] + above).reshape(-1, dim)
    certificates = jax.jit(jax.vmap(lambda low, high: certify_box(net, low, high)))(lower, upper)
    excluded = np.asarray(certificates.reason._value) == CertificateReason.no_fixed_point._value
    assert not excluded.any(), (lower[excluded][:3], upper[excluded][:3])


def test_faces_exclude_boxes_the_image_test_keeps():
    net = _net("tanh", "sigma-affine", 3, seed=3)
    rng = np.random.default_rng(0)
    centre = rng.uniform(-1.0, 1.0, (4000, 3))
    half = rng.uniform(0.01, 0.3, (4000, 3))
    lower, upper = jnp.asarray(centre - half), jnp.asarray(centre + half)

    def tests(low, high):
        image_low, image_high = net.interval(low, high)
        by_image = jnp.any(image_high < low) | jnp.any(image_low > high)
        jac_low, jac_high = net.jacobian_interval(low, high)
        return by_image, _face_misses(
            net, Box(low, high), jac_low, jac_high, looped.ParameterRadii()
        )

    by_image, by_faces = (np.asarray(v) for v in jax.jit(jax.vmap(tests))(lower, upper))
    assert np.sum(by_faces & ~by_image) >= 100
    # Every box the faces drop really holds no fixed point: a fixed point would be found by
    # Newton started inside it and stay inside (checked on the boxes' own Newton points).
    points = _newton_points(net, count=256)
    inside = np.all(
        (points[None] >= centre[:, None] - half[:, None])
        & (points[None] <= centre[:, None] + half[:, None]),
        axis=-1,
    )
    assert not np.any(inside[by_faces])
