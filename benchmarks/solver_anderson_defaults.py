"""How Anderson's safeguard defaults were chosen: steps to converge over a grid, float32.

Grid: `safeguard_factor` x `restart_threshold` x `ridge` (history 5, mixing 1) on three maps
z = tanh(W z + U x + b) (batch 64, width 256, the whole batch one problem):
- `w1_hard`: symmetric W, spectral radius 0.995, U and b scaled by 0.05 (W1-hard's map);
- `near_critical`: symmetric W, spectral radius 0.9995, U and b scaled by 0.01;
- `expansive`: Gaussian W with ||W||_2 = 1.5, inputs unscaled (plain Picard does not
  contract everywhere; Anderson must be kept from wandering).
Stopping rule: relative Frobenius residual 1e-5 (as in W1-hard); at most 1000 steps.
The hyperparameters are passed as arrays, so the whole grid runs on one compilation per map.

Run: `python benchmarks/solver_anderson_defaults.py` (writes
benchmarks/results/solver_anderson_defaults.json).
"""

import itertools

import jax.numpy as jnp
import numpy as np
import optimistix as optx
from _timing import write_results
from solver_w1 import cell

import jaxfp

FACTORS = (2.0, 10.0, 1e2, 1e4)
THRESHOLDS = (1e2, 1e3, 1e4, 1e6)
RIDGES = (1e-10, 1e-8, 1e-6, 1e-4, 1e-3)
MAX_STEPS = 1000


def make_map(kind: str, seed: int = 1, batch: int = 64, width: int = 256, inputs: int = 64):
    rng = np.random.default_rng(seed)
    if kind == "expansive":
        w = rng.standard_normal((width, width))
        w *= 1.5 / np.linalg.norm(w, 2)
        scale = 1.0
    else:
        radius, scale = {"w1_hard": (0.995, 0.05), "near_critical": (0.9995, 0.01)}[kind]
        a = rng.standard_normal((width, width))
        w = (a + a.T) / 2
        w *= radius / np.max(np.abs(np.linalg.eigvalsh(w)))
    u = scale * rng.standard_normal((width, inputs)) / np.sqrt(inputs)
    b = scale * 0.1 * rng.standard_normal(width)
    x = rng.standard_normal((batch, inputs))
    w, injection = jnp.asarray(w, jnp.float32), jnp.asarray(x @ u.T + b, jnp.float32)
    return w, injection


def main() -> None:
    rows = []
    for kind in ("w1_hard", "near_critical", "expansive"):
        w, injection = make_map(kind)
        z0 = jnp.zeros_like(injection)
        # The scale of the fixed point, from a long damped Picard run.
        reference = jaxfp.fixed_point(
            cell,
            jaxfp.Picard(1e-6, 1e-6, damping=0.5),
            z0,
            (w, injection),
            max_steps=20000,
            throw=False,
        )
        tol = 1e-5 * float(jnp.linalg.norm(reference.value))
        for factor, threshold, ridge in itertools.product(FACTORS, THRESHOLDS, RIDGES):
            solver = jaxfp.Anderson(
                rtol=0.0,
                atol=tol,
                norm=optx.two_norm,
                history=5,
                safeguard_factor=jnp.asarray(factor, jnp.float32),
                restart_threshold=jnp.asarray(threshold, jnp.float32),
                ridge=jnp.asarray(ridge, jnp.float32),
            )
            sol = jaxfp.fixed_point(
                cell, solver, z0, (w, injection), max_steps=MAX_STEPS, throw=False
            )
            rows.append(
                {
                    "map": kind,
                    "safeguard_factor": factor,
                    "restart_threshold": threshold,
                    "ridge": ridge,
                    "steps": int(sol.stats.num_steps),
                    "converged": bool(sol.result == jaxfp.RESULTS.successful),
                    "restarts": int(sol.state.restarts),
                }
            )
        print(kind, "done", flush=True)
    # Score: total steps over the maps, a failure counting MAX_STEPS.
    scores = {}
    for row in rows:
        key = (row["safeguard_factor"], row["restart_threshold"], row["ridge"])
        scores[key] = scores.get(key, 0) + (row["steps"] if row["converged"] else MAX_STEPS)
    ranking = sorted(scores.items(), key=lambda item: item[1])
    for (factor, threshold, ridge), total in ranking[:10]:
        print(f"factor {factor:8g} threshold {threshold:8g} ridge {ridge:8g}: total {total}")
    path = write_results(
        "solver_anderson_defaults",
        {
            "rows": rows,
            "ranking": [
                {
                    "safeguard_factor": k[0],
                    "restart_threshold": k[1],
                    "ridge": k[2],
                    "total_steps": v,
                }
                for k, v in ranking
            ],
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
