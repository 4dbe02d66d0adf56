"""The batch-vectorised LU (`jaxfp/_solver/vectorized_lu.py`) against `jnp.linalg.solve`, and
`jaxfp.Newton`'s choice of it: well- and ill-conditioned batches, singular matrices (a result
code, never a silent value), complex and float32 systems, nested vmap, gradients through
lineax, and Newton over many starts giving the same points and codes as with `lineax.LU`."""

import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np
import pytest

import jaxfp
from jaxfp._solver.vectorized_lu import (
    SIZE_LIMITS,
    VectorizedLU,
    _solve_batch_last,
    _solve_in_chunks,
    vectorized_solve,
)

# Relative agreement with LAPACK: a few hundred ulps times the condition number.
AGREEMENT = {jnp.float64: 1e-10, jnp.float32: 1e-3}
BATCH = 257


def _batch(size, condition, dtype, seed=0):
    """Matrices U diag(s) V^T with singular values from 1 down to 1 / condition."""
    rng = np.random.default_rng(seed)
    u = np.linalg.qr(rng.standard_normal((BATCH, size, size)))[0]
    v = np.linalg.qr(rng.standard_normal((BATCH, size, size)))[0]
    singular = np.logspace(0.0, -np.log10(condition), size)
    matrices = np.einsum("bij,j,bkj->bik", u, singular, v)
    return jnp.asarray(matrices, dtype), jnp.asarray(rng.standard_normal((BATCH, size)), dtype)


def _solve(matrix, vector):
    operator = lx.MatrixLinearOperator(matrix)
    return lx.linear_solve(operator, vector, VectorizedLU(), throw=False)


@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32])
@pytest.mark.parametrize("size", [1, 3, 8, 16])
def test_agrees_with_lapack(size, dtype):
    for condition in (1.0, 1e3):
        matrices, vectors = _batch(size, condition, dtype)
        solution = jax.jit(jax.vmap(_solve))(matrices, vectors)
        reference = jnp.linalg.solve(matrices, vectors[..., None])[..., 0]
        scale = condition * (1.0 + jnp.abs(reference))
        assert bool(jnp.all(solution.result == lx.RESULTS.successful))
        assert float(jnp.max(jnp.abs(solution.value - reference) / scale)) < AGREEMENT[dtype]


def test_chunks_with_a_padded_last_chunk_give_the_whole_batch_solve():
    # 16 unknowns in float64: chunks of 64 systems, so 200 systems take 4 chunks, the last padded.
    matrices, vectors = _batch(16, 1e3, jnp.float64)
    matrices, vectors = jnp.moveaxis(matrices[:200], 0, -1), vectors[:200].T
    chunked = jax.jit(_solve_in_chunks)(matrices, vectors)
    assert chunked.shape == (16, 200)
    whole = jax.jit(_solve_batch_last)(matrices, vectors)
    np.testing.assert_allclose(chunked, whole, rtol=1e-12, atol=1e-12)


def test_pivoting_handles_a_zero_leading_entry():
    permutation = jnp.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    vector = jnp.array([1.0, 2.0, 3.0])
    solution = jax.vmap(vectorized_solve)(permutation[None], vector[None])[0]
    np.testing.assert_allclose(solution, jnp.linalg.solve(permutation, vector), rtol=0, atol=0)


def test_singular_matrices_give_a_result_code_and_leave_the_others_alone():
    matrices, vectors = _batch(6, 10.0, jnp.float64)
    singular = matrices.at[::3, :, 2].set(0.0).at[1::3, 4].set(0.0)
    solution = jax.jit(jax.vmap(_solve))(singular, vectors)
    regular = np.arange(BATCH) % 3 == 2
    result = np.asarray(solution.result._value)
    assert np.all(result[~regular] == lx.RESULTS.singular._value)
    assert np.all(result[regular] == lx.RESULTS.successful._value)
    reference = jnp.linalg.solve(matrices[regular], vectors[regular][..., None])[..., 0]
    np.testing.assert_allclose(solution.value[regular], reference, rtol=1e-10, atol=1e-12)


def test_complex_systems():
    real, vectors = _batch(5, 10.0, jnp.float64)
    matrices = real + 1j * real[::-1]
    solution = jax.vmap(vectorized_solve)(matrices, vectors + 0j)
    reference = jnp.linalg.solve(matrices, vectors[..., None] + 0j)[..., 0]
    np.testing.assert_allclose(solution, reference, rtol=1e-10, atol=1e-10)


