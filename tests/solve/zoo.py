"""A shared zoo of fixed-point problems with known solutions, used by every solver test."""

import jax.numpy as jnp
import numpy as np

import jaxfp

COS_FIXED_POINT = 0.7390851332151607


def _linear_problem():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    a = 0.6 * q
    c = rng.normal(size=4)
    solution = np.linalg.solve(np.eye(4) - a, c)
    return (lambda y, args: args[0] @ y + args[1]), jnp.zeros(4), (a, c), solution


def _tanh_problem():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(5, 5))
    w *= 0.8 / np.linalg.norm(w, 2)
    b = rng.normal(size=5)
    # Reference by a long plain iteration in float64 (a contraction: unique fixed point).
    x = np.zeros(5)
    for _ in range(2000):
        x = np.tanh(w @ x + b)
    return (lambda y, args: jnp.tanh(args[0] @ y + args[1])), jnp.zeros(5), (w, b), x


def _pytree_problem():
    def fn(y, args):
        return {
            "a": 0.5 * jnp.cos(y["b"][:2]) + args,
            "b": 0.3 * jnp.sin(y["a"]).sum() + y["a"][0] * 0.1 * jnp.ones_like(y["b"]),
        }

    x = {"a": np.zeros(2), "b": np.zeros(3)}
    for _ in range(500):
        x = {
            "a": 0.5 * np.cos(x["b"][:2]) + 0.2,
            "b": 0.3 * np.sin(x["a"]).sum() + x["a"][0] * 0.1 * np.ones(3),
        }
    return fn, {"a": jnp.zeros(2), "b": jnp.zeros(3)}, 0.2, x


PROBLEMS = {
    "cos": (
        (lambda y, args: jnp.cos(y)),
        jnp.array([0.1, 1.0, 2.0]),
        None,
        np.full(3, COS_FIXED_POINT),
    ),
    "linear": _linear_problem(),
    "tanh-net": _tanh_problem(),
    "pytree": _pytree_problem(),
}


SOLVERS = {
    "picard": lambda tol: jaxfp.Picard(rtol=tol, atol=tol),
    "damped-picard": lambda tol: jaxfp.Picard(rtol=tol, atol=tol, damping=0.3),
    "anderson": lambda tol: jaxfp.Anderson(rtol=tol, atol=tol),
    "broyden": lambda tol: jaxfp.Broyden(rtol=tol, atol=tol),
    "newton": lambda tol: jaxfp.Newton(rtol=tol, atol=tol),
}

# Solver tolerance and the (looser) assertion tolerance per dtype.
TOLERANCES = {jnp.float64: (1e-11, 1e-8), jnp.float32: (1e-6, 1e-4)}
