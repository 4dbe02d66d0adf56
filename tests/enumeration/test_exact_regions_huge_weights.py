"""ReLU networks with huge weights (1e13 and more): the region solve is scale-aware, so no region
is called singular for its scale, no continuum is invented, and no true point fails its residual
check; the count equals an exact rational solve of every region."""

import itertools
from fractions import Fraction

import jax
import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration import ExactRegions

from ._pwl_cases import random_net

DIM = 3
SEEDS = range(6)


def rational_count(weights, bias) -> int:
    """The fixed points of u = W relu(u) + b, every region solved in exact rational arithmetic
    (the networks used here have no singular region)."""
    d = len(bias)
    weights = [[Fraction(float(v)) for v in row] for row in weights]
    bias = [Fraction(float(v)) for v in bias]
    count = 0
    for pattern in itertools.product((0, 1), repeat=d):
        rows = [
            [int(i == j) - weights[i][j] * pattern[j] for j in range(d)] + [bias[i]]
            for i in range(d)
        ]
        for column in range(d):
            pivot = next(r for r in range(column, d) if rows[r][column] != 0)
            rows[column], rows[pivot] = rows[pivot], rows[column]
            for r in range(d):
                if r != column and rows[r][column] != 0:
                    factor = rows[r][column] / rows[column][column]
                    rows[r] = [x - factor * y for x, y in zip(rows[r], rows[column], strict=True)]
        u = [rows[i][d] / rows[i][i] for i in range(d)]
        count += all((u[i] >= 0) if pattern[i] else (u[i] <= 0) for i in range(d))
    return count


@pytest.mark.parametrize("form", ["sigma-affine", "affine-sigma"])
@pytest.mark.parametrize("scale", [1e13, 1e17])
def test_huge_relu_weights_give_the_exact_count_and_a_proof(scale, form):
    with jax.enable_x64(True):
        for seed in SEEDS:
            weights, bias = random_net(seed, DIM)
            net = jaxfp.looped.LoopedNet(scale * weights, scale * bias, jaxfp.looped.relu(), form)
            found = jaxfp.enumerate_fixed_points(net, ExactRegions())
            run = found.stats.run
            assert run.singular_regions.kinds == () and not run.has_continuum, seed
            assert run.num_residual_failures == 0 and found.complete, seed
            assert found.num_fixed_points == rational_count(np.asarray(net.W), np.asarray(net.b))
