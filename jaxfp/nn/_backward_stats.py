"""Per-sample statistics of a DEQ's implicit backward solve, read in the training loop.

A reverse-mode gradient cannot return auxiliary data, so the statistics travel as the gradient
of a "probe": a zero array the loss takes as an input and passes to the layer. Its gradient is
not a derivative; it holds the backward solve's steps, residual and convergence.
"""

from typing import Any

import equinox as eqx
import jax
import jax.flatten_util as jfu
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, PyTree

from .._adjoint import ImplicitAdjoint
from .._misc import WithoutAux, all_finite
from ._precision import with_cell_dtype

_PROBE_SIZE = 3  # num_steps, residual, converged


class BackwardStats(eqx.Module):
    """Diagnostics of one implicit backward solve u = g + Jᵀu (per sample under `jax.vmap`).

    - `num_steps`: backward solver steps (applications of Jᵀ).
    - `residual`: relative residual ‖g + Jᵀu − u‖ / ‖g‖ of the returned u (0 when g = 0).
    - `converged`: whether the backward solver met its tolerance.

    Read it from the gradient of a `backward_probe` (see `jaxfp.nn.DEQ`'s `backward_probe`).

    Example:
        >>> import jax.numpy as jnp
        >>> stats = BackwardStats.from_probe_gradient(jnp.array([[7.0, 1e-5, 1.0]]))
        >>> int(stats.num_steps[0]), bool(stats.converged[0])
        (7, True)
    """

    num_steps: Float[Array, "*batch"]
    residual: Float[Array, "*batch"]
    converged: Bool[Array, "*batch"]

    @classmethod
    def from_probe_gradient(cls, gradient: Float[Array, "*batch 3"]) -> "BackwardStats":
        """The statistics carried by the gradient of a `backward_probe`.

        Raises:
            ValueError: if the last axis of `gradient` is not of size 3.
        """
        if jnp.shape(gradient)[-1:] != (_PROBE_SIZE,):
            raise ValueError(
                f"A backward probe's gradient has a last axis of size {_PROBE_SIZE}; got shape "
                f"{jnp.shape(gradient)}. Pass the gradient of `jaxfp.nn.DEQ.backward_probe(...)`."
            )
        return cls(gradient[..., 0].astype(jnp.int32), gradient[..., 1], gradient[..., 2] > 0.5)

    @property
    def unconverged_fraction(self) -> Float[Array, ""]:
        """Fraction of the (batched) backward solves that missed their tolerance."""
        return jnp.mean(jnp.logical_not(self.converged).astype(self.residual.dtype))


def backward_probe(batch_shape: tuple[int, ...] = (), dtype: Any = jnp.float32) -> Array:
    """A zero probe whose gradient will carry `BackwardStats`: shape `batch_shape + (3,)`.

    Args:
        batch_shape: the batch shape of the layer's inputs (e.g. `(batch_size,)`).
        dtype: a floating dtype.

    Example:
        >>> backward_probe((4,)).shape
        (4, 3)
    """
    return jnp.zeros((*batch_shape, _PROBE_SIZE), dtype)


def _tree_norm(tree: PyTree[Array]) -> Float[Array, ""]:
    return jnp.linalg.norm(jfu.ravel_pytree(tree)[0])


@eqx.filter_custom_vjp
def probed_fixed_point(inputs, z_star, adjoint: ImplicitAdjoint, cell_dtype, best_effort):
    """z* (already solved), differentiated implicitly; the probe's gradient holds the stats.

    `inputs` is `(cell, x, probe)`: gradients reach the cell's arrays and `x` as through
    `ImplicitAdjoint`, and the probe's gradient is `[num_steps, residual, converged]`.
    `cell_dtype` is the layer's mixed-precision dtype (or None).
    """
    del inputs, adjoint, cell_dtype, best_effort
    return z_star


@probed_fixed_point.def_fwd
def _probed_fwd(perturbed, inputs, z_star, adjoint, cell_dtype, best_effort):
    del perturbed, inputs, adjoint, cell_dtype, best_effort
    return z_star, None


@probed_fixed_point.def_bwd
def _probed_bwd(residuals, cotangent, perturbed, inputs, z_star, adjoint, cell_dtype, best_effort):
    del residuals, perturbed
    wrap = lambda cell: with_cell_dtype(cell, cell_dtype)
    cell, x, probe = inputs
    cotangent = jax.tree.map(
        lambda g, z: jnp.zeros_like(z) if g is None else g,
        cotangent,
        z_star,
        is_leaf=lambda leaf: leaf is None,
    )
    solved = adjoint.backward_solve(WithoutAux(wrap(cell)), z_star, x, cotangent)
    failed = ~all_finite(solved.value) if best_effort else jnp.logical_not(solved.converged)
    u = jax.tree.map(lambda v: jnp.where(failed, jnp.nan, v), solved.value)
    _, vjp = eqx.filter_vjp(lambda z, c, xx: wrap(c)(z, xx), z_star, cell, x)
    transposed, cell_bar, x_bar = vjp(u)
    residual_tree = jax.tree.map(lambda g, tu, uu: g + tu - uu, cotangent, transposed, u)
    scale = _tree_norm(cotangent)
    residual = jnp.where(scale > 0, _tree_norm(residual_tree) / jnp.where(scale > 0, scale, 1), 0)
    stats = jnp.stack([solved.num_steps, residual, solved.converged]).astype(probe.dtype)
    return cell_bar, x_bar, stats
