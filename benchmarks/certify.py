"""Certification throughput: certify_fixed_point on P1's construction (P) and certify_complete.

Writes benchmarks/results/certify.json. Compile time (first call) is reported apart from the
run time (median of repeats after a warm-up, `jax.block_until_ready`). There is no peer JAX
interval library to compare with; the reference is the same certificate computed one point at
a time (a Python loop over jitted single-point calls), which is how a user without the batched
entry point would do it.
"""

import json
import pathlib
import statistics
import time

import jax

jax.config.update("jax_enable_x64", True)

import jaxfp  # noqa: E402

REPEATS = 3


def _time(fn):
    start = time.perf_counter()
    jax.block_until_ready(fn())
    first = time.perf_counter() - start
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        jax.block_until_ready(fn())
        runs.append(time.perf_counter() - start)
    median = statistics.median(runs)
    return {"compile_s": max(first - median, 0.0), "run_s": median}


def main() -> None:
    results = {"machine": "2 CPU cores (shared), float64", "cases": []}
    for dim in (10, 16):
        net = jaxfp.looped.poly_network(dim)
        points = jaxfp.looped.reference_fixed_points("poly", dim, attracting_only=True)
        for method in ("contraction", "auto"):
            for radius in (0.2779, None):
                timing = _time(
                    lambda net=net, points=points, radius=radius, method=method: (
                        (
                            jaxfp.certify.certify_fixed_point(net, points, radius, method=method)
                        ).certified
                    )
                )
                certified = bool(
                    jaxfp.certify.certify_fixed_point(
                        net, points, radius, method=method
                    ).certified.all()
                )
                case = {
                    "problem": f"construction (P), d={dim}, {points.shape[0]} points",
                    "method": method,
                    "radius": "auto" if radius is None else radius,
                    "all_certified": certified,
                    **timing,
                    "points_per_s": points.shape[0] / timing["run_s"],
                }
                results["cases"].append(case)
                print(case)
    # One point at a time, for comparison (first 256 points of d = 10).
    net = jaxfp.looped.poly_network(10)
    points = jaxfp.looped.reference_fixed_points("poly", 10, attracting_only=True)[:256]
    jax.block_until_ready(jaxfp.certify.certify_fixed_point(net, points[0], 0.2779).certified)
    start = time.perf_counter()
    for point in points:
        jax.block_until_ready(jaxfp.certify.certify_fixed_point(net, point, 0.2779).certified)
    loop = time.perf_counter() - start
    case = {
        "problem": "construction (P), d=10, one point per call",
        "method": "auto",
        "radius": 0.2779,
        "run_s": loop,
        "points_per_s": 256 / loop,
    }
    results["cases"].append(case)
    print(case)
    for dim in (2, 3):
        net = jaxfp.looped.tanh_identity_network(dim, 2.0)
        start = time.perf_counter()
        found = jaxfp.certify.certify_complete(net)
        elapsed = time.perf_counter() - start
        case = {
            "problem": f"certify_complete tanh(2x), d={dim}",
            "n_fixed_points": found.num_fixed_points,
            "complete": bool(found.complete),
            "boxes_processed": found.boxes_processed,
            "seconds_including_compile": elapsed,
        }
        results["cases"].append(case)
        print(case)
    path = pathlib.Path(__file__).parent / "results" / "certify.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
