"""issue 12: certifying a point says whether that point is enclosed, not only a nearby box."""

import jax.numpy as jnp
import numpy as np

import jaxfp.certify as certify
import jaxfp.looped as looped
from jaxfp.certify import CertificateReason


def test_point_that_is_not_a_fixed_point_is_not_certified():
    net = looped.tanh_identity_network(2, gain=2.0)
    true = looped.reference_fixed_points("tanh-identity", 2)[0]
    off = true + 0.05
    cert = certify.certify_fixed_point(net, off, radius=0.1)
    assert not bool(cert.certified)
    assert not bool(cert.encloses_point)
    assert cert.reason == CertificateReason.point_not_enclosed
    # The box still proves a unique fixed point near the point, and says how far it may be.
    assert bool(certify.certify_box(net, off - 0.1, off + 0.1).certified)
    assert 0.05 <= float(cert.point_distance) < 0.2


def test_automatic_radius_distance_bound_covers_the_true_offset():
    net = looped.tanh_identity_network(2, gain=2.0)
    off = looped.reference_fixed_points("tanh-identity", 2)[0] + 0.05
    cert = certify.certify_fixed_point(net, off)
    # Whether or not the wide box's enclosure holds the point, the bound is rigorous.
    assert float(cert.point_distance) >= 0.05


def test_true_fixed_point_is_enclosed_and_close():
    net = looped.tanh_identity_network(2, gain=2.0)
    points = looped.reference_fixed_points("tanh-identity", 2)
    certs = certify.certify_fixed_point(net, points)
    assert bool(jnp.all(certs.certified & certs.encloses_point))
    true_distance = np.zeros(points.shape[0])  # the reference points are exact to 1e-15
    assert np.all(np.asarray(certs.point_distance) >= true_distance)
    assert np.all(np.isfinite(np.asarray(certs.point_distance)))


def test_refused_box_has_infinite_point_distance():
    net = looped.tanh_identity_network(2, gain=2.0)
    cert = certify.certify_box(net, jnp.full(2, -1.0), jnp.full(2, 1.0))  # nine fixed points
    assert not bool(cert.certified)
    assert float(cert.point_distance) == float("inf")


def test_point_inside_a_large_certified_box_is_not_certified_unless_near_the_fixed_point():
    # The automatic ladder certifies a box around (0.3, -0.2) that holds the one fixed point 0;
    # the box's first enclosure X ∩ F(X) is loose enough to hold the point, the tightened one
    # is not: the answer is about the point.
    net = looped.tanh_identity_network(2, gain=0.5)
    cert = certify.certify_fixed_point(net, jnp.array([0.3, -0.2]))
    assert not bool(cert.certified)
    assert cert.reason == CertificateReason.point_not_enclosed
    assert 0.3 <= float(cert.point_distance) < 0.31
    assert float(jnp.max(cert.enclosure.upper - cert.enclosure.lower)) < 1e-9


def test_polished_points_stay_inside_their_tightened_enclosures():
    # Points one or two ulps from the exact fixed points still certify (the floor of the
    # tightening), with a distance bound of about a thousand ulps.
    net = looped.tanh_identity_network(3, gain=2.0)
    points = looped.reference_fixed_points("tanh-identity", 3)
    for nudged in (points, np.nextafter(points, np.inf), np.nextafter(points, -np.inf)):
        certs = certify.certify_fixed_point(net, jnp.asarray(nudged))
        assert bool(jnp.all(certs.certified))
        assert float(jnp.max(certs.point_distance)) < 1e-11
