"""A zoo of contractive cells `cell(z, theta)` with their parameters and initial states.

Each entry: name -> (cell, theta, z0). `theta` is the differentiable pytree of parameters.
"""

import jax
import jax.numpy as jnp
import lineax as lx

import jaxfp

_keys = jax.random.split(jax.random.key(42), 8)


def _tanh_cell(z, theta):
    return jnp.tanh(theta["weight"] @ z + theta["input"])


def _pytree_cell(z, theta):
    a, b = z["a"], z["b"]
    return {
        "a": jnp.tanh(theta["w"] @ b + theta["x"]),
        "b": 0.5 * jax.nn.sigmoid(theta["v"] * a) + 0.2 * jnp.sin(b),
    }


def _matrix_cell(z, theta):
    return 0.4 * jax.nn.softplus(theta["left"] @ z @ theta["right"]) + theta["shift"]


def _scalar_cell(z, theta):
    return jnp.cos(theta * z)


ZOO = {
    "tanh": (
        _tanh_cell,
        {
            "weight": 0.3 * jax.random.normal(_keys[0], (5, 5)),
            "input": jax.random.normal(_keys[1], (5,)),
        },
        jnp.zeros(5),
    ),
    "pytree": (
        _pytree_cell,
        {
            "w": 0.4 * jax.random.normal(_keys[2], (3, 3)),
            "x": jax.random.normal(_keys[3], (3,)),
            "v": jax.random.normal(_keys[4], (3,)),
        },
        {"a": jnp.zeros(3), "b": jnp.zeros(3)},
    ),
    "matrix": (
        _matrix_cell,
        {
            "left": 0.5 * jax.random.normal(_keys[5], (3, 3)),
            "right": 0.5 * jax.random.normal(_keys[6], (2, 2)),
            "shift": jax.random.normal(_keys[7], (3, 2)),
        },
        jnp.zeros((3, 2)),
    ),
    "scalar": (_scalar_cell, jnp.array(0.9), jnp.array(0.0)),
}

TIGHT = 1e-12
FORWARD = jaxfp.Picard(rtol=TIGHT, atol=TIGHT)

LINEAR_SOLVERS = {
    "anderson": jaxfp.AndersonLinearSolver(rtol=TIGHT, atol=TIGHT),
    "neumann": jaxfp.NeumannLinearSolver(rtol=TIGHT, atol=TIGHT, max_steps=2000),
    "gmres": lx.GMRES(rtol=TIGHT, atol=TIGHT),
}


def loss(z):
    """A scalar loss of a state pytree that weighs every entry differently."""
    leaves = jax.tree_util.tree_leaves(z)
    return sum(
        jnp.sum(jnp.sin(leaf) * jnp.arange(1, leaf.size + 1).reshape(leaf.shape)) for leaf in leaves
    )


def solve(cell, theta, z0, adjoint, **kwargs):
    return jaxfp.fixed_point(cell, FORWARD, z0, theta, adjoint=adjoint, max_steps=3000, **kwargs)
