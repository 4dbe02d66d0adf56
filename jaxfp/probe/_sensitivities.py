"""Derivatives of every fixed point of a looped network w.r.t. W, b and an input."""

from typing import Literal

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
from jaxtyping import Array, ArrayLike, Float

from .._adjoint import ImplicitAdjoint
from .._fixed_point import fixed_point
from .._misc import real_array
from .._numerics import max_abs
from .._solver import Newton
from ..looped import LoopedNet
from ._common import check_finite, check_net, check_points, with_parameters

Method = Literal["closed-form", "implicit"]


class Sensitivities(eqx.Module):
    """How each fixed point x* of F(x) = σ(Wx + b) (or W σ(x) + b) moves with the parameters.

    By the implicit function theorem (docs/theory.md), dx* = (I − J)⁻¹ ∂F/∂θ dθ with
    J = J_F(x*). Leading axis: one row per fixed point.

    - `points`: the fixed points, shape (n, d).
    - `weight`: ∂x*_i/∂W_ab, shape (n, d, d, d) indexed `[k, i, a, b]`.
    - `bias`: ∂x*_i/∂b_a, shape (n, d, d) indexed `[k, i, a]`.
    - `input`: ∂x*_i/∂u_c for an input u entering as b + U u, shape (n, d, m), or `None`.
    - `singular_values`: the singular values of I − J, largest first, shape (n, d); the
      `condition_number` and `smallest_singular_value` are read from them.
    - `determinant`: det(I − J); it changes sign across a saddle-node fold.
    - `residual`: max-norm of F(x*) − x* at the given points (0 up to round-off for true ones).
    """

    points: Float[Array, "n d"]
    weight: Float[Array, "n d d d"]
    bias: Float[Array, "n d d"]
    input: Float[Array, "n d m"] | None
    singular_values: Float[Array, "n d"]
    determinant: Float[Array, " n"]
    residual: Float[Array, " n"]

    @property
    def condition_number(self) -> Float[Array, " n"]:
        """cond₂(I − J) = σ_max / σ_min; it blows up as x* nears a fold, where the fixed point
        stops depending smoothly on the parameters (the warning sign of a bifurcation)."""
        return self.singular_values[:, 0] / self.singular_values[:, -1]

    @property
    def smallest_singular_value(self) -> Float[Array, " n"]:
        """σ_min(I − J), the distance of I − J to singularity (the scale-aware warning sign; in
        one dimension the condition number is always 1)."""
        return self.singular_values[:, -1]

    def weight_influence(self) -> Float[Array, "n d d"]:
        """‖∂x*/∂W_ab‖₂ per fixed point and weight entry: which weight moves x* most.

        Example:
            >>> import jax.numpy as jnp, jaxfp
            >>> net = jaxfp.looped.tanh_identity_network(2)
            >>> points = jnp.array([[0.957504, 0.957504]])
            >>> jaxfp.probe.fixed_point_sensitivities(net, points).weight_influence().shape
            (1, 2, 2)
        """
        return jnp.sqrt(jnp.sum(self.weight**2, axis=1))


def _closed_form(net: LoopedNet, x: Float[Array, " d"]):
    dim = x.shape[0]
    jacobian = net.jacobian(x)
    d_weight, d_bias = jax.jacfwd(lambda w, b: with_parameters(net, w, b)(x), argnums=(0, 1))(
        net.W, net.b
    )
    system = jnp.eye(dim, dtype=x.dtype) - jacobian
    rhs = jnp.concatenate([d_weight.reshape(dim, dim * dim), d_bias], axis=1)
    solved = jnp.linalg.solve(system, rhs)
    return solved[:, : dim * dim].reshape(dim, dim, dim), solved[:, dim * dim :]


