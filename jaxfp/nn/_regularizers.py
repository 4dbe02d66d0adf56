"""Training utilities for equilibrium layers: Jacobian penalty, spectral radius, correction loss."""

from collections.abc import Callable

import jax
import jax.flatten_util as jfu
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray, PyTree, Scalar

from .._misc import check_key
from .._validation import check_count, check_real


def _flat_map(cell: Callable, z: PyTree[Array], x: PyTree[Array]):
    flat_z, unravel = jfu.ravel_pytree(z)
    return flat_z, lambda v: jfu.ravel_pytree(cell(unravel(v), x))[0]


def jacobian_penalty(
    cell: Callable,
    z: PyTree[Array],
    x: PyTree[Array],
    *,
    key: PRNGKeyArray,
    num_samples: int = 1,
) -> Scalar:
    """Hutchinson estimate of ‖J‖_F², J = ∂cell(z, x)/∂z (Bai, Koltun, Kolter 2021).

    Uses E‖εᵀJ‖² = ‖J‖_F² for ε ~ N(0, I): one VJP per sample, no Jacobian. Add it (scaled,
    usually divided by the state size) to the loss at z = z* to keep the layer contractive and
    the solver steps low. Differentiable with respect to the cell's parameters, `z` and `x`.

    Args:
        cell: `cell(z, x) -> z`.
        z: the state at which J is taken (normally the fixed point z*).
        x: the input.
        key: random key for the probe vectors.
        num_samples: number of probe vectors averaged.

    Returns:
        The unbiased estimate of ‖J‖_F² (a scalar).

    Raises:
        ValueError: if `num_samples` is not a positive int or `key` not a JAX random key.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> cell = lambda z, x: 0.5 * z + x
        >>> estimate = jacobian_penalty(cell, jnp.zeros(100), jnp.zeros(100),
        ...                             key=jax.random.key(0), num_samples=8)
        >>> bool(abs(estimate - 25.0) < 5.0)  # ‖0.5 I‖_F² = 25
        True
    """
    num_samples = check_count(num_samples, "num_samples")
    check_key(key)
    flat_z, flat_cell = _flat_map(cell, z, x)
    _, vjp = jax.vjp(flat_cell, flat_z)
    probes = jax.random.normal(key, (num_samples, flat_z.size), flat_z.dtype)
    products = jax.vmap(lambda e: vjp(e)[0])(probes)
    return jnp.mean(jnp.sum(products**2, axis=1))


def spectral_radius(
    cell: Callable,
    z: PyTree[Array],
    x: PyTree[Array],
    *,
    key: PRNGKeyArray,
    num_iterations: int = 50,
) -> Scalar:
    """Estimate the spectral radius of J = ∂cell(z, x)/∂z by power iteration on JVPs.

    The iteration v ← Jv/‖Jv‖ from a random v; the estimate is the geometric mean of the growth
    factors ‖Jv‖ over the second half of the iterations, which also settles when the dominant
    eigenvalues are a complex pair. Below 1 at z* means the fixed point is locally attracting
    and Picard iteration (and the Neumann backward solve) converges. Not differentiated
    (a monitor, not a loss).

    Args:
        cell: `cell(z, x) -> z`.
        z: the state (normally z*).
        x: the input.
        key: random key for the starting vector.
        num_iterations: power-iteration steps (≥ 2).

    Returns:
        The estimate of ρ(J) (a scalar).

    Raises:
        ValueError: if `num_iterations` is not an int ≥ 2 or `key` not a JAX random key.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> matrix = jnp.array([[0.9, 0.0], [0.0, -0.3]])
        >>> cell = lambda z, x: matrix @ z + x
        >>> rho = spectral_radius(cell, jnp.zeros(2), jnp.zeros(2), key=jax.random.key(0))
        >>> round(float(rho), 3)
        0.9
    """
    num_iterations = check_count(num_iterations, "num_iterations", minimum=2)
    check_key(key)
    z, x = jax.lax.stop_gradient((z, x))
    flat_z, flat_cell = _flat_map(cell, z, x)
    _, jvp = jax.linearize(flat_cell, flat_z)
    v0 = jax.random.normal(key, flat_z.shape, flat_z.dtype)
    v0 = v0 / jnp.linalg.norm(v0)

    def step(v, _):
        w = jvp(v)
        growth = jnp.linalg.norm(w)
        return w / jnp.where(growth > 0, growth, 1.0), growth

    _, growths = jax.lax.scan(step, v0, None, length=num_iterations)
    tail = growths[num_iterations // 2 :]
    return jnp.where(jnp.all(tail > 0), jnp.exp(jnp.mean(jnp.log(tail))), 0.0)


def fixed_point_correction_loss(
    cell: Callable,
    z0: PyTree[Array],
    x: PyTree[Array],
    loss_fn: Callable[[PyTree[Array]], Scalar],
    *,
    num_states: int = 4,
    decay: float = 0.8,
) -> Float[Array, ""]:
    """Fixed-point correction loss (Bai, Geng, Koltun, Kolter 2022, DEQ-Flow).

    Runs `num_states` iterations z_{k+1} = cell(sg(z_k), x) from `z0` and returns the weighted
    mean Σ_k γ^{n−k} loss_fn(z_k) / Σ_k γ^{n−k}: each intermediate state is supervised with a
    one-step (Jacobian-free) gradient, which densifies the training signal and stabilises
    training. Use it beside (or instead of) the loss at z*.

    Args:
        cell: `cell(z, x) -> z`.
        z0: the first state (e.g. the layer's initial state, or z* from a loose solve).
        x: the input.
        loss_fn: scalar loss of a state.
        num_states: number n of supervised states.
        decay: γ in (0, 1]; later states weigh more.

    Returns:
        The weighted loss (a scalar).

    Raises:
        ValueError: if `num_states` is not a positive int or `decay` not a number in (0, 1].

    Example:
        >>> import jax.numpy as jnp
        >>> cell = lambda z, x: 0.5 * z + x
        >>> loss = fixed_point_correction_loss(cell, jnp.zeros(3), jnp.ones(3),
        ...                                    lambda z: jnp.sum((z - 2.0) ** 2))
        >>> bool(loss > 0)
        True
    """
    num_states = check_count(num_states, "num_states")
    check_real(decay, "decay", 0, 1, open_lower=True, open_upper=False)

    def step(z, _):
        z_next = cell(jax.lax.stop_gradient(z), x)
        return z_next, loss_fn(z_next)

    _, losses = jax.lax.scan(step, z0, None, length=num_states)
    weights = decay ** jnp.arange(num_states - 1, -1, -1, dtype=losses.dtype)
    return jnp.sum(weights * losses) / jnp.sum(weights)
