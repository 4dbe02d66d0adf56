"""The interval extensions enclose the exact ranges: sampled against mpmath (200 bits)."""

import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

import jaxfp.looped as looped
from jaxfp.looped._activations_polynomial import ExpPolynomial

mpmath.mp.prec = 200
SAMPLES = 300

EXACT = {
    "tanh": (mpmath.tanh, lambda u: mpmath.sech(u) ** 2),
    "sigmoid": (
        lambda u: 1 / (1 + mpmath.exp(-u)),
        lambda u: mpmath.exp(-u) / (1 + mpmath.exp(-u)) ** 2,
    ),
    "sin": (mpmath.sin, mpmath.cos),
    "exp": (mpmath.exp, mpmath.exp),
}


def _arguments(dtype, limit):
    rng = np.random.default_rng(0)
    near_zeros = np.pi * np.arange(-10, 11) + rng.uniform(-1e-6, 1e-6, 21)  # zeros of sin
    return np.concatenate([rng.uniform(-limit, limit, SAMPLES), near_zeros]).astype(dtype)


@pytest.mark.parametrize("dtype, limit", [(np.float64, 60.0), (np.float32, 40.0)])
@pytest.mark.parametrize("name", sorted(EXACT))
def test_point_intervals_enclose_the_exact_value_and_derivative(name, dtype, limit):
    sigma = looped.activation_from_name(name)
    value, slope = EXACT[name]
    u = _arguments(dtype, limit)
    point = jnp.asarray(u, dtype)
    bounds = [np.asarray(b, np.float64) for b in sigma.interval(point, point)]
    slopes = [np.asarray(b, np.float64) for b in sigma.derivative_interval(point, point)]
    for x, low, high, slope_low, slope_high in zip(
        u.astype(np.float64), *bounds, *slopes, strict=True
    ):
        x = mpmath.mpf(float(x))
        assert low <= value(x) <= high, (name, float(x))
        assert slope_low <= slope(x) <= slope_high, (name, float(x))


def test_exp2_interval_encloses_at_large_arguments():
    sigma = ExpPolynomial([0.0, 1.0])  # 2^u
    u = np.linspace(-900.0, 900.0, SAMPLES)
    low, high = (np.asarray(b) for b in sigma.interval(jnp.asarray(u), jnp.asarray(u)))
    for x, lo, hi in zip(u, low, high, strict=True):
        assert lo <= mpmath.power(2, mpmath.mpf(float(x))) <= hi, float(x)
