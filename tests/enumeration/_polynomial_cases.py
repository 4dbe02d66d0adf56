"""A shared polynomial network of the Bézout and `Auto` tests."""

import jax.numpy as jnp
import numpy as np

import jaxfp


def random_cubic_network() -> jaxfp.looped.LoopedNet:
    """A seeded d = 2 network with a cubic σ: 9 = 3^2 complex fixed points, one of them real."""
    rng = np.random.default_rng(0)
    return jaxfp.looped.LoopedNet(
        jnp.asarray(1.5 * rng.standard_normal((2, 2))),
        jnp.asarray(0.3 * rng.standard_normal(2)),
        jaxfp.looped.Polynomial([0.0, 1.5, 0.0, -0.5]),
    )


def cubic_network_3() -> jaxfp.looped.LoopedNet:
    """A seeded d = 3 network with a cubic σ: 27 = 3^3 complex fixed points, 7 of them real
    (the split homotopy tests)."""
    rng = np.random.default_rng(3)
    return jaxfp.looped.LoopedNet(
        jnp.asarray(rng.standard_normal((3, 3)) / np.sqrt(3)),
        jnp.asarray(0.1 * rng.standard_normal(3)),
        jaxfp.looped.Polynomial([0.0, 1.5, 0.0, -0.5]),
    )
