"""Activations: derivatives against jax.grad, rigorous and tight interval extensions, names."""

import functools
import math

import hypothesis.strategies as st
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings

import jaxfp.looped as looped
from jaxfp.looped._activations_piecewise import absolute, leaky_relu
from jaxfp.looped._activations_polynomial import ExpPolynomial, p1_exponential, p1_polynomial

DERIVATIVE_TOLERANCE = 1e-9
TIGHTNESS = 1e-9  # relative slack allowed between an enclosure and the exact range
SAMPLES = 257
SAMPLE_ULPS = 4.0  # rounding of the sampled reference values

NAMES = [
    "tanh",
    "sigmoid",
    "relu",
    "exp",
    "sin",
    "square",
    "cube",
    "p1_poly",
    "p1_exp",
    "hardtanh",
    "abs",
    "leaky_relu:0.1",
    "poly:0.5,-1,0,2,-0.25",
    "pwl:breakpoints=-1,0.5,2;slopes=0.2,1,-0.5,0;offset=0.1",
]
ACTIVATIONS = {name: looped.activation_from_name(name) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_grad(name):
    sigma = ACTIVATIONS[name]
    # Avoid the kinks of the piecewise-linear ones (grad is one-sided there).
    u = jnp.linspace(-1.3, 1.27, 23) + 1e-3
    expected = jax.vmap(jax.grad(lambda v: sigma(v)))(u)
    np.testing.assert_allclose(sigma.derivative(u), expected, rtol=DERIVATIVE_TOLERANCE, atol=1e-12)


def _exact_range(fn, lower, upper):
    grid = jnp.linspace(0.0, 1.0, SAMPLES)
    points = lower[:, None] + grid[None, :] * (upper - lower)[:, None]
    values = fn(points)
    return points, values


BOXES = 8  # boxes per hypothesis example (a fixed shape: one compilation per activation)
box_strategy = st.lists(
    st.tuples(st.floats(-3.0, 3.0, allow_nan=False), st.floats(0.0, 2.5, allow_nan=False)),
    min_size=BOXES,
    max_size=BOXES,
)


@functools.cache
def _enclosures_and_samples(name):
    sigma = ACTIVATIONS[name]

    @jax.jit
    def run(lower, upper):
        return [
            (extension(lower, upper), _exact_range(function, lower, upper)[1])
            for function, extension in (
                (sigma, sigma.interval),
                (sigma.derivative, sigma.derivative_interval),
            )
        ]

    return run


# The degree-4 polynomial compiles slowly (nested critical-point pieces): run it with --runslow.
CONTAINMENT_CASES = [
    pytest.param(name, marks=pytest.mark.slow) if name.startswith("poly:") else name
    for name in NAMES
]


@settings(max_examples=10, deadline=None)
@given(boxes=box_strategy)
@pytest.mark.parametrize("name", CONTAINMENT_CASES)
def test_interval_contains_sampled_values(name, boxes):
    lower = jnp.asarray([start for start, _ in boxes])
    upper = lower + jnp.asarray([width for _, width in boxes])
    for (low, high), values in _enclosures_and_samples(name)(lower, upper):
        # The sampled values are themselves rounded: allow them a few ulps.
        slack = SAMPLE_ULPS * jnp.finfo(values.dtype).eps * jnp.abs(values)
        assert bool(jnp.all(low[:, None] <= values + slack)), name
        assert bool(jnp.all(values - slack <= high[:, None])), name


def _monotone_pieces():
    # (name, lower, upper) where σ is monotone, so the enclosure must be the endpoint hull.
    return [
        ("tanh", -2.0, 0.7),
        ("sigmoid", -1.0, 3.0),
        ("exp", -1.0, 2.0),
        ("sin", -1.2, 1.4),
        ("cube", -1.5, 0.8),
        ("p1_poly", 0.6, 1.4),
        ("p1_poly", -0.4, 0.45),
        ("p1_exp", 0.55, 0.95),
        ("relu", 0.1, 2.0),
        ("hardtanh", -3.0, 0.3),
        pytest.param("poly:0.5,-1,0,2,-0.25", 0.9, 1.6, marks=pytest.mark.slow),
    ]


@pytest.mark.parametrize("name, lower, upper", _monotone_pieces())
def test_interval_is_tight_on_monotone_pieces(name, lower, upper):
    sigma = ACTIVATIONS[name]
    low, high = sigma.interval(jnp.asarray([lower]), jnp.asarray([upper]))
    ends = sorted([float(sigma(lower)), float(sigma(upper))])
    scale = 1.0 + abs(ends[0]) + abs(ends[1])
    assert ends[0] - TIGHTNESS * scale <= float(low[0]) <= ends[0]
    assert ends[1] <= float(high[0]) <= ends[1] + TIGHTNESS * scale


@pytest.mark.parametrize(
    "name, lower, upper, expected",
    [
        ("p1_poly", -1.0, 1.0, (-1.0, 1.0)),  # extrema at the critical points ±1/2
        ("square", -1.0, 2.0, (0.0, 4.0)),
        ("sin", 0.0, 4.0, (math.sin(4.0), 1.0)),
        ("abs", -2.0, 1.0, (0.0, 2.0)),
        ("tanh", 0.0, 0.0, (0.0, 0.0)),
    ],
)
def test_interval_is_tight_across_critical_points(name, lower, upper, expected):
    low, high = ACTIVATIONS[name].interval(jnp.asarray([lower]), jnp.asarray([upper]))
    np.testing.assert_allclose([float(low[0]), float(high[0])], expected, atol=1e-12)


def test_output_ranges():
    assert looped.Tanh().output_range == (-1.0, 1.0)
    assert looped.activation_from_name("sigmoid").output_range == (0.0, 1.0)
    assert looped.relu().output_range == (0.0, math.inf)
    assert leaky_relu(0.1).output_range == (-math.inf, math.inf)
    assert looped.hardtanh().output_range == (-1.0, 1.0)
    assert looped.activation_from_name("cube").output_range == (-math.inf, math.inf)
    low, high = looped.Polynomial([1.0, 0.0, 1.0]).output_range
    assert low <= 1.0 and low > 1.0 - 1e-9 and high == math.inf
    assert p1_exponential().output_range == (0.0, math.inf)


@pytest.mark.parametrize("name", NAMES)
def test_name_round_trips(name):
    sigma = ACTIVATIONS[name]
    again = looped.activation_from_name(sigma.name)
    u = jnp.linspace(-2.0, 2.0, 9)
    np.testing.assert_allclose(again(u), sigma(u), rtol=1e-14)


@pytest.mark.parametrize(
    "sigma", [looped.Polynomial([0.5, -1.0, 0.25]), ExpPolynomial([0.0, 0.5, -0.125])]
)
def test_unlabelled_polynomial_names_round_trip(sigma):
    again = looped.activation_from_name(sigma.name)
    assert type(again) is type(sigma) and again.name == sigma.name
    u = jnp.linspace(-2.0, 2.0, 9)
    np.testing.assert_allclose(again(u), sigma(u), rtol=1e-14)


def test_piecewise_linear_builders_and_fields():
    hard = looped.hardtanh()
    assert isinstance(hard, looped.PiecewiseLinear)
    np.testing.assert_array_equal(hard.breakpoints, [-1.0, 1.0])
    np.testing.assert_array_equal(hard.slopes, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(hard.intercepts, [-1.0, 0.0, 1.0])
    for builder in (looped.relu(), leaky_relu(0.2), absolute()):
        assert isinstance(builder, looped.PiecewiseLinear)
    parsed = looped.activation_from_name("pwl:breakpoints=-1,1;slopes=0,1,0;offset=0")
    np.testing.assert_array_equal(parsed.intercepts, [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(looped.relu()(jnp.array([-1.0, 2.0])), [0.0, 2.0])


def test_p1_activations():
    poly = p1_polynomial()
    np.testing.assert_allclose(poly(jnp.array([0.5, -0.5, 0.25])), [1.0, -1.0, 0.6875])
    exp = p1_exponential()
    z = jnp.array([0.0, 0.3, 0.75])
    t = 2 * z - 1
    np.testing.assert_allclose(exp(z), 2.0 ** (3 * t**2 - 2 * t**3), rtol=1e-14)


@pytest.mark.parametrize(
    "text, message",
    [
        ("softplus", "unknown activation 'softplus'; valid activations: tanh, sigmoid"),
        ("poly:", "not of the form NAME or NAME:PARAMETER"),
        ("poly:1,x", "comma-separated numbers"),
        ("poly:1,nan", "finite"),
        ("leaky_relu:a", "comma-separated numbers"),
        ("leaky_relu:0.1,0.2", "one slope"),
        ("pwl:breakpoints=1,-1;slopes=0,1,0", "strictly increasing"),
        ("pwl:breakpoints=0;slopes=1", "one more entry"),
        ("pwl:slope=1", "could not read"),
        ("pwl:breakpoints=0", "'slopes=...' is required"),
        ("pwl:breakpoints=0;slopes=0,1;offset=1,2", "one number"),
        ("tanh:2", "unknown activation"),
    ],
)
def test_activation_from_name_errors(text, message):
    with pytest.raises(ValueError, match=_escape(message)):
        looped.activation_from_name(text)


def _escape(text):
    import re

    return re.escape(text)


def test_activation_from_name_rejects_non_strings():
    with pytest.raises(ValueError, match="must be a string"):
        looped.activation_from_name(3)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (([[0.0]], [0.0, 1.0], [0.0, 0.0]), "`breakpoints` must have shape"),
        (([0.0], [0.0], [0.0, 0.0]), "`slopes` must have shape"),
        (([0.0], [0.0, 1.0], [0.0]), "`intercepts` must have shape"),
        (([jnp.nan], [0.0, 1.0], [0.0, 0.0]), "`breakpoints` must be finite"),
        (([1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]), "strictly increasing"),
        (([0.0], [0.0, 1.0], [0.0, 1.0]), "must be continuous"),
    ],
)
def test_piecewise_linear_errors(arguments, message):
    with pytest.raises(ValueError, match=message):
        looped.PiecewiseLinear(*arguments)


@pytest.mark.parametrize(
    "coefficients, message",
    [([], "non-empty"), ([[1.0]], "1-D"), ([1.0, math.inf], "finite"), (["a"], "real numbers")],
)
def test_polynomial_errors(coefficients, message):
    with pytest.raises(ValueError, match=message):
        looped.Polynomial(coefficients)


def test_leaky_relu_error():
    with pytest.raises(ValueError, match="negative_slope"):
        leaky_relu(math.nan)
