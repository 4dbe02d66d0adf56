"""softplus, silu/swish and mish by name, against scipy quadrature; domain and degree limits."""

import math

import jax
import numpy as np
import pytest
from scipy import integrate

import jaxfp.kernels as jk
from jaxfp._cli.main import main
from jaxfp.kernels._activation_library import MAX_HERMITE_DEGREE

jax.config.update("jax_enable_x64", True)

_FUNCTIONS = {
    "softplus": (lambda x: math.log1p(math.exp(-abs(x))) + max(x, 0.0)),
    "silu": (lambda x: x / (1.0 + math.exp(-x))),
    "mish": (lambda x: x * math.tanh(math.log1p(math.exp(-abs(x))) + max(x, 0.0))),
}


def _gaussian_mean(function) -> float:
    density = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)  # noqa: E731
    value, _ = integrate.quad(lambda x: function(x) * density(x), -40, 40, epsabs=1e-14, limit=200)
    return value


@pytest.mark.parametrize("name", ["softplus", "silu", "swish", "mish"])
def test_modern_activation_kernel_matches_scipy_quadrature(name):
    phi = _FUNCTIONS["silu" if name == "swish" else name]
    activation = jk.get_activation(name)
    second_moment = _gaussian_mean(lambda x: phi(x) ** 2)
    mean = _gaussian_mean(phi)
    assert float(jk.normalization_constant(activation)) == pytest.approx(
        math.sqrt(second_moment), rel=1e-10
    )
    # docs/theory.md convention: κ(0) = (E φ)² / C², κ(1) = 1.
    assert float(jk.kernel_map(activation, 0.0)) == pytest.approx(mean**2 / second_moment, rel=1e-9)
    assert float(jk.kernel_map(activation, 1.0)) == pytest.approx(1.0, abs=1e-12)
    analysis = jk.analyze_kernel(activation)
    assert 0.0 <= analysis.rho_star <= 1.0 and 0.0 <= analysis.alpha <= 1.0


def test_modern_activations_on_the_command_line(capsys):
    import json

    assert main(["kernel", "--activation", "swish", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["activation"] == "silu" and report["C"] > 0


def test_hermite_degree_above_quadrature_limit_is_refused(capsys):
    assert MAX_HERMITE_DEGREE == 199
    high = jk.get_activation("hermite:199")
    np.testing.assert_allclose(float(jk.normalization_constant(high)), 1.0, rtol=1e-8)
    with pytest.raises(ValueError, match="above 199"):
        jk.get_activation("hermite:200")
    assert main(["kernel", "--activation", "hermite:250"]) == 2
    assert "above 199" in capsys.readouterr().err


@pytest.mark.parametrize(
    "name, message", [("elu:-5", "ELU's domain"), ("celu:-1", "CELU's domain")]
)
def test_elu_parameter_outside_domain_is_a_clear_error(capsys, name, message):
    assert main(["kernel", "--activation", name]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "report this" not in err and "\n" not in err
