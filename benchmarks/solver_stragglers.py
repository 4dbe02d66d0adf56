"""Stragglers: 4096 independent problems of d = 16, a few of which need ~20x more steps.

Problem i: y = tanh(g_i A y + c_i), A a fixed symmetric 16 x 16 matrix of spectral norm 1, float32.
Fast problems have gain g = 0.5 and random offsets c; stragglers have g = 0.982 and c
along A's top eigenvector, so Picard needs ~20x more steps. Two cases: 1 straggler, and 1%
stragglers (41). Stopping rule for every method, per problem:
`max|f(y) - y| / (atol + rtol |f(y)|) < 1`, rtol = atol = 1e-5.

Methods:
- `vmap_while_loop`: a plain per-problem `lax.while_loop` Picard under `jax.vmap` (it runs
  in lockstep until the slowest problem has finished);
- `vmap_jaxfp_fixed_point`: `jax.vmap(jaxfp.fixed_point)` (same lockstep);
- `jaxfp_fixed_point_batched`: the lane-refilling batched driver, default settings, plus a
  sweep over `lanes` and `check_every`.

Target: the batched driver >= 10x faster than the plain vmap over a while loop.

Run: `python benchmarks/solver_stragglers.py` (writes benchmarks/results/solver_stragglers.json).
"""

import argparse
import os

import jax
import jax.numpy as jnp
import numpy as np
from _timing import compile_jax, interleaved, write_results

import jaxfp

NUM_PROBLEMS = 4096
DIM = 16
RTOL = ATOL = 1e-5
FAST_GAIN = 0.5
SLOW_GAIN = 0.982
MAX_STEPS = 2000


