"""Shared activations and seeded random networks of the exact-region tests."""

import numpy as np

# name -> (breakpoints, slopes, intercepts)
ACTIVATIONS = {
    "relu": ([0.0], [0.0, 1.0], [0.0, 0.0]),
    "leaky_relu": ([0.0], [0.1, 1.0], [0.0, 0.0]),
    "abs": ([0.0], [-1.0, 1.0], [0.0, 0.0]),
    "hardtanh": ([-1.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0]),
}
FORMS = ("sigma-affine", "affine-sigma")


def random_net(seed: int, dim: int, gain: float = 2.0, bias_scale: float = 0.5):
    rng = np.random.default_rng(seed)
    weights = gain * rng.normal(size=(dim, dim)) / np.sqrt(dim)
    return weights, bias_scale * rng.normal(size=dim)


def forward(weights, bias, activation, form, x):
    """F(x) evaluated directly with numpy (σ from its pieces)."""
    breakpoints, slopes, intercepts = (np.asarray(v, float) for v in ACTIVATIONS[activation])

    def sigma(u):
        piece = np.searchsorted(breakpoints, u)
        return slopes[piece] * u + intercepts[piece]

    if form == "sigma-affine":
        return sigma(x @ weights.T + bias)
    return sigma(x) @ weights.T + bias


def split_net():
    """The hard-tanh network of the split-run tests (d = 4, σ(Wx + b)): u_0 = x_0 + x_1 / 2, so
    the regions with u_0 on σ's linear piece and u_1 on a flat one are singular (u_0 = u_0 ± 1/2:
    classified `no_solution`), and the others hold several fixed points."""
    import jax.numpy as jnp

    import jaxfp

    weights, bias = random_net(2, 4, gain=2.5)
    weights[0], bias[0] = [1.0, 0.5, 0.0, 0.0], 0.0
    return jaxfp.looped.LoopedNet(
        jnp.asarray(weights, jnp.float64), jnp.asarray(bias, jnp.float64), jaxfp.looped.hardtanh()
    )
