"""W1: the equilibrium layer z = tanh(W z + U x + b), float32 on the CPU.

batch 512, width 256, input 64, ||W||_2 = 0.9, stopping rule
`max|f(z) - z| / (atol + rtol |f(z)|) < 1` with rtol = atol = 1e-5 for every method (the
jaxfp rule, which optimistix's FixedPointIteration uses too, written out by hand in the
`lax.while_loop` baseline). The whole batch is one fixed-point problem, as in a DEQ forward.

Target: jaxfp Picard <= 1.0x the hand-written while-loop Picard and <= 0.9x optimistix's
FixedPointIteration. Also sweeps jaxfp's `check_every`.

Run: `python benchmarks/solver_w1.py` (writes benchmarks/results/solver_w1.json).
"""

import argparse
import os

import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
from _timing import compile_jax, interleaved, write_results

import jaxfp

RTOL = ATOL = 1e-5
MAX_STEPS = 4000


def tanh_problem(hard: bool, seed: int = 0, batch: int = 512, width: int = 256, inputs: int = 64):
    """`(W, U, b, x)` as float32 arrays.

    W1: Gaussian W scaled to spectral norm 0.9. W1-hard: symmetric W with spectral radius
    0.995 and U, b scaled by 0.05 (so the layer stays near its linear regime, where the slow
    eigen-directions of W dominate and Picard needs hundreds of steps).
    """
    rng = np.random.default_rng(seed)
    if hard:
        a = rng.standard_normal((width, width))
        w = (a + a.T) / 2
        w *= 0.995 / np.max(np.abs(np.linalg.eigvalsh(w)))
        scale = 0.05
    else:
        w = rng.standard_normal((width, width))
        w *= 0.9 / np.linalg.norm(w, 2)
        scale = 1.0
    u = scale * rng.standard_normal((width, inputs)) / np.sqrt(inputs)
    b = scale * 0.1 * rng.standard_normal(width)
    x = rng.standard_normal((batch, inputs))
    return tuple(jnp.asarray(v, jnp.float32) for v in (w, u, b, x))


def cell(z, args):
    w, injection = args
    return jnp.tanh(z @ w.T + injection)


def true_residuals(z, w, u, b, x) -> dict:
    """The residual of a returned z, measured the same way for every method."""
    fz = cell(z, (w, x @ u.T + b))
    difference = fz - z
    return {
        "relative_2norm": float(jnp.linalg.norm(difference) / jnp.linalg.norm(fz)),
        "scaled_max": float(jnp.max(jnp.abs(difference) / (ATOL + RTOL * jnp.abs(fz)))),
    }


def hand_picard(w, u, b, x):
    """The baseline: Picard in a plain `lax.while_loop`, checking the rule every step."""
    injection = x @ u.T + b

    def cond(carry):
        steps, _, residual = carry
        return (residual >= 1) & (steps < MAX_STEPS)

    def body(carry):
        steps, z, _ = carry
        fz = cell(z, (w, injection))
        residual = jnp.max(jnp.abs(fz - z) / (ATOL + RTOL * jnp.abs(fz)))
        return steps + 1, fz, residual

    z0 = jnp.zeros((x.shape[0], w.shape[0]), x.dtype)
    steps, z, _ = jax.lax.while_loop(cond, body, (jnp.array(0), z0, jnp.array(jnp.inf)))
    return z, steps


def optimistix_picard(w, u, b, x):
    injection = x @ u.T + b
    z0 = jnp.zeros((x.shape[0], w.shape[0]), x.dtype)
    solver = optx.FixedPointIteration(rtol=RTOL, atol=ATOL, norm=optx.max_norm)
    sol = optx.fixed_point(cell, solver, z0, (w, injection), max_steps=MAX_STEPS)
    return sol.value, sol.stats["num_steps"]


def jaxfp_solve(solver, **options):
    def run(w, u, b, x):
        injection = x @ u.T + b
        z0 = jnp.zeros((x.shape[0], w.shape[0]), x.dtype)
        sol = jaxfp.fixed_point(cell, solver, z0, (w, injection), max_steps=MAX_STEPS, **options)
        return sol.value, sol.stats.num_steps

    return run


def run_methods(methods: dict, problem: tuple, rounds: int) -> dict:
    """Compile, run and time every jax method on `problem`; report steps and residuals."""
    calls, entries = {}, {}
    for name, fn in methods.items():
        compiled, compile_s = compile_jax(fn, *problem)
        z, steps = compiled(*problem)
        entries[name] = {
            "compile_s": compile_s,
            "steps": int(steps),
            "residual": true_residuals(z, *problem),
        }
        calls[name] = lambda compiled=compiled: compiled(*problem)
    for name, figures in interleaved(calls, rounds).items():
        entries[name].update(figures)
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21, help="timed rounds (interleaved)")
    rounds = parser.parse_args().rounds
    picard = jaxfp.Picard(RTOL, ATOL)
    methods = {
        "hand_while_loop_picard": hand_picard,
        "optimistix_fixed_point_iteration": optimistix_picard,
        "jaxfp_picard": jaxfp_solve(picard),
        **{
            f"jaxfp_picard_check_every_{k}": jaxfp_solve(
                picard, monitor=jaxfp.Monitor(check_every=k)
            )
            for k in (2, 4)
        },
    }
    entries = run_methods(methods, tanh_problem(hard=False), rounds)
    hand = entries["hand_while_loop_picard"]["run_s"]
    ox = entries["optimistix_fixed_point_iteration"]["run_s"]
    ours = entries["jaxfp_picard"]["run_s"]
    medians = {name: entry["median_s"] for name, entry in entries.items()}
    targets = {
        "jaxfp_over_hand": {"ratio": ours / hand, "target": 1.0, "met": ours / hand <= 1.0},
        "jaxfp_over_optimistix": {"ratio": ours / ox, "target": 0.9, "met": ours / ox <= 0.9},
    }
    targets["jaxfp_over_hand"]["median_ratio"] = (
        medians["jaxfp_picard"] / medians["hand_while_loop_picard"]
    )
    targets["jaxfp_over_optimistix"]["median_ratio"] = (
        medians["jaxfp_picard"] / medians["optimistix_fixed_point_iteration"]
    )
    path = write_results(
        "solver_w1",
        {
            "workload": "W1: z = tanh(Wz + Ux + b), batch 512, width 256, input 64, ||W||_2 = 0.9",
            "stopping_rule": f"max|f(z)-z| / ({ATOL} + {RTOL}|f(z)|) < 1, every method",
            "timing": f"run_s = min over {rounds} interleaved rounds after a warm-up call",
            "load_average_at_end": os.getloadavg(),
            "methods": entries,
            "targets": targets,
        },
    )
    for name, entry in entries.items():
        print(
            f"{name:40s} compile {entry['compile_s']:6.2f}s  run {entry['run_s'] * 1e3:8.2f}ms "
            f"(median {entry['median_s'] * 1e3:8.2f})  steps {entry['steps']:4d}  "
            f"rel.res {entry['residual']['relative_2norm']:.2e}"
        )
    for name, target in targets.items():
        print(
            f"{name}: {target['ratio']:.3f} (median {target['median_ratio']:.3f}; target <= "
            f"{target['target']}) met={target['met']}"
        )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
