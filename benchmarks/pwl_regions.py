"""Benchmark: exact region enumeration against Newton from many starts, same PWL networks.

For random ReLU networks (d = 12 … 20) and hard-tanh networks (d = 8 … 12), F(x) = σ(Wx + b)
with W ~ N(0, 4/d) and b ~ N(0, 1/4):

- `exact-regions`: `jaxfp.enumeration._exact_regions.enumerate_pwl_regions` (ExactRegions'
  engine; all regions, pruned); regions solved per second, and the complete count of fixed points.
- `newton-starts`: the iterative baseline, `jaxfp.fixed_point_batched` with `jaxfp.Newton` from
  as many Gaussian starts as regions solved (capped), counting the distinct fixed points found
  and how many of the exact ones they cover.

Compile time (first call minus the median) is reported apart from run time (median of repeats,
results fetched to the host). Writes benchmarks/results/pwl_regions.json.

    python benchmarks/pwl_regions.py [--quick] [--repeats 3] [--max-starts 65536]
"""

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

import jaxfp
from jaxfp.enumeration._exact_regions import enumerate_pwl_regions

ACTIVATIONS = {
    "relu": ([0.0], [0.0, 1.0], [0.0, 0.0]),
    "hardtanh": ([-1.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0]),
}
CASES = [("relu", d) for d in (12, 14, 16, 18, 20)] + [("hardtanh", d) for d in (8, 10, 12)]
QUICK_CASES = [("relu", 12), ("relu", 14), ("hardtanh", 8)]
# Two fixed points closer than this (∞-norm) are the same.
MATCH_TOLERANCE = 1e-6


def network(activation: str, dim: int):
    rng = np.random.default_rng(1000 + dim)
    return 2.0 * rng.normal(size=(dim, dim)) / np.sqrt(dim), 0.5 * rng.normal(size=dim)


def timed(fn, repeats: int):
    start = time.perf_counter()
    result = fn()
    first = time.perf_counter() - start
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    median = statistics.median(runs)
    return result, max(first - median, 0.0), median


def run_exact(weights, bias, activation, repeats):
    found, compile_s, run_s = timed(
        lambda: enumerate_pwl_regions(weights, bias, *ACTIVATIONS[activation]), repeats
    )
    return found, {
        "compile_s": compile_s,
        "run_s": run_s,
        "regions_total": found.num_regions_total,
        "regions_solved": found.num_regions_solved,
        "regions_per_s": found.num_regions_solved / run_s,
        "fixed_points": found.num_fixed_points,
        "complete": found.complete,
        "upper_bound": found.upper_bound,
    }


def run_newton(weights, bias, activation, exact_points, starts, repeats):
    with jax.enable_x64(True):
        sigma = jaxfp.looped.activation_from_name(activation)
        weights_j, bias_j = jnp.asarray(weights), jnp.asarray(bias)

        def fn(x, _):
            return sigma(weights_j @ x + bias_j)

        y0s = jnp.asarray(np.random.default_rng(0).normal(size=(starts, bias.shape[0])) * 2.0)
        solver = jaxfp.Newton(1e-10, 1e-10)

        def solve():
            solution = jaxfp.fixed_point_batched(fn, solver, y0s, lanes=1024, max_steps=64)
            return jax.device_get((solution.value, solution.result == jaxfp.RESULTS.successful))

        (values, ok), compile_s, run_s = timed(solve, repeats)
    converged = values[np.asarray(ok)]
    distinct = []
    for point in converged:
        if not any(np.abs(point - other).max() < MATCH_TOLERANCE for other in distinct):
            distinct.append(point)
    covered = sum(
        any(np.abs(point - other).max() < MATCH_TOLERANCE for other in distinct)
        for point in exact_points
    )
    return {
        "compile_s": compile_s,
        "run_s": run_s,
        "starts": starts,
        "starts_per_s": starts / run_s,
        "converged": int(np.sum(ok)),
        "distinct_fixed_points": len(distinct),
        "exact_points_found": int(covered),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="three small cases")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-starts", type=int, default=65536)
    parser.add_argument(
        "--out", default=str(Path(__file__).parent / "results" / "pwl_regions.json")
    )
    options = parser.parse_args()
    rows = []
    for activation, dim in QUICK_CASES if options.quick else CASES:
        weights, bias = network(activation, dim)
        found, exact = run_exact(weights, bias, activation, options.repeats)
        starts = min(found.num_regions_solved, options.max_starts)
        newton = run_newton(
            weights, bias, activation, np.asarray(found.points), starts, options.repeats
        )
        rows.append(
            {"activation": activation, "dim": dim, "exact_regions": exact, "newton": newton}
        )
        print(
            f"{activation:8s} d={dim:2d}  exact: {exact['regions_solved']:>8d} regions "
            f"{exact['run_s']:7.3f}s ({exact['regions_per_s']:>10.0f}/s, compile "
            f"{exact['compile_s']:.1f}s) -> {exact['fixed_points']} points | newton: "
            f"{starts} starts {newton['run_s']:7.3f}s -> {newton['exact_points_found']}/"
            f"{exact['fixed_points']} found",
            flush=True,
        )
    report = {
        "benchmark": "pwl_regions",
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "devices": [str(device) for device in jax.devices()],
        },
        "jax": jax.__version__,
        "cases": rows,
    }
    Path(options.out).parent.mkdir(parents=True, exist_ok=True)
    Path(options.out).write_text(json.dumps(report, indent=2))
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
