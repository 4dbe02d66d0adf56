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
    with pytest.raises(ValueError, match="`residual` must be in"):
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


def test_rho_out_of_range_fails_inside_jit():
    with pytest.raises(eqx.EquinoxRuntimeError, match="`rho` must lie in"):
        jax.block_until_ready(jk.kernel_map(jk.get_activation("exp"), 1.5))


def test_bad_hermite_arguments():
    with pytest.raises(ValueError, match="`num_coefficients`"):
        jk.hermite_coefficients(jk.get_activation("relu"), 0)
    with pytest.raises(ValueError, match="`num_coefficients`"):
        jk.hermite_coefficients(jk.get_activation("relu"), 65)
    with pytest.raises(ValueError, match="`num_polynomials`"):
        normalized_hermite(0, 1.0)
    with pytest.raises(ValueError, match="`coefficients` must be 1-D"):
        hermite_series_kernel(jnp.ones((2, 2)), 0.5)


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
    with pytest.raises(ValueError, match="`sigma_w2` must be a positive"):
        jk.signal_propagation(jk.get_activation("tanh"), 0.0, 0.0)
    with pytest.raises(ValueError, match="`sigma_b2` must be a non-negative"):
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
        ({"progress": 3}, "`progress` must be callable"),
    ],
)
def test_bad_simulator_arguments(change, match):
    arguments = {**SIMULATION, **change}
    rho0 = arguments.pop("rho0")
    with pytest.raises(ValueError, match=match):
        jk.simulate_similarity(jk.get_activation("relu"), rho0, key=jax.random.key(0), **arguments)