def test_unbatched_nested_vmap_and_an_unbatched_matrix():
    matrices, vectors = _batch(4, 10.0, jnp.float64)
    reference = jnp.linalg.solve(matrices, vectors[..., None])[..., 0]
    np.testing.assert_allclose(vectorized_solve(matrices[0], vectors[0]), reference[0], rtol=1e-12)
    nested = jax.vmap(jax.vmap(vectorized_solve))(
        matrices[:256].reshape(16, 16, 4, 4), vectors[:256].reshape(16, 16, 4)
    )
    np.testing.assert_allclose(nested.reshape(256, 4), reference[:256], rtol=1e-12)
    shared = jax.vmap(vectorized_solve, in_axes=(None, 0))(matrices[0], vectors)
    expected = jnp.linalg.solve(matrices[0], vectors.T).T
    np.testing.assert_allclose(shared, expected, rtol=1e-10, atol=1e-12)


def test_gradients_through_lineax_match_lapack():
    matrices, vectors = _batch(4, 10.0, jnp.float64)

    def loss(solve, matrix):
        return jnp.sum(jnp.sin(jax.vmap(solve)(matrix, vectors)))

    ours = jax.grad(lambda m: loss(lambda a, b: _solve(a, b).value, m))(matrices)
    lapack = jax.grad(lambda m: loss(jnp.linalg.solve, m))(matrices)
    np.testing.assert_allclose(ours, lapack, rtol=1e-9, atol=1e-9)
    tangent = jax.jvp(
        lambda m: jax.vmap(lambda a, b: _solve(a, b).value)(m, vectors), (matrices,), (matrices,)
    )[1]
    np.testing.assert_allclose(
        tangent, -jax.vmap(jnp.linalg.solve)(matrices, vectors), rtol=1e-9, atol=1e-9
    )


def test_newton_chooses_it_for_small_dense_jacobians_only():
    newton = jaxfp.Newton(1e-8, 1e-8)
    limit = SIZE_LIMITS[jnp.dtype(jnp.float64)]
    # Chosen on CPU only (the size limits are CPU measurements).
    small = VectorizedLU if jax.default_backend() == "cpu" else lx.LU
    assert isinstance(newton._linear_solver(limit, jnp.float64), small)
    assert isinstance(newton._linear_solver(limit + 1, jnp.float64), lx.LU)
    assert isinstance(newton._linear_solver(4, jnp.complex128), lx.LU)
    matrix_free = jaxfp.Newton(1e-8, 1e-8, jacobian="jvp")
    assert isinstance(matrix_free._linear_solver(4, jnp.float64), lx.LU)
    explicit = jaxfp.Newton(1e-8, 1e-8, linear_solver=lx.LU())
    assert isinstance(explicit._linear_solver(4, jnp.float64), lx.LU)


def _apply(y, net):
    return net(y)


def _tanh_network(dim, rng):
    weight = 0.9 * rng.standard_normal((dim, dim)) / np.sqrt(dim)
    return jaxfp.looped.LoopedNet(weight, 0.1 * rng.standard_normal(dim), jaxfp.looped.Tanh())


@pytest.mark.parametrize("dtype", [jnp.float64, jnp.float32])
@pytest.mark.parametrize("network", ["poly", "tanh"])
def test_newton_over_many_starts_matches_lapack(network, dtype):
    rng = np.random.default_rng(3)
    dim = 6
    net = jaxfp.looped.poly_network(dim) if network == "poly" else _tanh_network(dim, rng)
    net = jax.tree.map(lambda leaf: leaf.astype(dtype), net)
    starts = jnp.asarray(rng.uniform(-1.0, 1.0, (512, dim)), dtype)
    tolerance = max(1e-12, 64 * float(jnp.finfo(dtype).eps))

    def solve(linear_solver):
        solver = jaxfp.Newton(tolerance, tolerance, linear_solver=linear_solver)
        return jaxfp.fixed_point_batched(_apply, solver, starts, net, lanes=128, max_steps=40)

    ours, lapack = solve(None), solve(lx.LU())
    np.testing.assert_array_equal(ours.result._value, lapack.result._value)
    converged = np.asarray(lapack.result._value) == 0
    assert converged.mean() > 0.5
    gap = np.abs(np.asarray(ours.value) - np.asarray(lapack.value))[converged]
    assert gap.max() < 1e3 * tolerance


def test_newton_reports_a_singular_jacobian():
    # F(y) = y + 1 + y^2: at the start y = 0, g = F(y) - y = 1 and J_g = 2y = 0.
    fn = lambda y, args: y + 1.0 + y**2
    solution = jaxfp.fixed_point(fn, jaxfp.Newton(1e-10, 1e-10), jnp.zeros(2), throw=False)
    assert solution.result == jaxfp.RESULTS.linear_solve_failed