def straggler_problem(num_slow: int, seed: int = 0):
    """`(A, gains, offsets)`: the first `num_slow` problems (shuffled in) are stragglers."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((DIM, DIM))
    a = (a + a.T) / 2
    a /= np.linalg.norm(a, 2)
    gains = np.full(NUM_PROBLEMS, FAST_GAIN)
    offsets = 0.1 * rng.standard_normal((NUM_PROBLEMS, DIM))
    # A straggler is pushed along A's top eigenvector, weakly enough to stay in tanh's
    # linear range: Picard then converges at the rate SLOW_GAIN.
    slow = rng.choice(NUM_PROBLEMS, num_slow, replace=False)
    eigenvalues, eigenvectors = np.linalg.eigh(a)
    top = eigenvectors[:, np.argmax(np.abs(eigenvalues))]
    gains[slow] = SLOW_GAIN
    offsets[slow] = 0.003 * top + 0.001 * rng.standard_normal((num_slow, DIM))
    return tuple(jnp.asarray(v, jnp.float32) for v in (a, gains, offsets))


def cell(y, args):
    a, gain, offset = args
    return jnp.tanh(gain * (a @ y) + offset)


def vmap_while_loop(a, gains, offsets):
    def solve_one(gain, offset):
        def cond(carry):
            steps, _, residual = carry
            return (residual >= 1) & (steps < MAX_STEPS)

        def body(carry):
            steps, y, _ = carry
            fy = cell(y, (a, gain, offset))
            residual = jnp.max(jnp.abs(fy - y) / (ATOL + RTOL * jnp.abs(fy)))
            return steps + 1, fy, residual

        init = (jnp.array(0), jnp.zeros(DIM, offset.dtype), jnp.array(jnp.inf, offset.dtype))
        steps, y, _ = jax.lax.while_loop(cond, body, init)
        return y, steps

    return jax.vmap(solve_one)(gains, offsets)


def vmap_jaxfp(a, gains, offsets):
    def solve_one(gain, offset):
        sol = jaxfp.fixed_point(
            cell,
            jaxfp.Picard(RTOL, ATOL),
            jnp.zeros(DIM, offset.dtype),
            (a, gain, offset),
            max_steps=MAX_STEPS,
            throw=False,
        )
        return sol.value, sol.stats.num_steps

    return jax.vmap(solve_one)(gains, offsets)


def batched(**options):
    def run(a, gains, offsets):
        sol = jaxfp.fixed_point_batched(
            cell,
            jaxfp.Picard(RTOL, ATOL),
            jnp.zeros((NUM_PROBLEMS, DIM), offsets.dtype),
            (a, gains, offsets),
            args_axes=(None, 0, 0),
            max_steps=MAX_STEPS,
            **options,
        )
        return sol.value, sol.stats.num_steps

    return run


def run_case(num_slow: int, methods: dict, rounds: int) -> dict:
    problem = straggler_problem(num_slow)
    calls, entries, reference = {}, {}, None
    for name, fn in methods.items():
        compiled, compile_s = compile_jax(fn, *problem)
        y, steps = compiled(*problem)
        steps = np.asarray(steps)
        if reference is None:
            reference = np.asarray(y)
        entries[name] = {
            "compile_s": compile_s,
            "total_steps": int(steps.sum()),
            "max_steps": int(steps.max()),
            "median_steps": float(np.median(steps)),
            "max_abs_difference_to_vmap": float(np.max(np.abs(np.asarray(y) - reference))),
        }
        calls[name] = lambda compiled=compiled: compiled(*problem)
    for name, figures in interleaved(calls, rounds).items():
        entries[name].update(figures)
    baseline = entries["vmap_while_loop"]
    for entry in entries.values():
        entry["speedup_over_vmap_while_loop"] = baseline["run_s"] / entry["run_s"]
        entry["median_speedup_over_vmap_while_loop"] = baseline["median_s"] / entry["median_s"]
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9, help="timed rounds (interleaved)")
    parser.add_argument(
        "--no-sweep", action="store_true", help="skip the lanes x check_every sweep (faster)"
    )
    arguments = parser.parse_args()
    rounds = arguments.rounds
    methods = {
        "vmap_while_loop": vmap_while_loop,
        "vmap_jaxfp_fixed_point": vmap_jaxfp,
        "jaxfp_fixed_point_batched": batched(),
    }
    sweep = {
        f"jaxfp_fixed_point_batched_lanes_{lanes}_check_every_{k}": batched(
            lanes=lanes, monitor=jaxfp.Monitor(check_every=k)
        )
        for lanes in (256, 512, 1024)
        for k in (4, 8, 16)
        if not arguments.no_sweep
    }
    cases = {}
    for label, num_slow in (("1_straggler", 1), ("1_percent_stragglers", NUM_PROBLEMS // 100)):
        cases[label] = run_case(num_slow, {**methods, **sweep}, rounds)
        for name, entry in cases[label].items():
            print(
                f"{label:22s} {name:60s} compile {entry['compile_s']:5.2f}s "
                f"run {entry['run_s'] * 1e3:8.2f}ms (median {entry['median_s'] * 1e3:8.2f}) "
                f"steps total {entry['total_steps']:7d} max {entry['max_steps']:5d} "
                f"speedup {entry['speedup_over_vmap_while_loop']:6.2f}x"
            )
    targets = {
        label: {
            "speedup": entries["jaxfp_fixed_point_batched"]["speedup_over_vmap_while_loop"],
            "median_speedup": entries["jaxfp_fixed_point_batched"][
                "median_speedup_over_vmap_while_loop"
            ],
            "target": 10.0,
        }
        for label, entries in cases.items()
    }
    for target in targets.values():
        target["met"] = target["speedup"] >= target["target"]
    path = write_results(
        "solver_stragglers",
        {
            "workload": f"{NUM_PROBLEMS} problems y = tanh(g A y + c), d = {DIM}; gain "
            f"{FAST_GAIN} (fast) or {SLOW_GAIN} (stragglers)",
            "stopping_rule": f"max|f(y)-y| / ({ATOL} + {RTOL}|f(y)|) < 1 per problem",
            "timing": f"run_s = min over {rounds} interleaved rounds after a warm-up call",
            "load_average_at_end": os.getloadavg(),
            "cases": cases,
            "targets": targets,
        },
    )
    for label, target in targets.items():
        print(
            f"{label}: {target['speedup']:.2f}x (median {target['median_speedup']:.2f}x; target "
            f">= 10x) met={target['met']}"
        )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
