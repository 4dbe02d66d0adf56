"""Total-degree homotopy: every path accounted for, real solutions against closed forms and an
independent dense Newton search, resume after an interruption, and the errors."""

import itertools

import jax.numpy as jnp
import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration._homotopy import _ends
from jaxfp.enumeration._homotopy._ends import AT_INFINITY, FINITE
from jaxfp.enumeration._homotopy._run import track_all_paths

CUBIC = (0.0, 1.5, 0.0, -0.5)
MATCH = 1e-7
# Each network shape compiles the tracker once (about 20 s on the shared CPU), so every test that
# tracks paths is marked slow; run them with --runslow.


def _sorted(points):
    points = np.asarray(points, dtype=np.float64)
    return points[np.lexsort(np.round(points, 6).T[::-1])]


def _dense_newton_search(net, coefficients, box=4.0, per_axis=9):
    """Real solutions of x = F(x) by float64 Newton from a grid of starts (independent)."""
    grid = np.linspace(-box, box, per_axis)
    starts = np.array(list(itertools.product(grid, repeat=net.dim)))
    x = starts.copy()
    with np.errstate(all="ignore"):
        for _ in range(60):
            step = np.linalg.solve(
                _ends.affine_jacobian(net, coefficients, x),
                _ends.residual(net, coefficients, x)[..., None],
            )[..., 0]
            x = x - step
    residual = np.abs(_ends.residual(net, coefficients, x)).max(axis=1)
    found = x[np.isfinite(residual) & (residual < 1e-10)]
    unique = []
    for point in found:
        if not any(np.max(np.abs(point - other)) < 1e-6 for other in unique):
            unique.append(point)
    return np.array(unique).reshape(-1, net.dim)


@pytest.mark.slow
def test_p1_construction_all_real():
    paths = track_all_paths(jaxfp.looped.poly_network(3))
    assert paths.accounted and paths.counts == (27, 0, 0, 0)
    expected = np.array(list(itertools.product([-1.0, 0.0, 1.0], repeat=3)))
    np.testing.assert_allclose(_sorted(paths.real_solutions), _sorted(expected), atol=MATCH)


@pytest.mark.slow
@pytest.mark.parametrize("form", ["sigma-affine", "affine-sigma"])
def test_diagonal_weights_match_per_coordinate_roots(form):
    rng = np.random.default_rng(3)
    gains, bias = rng.uniform(0.5, 2.0, 3), rng.uniform(-0.3, 0.3, 3)
    net = jaxfp.looped.LoopedNet(jnp.diag(gains), bias, jaxfp.looped.Polynomial(CUBIC), form)
    paths = track_all_paths(net)
    assert paths.accounted and paths.counts[FINITE] == 27
    per_axis = []
    for w, b in zip(gains, bias, strict=True):
        # x = σ(w x + b)  or  x = w σ(x) + b, as a polynomial in x.
        inner = np.polynomial.Polynomial([b, w] if form == "sigma-affine" else [0.0, 1.0])
        outer = np.polynomial.Polynomial(CUBIC)(inner)
        equation = np.polynomial.Polynomial([0.0, 1.0]) - (
            outer if form == "sigma-affine" else w * outer + b
        )
        roots = equation.roots()
        per_axis.append(roots[np.abs(roots.imag) < 1e-9].real)
    expected = np.array(list(itertools.product(*per_axis)))
    np.testing.assert_allclose(_sorted(paths.real_solutions), _sorted(expected), atol=MATCH)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("form", ["sigma-affine", "affine-sigma"])
def test_random_cubic_systems_against_dense_search(seed, form):
    dim = 2 + seed % 2
    rng = np.random.default_rng(seed)
    net = jaxfp.looped.LoopedNet(
        1.5 * rng.standard_normal((dim, dim)),
        0.3 * rng.standard_normal(dim),
        jaxfp.looped.Polynomial(CUBIC),
        form,
    )
    paths = track_all_paths(net, seed=seed)
    assert paths.accounted and sum(paths.counts) == 3**dim
    reference = _dense_newton_search(net, CUBIC)
    assert reference.shape[0] >= 1
    for point in reference:  # every real solution the dense search finds is found
        assert np.min(np.max(np.abs(paths.real_solutions - point), axis=1)) < 1e-6
    residual = np.abs(_ends.residual(net, CUBIC, paths.real_solutions)).max()
    assert residual < 1e-10  # nothing spurious
    assert paths.real_solutions.shape[0] <= paths.counts[FINITE]


@pytest.mark.slow
def test_zero_row_sends_paths_to_infinity():
    weight = jnp.diag(jnp.array([0.5, 0.0]))
    net = jaxfp.looped.LoopedNet(weight, jnp.array([0.1, 0.2]), jaxfp.looped.Polynomial(CUBIC))
    paths = track_all_paths(net)
    assert paths.counts[FINITE] == 3 and paths.counts[AT_INFINITY] == 6 and paths.accounted
    np.testing.assert_allclose(paths.real_solutions[:, 1], 1.5 * 0.2 - 0.5 * 0.2**3, atol=MATCH)


@pytest.mark.slow
def test_square_and_cube_activations_are_recognised():
    net = jaxfp.looped.LoopedNet(
        0.7 * jnp.eye(2), jnp.array([0.1, -0.05]), jaxfp.looped.activation_from_name("square")
    )
    paths = track_all_paths(net)
    assert paths.degree == 2 and paths.accounted and paths.real_solutions.shape == (4, 2)


@pytest.mark.slow
def test_resume_after_interruption_gives_the_same_points(tmp_path):
    net = jaxfp.looped.poly_network(3)
    reference = track_all_paths(net, chunk_size=8)

    def interrupt(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        track_all_paths(net, chunk_size=8, checkpoint=tmp_path / "run", progress=interrupt)
    seen = []
    resumed = track_all_paths(
        net,
        chunk_size=8,
        checkpoint=tmp_path / "run",
        resume=True,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (4, 4) and resumed.counts == reference.counts
    np.testing.assert_allclose(
        _sorted(resumed.real_solutions), _sorted(reference.real_solutions), atol=MATCH
    )


def test_errors():
    tanh_net = jaxfp.looped.LoopedNet(jnp.eye(2), jnp.zeros(2), jaxfp.looped.Tanh())
    with pytest.raises(ValueError, match="polynomial activation of degree ≥ 2"):
        track_all_paths(tanh_net)
    with pytest.raises(ValueError, match="more than max_paths=10"):
        track_all_paths(jaxfp.looped.poly_network(3), max_paths=10)
    with pytest.raises(ValueError, match="max_retries"):
        track_all_paths(jaxfp.looped.poly_network(2), max_retries=-1)
