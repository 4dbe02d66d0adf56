"""Derivatives of a complex fixed point under every adjoint, forward and reverse mode, under
`jax.numpy_dtype_promotion("strict")` (optimistix's suite runs so), against central finite
differences of the real and imaginary parts.

Two maps: a holomorphic one, and one with `conj(y)`, whose Jacobian is only real-linear (a
linear solver that treats it as complex-linear, e.g. `lineax.LU` on the complex operator,
gives a wrong derivative here).
"""

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import pytest

import jaxfp

_WEIGHT = jnp.array([[0.3 + 0.2j, 0.1], [-0.2j, 0.25]])
MAPS = {
    "holomorphic": lambda y, a: jnp.tanh(_WEIGHT @ y + a),
    "non-holomorphic": lambda y, a: jnp.tanh(_WEIGHT @ y + a) + 0.1 * jnp.conj(y),
}
EXACT = {  # adjoints whose derivative is that of the exact fixed point
    "implicit": jaxfp.ImplicitAdjoint(jaxfp.AndersonLinearSolver(1e-12, 1e-12)),
    "implicit-neumann": jaxfp.ImplicitAdjoint(jaxfp.NeumannLinearSolver(1e-12, 1e-12)),
    "implicit-gmres": jaxfp.ImplicitAdjoint(lx.GMRES(1e-12, 1e-12)),
    "implicit-dense": jaxfp.ImplicitAdjoint(lx.LU()),
    # ρ(J) ≈ 0.4 here, so 25 undamped phantom steps reach the implicit derivative.
    "phantom": jaxfp.PhantomAdjoint(steps=25, damping=1.0),
}
SOLVER = jaxfp.Anderson(1e-13, 1e-13)
A0 = jnp.array([0.3 + 0.1j, -0.2 + 0.4j])
DIRECTION = jnp.array([0.6 - 0.8j, 0.3j])
EPS = 1e-6
TOL = 1e-6  # central differences with step 1e-6 in float64


@functools.cache
def _root(fn, adjoint):
    return eqx.filter_jit(
        lambda a: jaxfp.fixed_point(fn, SOLVER, jnp.zeros(2, complex), a, adjoint=adjoint).value
    )


def _loss(value):
    return jnp.sum(jnp.abs(value) ** 2 + 0.3 * jnp.real(value))


def _directional(g, a, direction):
    return (g(a + EPS * direction) - g(a - EPS * direction)) / (2 * EPS)


def _gradient_by_differences(loss, a):
    """`dL/dRe(a) - i dL/dIm(a)`, JAX's convention for the gradient of a real loss."""
    basis = np.eye(a.size)
    return np.array([_directional(loss, a, e) - 1j * _directional(loss, a, 1j * e) for e in basis])


def _check_against_differences(fn, adjoint, reference):
    """The adjoint's jvp tangent and gradient of `_loss` at A0, traced under strict promotion,
    against central differences of `reference(a)`, the map whose derivative it should be."""
    root = _root(fn, adjoint)
    with jax.numpy_dtype_promotion("strict"):
        _, tangent = eqx.filter_jit(jax.jvp)(root, (A0,), (DIRECTION,))
        gradient = eqx.filter_jit(jax.grad(lambda a: _loss(root(a))))(A0)
    assert tangent.dtype == gradient.dtype == jnp.complex128
    np.testing.assert_allclose(tangent, _directional(reference, A0, DIRECTION), atol=TOL)
    np.testing.assert_allclose(
        gradient, _gradient_by_differences(lambda a: _loss(reference(a)), A0), atol=TOL
    )


FAST = {"implicit", "implicit-dense"}  # the others take 10-20 s each on a loaded 2-core machine


@pytest.mark.parametrize(
    "adjoint",
    [
        name if name in FAST else pytest.param(name, marks=pytest.mark.slow)
        for name in sorted(EXACT)
    ],
)
@pytest.mark.parametrize("kind", sorted(MAPS))
def test_complex_derivatives_match_finite_differences_under_strict_promotion(kind, adjoint):
    fn = MAPS[kind]
    _check_against_differences(fn, EXACT[adjoint], _root(fn, jaxfp.ImplicitAdjoint()))


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(MAPS))
def test_complex_one_step_derivative_is_that_of_one_step_under_strict_promotion(kind):
    # Jacobian-free backprop: the derivative of f(stop_gradient(y*), a), not of y*.
    fn = MAPS[kind]
    y_star = _root(fn, jaxfp.ImplicitAdjoint())(A0)
    _check_against_differences(fn, jaxfp.OneStepAdjoint(), lambda a: fn(y_star, a))


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(MAPS))
def test_complex_unrolled_gradient_under_strict_promotion_and_no_forward_mode(kind):
    fn = MAPS[kind]
    root = _root(fn, jaxfp.UnrolledAdjoint())
    with jax.numpy_dtype_promotion("strict"):
        gradient = eqx.filter_jit(jax.grad(lambda a: _loss(root(a))))(A0)
        # Reverse mode only (documented): forward mode is refused, never silently wrong.
        with pytest.raises(TypeError, match="forward-mode"):
            jax.jvp(root, (A0,), (DIRECTION,))
    np.testing.assert_allclose(
        gradient, _gradient_by_differences(lambda a: _loss(root(a)), A0), atol=TOL
    )
