"""Builders for P1's constructions, W = w·I tanh networks and seeded random networks."""

import itertools
import math
import operator

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, PRNGKeyArray

from .._numerics import bisect_host
from ._activation_base import Activation
from ._activation_names import activation_from_name
from ._activations_polynomial import p1_exponential, p1_polynomial
from ._activations_smooth import Tanh
from ._net import Form, LoopedNet

_NETWORK_NAMES = ("poly", "exp", "tanh-identity")


def _check_dim(dim) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ValueError(f"`dim` must be a positive integer, got {dim!r}.")
    return int(dim)


def poly_network(dim: int) -> LoopedNet:
    """Construction (P) of P1: W = ½I, b = 0, σ(z) = 3z − 4z³, so each coordinate follows
    g(x) = (3x − x³)/2. Fixed points: exactly {−1, 0, 1}^d; the 2^d points {±1}^d are
    super-attracting (J = 0), the origin repelling (J = 1.5 I). (Ke et al. 2024,
    arXiv:2410.11279; docs/theory.md.)

    Raises:
        ValueError: if `dim` is not a positive integer.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> jaxfp.looped.poly_network(3)(jnp.ones(3)).tolist()
        [1.0, 1.0, 1.0]
    """
    dim = _check_dim(dim)
    return LoopedNet(0.5 * jnp.eye(dim), jnp.zeros(dim), p1_polynomial())


def exp_network(dim: int) -> LoopedNet:
    """Construction (E) of P1: W = ½I, b = 0, σ(z) = 2^{p(2z − 1)}, p(t) = 3t² − 2t³, so each
    coordinate follows g(x) = 2^{3(x−1)² − 2(x−1)³}, with fixed points 1, x_u ≈ 1.658693562, 2
    (`reference_fixed_points("exp", 1)`): 3^d fixed points, the 2^d points {1, 2}^d attracting.
    Its sign basins are the orthants around the unstable point x_u·(1, …, 1).

    Raises:
        ValueError: if `dim` is not a positive integer.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> jaxfp.looped.exp_network(2)(jnp.array([1.0, 2.0])).tolist()
        [1.0, 2.0]
    """
    dim = _check_dim(dim)
    return LoopedNet(0.5 * jnp.eye(dim), jnp.zeros(dim), p1_exponential())


def tanh_identity_network(dim: int, gain: float = 2.0) -> LoopedNet:
    """F(x) = tanh(w·x) (W = w·I, b = 0). For w > 1 it has 3^d fixed points {−x*, 0, x*}^d,
    2^d of them attracting; x* = 0.957504 for w = 2 (`reference_fixed_points`).

    Raises:
        ValueError: if `dim` is not a positive integer or `gain` is not finite.

    Example:
        >>> import jaxfp
        >>> jaxfp.looped.tanh_identity_network(2, gain=2.0).W.tolist()
        [[2.0, 0.0], [0.0, 2.0]]
    """
    dim = _check_dim(dim)
    if not math.isfinite(gain):
        raise ValueError(f"`gain` must be finite, got {gain!r}.")
    return LoopedNet(gain * jnp.eye(dim), jnp.zeros(dim), Tanh())


