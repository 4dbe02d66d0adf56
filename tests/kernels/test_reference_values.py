"""docs/theory.md reference table, Hermite coefficients, and the errata of P2's Table 1."""

import math

import numpy as np
import pytest

import jaxfp.kernels as jk
from jaxfp.kernels._hermite import hermite_tail_mass

REFERENCE_TOLERANCE = 1e-6
COEFFICIENT_TOLERANCE = 1e-10

# φ: (C, κ(0), κ'(0), κ'(1), case, ρ*, α), docs/theory.md.
REFERENCE = {
    "tanh": (0.627929, 0.0, 0.930470, 1.177807, 1, 0.0, 0.934990),
    "relu": (0.707107, 1 / math.pi, 0.5, 1.0, 3, 1.0, 0.181690),
    "sigmoid": (0.541645, 0.852140, 0.145519, 0.152827, 2, 1.0, 0.152827),
    "exp": (math.e, 1 / math.e, 1 / math.e, 1.0, 3, 1.0, 1 - 2 / math.e),
    "gelu": (0.652090, 0.187144, 0.587929, 1.072032, 4, 0.760402, 0.932729),
}


@pytest.fixture(scope="module")
def analyses():
    return {name: jk.analyze_kernel(jk.get_activation(name)) for name in REFERENCE}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_table(analyses, name):
    c, kappa0, dkappa0, dkappa1, case, rho_star, alpha = REFERENCE[name]
    analysis = analyses[name]
    measured = (
        analysis.normalization_constant,
        analysis.kappa0,
        analysis.dkappa0,
        analysis.dkappa1,
        analysis.rho_star,
        analysis.alpha,
    )
    expected = (c, kappa0, dkappa0, dkappa1, rho_star, alpha)
    np.testing.assert_allclose(measured, expected, atol=REFERENCE_TOLERANCE, rtol=0)
    assert analysis.case == case


def test_relu_is_case_three_not_the_papers_case_two(analyses):
    relu = analyses["relu"]
    assert relu.case == 3
    assert relu.dkappa1 == pytest.approx(1.0, abs=1e-14)
    assert relu.fixed_points[-1].stability == "neutral" and relu.fixed_points[-1].attracting


def test_exp_alpha_is_theorem_one_not_the_papers_value(analyses):
    exp = analyses["exp"]
    assert exp.alpha == pytest.approx(1 - 2 / math.e, abs=1e-12)
    assert abs(exp.alpha - (exp.kappa0 + exp.dkappa0)) > 0.4  # the printed α was κ(0) + κ'(0)


def test_gelu_local_rate_is_alpha(analyses):
    gelu = analyses["gelu"]
    assert gelu.dkappa_rho_star == pytest.approx(0.932729, abs=REFERENCE_TOLERANCE)
    assert gelu.alpha == gelu.dkappa_rho_star  # the max in case 4's α is κ'(ρ*)


def test_relu_and_exp_hermite_coefficients():
    relu = np.asarray(jk.hermite_coefficients(jk.get_activation("relu"), 5))
    expected = [
        1 / math.sqrt(math.pi),
        1 / math.sqrt(2),
        1 / math.sqrt(2 * math.pi),
        0.0,
        -1 / math.sqrt(24 * math.pi),
    ]
    np.testing.assert_allclose(relu, expected, atol=COEFFICIENT_TOLERANCE)
    exp = np.asarray(jk.hermite_coefficients(jk.get_activation("exp"), 8))
    factorials = np.array([math.factorial(k) for k in range(8)], dtype=float)
    np.testing.assert_allclose(exp, math.exp(-0.5) / np.sqrt(factorials), atol=1e-12)


def test_tail_mass_and_truncation_trap():
    # 25 Hermite terms give Σ k c_k² ≈ 0.948 for ReLU, whose κ'(1) is exactly 1.
    coefficients = np.asarray(jk.hermite_coefficients(jk.get_activation("relu"), 25))
    truncated_slope = float(np.sum(np.arange(25) * coefficients**2))
    assert 0.94 < truncated_slope < 0.955
    assert float(jk.kernel_map_derivative(jk.get_activation("relu"), 1.0)) == pytest.approx(
        1.0, abs=1e-14
    )
    tail = float(hermite_tail_mass(jk.get_activation("relu"), 25))
    assert tail == pytest.approx(1.0 - np.sum(coefficients**2), abs=1e-14)
    assert 0 < tail < 1e-3
    assert float(hermite_tail_mass(jk.get_activation("hermite:3"), 5)) == pytest.approx(
        0.0, abs=1e-12
    )
