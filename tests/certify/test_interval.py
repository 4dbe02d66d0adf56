"""`jaxfp.certify.Interval`'s operators enclose the results for points of the operands."""

import jax.numpy as jnp
import numpy as np
import pytest

from jaxfp.certify import Interval

RNG = np.random.default_rng(3)
LOW = RNG.normal(size=(3,))
HIGH = LOW + RNG.uniform(0.0, 1.0, size=(3,))
OTHER_LOW = RNG.normal(size=(3,))
OTHER_HIGH = OTHER_LOW + RNG.uniform(0.0, 1.0, size=(3,))
MATRIX = RNG.normal(size=(3, 3))
OPERATIONS = {
    "add": lambda x, y: x + y,
    "radd": lambda x, y: y + x,
    "sub": lambda x, y: x - y,
    "rsub": lambda x, y: y - x,
    "mul": lambda x, y: x * y,
    "rmul": lambda x, y: y * x,
    "neg": lambda x, y: -x,
}


def _points(low, high, count=64):
    share = RNG.uniform(size=(count, low.shape[0]))
    share[0], share[1] = 0.0, 1.0  # the corners too
    return low + share * (high - low)


@pytest.mark.parametrize("name", list(OPERATIONS))
@pytest.mark.parametrize("other_is_interval", [True, False])
def test_operator_encloses_pointwise_results(name, other_is_interval):
    operation = OPERATIONS[name]
    x = Interval(jnp.asarray(LOW), jnp.asarray(HIGH))
    point_other = OTHER_LOW
    other = Interval(jnp.asarray(OTHER_LOW), jnp.asarray(OTHER_HIGH))
    result = operation(x, other if other_is_interval else jnp.asarray(point_other))
    assert isinstance(result, Interval)
    others = _points(OTHER_LOW, OTHER_HIGH) if other_is_interval else [point_other]
    for a in _points(LOW, HIGH):
        for b in others[:8]:
            assert bool(result.contains(operation(a, b)).all()), (a, b)


def test_matmul_both_ways_encloses_pointwise_products():
    x = Interval(jnp.asarray(LOW), jnp.asarray(HIGH))
    matrix = Interval(jnp.asarray(MATRIX), jnp.asarray(MATRIX + 0.1))
    left, right = matrix @ x, jnp.asarray(MATRIX) @ x
    assert isinstance(left, Interval) and isinstance(right, Interval)
    for a in _points(LOW, HIGH):
        assert bool(right.contains(MATRIX @ a).all())
        for m in (MATRIX, MATRIX + 0.1, MATRIX + 0.05):
            assert bool(left.contains(m @ a).all())
