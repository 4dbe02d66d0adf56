"""`jaxfp.fixed_point` and `optimistix.fixed_point` stop alike: one loop decision, `terminate`.

Every zoo problem and every failure kind × every solver: the two entry points give the same
result code (optimistix codes mapped by name, `from_optimistix`), the same step count and the
same value.
"""

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import pytest

import jaxfp
from jaxfp._solution import _FROM_OPTIMISTIX, from_optimistix

from .zoo import PROBLEMS, SOLVERS

TOL = 1e-10
ASSERT_TOL = 1e-12  # the same computation in both loops: values agree to rounding

FAILURES = {
    # Newton's system is singular (J_g = 0) at the exact fixed point 0 of y + y^3: the iterate
    # meets the tolerance, so both say successful although the step could not be taken.
    "singular-fixed-point": (lambda y, a: y + y**3, jnp.array([0.0]), None),
    # y + 1 has no fixed point and J_g = 0 everywhere.
    "singular-no-fixed-point": (lambda y, a: y + 1.0, jnp.array([0.5]), None),
    "divergent": (lambda y, a: 3.0 * y + 1.0, jnp.array([0.0, 1.0]), None),
    "two-cycle": (lambda y, a: 1.0 - y, jnp.array([0.0, 0.2]), None),
    # Derivative -1 at 0: slow but steady, never stagnation.
    "slow-steady": (lambda y, a: -y + y**3, jnp.array([0.003]), None),
    "overflow": (lambda y, a: jnp.exp(50.0 * y), jnp.array([1.0]), None),
}
CASES = {name: problem[:3] for name, problem in PROBLEMS.items()} | FAILURES
# The zoo's converging problems compile 40 more solves: in the slow suite.
CASE_PARAMS = [
    pytest.param(name, marks=pytest.mark.slow) if name in PROBLEMS else name
    for name in sorted(CASES)
]

# What the cases must provoke (so the comparison covers every code), as (case, solver).
EXPECTED = {
    ("singular-fixed-point", "newton"): jaxfp.RESULTS.successful,
    ("singular-no-fixed-point", "newton"): jaxfp.RESULTS.linear_solve_failed,
    ("divergent", "picard"): jaxfp.RESULTS.diverged,
    ("two-cycle", "picard"): jaxfp.RESULTS.stagnated,
    ("slow-steady", "picard"): jaxfp.RESULTS.max_steps_reached,
    ("overflow", "picard"): jaxfp.RESULTS.nonfinite_iterate,
    ("singular-no-fixed-point", "picard"): jaxfp.RESULTS.max_steps_reached,
}


def _as_float64(tree):
    return jax.tree.map(lambda a: jnp.asarray(a, jnp.float64), tree)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_both_entry_points_give_the_same_result(case, solver_name):
    fn, y0, args = CASES[case]
    y0, args = _as_float64(y0), _as_float64(args)
    solver = SOLVERS[solver_name](TOL)
    ours = jaxfp.fixed_point(fn, solver, y0, args, max_steps=300, throw=False)
    theirs = optx.fixed_point(fn, solver, y0, args, max_steps=300, throw=False)
    assert ours.result == from_optimistix(theirs.result), jaxfp.RESULTS[ours.result]
    assert int(ours.stats.num_steps) == int(theirs.stats["num_steps"])
    if (case, solver_name) in EXPECTED:
        assert ours.result == EXPECTED[case, solver_name], jaxfp.RESULTS[ours.result]
    if ours.result == jaxfp.RESULTS.successful:
        jax.tree.map(
            lambda a, b: np.testing.assert_allclose(a, b, rtol=ASSERT_TOL, atol=ASSERT_TOL),
            ours.value,
            theirs.value,
        )


def test_the_stopping_settings_reach_optimistix_through_options():
    fn, y0, _ = FAILURES["two-cycle"]
    solver = jaxfp.Picard(TOL, TOL)
    sol = optx.fixed_point(fn, solver, y0, throw=False, max_steps=100)
    assert from_optimistix(sol.result) == jaxfp.RESULTS.stagnated
    options = {"stagnation_patience": None}
    sol = optx.fixed_point(fn, solver, y0, options=options, throw=False, max_steps=100)
    assert from_optimistix(sol.result) == jaxfp.RESULTS.max_steps_reached
    monitor = jaxfp.Monitor(stagnation_patience=None)
    ours = jaxfp.fixed_point(fn, solver, y0, monitor=monitor, max_steps=100, throw=False)
    assert ours.result == jaxfp.RESULTS.max_steps_reached


@pytest.mark.parametrize(
    "options, match",
    [
        ({"stagnation_patience": 0}, "`stagnation_patience`"),
        ({"stagnation_patience": 2.5}, "`stagnation_patience`"),
        ({"divergence_ratio": 0.5}, "`divergence_ratio`"),
        ({"divergence_ratio": float("nan")}, "`divergence_ratio`"),
    ],
)
def test_bad_stopping_options_through_optimistix_are_refused(options, match):
    with pytest.raises(ValueError, match=match):
        optx.fixed_point(lambda y, a: y, jaxfp.Picard(TOL, TOL), jnp.zeros(2), options=options)


def test_every_optimistix_code_maps_to_a_failure_except_successful():
    names = list(optx.RESULTS._name_to_item)  # no public listing of an equinox enumeration
    assert set(_FROM_OPTIMISTIX) <= set(names)
    for name in names:
        code = from_optimistix(getattr(optx.RESULTS, name))
        assert bool(code == jaxfp.RESULTS.successful) == (name == "successful"), name
