"""The mixing weights of Anderson acceleration (forward `Anderson` and the backward
`AndersonLinearSolver`): a small Hermitian positive definite solve, written out."""

import jax.numpy as jnp
from jaxtyping import Array, Bool, Inexact


def affine_mixing_weights(
    regularised_gram: Inexact[Array, "m m"], valid: Bool[Array, " m"]
) -> Inexact[Array, " m"]:
    """The weights `alpha` (summing to 1) minimising `alpha^H A alpha` over the valid entries.

    `A` is the regularised Gram matrix of the history's residuals, Hermitian positive definite,
    with the identity in the rows and columns of invalid entries. The minimiser is
    `w / sum(w)` with `A w = valid` (Walker & Ni 2011), and its weights are zero at invalid
    entries.

    The solve is Gaussian elimination without pivoting (stable for a Hermitian positive
    definite matrix), unrolled over the static size m: a few dozen element-wise operations
    that XLA fuses, instead of a LAPACK LU (with its pivot loop) in every solver step. A
    matrix that has lost definiteness to rounding gives non-finite or huge weights, which
    the solvers' restart tests catch. (It is not `vectorized_lu`'s batch-last elimination
    with the pivoting left out: on one list of scalars per entry XLA fuses more; that variant
    made a vmapped Anderson solve, 1024 lanes, d = 8, history 5, 29-32% slower on CPU.)

    Example:
        >>> import jax.numpy as jnp
        >>> gram = jnp.array([[2.0, 0.0], [0.0, 1.0]])
        >>> weights = affine_mixing_weights(gram, jnp.array([True, True]))  # ∝ (1/2, 1)
        >>> [round(float(w), 4) for w in weights]
        [0.3333, 0.6667]
    """
    m = regularised_gram.shape[-1]
    rows = [[regularised_gram[..., i, j] for j in range(m)] for i in range(m)]
    rhs = [valid[..., i].astype(regularised_gram.dtype) for i in range(m)]
    for k in range(m):
        for i in range(k + 1, m):
            factor = rows[i][k] / rows[k][k]
            for j in range(k + 1, m):
                rows[i][j] = rows[i][j] - factor * rows[k][j]
            rhs[i] = rhs[i] - factor * rhs[k]
    solution = [None] * m
    for i in reversed(range(m)):
        total = rhs[i] - sum((rows[i][j] * solution[j] for j in range(i + 1, m)), 0)
        solution[i] = total / rows[i][i]
    weights = jnp.stack(solution, axis=-1)
    return weights / jnp.sum(weights, axis=-1, keepdims=True)
