"""Signal propagation (q-map, c-map, χ₁, depth scales, edge of chaos) and the variance map."""

import math

import numpy as np
import pytest

import jaxfp.kernels as jk
from jaxfp.kernels._signal_propagation import c_map, q_map, variance_map

SIGNAL_TOLERANCE = 1e-9
EDGE_TOLERANCE = 1e-7


def test_edge_of_chaos_closed_forms():
    # ReLU: χ₁ = σ_w²/2; tanh and erf at σ_b² = 0: σ_w² φ'(0)² = 1.
    assert jk.edge_of_chaos(jk.get_activation("relu"), 0.0).sigma_w2 == pytest.approx(
        2.0, abs=EDGE_TOLERANCE
    )
    relu_bias = jk.edge_of_chaos(jk.get_activation("relu"), 0.3)
    assert relu_bias.sigma_w2 == pytest.approx(2.0, abs=1e-6)
    tanh = jk.edge_of_chaos(jk.get_activation("tanh"), 0.0)
    assert tanh.sigma_w2 == pytest.approx(1.0, abs=EDGE_TOLERANCE)
    assert tanh.kind == "critical"


def test_edge_of_chaos_is_critical_with_bias():
    edge = jk.edge_of_chaos(jk.get_activation("tanh"), 0.05)
    assert edge.kind == "critical" and edge.sigma_w2 > 1.0
    state = jk.signal_propagation(jk.get_activation("tanh"), edge.sigma_w2, 0.05)
    assert state.chi1 == pytest.approx(1.0, abs=1e-8)
    assert (
        jk.signal_propagation(jk.get_activation("tanh"), edge.sigma_w2 * 0.9, 0.05).phase
        == "ordered"
    )
    assert (
        jk.signal_propagation(jk.get_activation("tanh"), edge.sigma_w2 * 1.1, 0.05).phase
        == "chaotic"
    )


def test_signal_propagation_fixed_points():
    state = jk.signal_propagation(jk.get_activation("tanh"), 2.5, 0.05)
    q_star = float(q_map(jk.get_activation("tanh"), state.q_star, 2.5, 0.05))
    assert q_star == pytest.approx(state.q_star, abs=SIGNAL_TOLERANCE)
    assert state.phase == "chaotic" and 0 < state.c_star < 1
    c_star = float(c_map(jk.get_activation("tanh"), state.c_star, state.q_star, 2.5, 0.05))
    assert c_star == pytest.approx(state.c_star, abs=SIGNAL_TOLERANCE)
    assert state.depth_scale_c == pytest.approx(-1 / math.log(state.c_slope), rel=1e-12)
    assert state.c_slope < 1 < state.chi1
    relu = jk.signal_propagation(jk.get_activation("relu"), 2.0, 0.0)
    assert relu.phase == "critical" and relu.q_star == 1.0
    assert math.isinf(relu.depth_scale_c)


def test_c_map_at_unit_length_is_the_kernel_map():
    relu = jk.get_activation("relu")
    constant = float(jk.normalization_constant(relu))
    rho = np.array([-0.5, 0.0, 0.4, 0.9])
    np.testing.assert_allclose(
        c_map(relu, rho, 1.0, 1 / constant**2, 0.0), jk.kernel_map(relu, rho), atol=1e-12
    )


def test_variance_map():
    assert float(variance_map(jk.get_activation("gelu"), 1.0)) == pytest.approx(1.0, abs=1e-13)
    assert float(jk.variance_map_derivative(jk.get_activation("gelu"), 1.0)) == pytest.approx(
        1.14406, abs=1e-5
    )
    assert float(jk.variance_map_derivative(jk.get_activation("exp"), 1.0)) == pytest.approx(
        2.0, abs=1e-10
    )
    assert float(jk.variance_map_derivative(jk.get_activation("relu"), 1.0)) == pytest.approx(
        1.0, abs=1e-12
    )
    # V(q) = e^{2q} / e² for exp
    assert float(variance_map(jk.get_activation("exp"), 0.5)) == pytest.approx(
        math.exp(-1.0), abs=1e-12
    )


def test_exploding_variance_is_reported():
    with pytest.raises(ValueError, match="has no finite fixed point"):
        jk.signal_propagation(jk.get_activation("relu"), 2.5, 0.1)