def random_network(
    dim: int,
    key: PRNGKeyArray | None = None,
    *,
    seed: int | None = None,
    activation: Activation | str = "tanh",
    scale: float = 1.5,
    bias_scale: float = 0.1,
    form: Form = "sigma-affine",
) -> LoopedNet:
    """A seeded random looped network: W_ij ~ N(0, scale²/d), b_i ~ N(0, bias_scale²).

    Args:
        dim: the dimension d.
        key: a `jax.random` key; give this or `seed`.
        seed: an integer seed (used when `key` is None).
        activation: an `Activation` or a name for `activation_from_name`.
        scale: gain of W (larger gains give more fixed points).
        bias_scale: standard deviation of b.
        form: `"sigma-affine"` or `"affine-sigma"`.

    Raises:
        ValueError: if neither or both of `key` and `seed` are given, `dim` is not a positive
            integer, `scale`/`bias_scale` are negative or not finite, or the activation is
            unknown.

    Example:
        >>> import jaxfp
        >>> net = jaxfp.looped.random_network(3, seed=0)
        >>> net.W.shape, net.activation.name
        ((3, 3), 'tanh')
    """
    dim = _check_dim(dim)
    if (key is None) == (seed is None):
        raise ValueError("random_network needs exactly one of `key` and `seed`.")
    for argument, value in (("scale", scale), ("bias_scale", bias_scale)):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"`{argument}` must be finite and ≥ 0, got {value!r}.")
    if isinstance(activation, str):
        activation = activation_from_name(activation)
    if key is None:
        key = jax.random.PRNGKey(operator.index(seed))
    weight_key, bias_key = jax.random.split(key)
    weight = scale * jax.random.normal(weight_key, (dim, dim)) / math.sqrt(dim)
    bias = bias_scale * jax.random.normal(bias_key, (dim,))
    return LoopedNet(weight, bias, activation, form)


def scalar_fixed_points(network: str, gain: float = 2.0) -> tuple[tuple[float, bool], ...]:
    """Fixed points of the coordinate map of a built-in diagonal network, computed (bisection in
    float64), with whether each is attracting: `((x, attracting), ...)` in increasing order.

    - `"poly"`: g(x) = (3x − x³)/2: −1, 0, 1 (±1 attracting).
    - `"exp"`: g(x) = 2^{3(x−1)² − 2(x−1)³}: 1, x_u = 1.658693562, 2 (1 and 2 attracting).
    - `"tanh-identity"`: g(x) = tanh(w x): −x*, 0, x* for w > 1 (x* = 0.957504 for w = 2, the
      outer two attracting); only 0 for |w| ≤ 1.

    Raises:
        ValueError: for an unknown network name or a non-finite or negative gain.

    Example:
        >>> import jaxfp
        >>> round(scalar_fixed_points("exp")[1][0], 9)
        1.658693562
    """
    if network == "poly":
        return ((-1.0, True), (0.0, False), (1.0, True))
    if network == "exp":
        g = lambda x: 2.0 ** (3 * (x - 1) ** 2 - 2 * (x - 1) ** 3)
        unstable = bisect_host(lambda x: g(x) - x, 1.2, 1.9)
        return ((1.0, True), (unstable, False), (2.0, True))
    if network == "tanh-identity":
        if not (math.isfinite(gain) and gain >= 0):
            raise ValueError(f"`gain` must be finite and ≥ 0, got {gain!r}.")
        if gain <= 1.0:
            return ((0.0, gain < 1.0),)
        positive = bisect_host(lambda x: math.tanh(gain * x) - x, 1e-3 / gain, 1.0)
        return ((-positive, True), (0.0, False), (positive, True))
    raise ValueError(f"unknown built-in network {network!r}; valid: {_NETWORK_NAMES}.")


def reference_fixed_points(
    network: str, dim: int, gain: float = 2.0, attracting_only: bool = False
) -> Float[Array, "n d"]:
    """All fixed points of a built-in diagonal network in dimension d (the product set of
    `scalar_fixed_points`): 3^d points, or the 2^d attracting ones when `attracting_only`.
    A point is attracting exactly when every coordinate is.

    Raises:
        ValueError: for an unknown network, a bad `dim` or a bad `gain`.

    Example:
        >>> import jaxfp
        >>> jaxfp.looped.reference_fixed_points("poly", 2, attracting_only=True).shape
        (4, 2)
    """
    dim = _check_dim(dim)
    values = [
        x
        for x, attracting in scalar_fixed_points(network, gain)
        if attracting or not attracting_only
    ]
    return jnp.asarray(list(itertools.product(values, repeat=dim)), dtype=float).reshape(-1, dim)
