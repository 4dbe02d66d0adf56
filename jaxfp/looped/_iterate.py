"""Plain iteration x_{t+1} = F(x_t) of a looped network, as a compiled trajectory."""

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, ArrayLike, Float

from .._validation import check_count


def iterate(net: Callable[[Array], Array], x0: ArrayLike, steps: int) -> Float[Array, "steps+1 d"]:
    """The trajectory x_0, F(x_0), …, F^steps(x_0) (a `jax.lax.scan`; jit/vmap friendly).

    Args:
        net: the map F (a `LoopedNet` or any callable x ↦ F(x)).
        x0: the start, shape (d,).
        steps: number of iterations (a Python int ≥ 0).

    Returns:
        Array of shape (steps + 1, d), row t = x_t.

    Raises:
        ValueError: if `steps` is not a non-negative integer.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> path = jaxfp.looped.iterate(jaxfp.looped.poly_network(1), jnp.array([0.5]), 30)
        >>> path.shape, round(float(path[-1, 0]), 6)
        ((31, 1), 1.0)
    """
    steps = check_count(steps, "steps", minimum=0)
    x0 = jnp.asarray(x0)

    def step(x, _):
        following = net(x)
        return following, following

    _, path = jax.lax.scan(step, x0, None, length=steps)
    return jnp.concatenate([x0[None], path.astype(x0.dtype)], axis=0)
