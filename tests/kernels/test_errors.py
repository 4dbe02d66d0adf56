"""Every bad input the kernels API can receive raises a clear error naming the argument."""

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import pytest

import jaxfp
import jaxfp.kernels as jk
from jaxfp.kernels import KernelActivation
from jaxfp.kernels._closed_forms import ClosedFormKernel
from jaxfp.kernels._hermite import hermite_series_kernel, normalized_hermite
from jaxfp.kernels._kernel_maps import kernel_map_second_derivative


@pytest.mark.parametrize(
    "name,match",
    [
        ("no_such_activation", "not a known activation"),
        ("hermite", "needs a degree"),
        ("hermite:1.5", "`degree` must be an integer"),
        ("leaky_relu:abc", "is not a number"),
        ("celu:0", "`alpha` of CELU must be > 0"),
        ("elu:-5", "`alpha` of ELU must be >= 0"),
        ("relu:2", "not a known activation"),
    ],
)
def test_bad_activation_names(name, match):
    with pytest.raises(ValueError, match=match):
        jk.get_activation(name)


def test_bad_activation_construction():
    with pytest.raises(ValueError, match="`degree`"):
        jk.get_activation("hermite:0")
    with pytest.raises(ValueError, match="`negative_slope` must be finite"):
        jk.get_activation("leaky_relu:nan")
    with pytest.raises(ValueError, match="`function` must be callable"):
        jk.activation_from_function(3.0)
    with pytest.raises(ValueError, match="`kinks` must be finite"):
        jk.activation_from_function(jnp.tanh, kinks=(float("inf"),))
    with pytest.raises(ValueError, match="activation name must be a string"):
        jk.get_activation(3)


def test_bad_architecture():
    with pytest.raises(ValueError, match=r"`residual` must be a real number in \[0, 1\)"):
        jk.Architecture(jk.get_activation("relu"), residual=1.0)
    with pytest.raises(ValueError, match="`normalization` must be one of"):
        jk.Architecture(jk.get_activation("relu"), normalization="batchnorm")
    with pytest.raises(ValueError, match="`activation` must be"):
        jk.Architecture(jnp.tanh)
    with pytest.raises(ValueError, match="`model` must be"):
        jk.kernel_map("relu", 0.3)


@pytest.mark.parametrize(
    "call",
    [
        lambda sigma: jk.Architecture(sigma),
        lambda sigma: jk.kernel_map(sigma, 0.3),
        lambda sigma: jk.signal_propagation(sigma, 1.0, 0.0),
    ],
    ids=["Architecture", "kernel_map", "signal_propagation"],
)
def test_a_looped_activation_is_refused_with_the_kernels_lookup_named(call):
    # jaxfp.looped.Tanh and jaxfp.kernels' tanh are different types: the message says which
    # one the kernels take and how to get it.
    with pytest.raises(
        ValueError, match=r"get_activation\('tanh'\)\)(?: or Architecture)?, got Tanh"
    ):
        call(jaxfp.looped.Tanh())


@pytest.mark.parametrize(
    "call",
    [jk.kernel_map, jk.kernel_map_derivative, kernel_map_second_derivative],
    ids=["kernel_map", "derivative", "second_derivative"],
)
@pytest.mark.parametrize(
    "rho,match",
    [
        (1.5, "must lie in"),
        (float("nan"), "must lie in"),
        (jnp.array([0.2, -2.0]), "must lie in"),
        (0.5 + 0.1j, "must be real"),
        ("0.5", "must be real"),
    ],
)
def test_a_bad_concrete_rho_is_a_value_error_before_tracing(call, rho, match):
    with pytest.raises(ValueError, match=f"`rho` {match}"):
        call(jk.get_activation("exp"), rho)


