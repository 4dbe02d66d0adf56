"""Residual connections (P2 Prop. 2), normalisation layers (Prop. 3), leaky ReLU as a blend."""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp.kernels as jk

ARCHITECTURE_TOLERANCE = 1e-12
RHO = jnp.linspace(-1.0, 1.0, 9)


@pytest.mark.parametrize("residual", [0.3, 0.8])
def test_residual_keeps_fixed_points_and_slows_convergence(residual):
    plain = jk.analyze_kernel(jk.get_activation("gelu"))
    blended = jk.analyze_kernel(jk.Architecture(jk.get_activation("gelu"), residual=residual))
    assert blended.case == plain.case == 4
    np.testing.assert_allclose(
        [p.rho for p in blended.fixed_points], [p.rho for p in plain.fixed_points], atol=1e-10
    )
    assert blended.alpha > plain.alpha
    r2 = residual**2
    slope = (1 - r2) * plain.dkappa_rho_star + r2
    assert blended.dkappa_rho_star == pytest.approx(slope, abs=ARCHITECTURE_TOLERANCE)


def test_residual_rates_of_proposition_two():
    r, r2 = 0.5, 0.25
    tanh = jk.analyze_kernel(jk.get_activation("tanh"))
    tanh_residual = jk.analyze_kernel(jk.Architecture(jk.get_activation("tanh"), residual=r))
    expected = 1 / (2 - ((1 - r2) * tanh.dkappa0 + r2))
    assert tanh_residual.alpha == pytest.approx(expected, abs=ARCHITECTURE_TOLERANCE)
    sigmoid = jk.analyze_kernel(jk.get_activation("sigmoid"))
    sigmoid_residual = jk.analyze_kernel(jk.Architecture(jk.get_activation("sigmoid"), residual=r))
    expected = (1 - r2) * sigmoid.dkappa1 + r2
    assert sigmoid_residual.alpha == pytest.approx(expected, abs=ARCHITECTURE_TOLERANCE)
    relu = jk.analyze_kernel(jk.get_activation("relu"))
    relu_residual = jk.analyze_kernel(jk.Architecture(jk.get_activation("relu"), residual=r))
    assert relu_residual.case == 3
    expected = (1 - r2) * (1 - relu.kappa0 - relu.dkappa0)
    assert relu_residual.alpha == pytest.approx(expected, abs=ARCHITECTURE_TOLERANCE)


@pytest.mark.parametrize("name", ["relu", "gelu", "sigmoid"])
def test_layer_norm_after_activation_moves_the_fixed_point_to_zero(name):
    activation = jk.get_activation(name)
    analysis = jk.analyze_kernel(jk.Architecture(activation, normalization="ln-post"))
    assert analysis.case == 1 and analysis.rho_star == 0.0
    kappa = jk.kernel_map(activation, RHO)
    kappa0 = jk.kernel_map(activation, 0.0)
    np.testing.assert_allclose(
        jk.kernel_map(jk.Architecture(activation, normalization="ln-post"), RHO),
        (kappa - kappa0) / (1 - kappa0),
        atol=ARCHITECTURE_TOLERANCE,
    )


@pytest.mark.parametrize("normalization", ["ln-pre", "rms-pre", "rms-post", "none"])
def test_other_normalizations_leave_the_kernel_unchanged(normalization):
    architecture = jk.Architecture(jk.get_activation("gelu"), normalization=normalization)
    np.testing.assert_allclose(
        jk.kernel_map(architecture, RHO), jk.kernel_map(jk.get_activation("gelu"), RHO), atol=0
    )
    np.testing.assert_allclose(
        jk.kernel_map_derivative(architecture, RHO),
        jk.kernel_map_derivative(jk.get_activation("gelu"), RHO),
        atol=0,
    )


@pytest.mark.parametrize("slope", [0.0, 0.1, 0.5, -1.0])
def test_leaky_relu_is_a_residual_blend_of_relu(slope):
    beta = (1 - slope) ** 2 / (1 + slope**2)
    blend = beta * jk.kernel_map(jk.get_activation("relu"), RHO) + (1 - beta) * RHO
    np.testing.assert_allclose(
        jk.kernel_map(jk.get_activation(f"leaky_relu:{slope}"), RHO),
        blend,
        atol=ARCHITECTURE_TOLERANCE,
    )
    if 0 <= beta < 1:
        residual = float(np.sqrt(1 - beta))
        architecture = jk.Architecture(jk.get_activation("relu"), residual=residual)
        np.testing.assert_allclose(
            jk.kernel_map(architecture, RHO), blend, atol=ARCHITECTURE_TOLERANCE
        )
