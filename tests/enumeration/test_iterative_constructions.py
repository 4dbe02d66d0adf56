"""P1's constructions (P), (E) and tanh(w·x): exactly 3^d fixed points, 2^d attracting."""

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp._numerics import STABILITY_NAMES
from jaxfp.enumeration._iterative import enumerate_iterative
from jaxfp.enumeration._result import OUTCOME_NAMES

from ._iterative_cases import BUILDERS, CHUNK, DIM, STARTS_PER_ORTHANT, same_point_sets

# |spectral radius| of the super-attracting points of (P) and (E) (J = 0 up to round-off).
ZERO_SPECTRUM = 1e-10


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def found(request):
    net = BUILDERS[request.param]()
    return (
        request.param,
        net,
        enumerate_iterative(
            net, starts_per_orthant=STARTS_PER_ORTHANT, certify=False, chunk_size=CHUNK
        ),
    )


def test_three_to_the_d_fixed_points_two_to_the_d_attracting(found):
    _, _, result = found
    counts = {name: int(np.sum(result.stability == i)) for i, name in enumerate(STABILITY_NAMES)}
    assert result.num_fixed_points == 3**DIM
    assert counts == {
        "attracting": 2**DIM,
        "saddle": 3**DIM - 2**DIM - 1,
        "repelling": 1,
        "non-hyperbolic": 0,
    }


def test_points_are_the_reference_product_set(found):
    name, _, result = found
    assert same_point_sets(result.points, jaxfp.looped.reference_fixed_points(name, DIM))
    attracting = jaxfp.looped.reference_fixed_points(name, DIM, attracting_only=True)
    assert same_point_sets(result.points[result.attracting], attracting)


def test_index_sum_equals_degree_and_run_is_complete(found):
    _, _, result = found
    assert (result.index_sum, result.expected_degree, result.index_consistent) == (1, 1, True)
    assert result.index_check.startswith("index check consistent: index sum 1 = degree 1")


def test_every_orthant_holds_its_attractor(found):
    _, _, result = found
    assert result.orthants_with_fixed_point == 2**DIM and result.orthant_fraction == 1.0
    corner = np.arange(2**DIM) * STARTS_PER_ORTHANT  # start k = 0 of each orthant
    assert np.all(result.start_stayed[corner])
    limits = result.start_limit[corner]
    assert len(set(limits.tolist())) == 2**DIM and np.all(result.attracting[limits])


def test_spectra_and_distance_to_folds(found):
    name, _, result = found
    attracting = result.attracting
    if name in ("poly", "exp"):
        assert np.all(result.spectral_radius[attracting] < ZERO_SPECTRUM)
        np.testing.assert_allclose(result.min_singular_value[attracting], 1.0, atol=1e-9)
    repelling = result.stability == STABILITY_NAMES.index("repelling")
    expected = {"poly": 1.5, "exp": 1.5509, "tanh-identity": 2.0}[name]
    np.testing.assert_allclose(result.spectral_radius[repelling], expected, atol=1e-4)
    assert np.all(result.residual < 1e-10)


def test_construction_e_far_starts_report_two_cycles():
    net = BUILDERS["exp"]()
    result = enumerate_iterative(
        net,
        starts_per_orthant=STARTS_PER_ORTHANT,
        centre=jnp.full(DIM, -3.0),
        scale=0.01,
        certify=False,
        chunk_size=CHUNK,
    )
    outcomes = result.outcome_counts()
    assert outcomes["two_cycle"] >= 2**DIM * STARTS_PER_ORTHANT
    cycles = result.start_outcome == OUTCOME_NAMES.index("two_cycle")
    assert np.all(result.start_limit[cycles] == -1)
    assert np.all(result.residual < 1e-10)  # whatever was found is a true fixed point
