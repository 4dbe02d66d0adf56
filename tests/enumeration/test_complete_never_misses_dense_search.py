"""Property: the default enumeration (`Auto`) never says `complete: true` while an independent
dense Newton search finds a fixed point missing from its list, and every point it lists is a
fixed point. Seeded nets from the completeness fuzz (benchmarks/completeness_fuzz.py, whose
dense search shares nothing with the package: its own σ, starts, Newton and deduplication):
bounded σ (tanh, sigmoid, sin, a hard clip, a user-written erf), both forms, high gains."""

import importlib.util
import pathlib

import numpy as np
import pytest

_PATH = pathlib.Path(__file__).parents[2] / "benchmarks" / "completeness_fuzz.py"
_SPEC = importlib.util.spec_from_file_location("completeness_fuzz", _PATH)
fuzz = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(fuzz)

# (activation, form, d, family, gain, bias scale): many fixed points, saddles among them.
FAST = [
    ("tanh", "sigma-affine", 2, "near-identity", 4.0, 0.3),
    ("sin", "affine-sigma", 2, "symmetric", 6.0, 0.5),
]
SLOW = [
    (activation, form, dim, family, gain, 0.4)
    for activation in fuzz.ACTIVATIONS
    for form in fuzz.FORMS
    for dim, family, gain in ((3, "symmetric", 5.0), (4, "near-identity", 2.5))
] + [("erf", "sigma-affine", 3, "near-identity", 3.0, 0.2)]


def _check(activation, form, dim, family, gain, bias_scale, seed=0):
    rng = np.random.default_rng(seed)
    case = fuzz.make_case(rng, activation, form, dim, family, gain, bias_scale)
    record = fuzz.check_case(case, n_random=500, seed=seed)
    assert record["n_not_fixed"] == 0, record["not_fixed"]
    if record["complete"]:
        assert record["n_missing"] == 0, (record["method"], record["missing"])
    return record


@pytest.mark.parametrize(("activation", "form", "dim", "family", "gain", "bias"), FAST)
def test_complete_never_misses_a_dense_search_point(activation, form, dim, family, gain, bias):
    record = _check(activation, form, dim, family, gain, bias)
    # Not vacuous: a proof, on a net with several fixed points.
    assert record["complete"] and record["n_dense"] >= 3, record


@pytest.mark.slow
@pytest.mark.parametrize(("activation", "form", "dim", "family", "gain", "bias"), SLOW)
def test_complete_never_misses_a_dense_search_point_more_nets(
    activation, form, dim, family, gain, bias
):
    _check(activation, form, dim, family, gain, bias)
