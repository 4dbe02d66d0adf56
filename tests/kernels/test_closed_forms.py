"""Closed forms equal quadrature; Mehler's identity; quadrature accuracy for kinked φ."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp.kernels as jk
from jaxfp.kernels._hermite import hermite_series_kernel
from jaxfp.kernels._kernel_maps import kernel_map_second_derivative
from jaxfp.kernels._quadrature import bivariate_expectation

CLOSED_FORM_TOLERANCE = 1e-11
QUADRATURE_TOLERANCE = 1e-12
RHO = jnp.array([-1.0, -0.83, -0.4, 0.0, 0.25, 0.61, 0.97, 1.0])
INTERIOR = RHO[1:-1]

CLOSED = ["relu", "leaky_relu:0.2", "abs", "erf", "sign", "exp", "gelu", "sin", "hermite:3"]


def _quadrature_version(activation: jk.KernelActivation) -> jk.KernelActivation:
    """The same φ with its closed form removed, so that the kernel map uses quadrature."""
    return jk.KernelActivation(
        activation.function,
        activation.params,
        activation.name,
        activation.kinks,
        activation.continuous,
        None,
    )


@pytest.mark.parametrize("name", CLOSED)
def test_closed_form_kernel_equals_quadrature(name):
    activation = jk.get_activation(name)
    assert activation.closed_form is not None
    quadrature = _quadrature_version(activation)
    np.testing.assert_allclose(
        jk.kernel_map(activation, RHO),
        jk.kernel_map(quadrature, RHO),
        atol=CLOSED_FORM_TOLERANCE,
    )
    if activation.continuous:
        np.testing.assert_allclose(
            jk.kernel_map_derivative(activation, RHO),
            jk.kernel_map_derivative(quadrature, RHO),
            atol=CLOSED_FORM_TOLERANCE,
        )


def test_closed_form_values():
    rho = 0.3
    relu = (math.sqrt(1 - rho**2) + (math.pi - math.acos(rho)) * rho) / math.pi
    assert float(jk.kernel_map(jk.get_activation("relu"), rho)) == pytest.approx(relu, abs=1e-15)
    assert float(jk.kernel_map(jk.get_activation("exp"), rho)) == pytest.approx(
        math.exp(rho - 1), abs=1e-15
    )
    erf = math.asin(2 * rho / 3) / math.asin(2 / 3)
    assert float(jk.kernel_map(jk.get_activation("erf"), rho)) == pytest.approx(erf, abs=1e-15)
    sign = 2 / math.pi * math.asin(rho)
    assert float(jk.kernel_map(jk.get_activation("sign"), rho)) == pytest.approx(sign, abs=1e-15)
    gelu = (1 / math.sqrt(4 - rho**2) + rho * math.asin(rho / 2)) / (2 * math.pi) + rho / 4
    assert float(jk.kernel_map(jk.get_activation("gelu"), rho)) == pytest.approx(
        gelu / 0.4252214826, abs=1e-9
    )
    assert float(jk.kernel_map(jk.get_activation("hermite:4"), rho)) == pytest.approx(
        rho**4, abs=1e-15
    )


@pytest.mark.parametrize("m,n", [(0, 0), (1, 1), (2, 2), (3, 3), (2, 3), (1, 4), (5, 5), (0, 2)])
def test_mehler_identity(m, n):
    he_m, he_n = (
        jk.get_activation(f"hermite:{m}") if m else None,
        jk.get_activation(f"hermite:{n}") if n else None,
    )
    first = (lambda x: jnp.ones_like(x)) if m == 0 else he_m
    second = (lambda x: jnp.ones_like(x)) if n == 0 else he_n
    for rho in (-0.7, 0.2, 0.9):
        value = float(bivariate_expectation(first, second, rho))
        assert value == pytest.approx(rho**n if m == n else 0.0, abs=1e-12)


def test_mehler_series_matches_kernel_for_smooth_activation():
    coefficients = jk.hermite_coefficients(jk.get_activation("tanh"), 60)
    series = hermite_series_kernel(coefficients, INTERIOR)
    np.testing.assert_allclose(
        series, jk.kernel_map(jk.get_activation("tanh"), INTERIOR), atol=1e-9
    )


def test_kinked_quadrature_against_closed_form_for_shifted_kink():
    # hard tanh: kinks at ±1, no closed form in the library; its κ(1) = 1 by normalisation, and
    # E φ² has the closed form P(|X|>1) + E X² 1{|X|<1}.
    hard_tanh = jk.activation_from_function(
        lambda x: jnp.clip(x, -1.0, 1.0), name="hard_tanh", kinks=(-1.0, 1.0)
    )
    inside = math.erf(1 / math.sqrt(2)) - 2 * math.exp(-0.5) / math.sqrt(2 * math.pi)
    second_moment = (1 - math.erf(1 / math.sqrt(2))) + inside
    constant = float(jk.normalization_constant(hard_tanh))
    assert constant == pytest.approx(math.sqrt(second_moment), abs=QUADRATURE_TOLERANCE)
    assert float(jk.kernel_map(hard_tanh, 1.0)) == pytest.approx(1.0, abs=QUADRATURE_TOLERANCE)
    # κ'(1) = E φ'² / C² = P(|X| < 1) / C².
    slope = math.erf(1 / math.sqrt(2)) / second_moment
    assert float(jk.kernel_map_derivative(hard_tanh, 1.0)) == pytest.approx(slope, abs=1e-12)


def test_second_derivative_matches_closed_form():
    rho = jnp.array([-0.5, 0.3, 0.8])
    relu = 1 / (math.pi * np.sqrt(1 - np.asarray(rho) ** 2))
    np.testing.assert_allclose(
        kernel_map_second_derivative(jk.get_activation("relu"), rho), relu, rtol=1e-12
    )
    quadrature = _quadrature_version(jk.get_activation("relu"))
    np.testing.assert_allclose(kernel_map_second_derivative(quadrature, rho), relu, rtol=1e-9)


def test_kernel_map_is_differentiable_in_rho_and_parameters():
    tanh = jk.get_activation("tanh")
    gradient = jax.grad(lambda r: jk.kernel_map(tanh, r))(0.4)
    assert float(gradient) == pytest.approx(float(jk.kernel_map_derivative(tanh, 0.4)), abs=1e-11)

    def first_coefficient(slope):
        activation = jk.KernelActivation(
            lambda x, a: jnp.where(x >= 0, x, a * x), slope, "leaky", (0.0,)
        )
        return jk.hermite_coefficients(activation, 2)[1]

    slope = jnp.asarray(0.2)
    gradient = jax.grad(first_coefficient)(slope)
    step = 1e-6
    finite = (first_coefficient(slope + step) - first_coefficient(slope - step)) / (2 * step)
    assert float(gradient) == pytest.approx(float(finite), abs=1e-7)
