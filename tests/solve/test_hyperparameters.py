"""Every float and integer hyperparameter of every solver and adjoint: one shared check, one
clear message, before anything is traced."""

import numpy as np
import pytest

import jaxfp

NAN = float("nan")
INF = float("inf")
TOLERANCES = (1e-6, 1e-6)

# (constructor, hyperparameter, bad values)
REAL = [
    (jaxfp.Picard, "damping", ["0.5", NAN, -0.1, 1.0]),
    (jaxfp.Newton, "damping", ["1", NAN, 0.0, 1.5]),
    (jaxfp.Anderson, "mixing", ["beta", NAN, 0.0, 1.5]),
    (jaxfp.Anderson, "ridge", ["1e-8", NAN, -1.0, INF]),
    (jaxfp.Anderson, "safeguard_factor", ["big", NAN, 0.0, -1.0]),
    (jaxfp.Anderson, "restart_threshold", ["big", NAN, 0.0]),
    (lambda **kw: jaxfp.PhantomAdjoint(**kw), "damping", ["0.5", NAN, 0.0, 1.5]),
    (lambda **kw: jaxfp.AndersonLinearSolver(**kw), "ridge", ["0", NAN, -1.0, INF]),
]
COUNTS = [
    (jaxfp.Anderson, "history", [2.5, 0, True, "5"]),
    (jaxfp.Broyden, "memory", [2.5, 0, "20"]),
    (lambda **kw: jaxfp.AndersonLinearSolver(**kw), "history", [2.5, 0]),
    (lambda **kw: jaxfp.AndersonLinearSolver(**kw), "max_steps", [2.5, 0, 2**31]),
    (lambda **kw: jaxfp.NeumannLinearSolver(**kw), "max_steps", [2.5, -1]),
    (lambda **kw: jaxfp.PhantomAdjoint(**kw), "steps", [2.5, 0]),
    (lambda **kw: jaxfp.UnrolledAdjoint(**kw), "checkpoints", [2.5, 0]),
]
SOLVERS = [jaxfp.Picard, jaxfp.Anderson, jaxfp.Broyden, jaxfp.Newton]
ADJOINT_TOLERANCES = [jaxfp.AndersonLinearSolver, jaxfp.NeumannLinearSolver]


def _build(constructor, **kwargs):
    if constructor in SOLVERS:
        return constructor(*TOLERANCES, **kwargs)
    return constructor(**kwargs)


# Real hyperparameters get the shared interval message; integer ones `check_count`'s.
BAD = [(c, n, v, "must be a real number in") for c, n, values in REAL for v in values] + [
    (c, n, v, "must be") for c, n, values in COUNTS for v in values
]


@pytest.mark.parametrize(
    "constructor, name, value, message", BAD, ids=lambda x: "" if callable(x) else repr(x)
)
def test_bad_hyperparameter_is_refused_by_the_shared_check(constructor, name, value, message):
    with pytest.raises(ValueError, match=f"`{name}` {message}"):
        _build(constructor, **{name: value})


@pytest.mark.parametrize("constructor", SOLVERS + ADJOINT_TOLERANCES)
@pytest.mark.parametrize("name", ["rtol", "atol"])
@pytest.mark.parametrize("value", [NAN, -1e-6, "1e-6", float("inf")])
def test_bad_tolerance_is_refused(constructor, name, value):
    kwargs = {"rtol": 1e-6, "atol": 1e-6, name: value}
    with pytest.raises(ValueError, match=f"`{name}` must be a"):
        constructor(**kwargs)


def test_numpy_numbers_and_in_range_values_are_accepted():
    jaxfp.Picard(np.float32(1e-6), np.float64(1e-6), damping=np.float64(0.5))
    jaxfp.Anderson(*TOLERANCES, history=np.int64(3), mixing=1.0, ridge=0, safeguard=np.True_)
    jaxfp.Newton(*TOLERANCES, damping=1)
    jaxfp.PhantomAdjoint(steps=np.int32(2), damping=1.0)
    with pytest.raises(ValueError, match="`safeguard` must be True or False"):
        jaxfp.Anderson(*TOLERANCES, safeguard="yes")
