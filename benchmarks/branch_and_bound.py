"""Branch and bound (`jaxfp.enumeration.BranchAndBound`, i.e. `jaxfp.certify.certify_complete`
over σ's range box) on random tanh nets and on `tanh_identity_network(d, 2.0)` (3^d fixed
points), d = 2 … 8.

Usage: `python benchmarks/branch_and_bound.py [MACHINE] [--seeds N] [--repeats R]`. Writes
benchmarks/results/branch_and_bound.json, with the load average before and after the run (the
figures of a shared machine depend on it). Nets: F(x) = tanh(Wx + b) with
W = 2I + 0.3·N(0, 1) and b = 0.1·N(0, 1), seeded, so that several fixed points exist (up to
3^d). For each net: the first call (compile + run) and the median of repeated warm calls, the
number of proven fixed points, the boxes examined, and whether the search was complete.
"""

import argparse
import json
import os
import pathlib
import statistics
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import jaxfp  # noqa: E402

DIMS = (2, 3, 4, 5, 6, 7, 8)


def _net(dim: int, seed: int) -> jaxfp.looped.LoopedNet:
    rng = np.random.default_rng(1000 * dim + seed)
    weight = 2.0 * np.eye(dim) + 0.3 * rng.standard_normal((dim, dim))
    return jaxfp.looped.LoopedNet(
        jnp.asarray(weight), jnp.asarray(0.1 * rng.standard_normal(dim)), jaxfp.looped.Tanh()
    )


def main(machine: str, seeds: int, repeats: int) -> None:
    results = {"machine": machine, "dtype": "float64", "batch_size": 256, "cases": []}
    results["load_average_before"] = list(os.getloadavg())
    for dim in DIMS:
        # The first net of each d pays the compilation (the others share its shapes).
        nets = [("tanh-identity", None, jaxfp.looped.tanh_identity_network(dim, 2.0))]
        nets += [("random", seed, _net(dim, seed)) for seed in range(seeds)]
        for kind, seed, net in nets:
            start = time.perf_counter()
            result = jaxfp.certify.certify_complete(net)
            first = time.perf_counter() - start
            runs = []
            for _ in range(repeats):
                start = time.perf_counter()
                jaxfp.certify.certify_complete(net)
                runs.append(time.perf_counter() - start)
            case = {
                "net": kind,
                "d": dim,
                "seed": seed,
                "fixed_points": result.num_fixed_points,
                "complete": bool(result.complete),
                "boxes_processed": result.boxes_processed,
                "first_call_s": first,
                "warm_s": statistics.median(runs),
                "boxes_per_s": result.boxes_processed / statistics.median(runs),
                "load_average": os.getloadavg()[0],
            }
            results["cases"].append(case)
            print(case, flush=True)
    results["load_average_after"] = list(os.getloadavg())
    out = pathlib.Path(__file__).parent / "results" / "branch_and_bound.json"
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("machine", nargs="?", default="2 CPU cores shared with parallel work")
    parser.add_argument("--seeds", type=int, default=1, help="random nets per dimension")
    parser.add_argument("--repeats", type=int, default=3, help="warm calls per net (median)")
    options = parser.parse_args()
    main(options.machine, options.seeds, options.repeats)