def test_a_traced_rho_out_of_range_fails_inside_jit():
    kernel = eqx.filter_jit(lambda rho: jk.kernel_map(jk.get_activation("exp"), rho))
    with pytest.raises(eqx.EquinoxRuntimeError, match="`rho` must lie in"):
        jax.block_until_ready(kernel(jnp.array(1.5)))


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda relu: jk.kernel_sequence(relu, 2.0, 3), "`rho0` must lie in"),
        (lambda relu: jk.kernel_sequence(relu, [0.5, float("nan")], 3), "`rho0` must lie in"),
        (lambda relu: jk.convergence_bound(jk.analyze_kernel(relu), 2.0, 3), "`rho0`"),
        (lambda relu: jk.convergence_bound(jk.analyze_kernel(relu), 0.5, -1), "`depth`"),
        (lambda relu: jk.convergence_bound(jk.analyze_kernel(relu), 0.5, jnp.nan), "`depth`"),
        (lambda relu: jk.depth_to_indistinguishability(jk.analyze_kernel(relu), "a"), "epsilon"),
        (
            lambda relu: jk.depth_to_indistinguishability(
                jk.analyze_kernel(relu), 0.1, jnp.array([0.1, 0.2])
            ),
            "`rho0`",
        ),
    ],
)
def test_theorem1_read_offs_refuse_inputs_outside_their_domain(call, match):
    # The old code returned 2.575 for a bound from rho0 = 2, or raised a raw TypeError.
    with pytest.raises(ValueError, match=match):
        call(jk.get_activation("relu"))


def test_bad_hermite_arguments():
    with pytest.raises(ValueError, match="`num_coefficients`"):
        jk.hermite_coefficients(jk.get_activation("relu"), 0)
    with pytest.raises(ValueError, match="`num_coefficients`"):
        jk.hermite_coefficients(jk.get_activation("relu"), 65)
    with pytest.raises(ValueError, match="`num_polynomials`"):
        normalized_hermite(0, 1.0)
    with pytest.raises(ValueError, match="`coefficients` must be 1-D"):
        hermite_series_kernel(jnp.ones((2, 2)), 0.5)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: jk.hermite_coefficients(jk.get_activation("relu"), 2.7), "`num_coefficients`"),
        (lambda: jk.hermite_coefficients(jk.get_activation("relu"), "a"), "`num_coefficients`"),
        (lambda: jk.hermite_coefficients("relu", 3), "`activation` must be"),
        (lambda: jk.normalization_constant("relu"), "`activation` must be"),
        (lambda: jk.variance_map_derivative("tanh", 1.0), "`activation` must be"),
        (
            lambda: jk.analyze_kernel(jk.get_activation("tanh"), zero_tolerance=float("nan")),
            "`zero_tolerance`",
        ),
        (
            lambda: jk.analyze_kernel(jk.get_activation("tanh"), slope_tolerance="a"),
            "`slope_tolerance`",
        ),
        (lambda: jk.signal_propagation(jk.get_activation("tanh"), "a", 0.0), "`sigma_w2`"),
        (lambda: jk.signal_propagation(jk.get_activation("tanh"), jnp.ones(2), 0.0), "`sigma_w2`"),
        (lambda: jk.edge_of_chaos(jk.get_activation("tanh"), "a"), "`sigma_b2`"),
        (lambda: jk.Architecture(jk.get_activation("relu"), residual="0.5"), "`residual`"),
        (lambda: jk.Architecture(jk.get_activation("relu"), residual=jnp.array(2.0)), "`residual`"),
        (lambda: jk.activation_from_function(jnp.tanh, kinks=0.0), "`kinks`"),
        (lambda: jk.activation_from_function(jnp.tanh, continuous="no"), "`continuous`"),
    ],
)
def test_bad_values_and_types_name_their_argument(call, match):
    # Before: 2.7 coefficients silently became 2, strings raised raw int()/float() errors, a
    # string activation an AttributeError, residual "0.5" and jnp.array(2.0) were accepted.
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_analysis_arguments():
    with pytest.raises(ValueError, match="linear kernel map"):
        jk.analyze_kernel(jk.get_activation("hermite:1"))
    with pytest.raises(ValueError, match="discontinuous"):
        jk.kernel_map_derivative(jk.activation_from_function(jnp.sign, continuous=False), 0.2)
    with pytest.raises(ValueError, match="tolerance"):
        jk.analyze_kernel(jk.get_activation("relu"), zero_tolerance=-1.0)
    with pytest.raises(ValueError, match="`depth` must be a non-negative integer"):
        jk.kernel_sequence(jk.get_activation("relu"), 0.0, -1)
    with pytest.raises(ValueError, match="`analysis` must be"):
        jk.convergence_bound("relu", 0.0, 1)
    analysis = jk.analyze_kernel(jk.get_activation("relu"))
    with pytest.raises(ValueError, match="`epsilon`"):
        jk.depth_to_indistinguishability(analysis, 0.0)
    with pytest.raises(ValueError, match="`rho0`"):
        jk.depth_to_indistinguishability(analysis, 0.1, rho0=1.0)


