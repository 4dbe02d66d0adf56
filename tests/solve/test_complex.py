"""Complex states: jaxfp's solvers through `optimistix.fixed_point` and `jaxfp.fixed_point`
(their derivatives under every adjoint: tests/adjoint/test_complex_adjoints.py).

The problems follow the kinds in optimistix's own complex fixed-point tests (cos, exp, a small
network, an implicit-midpoint step of a linear ODE, a pytree state), with genuinely complex
parameters.
"""

import warnings

import equinox as eqx
import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optimistix as optx
import pytest

import jaxfp

TOL = 1e-10
ASSERT_TOL = 1e-7
SOLVERS = {
    "picard": jaxfp.Picard(TOL, TOL),
    "anderson": jaxfp.Anderson(TOL, TOL),
    "broyden": jaxfp.Broyden(TOL, TOL),
    "newton": jaxfp.Newton(TOL, TOL),
}


def _complex_normal(key, shape):
    real, imag = jr.normal(key, (2, *shape))
    return (real + 1j * imag) / np.sqrt(2)


def _problems():
    k1, k2, k3 = jr.split(jr.PRNGKey(0), 3)
    weight = 0.3 * _complex_normal(k1, (4, 4))
    bias = _complex_normal(k2, (4,)) + 0.5j
    generator = 3.0 * _complex_normal(k3, (4, 4))

    def pytree_map(y, a):
        return {"u": 0.5 * jnp.cos(y["v"][:2]) * a, "v": 0.3 * jnp.sin(y["u"]).sum() * jnp.ones(3)}

    return {
        "cos": (lambda y, a: jnp.cos(a * y), jnp.full(3, 0.5 + 0j), jnp.array(0.8 + 0.3j)),
        "exp": (lambda y, a: jnp.exp(-a * y), jnp.full(3, 0.5 + 0j), jnp.array(1.0 + 0.5j)),
        "tanh-net": (
            lambda y, a: jnp.tanh(a[0] @ y + a[1]),
            jnp.zeros(4, complex),
            (weight, bias),
        ),
        # One implicit-midpoint step of y' = A y from 1 with dt = 1/16: y = 1 + dt A (1 + y) / 2.
        "midpoint": (
            lambda y, a: 1.0 + a @ (1.0 + y) / 32,
            jnp.zeros(4, complex),
            generator,
        ),
        "pytree": (
            pytree_map,
            {"u": jnp.zeros(2, complex), "v": jnp.zeros(3, complex)},
            jnp.array(1.0 + 1.0j),
        ),
    }


PROBLEMS = _problems()


def _max_residual(fn, value, args):
    differences = jax.tree.map(lambda a, b: jnp.max(jnp.abs(a - b)), fn(value, args), value)
    return max(float(d) for d in jax.tree.leaves(differences))


@pytest.fixture(autouse=True)
def _quiet_optimistix_complex_warning():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Complex support in Optimistix")
        yield


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_complex_states_through_optimistix_fixed_point(problem, solver):
    fn, y0, args = PROBLEMS[problem]
    sol = optx.fixed_point(fn, SOLVERS[solver], y0, args, max_steps=1000)
    assert jax.tree.map(lambda v: v.dtype, sol.value) == jax.tree.map(lambda v: v.dtype, y0)
    assert _max_residual(fn, sol.value, args) < ASSERT_TOL


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_complex_jvp_through_optimistix_implicit_adjoint(solver):
    # d y*/d a along a complex direction, against a central finite difference.
    fn, y0, args = PROBLEMS["cos"]
    direction = jnp.array(0.6 - 0.8j)

    def root(a):
        return optx.fixed_point(fn, SOLVERS[solver], y0, a, max_steps=1000).value

    _, tangent = eqx.filter_jvp(root, (args,), (direction,))
    eps = 1e-6
    expected = (root(args + eps * direction) - root(args - eps * direction)) / (2 * eps)
    np.testing.assert_allclose(tangent, expected, rtol=1e-6, atol=1e-6)


def test_anderson_mixing_weights_solve_the_complex_least_squares_problem():
    # Hermitian Gram matrix: the weights minimise |sum_i alpha_i g_i| with sum(alpha) = 1.
    g = np.asarray(_complex_normal(jr.PRNGKey(3), (3, 5)))
    gram = jnp.asarray(g.conj() @ g.T)
    solver = jaxfp.Anderson(1e-8, 1e-8, history=3, ridge=0.0)
    alpha = np.asarray(solver._coefficients(gram, jnp.array(2), jnp.array(3)))
    # Reference: alpha = e_0 + Z beta over the null space Z of sum(alpha) = 1.
    null_space = np.array([[-1.0, -1.0], [1.0, 0.0], [0.0, 1.0]])
    beta = np.linalg.lstsq(g.T @ null_space, -g.T[:, 0], rcond=None)[0]
    expected = np.array([1.0, 0.0, 0.0]) + null_space @ beta
    np.testing.assert_allclose(alpha, expected, atol=1e-10)
    assert abs(alpha.sum() - 1) < 1e-12


@pytest.mark.parametrize("problem", sorted(PROBLEMS))
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_complex_states_through_jaxfp_fixed_point(problem, solver):
    fn, y0, args = PROBLEMS[problem]
    sol = jaxfp.fixed_point(fn, SOLVERS[solver], y0, args, max_steps=1000)
    assert sol.result == jaxfp.RESULTS.successful
    assert jax.tree.map(lambda v: v.dtype, sol.value) == jax.tree.map(lambda v: v.dtype, y0)
    assert _max_residual(fn, sol.value, args) < ASSERT_TOL


@pytest.mark.parametrize("entry", ["jaxfp", "optimistix"])
@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_complex128_solve_under_strict_dtype_promotion(solver, entry):
    # optimistix's own suite runs under strict promotion: no solver may promote implicitly
    # (e.g. a complex difference divided by its real scale).
    fn, y0, args = PROBLEMS["tanh-net"]
    assert y0.dtype == jnp.complex128
    with jax.numpy_dtype_promotion("strict"):
        if entry == "jaxfp":
            sol = jaxfp.fixed_point(fn, SOLVERS[solver], y0, args, max_steps=1000)
            assert sol.result == jaxfp.RESULTS.successful
        else:
            sol = optx.fixed_point(fn, SOLVERS[solver], y0, args, max_steps=1000)
            assert sol.result == optx.RESULTS.successful
    assert sol.value.dtype == jnp.complex128
    assert _max_residual(fn, sol.value, args) < ASSERT_TOL
