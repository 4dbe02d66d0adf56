"""Theorem 1 of P2: bounds, kernel sequences, fixed points, depth to indistinguishability."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp.kernels as jk
from jaxfp.kernels import _theorem1

# Bounds below this are float64 round-off territory and are not asserted (docs/theory.md).
BOUND_FLOOR = 1e-10
BOUND_SLACK = 1e-12
ASYMPTOTE_TOLERANCE = 0.02

RHO0 = np.array([-0.95, -0.6, -0.2, 0.0, 0.3, 0.7, 0.95])
DEPTH = 60

MODELS = {
    "tanh": jk.get_activation("tanh"),
    "relu": jk.get_activation("relu"),
    "sigmoid": jk.get_activation("sigmoid"),
    "exp": jk.get_activation("exp"),
    "gelu": jk.get_activation("gelu"),
    "gelu_residual": jk.Architecture(jk.get_activation("gelu"), residual=0.6),
    "relu_ln_post": jk.Architecture(jk.get_activation("relu"), normalization="ln-post"),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_bounds_hold_on_a_grid(name):
    model = MODELS[name]
    analysis = jk.analyze_kernel(model)
    sequence = np.asarray(jk.kernel_sequence(model, jnp.asarray(RHO0), DEPTH))
    depths = np.arange(DEPTH + 1)
    bound = np.asarray(jk.convergence_bound(analysis, RHO0[:, None], depths[None, :]))
    error = np.abs(sequence - analysis.rho_star)
    checked = bound >= BOUND_FLOOR
    assert checked.sum() > DEPTH  # the check is not vacuous
    assert np.all(error[checked] <= bound[checked] + BOUND_SLACK)
    # the sequence converges to ρ*
    assert np.all(np.abs(sequence[:, -1] - analysis.rho_star) < 0.2)


def test_hermite_two_squares_the_correlation():
    rho0 = jnp.array([-0.9, 0.3, 0.8, 0.99])
    sequence = np.asarray(jk.kernel_sequence(jk.get_activation("hermite:2"), rho0, 6))
    expected = np.asarray(rho0)[:, None] ** (2.0 ** np.arange(7))[None, :]
    np.testing.assert_allclose(sequence, expected, atol=1e-14)
    # the same through quadrature: a user-defined he_2 without closed form
    he2 = jk.activation_from_function(lambda x: (x * x - 1) / math.sqrt(2), name="he2")
    quadrature = np.asarray(jk.kernel_sequence(he2, rho0, 6))
    np.testing.assert_allclose(quadrature, expected, atol=1e-12)


def test_relu_polynomial_asymptote():
    depth = 4000
    sequence = np.asarray(
        jk.kernel_sequence(jk.get_activation("relu"), jnp.array([0.0, 0.5]), depth)
    )
    gaps = 1.0 - sequence[:, -1]
    np.testing.assert_allclose(gaps * depth**2, 9 * math.pi**2 / 2, rtol=ASYMPTOTE_TOLERANCE)


def test_fixed_points_and_stability():
    tanh = jk.analyze_kernel(jk.get_activation("tanh"))
    assert [round(p.rho, 12) for p in tanh.fixed_points] == [-1.0, 0.0, 1.0]
    assert [p.attracting for p in tanh.fixed_points] == [False, True, False]
    gelu = jk.analyze_kernel(jk.get_activation("gelu"))
    rhos = [p.rho for p in gelu.fixed_points]
    assert len(rhos) == 2 and rhos[1] == pytest.approx(1.0, abs=1e-12)
    assert float(jk.kernel_map(jk.get_activation("gelu"), rhos[0])) == pytest.approx(
        rhos[0], abs=1e-13
    )
    assert gelu.fixed_points[0].stability == "stable"
    assert gelu.fixed_points[1].stability == "unstable"


@pytest.mark.parametrize("near", [(-7e-9, 4e-9), (-4e-9, 7e-9)])
def test_only_the_root_nearest_rho_star_is_attracting(monkeypatch, near):
    # Two roots within the root tolerance (1e-8) of ρ* = 0, on either side of it and more than
    # 1e-8 apart (so root finding keeps both): only the nearer is ρ*.
    roots = [-1.0, *near, 1.0]
    monkeypatch.setattr(_theorem1, "_roots_of_gap", lambda architecture, tolerance: roots)
    tanh = jk.analyze_kernel(jk.get_activation("tanh"))
    nearest = min(near, key=abs)
    assert tanh.rho_star == 0.0
    assert [p.attracting for p in tanh.fixed_points] == [r == nearest for r in roots]


@pytest.mark.parametrize("name", ["gelu", "relu"])
def test_normalization_constant_is_computed_once(monkeypatch, name):
    activation = jk.get_activation(name)
    expected = float(jk.normalization_constant(activation))
    calls = []

    def counted(argument):
        calls.append(argument)
        return jk.normalization_constant(argument)

    monkeypatch.setattr(_theorem1, "normalization_constant", counted)
    analysis = jk.analyze_kernel(activation)
    values = [analysis.normalization_constant for _ in range(10)]
    assert len(calls) == 1
    assert values == [expected] * 10


def test_depth_to_indistinguishability():
    sigmoid = jk.analyze_kernel(jk.get_activation("sigmoid"))
    epsilon = 1e-6
    expected = math.ceil(math.log(1 / epsilon) / math.log(1 / sigmoid.dkappa1))
    depth = jk.depth_to_indistinguishability(sigmoid, epsilon)
    assert depth == expected
    sequence = np.asarray(jk.kernel_sequence(jk.get_activation("sigmoid"), 0.0, depth))
    assert abs(1 - sequence[-1]) <= epsilon
    relu = jk.analyze_kernel(jk.get_activation("relu"))
    relu_depth = jk.depth_to_indistinguishability(relu, 1e-3, rho0=0.5)
    assert relu_depth == math.ceil((1e3 - 2.0) / relu.alpha)
    assert (
        jk.depth_to_indistinguishability(
            jk.analyze_kernel(jk.get_activation("tanh")), 0.5, rho0=0.1
        )
        == 0
    )
