"""Basin design reaches its targets; the enumeration and the certificates confirm them."""

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import jaxfp
from jaxfp.probe import _design

PATTERNS = [[1, 1], [-1, 1]]
FORBIDDEN = [[1, -1]]
MARGIN = 0.05


def test_design_reaches_its_targets_and_the_checks_confirm_it():
    # One test (not a shared fixture): parallel workers would each train and enumerate again.
    start = jaxfp.looped.LoopedNet(0.5 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.Tanh())
    designed = jaxfp.probe.design_network(start, PATTERNS, forbidden=FORBIDDEN, margin=MARGIN)
    _check_verified(designed)
    _check_enumeration(designed)
    _check_noisy_iteration(designed)


def _check_verified(designed):
    # The certificates' own evidence, then the flag derived from it.
    assert np.all(np.asarray(designed.certificates.certified))
    assert np.all(np.asarray(designed.certificates.margin) >= MARGIN * 0.999)
    assert np.all(np.asarray(designed.certificates.contraction_bound) < 1)
    assert designed.success
    assert float(designed.loss[-1]) < float(designed.loss[0])


def _check_enumeration(designed):
    points = np.asarray(designed.fixed_points)
    attracting = np.asarray(designed.attracting)
    boxes = designed.certificates.box
    for low, high, pattern in zip(boxes.lower, boxes.upper, PATTERNS, strict=True):
        inside = np.all((points >= np.asarray(low)) & (points <= np.asarray(high)), axis=1)
        assert inside.sum() == 1 and attracting[inside].all()
        assert np.all(np.sign(points[inside][0]) == pattern)
    # No attracting fixed point may remain in the forbidden sign pattern.
    assert not np.any(attracting[np.all(np.sign(points) == FORBIDDEN[0], axis=1)])


def _check_noisy_iteration(designed):
    # P1 Theorem 4.2: with ‖h_t‖∞ ≤ margin the noisy iteration never leaves the box.
    rng = np.random.default_rng(0)
    net, boxes = designed.net, designed.certificates.box
    for low, high in zip(boxes.lower, boxes.upper, strict=True):
        x = 0.5 * (low + high)
        for _ in range(200):
            x = net(x) + jnp.asarray(rng.uniform(-MARGIN, MARGIN, 2))
            assert bool(jnp.all((x >= low) & (x <= high)))


def test_design_errors():
    start = jaxfp.looped.tanh_identity_network(2)
    with pytest.raises(ValueError, match="patterns"):
        jaxfp.probe.design_network(start, [[1, 0]])
    with pytest.raises(ValueError, match="patterns"):
        jaxfp.probe.design_network(start, [[1, 1, 1]])
    with pytest.raises(ValueError, match="repeats"):
        jaxfp.probe.design_network(start, [[1, 1], [1, 1]])
    with pytest.raises(ValueError, match="both requested and forbidden"):
        jaxfp.probe.design_network(start, [[1, 1]], forbidden=[[1, 1]])
    with pytest.raises(ValueError, match="contraction"):
        jaxfp.probe.design_network(start, [[1, 1]], contraction=1.5)
    with pytest.raises(ValueError, match="at least one"):
        jaxfp.probe.design_network(start, np.zeros((0, 2)))
    with pytest.raises(ValueError, match="`optimizer` must be an optax.GradientTransformation"):
        jaxfp.probe.design_network(start, [[1, 1]], optimizer=0.02)


@pytest.mark.parametrize(
    "options, message",
    [
        ([("method", None)], "`enumeration_options` must be a dict"),
        ({"net": None}, "must not hold `net`"),
        ({"max_boxes": 3}, r"unknown run option\(s\) \['max_boxes'\]"),
        ({"method": "starts"}, "`method` must be a jaxfp.enumeration method"),
        (
            {"method": jaxfp.enumeration.BranchAndBound(), "progress": print},
            "does not take the run option",
        ),
        ({"progress": 3}, "progress"),
    ],
)
def test_bad_enumeration_options_are_refused_before_the_training(options, message, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("trained before checking enumeration_options")

    monkeypatch.setattr(_design, "_train", no_training)
    start = jaxfp.looped.tanh_identity_network(2)
    with pytest.raises(ValueError, match=message):
        jaxfp.probe.design_network(start, [[1, 1]], enumeration_options=options)


def test_the_optimizer_given_is_the_one_that_trains():
    start = jaxfp.looped.LoopedNet(0.5 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.Tanh())
    frozen = jaxfp.probe.design_network(start, [[1, 1]], steps=4, optimizer=optax.set_to_zero())
    np.testing.assert_array_equal(frozen.net.W, start.W)
    np.testing.assert_array_equal(frozen.net.b, start.b)
    assert not frozen.success  # 0.5·I has the one fixed point 0, in no orthant


def test_new_option_values_reuse_the_compiled_training(monkeypatch):
    traces = []
    loss = _design._loss

    def counting_loss(*args):
        traces.append(None)  # runs only while tracing
        return loss(*args)

    monkeypatch.setattr(_design, "_loss", counting_loss)
    start = jaxfp.looped.LoopedNet(0.5 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.Tanh())
    jaxfp.probe.design_network(start, [[1, 1]], steps=7)
    compiled = len(traces)
    for options in ({"margin": 0.06}, {"radius": 0.3, "gap": 0.1, "contraction": 0.8}):
        jaxfp.probe.design_network(start, [[1, 1]], steps=7, **options)
    assert compiled > 0 and len(traces) == compiled
