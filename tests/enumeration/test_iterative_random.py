"""Small random networks: the iterative enumeration against an independent brute-force count.

The independent count solves F(x) = x with scipy's MINPACK hybrid method from a dense grid of
starts over a box that holds every fixed point (for tanh, F maps into [−1, 1]^d; for the cubic σ the
box is checked by the degree: the found points' index sum must match), then deduplicates.
"""

import itertools

import numpy as np
import pytest
import scipy.optimize

import jaxfp
from jaxfp.enumeration._iterative import enumerate_iterative

from ._iterative_cases import same_point_sets

DIM = 2
STARTS_PER_ORTHANT = 16
GRID = 15
RESIDUAL = 1e-10


def brute_force(net, box: float) -> np.ndarray:
    weights, bias = np.asarray(net.W), np.asarray(net.b)
    sigma = lambda u: np.asarray(net.activation(u))
    F = lambda x: sigma(weights @ x + bias)
    found = []
    axis = np.linspace(-box, box, GRID)
    for start in itertools.product(axis, repeat=DIM):
        solution = scipy.optimize.root(lambda x: F(x) - x, np.array(start), method="hybr")
        x = solution.x
        if np.all(np.isfinite(x)) and np.max(np.abs(F(x) - x)) < RESIDUAL:
            if not any(np.max(np.abs(x - y)) < 1e-7 for y in found):
                found.append(x)
    return np.array(found).reshape(-1, DIM)


CASES = {
    "cubic": dict(activation="poly:0,2,0,-1", scale=1.5, bias_scale=0.2, seed=1, box=2.5),  # 7
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_brute_force_count(case):
    settings = dict(CASES[case])
    box = settings.pop("box")
    seed = settings.pop("seed")
    net = jaxfp.looped.random_network(DIM, seed=seed, **settings)
    reference = brute_force(net, box)
    found = enumerate_iterative(net, starts_per_orthant=STARTS_PER_ORTHANT, certify=False)
    assert reference.shape[0] >= 3  # an interesting network, not a single fixed point
    assert found.num_fixed_points == reference.shape[0]
    assert same_point_sets(found.points, reference, tolerance=1e-7)
    assert found.index_consistent
