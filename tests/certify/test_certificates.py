"""Certificates: P1's construction (P), true and false boxes, saddles by Krawczyk, parameter
noise, conjugate forms, automatic radii, and every bad input."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp.certify as certify
import jaxfp.looped as looped
from jaxfp.certify import CertificateMethod, CertificateReason

# docs/theory.md prints K = 0.9494 for r = 0.2779; the exact sup of |g'| = (3x² − 3)/2 at
# x = 1.2779 is 0.949543, so allow the printed value's last digit.
K_TOLERANCE = 2e-4
MARGIN_TOLERANCE = 1e-4
P_RADIUS = 0.2779
LARGEST_RADIUS = math.sqrt(5.0 / 3.0) - 1.0


@pytest.fixture(scope="module")
def poly():
    return looped.poly_network(2)


@pytest.fixture(scope="module")
def tanh():
    return looped.tanh_identity_network(2, gain=2.0)


def _box(center, radius):
    center = jnp.asarray(center, dtype=float)
    return center - radius, center + radius


def test_construction_p_box_certifies_with_papers_constants(poly):
    cert = certify.certify_box(poly, *_box([1.0, -1.0], P_RADIUS))
    assert bool(cert.certified)
    assert cert.method == CertificateMethod.contraction
    assert cert.reason == CertificateReason.certified
    assert abs(float(cert.contraction_bound) - 0.9494) < K_TOLERANCE
    assert abs(float(cert.margin) - 0.1513) < MARGIN_TOLERANCE
    delta = certify.robustness_margin(poly, *_box([1.0, -1.0], P_RADIUS))
    assert float(delta) == float(cert.margin)
    assert bool(jnp.all(cert.enclosure.lower <= jnp.array([1.0, -1.0])))
    assert bool(jnp.all(jnp.array([1.0, -1.0]) <= cert.enclosure.upper))


def test_largest_contracting_radius_is_sqrt_five_thirds_minus_one(poly):
    inside = certify.certify_box(
        poly, *_box([-1.0, 1.0], LARGEST_RADIUS - 1e-6), method="contraction"
    )
    assert bool(inside.certified) and float(inside.contraction_bound) < 1.0
    outside = certify.certify_box(
        poly, *_box([-1.0, 1.0], LARGEST_RADIUS + 1e-6), method="contraction"
    )
    assert not bool(outside.certified)
    assert float(outside.contraction_bound) >= 1.0
    assert outside.reason == CertificateReason.not_contracting
    assert outside.method == CertificateMethod.none


def test_true_boxes_accepted(tanh):
    points = looped.reference_fixed_points("tanh-identity", 2)
    certs = certify.certify_fixed_point(tanh, points, 0.1)
    assert bool(jnp.all(certs.certified))


def test_box_without_fixed_points_refused(tanh):
    cert = certify.certify_box(tanh, jnp.array([0.3, 0.3]), jnp.array([0.6, 0.6]))
    assert not bool(cert.certified)
    assert cert.reason == CertificateReason.no_fixed_point


def test_box_with_two_fixed_points_refused(tanh):
    # Holds (0, x*) and (x*, x*).
    cert = certify.certify_box(tanh, jnp.array([-0.2, 0.8]), jnp.array([1.1, 1.1]))
    assert not bool(cert.certified)
    assert cert.reason != CertificateReason.certified


@pytest.mark.parametrize("center", [[0.0, 0.0], [0.0, 0.957504]])
def test_krawczyk_proves_saddles_and_repellers_of_tanh(tanh, center):
    box = _box(center, 0.05)
    assert not bool(certify.certify_box(tanh, *box, method="contraction").certified)
    proved = certify.certify_box(tanh, *box, method="krawczyk")
    assert bool(proved.certified) and proved.method == CertificateMethod.krawczyk
    auto = certify.certify_box(tanh, *box)
    assert auto.method == CertificateMethod.krawczyk


def test_krawczyk_proves_the_repelling_origin_of_construction_p(poly):
    box = _box([0.0, 0.0], 0.2)
    refused = certify.certify_box(poly, *box, method="contraction")
    assert not bool(refused.certified) and refused.reason == CertificateReason.not_invariant
    proved = certify.certify_box(poly, *box)
    assert bool(proved.certified) and proved.method == CertificateMethod.krawczyk


def test_krawczyk_refusal_reason(poly):
    cert = certify.certify_box(
        poly, jnp.array([-0.1, -0.1]), jnp.array([1.2, 1.2]), method="krawczyk"
    )
    assert not bool(cert.certified)
    assert cert.reason == CertificateReason.krawczyk_failed


def test_parameter_noise_leaves_a_smaller_margin(poly):
    box = _box([1.0, 1.0], 0.2)
    exact = certify.certify_box(poly, *box)
    radii = looped.ParameterRadii(weight_radius=0.005, bias_radius=0.005)
    noisy = certify.certify_box(poly, *box, radii=radii)
    assert bool(noisy.certified)
    assert 0.0 < float(noisy.margin) < float(exact.margin)
    assert float(noisy.contraction_bound) > float(exact.contraction_bound)
    broken = certify.certify_box(poly, *box, radii=looped.ParameterRadii(0.3, 0.3))
    assert not bool(broken.certified)
    noisy_delta = certify.robustness_margin(poly, *box, radii=radii)
    assert float(noisy_delta) == float(noisy.margin)


def test_conjugate_forms_give_conjugate_certified_fixed_points():
    net = looped.LoopedNet(
        jnp.array([[2.0, 0.3], [-0.2, 1.8]]), jnp.array([0.1, -0.05]), looped.Tanh()
    )
    x = looped.iterate(net, jnp.array([0.9, 0.9]), 300)[-1]
    other = net.conjugate()
    first = certify.certify_fixed_point(net, x)
    second = certify.certify_fixed_point(other, net.conjugate_point(x))
    assert bool(first.certified) and bool(second.certified)


def test_automatic_radius_certifies_every_fixed_point(tanh):
    points = looped.reference_fixed_points("tanh-identity", 2)
    certs = certify.certify_fixed_point(tanh, points)
    assert bool(jnp.all(certs.certified))
    methods = np.asarray(certs.method._value)
    attracting = np.all(np.abs(np.asarray(points)) > 0.5, axis=1)
    assert np.all(methods[attracting] == CertificateMethod.contraction._value)
    assert np.all(methods[~attracting] == CertificateMethod.krawczyk._value)
    single = certify.certify_fixed_point(tanh, points[0])
    assert bool(single.certified) and single.box.lower.shape == (2,)


def test_exp_construction_certifies(poly):
    net = looped.exp_network(2)
    points = looped.reference_fixed_points("exp", 2)
    assert bool(jnp.all(certify.certify_fixed_point(net, points).certified))


def test_overflowing_image_proves_no_fixed_point():
    net = looped.LoopedNet(jnp.eye(1) * 800.0, jnp.zeros(1), looped.activation_from_name("exp"))
    cert = certify.certify_box(net, jnp.array([1.0]), jnp.array([2.0]))
    assert not bool(cert.certified)
    assert cert.reason == CertificateReason.no_fixed_point


def test_reversed_box_under_vmap_is_an_invalid_box(poly):
    lower, upper = jnp.array([[1.2, 1.2]]), jnp.array([[0.8, 0.8]])
    certs = jax.vmap(lambda low, high: certify.certify_box(poly, low, high))(lower, upper)
    assert not bool(certs.certified[0])
    assert int(certs.reason._value[0]) == CertificateReason.invalid_box._value


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda n: certify.certify_box(n, jnp.zeros(3), jnp.ones(2)),
            r"box `lower` must have shape \(d,\) = \(2,\)",
        ),
        (lambda n: certify.certify_box(n, jnp.ones(2), jnp.zeros(2)), "`lower` <= `upper`"),
        (
            lambda n: certify.certify_box(n, jnp.array([jnp.nan, 0.0]), jnp.ones(2)),
            "must be finite",
        ),
        (
            lambda n: certify.certify_box(n, jnp.zeros(2), jnp.ones(2), method="newton"),
            "`method` must be one of",
        ),
        (
            lambda n: certify.certify_box(
                n, jnp.zeros(2), jnp.ones(2), radii=looped.ParameterRadii(weight_radius=-1.0)
            ),
            "`weight_radius` must be finite",
        ),
        (
            lambda n: certify.certify_box(
                n, jnp.zeros(2), jnp.ones(2), radii=looped.ParameterRadii(bias_radius=jnp.nan)
            ),
            "`bias_radius` must be finite",
        ),
        (
            lambda n: certify.certify_box(jnp.tanh, jnp.zeros(2), jnp.ones(2)),
            "`net` must be a jaxfp.looped.LoopedNet",
        ),
        (
            lambda n: certify.robustness_margin(n, jnp.zeros(2), jnp.ones(3)),
            "box `upper` must have shape",
        ),
        (
            lambda n: certify.certify_fixed_point(n, jnp.zeros(3)),
            r"`x_star` must have shape \(d,\) or \(n, d\)",
        ),
        (
            lambda n: certify.certify_fixed_point(n, jnp.zeros((1, 1, 2))),
            "`x_star` must have shape",
        ),
        (lambda n: certify.certify_fixed_point(n, jnp.zeros(2), -0.1), "`radius` must be finite"),
        (
            lambda n: certify.certify_fixed_point(n, jnp.zeros(2), jnp.ones(3)),
            "`radius` must be a scalar",
        ),
        (lambda n: certify.certify_fixed_point("net", jnp.zeros(2)), "`net` must be"),
        (
            lambda n: certify.certify_fixed_point(n, jnp.zeros(2), method="newton"),
            "`method` must be one of",
        ),
        (
            lambda n: certify.certify_fixed_point(n, jnp.zeros(2) + 0.5j),
            "`x_star` must hold real numbers, got an array of dtype complex",
        ),
        (
            lambda n: certify.certify_box(n, jnp.zeros(2) + 0j, jnp.ones(2)),
            "`lower` must hold real numbers",
        ),
        (
            lambda n: certify.certify_box(
                n, jnp.zeros(2), jnp.ones(2), radii=looped.ParameterRadii(bias_radius=jnp.ones(5))
            ),
            r"`bias_radius` must be a scalar or have shape \(2,\), got \(5,\)",
        ),
        (
            lambda n: certify.certify_box(
                n,
                jnp.zeros(2),
                jnp.ones(2),
                radii=looped.ParameterRadii(weight_radius=jnp.ones((3, 3))),
            ),
            r"`weight_radius` must be a scalar or have shape \(2, 2\)",
        ),
        (
            lambda n: certify.certify_box(
                n, jnp.zeros(2), jnp.ones(2), radii=looped.ParameterRadii(weight_radius="0.1")
            ),
            "`weight_radius` must hold real numbers",
        ),
        (
            lambda n: certify.certify_box(n, jnp.zeros(2), jnp.ones(2), radii=0.01),
            r"`radii` must be a jaxfp.looped.ParameterRadii \(for example",
        ),
    ],
)
def test_errors(poly, call, message):
    with pytest.raises(ValueError, match=message):
        call(poly)