def _implicit(net: LoopedNet, x: Float[Array, " d"], rtol: float, max_steps: int):
    dim = x.shape[0]
    solver = Newton(rtol=rtol, atol=rtol)
    adjoint = ImplicitAdjoint(linear_solver=lx.LU())

    def fixed_point_of(weight, bias):
        fn = lambda y, params: with_parameters(net, *params)(y)
        solution = fixed_point(
            fn, solver, x, (weight, bias), adjoint=adjoint, max_steps=max_steps, throw=False
        )
        return solution.value

    d_weight, d_bias = jax.jacfwd(fixed_point_of, argnums=(0, 1))(net.W, net.b)
    return d_weight.reshape(dim, dim, dim), d_bias


def fixed_point_sensitivities(
    net: LoopedNet,
    points: ArrayLike,
    *,
    input_matrix: ArrayLike | None = None,
    method: Method = "closed-form",
    rtol: float = 1e-12,
    max_steps: int = 32,
) -> Sensitivities:
    """Derivatives of every fixed point w.r.t. W, b and an input, batched over the points.

    Each fixed point x* (attracting, saddle or repelling) satisfies F(x*; W, b) = x*, so by the
    implicit function theorem dx*/dθ = (I − J_F(x*))⁻¹ ∂F/∂θ (Bai, Kolter, Koltun 2019;
    docs/theory.md), defined wherever I − J is invertible (away from folds). All points are
    processed at once with `jax.vmap`.

    Args:
        net: a `jaxfp.looped.LoopedNet` of dimension d.
        points: its fixed points, shape (n, d) (for example from `jaxfp.enumerate_fixed_points`).
        input_matrix: optional U of shape (d, m): an input u entering the bias as b + U u; the
            result then holds ∂x*/∂u = (∂x*/∂b) U.
        method: `"closed-form"` solves (I − J) X = ∂F/∂θ with dense matrices (fast for small
            d); `"implicit"` refines each point with `jaxfp.Newton` and differentiates
            `jaxfp.fixed_point` with `jax.jacfwd` through `jaxfp.ImplicitAdjoint` (the same
            numbers, computed by the solver's own adjoint).
        rtol: Newton's tolerance for `"implicit"`.
        max_steps: Newton's step limit for `"implicit"`.

    Returns:
        A `jaxfp.probe.Sensitivities`.

    Raises:
        ValueError: if `net` is not a LoopedNet, `points` is not (n, d), `input_matrix` is not
            (d, m), or `method` is unknown.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.LoopedNet(jnp.array([[2.0]]), jnp.array([0.0]),
        ...                              jaxfp.looped.Tanh())
        >>> sens = jaxfp.probe.fixed_point_sensitivities(net, jnp.array([[0.957504]]))
        >>> round(float(sens.bias[0, 0, 0]), 4)  # (1 − x*²) / (1 − 2(1 − x*²))
        0.0998
    """
    net = check_net(net)
    dim = net.dim
    points = check_points(points, dim, "points")
    if method not in ("closed-form", "implicit"):
        raise ValueError(f"`method` must be 'closed-form' or 'implicit', got {method!r}.")
    if input_matrix is not None:
        input_matrix = real_array(input_matrix, "input_matrix").astype(points.dtype)
        if input_matrix.ndim != 2 or input_matrix.shape[0] != dim:
            raise ValueError(
                f"`input_matrix` must have shape ({dim}, m), got shape {input_matrix.shape}."
            )
        check_finite(input_matrix, "input_matrix")
    return _sensitivities(net, points, input_matrix, method, rtol, max_steps)


@eqx.filter_jit
def _sensitivities(net, points, input_matrix, method, rtol, max_steps) -> Sensitivities:
    dim = net.dim
    if method == "closed-form":
        weight, bias = jax.vmap(lambda x: _closed_form(net, x))(points)
    else:
        weight, bias = jax.vmap(lambda x: _implicit(net, x, rtol, max_steps))(points)
    system = jnp.eye(dim, dtype=points.dtype) - jax.vmap(net.jacobian)(points)
    residual = max_abs(jax.vmap(net)(points) - points, axis=-1)
    return Sensitivities(
        points=points,
        weight=weight,
        bias=bias,
        input=None if input_matrix is None else bias @ input_matrix,
        singular_values=jnp.linalg.svd(system, compute_uv=False),
        determinant=jnp.linalg.det(system),
        residual=residual,
    )