def test_an_analysis_has_exactly_one_attractor():
    tanh = jk.analyze_kernel(jk.get_activation("tanh"))  # fixed points -1, 0 (ρ*), 1
    with pytest.raises(ValueError, match="exactly one attracting point"):
        dataclasses.replace(tanh, fixed_points=tanh.fixed_points[:1])


def test_an_inaccurate_kernel_map_is_refused_not_given_an_attractor():
    # κ(ρ) = 0.3 + 0.5 ρ is case 2 by its κ(0) and κ'(1), whose ρ* = 1 needs κ(1) = 1: it is 0.8.
    skewed = KernelActivation(
        lambda x, params: jnp.tanh(x),
        (),
        "skewed",
        closed_form=ClosedFormKernel(
            lambda rho, params: 0.3 + 0.5 * jnp.asarray(rho, dtype=float),
            lambda rho, params: jnp.full_like(jnp.asarray(rho, dtype=float), 0.5),
        ),
    )
    with pytest.raises(RuntimeError, match=r"case 2 puts ρ\* at 1.0, but κ\(1.0\) = 0.8"):
        jk.analyze_kernel(skewed)


def test_bad_signal_propagation_arguments():
    with pytest.raises(ValueError, match=r"`sigma_w2` must be a real number in \(0, inf\)"):
        jk.signal_propagation(jk.get_activation("tanh"), 0.0, 0.0)
    with pytest.raises(ValueError, match=r"`sigma_b2` must be a real number in \[0, inf\)"):
        jk.signal_propagation(jk.get_activation("tanh"), 1.0, -0.1)
    with pytest.raises(ValueError, match="discontinuous"):
        jk.edge_of_chaos(jk.get_activation("sign"), 0.0)
    with pytest.raises(ValueError, match="`activation` must be"):
        jk.signal_propagation("tanh", 1.0, 0.0)


SIMULATION = dict(rho0=[0.5], width=8, depth=2, num_seeds=1)


@pytest.mark.parametrize(
    "change,match",
    [
        ({"width": 1}, "`width` must be an integer >= 2"),
        ({"depth": 0}, "`depth` must be an integer >= 1"),
        ({"num_seeds": 0}, "`num_seeds` must be an integer >= 1"),
        ({"rho0": [1.5]}, "`rho0` must lie in"),
        ({"rho0": 0.5}, "`rho0` must be a non-empty 1-D"),
        ({"weights": "cauchy"}, "`weights` must be one of"),
        ({"progress": 3}, "`progress` must be a callable or None"),
        ({"key": 0}, "`key` must be a JAX random key"),
        ({"rho0": [0.5 + 1j]}, "`rho0` must be real"),
        ({"rho0": ["a"]}, "`rho0` must be real"),
        ({"dtype": jnp.int32}, "`dtype` must be a floating dtype"),
        ({"dtype": "foo"}, "`dtype` must be a floating dtype"),
    ],
)
def test_bad_simulator_arguments(change, match):
    arguments = {**SIMULATION, **change}
    rho0, key = arguments.pop("rho0"), arguments.pop("key", jax.random.key(0))
    with pytest.raises(ValueError, match=match):
        jk.simulate_similarity(jk.get_activation("relu"), rho0, key=key, **arguments)


@pytest.mark.parametrize(
    "function, kinks",
    [
        (lambda x: 0.0 * x, ()),  # zero everywhere
        (lambda x: jnp.where(x > 20.0, 1.0, 0.0), (20.0,)),  # zero on every quadrature node
        (lambda x: jnp.exp(x * x), ()),  # E φ(X)² diverges: overflows to inf
    ],
    ids=["zero", "zero-where-the-gaussian-lives", "exp-x-squared"],
)
def test_an_activation_without_a_normalisation_is_refused_when_built(function, kinks):
    # Before: built silently, and every kernel map of it was NaN (0 / 0 or inf / inf).
    with pytest.raises(ValueError, match=r"E φ\(X\)² = .* must be finite and positive"):
        jk.activation_from_function(function, name="bad", kinks=kinks)


def test_an_activation_with_traced_parameters_is_built_and_differentiated():
    # The construction-time check cannot see traced parameters and lets them through.
    def kernel_value(slope):
        act = jk.KernelActivation(lambda x, a: jnp.where(x > 0, x, a * x), slope, "leaky", (0.0,))
        return jk.kernel_map(act, 0.5)

    assert jnp.isfinite(jax.grad(kernel_value)(0.1))
