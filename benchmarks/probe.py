"""Benchmarks of `jaxfp.probe` (float64, CPU unless a GPU is present).

1. Sensitivities of *all* fixed points of tanh(2x) in d = 6 (3^6 = 729 fixed points, known in
   closed form): one batched call (vmap over the closed form, and vmap over jacfwd through
   `jaxfp.fixed_point` with `ImplicitAdjoint`) against a Python loop of one jitted call per point.
2. Basin maps: starts per second of `jaxfp.probe.basin_map` (the lane-refilling batched driver)
   against a plain `jax.vmap` of `jaxfp.fixed_point` over the same starts (every lane runs until
   the slowest start is done).

Run: `python benchmarks/probe.py` (writes benchmarks/results/probe.json).
"""

import itertools
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from _timing import interleaved, write_results  # noqa: E402

import jaxfp  # noqa: E402

X_STAR = 0.9575040240772687


def sensitivities_benchmark(dim: int = 6) -> dict:
    net = jaxfp.looped.tanh_identity_network(dim, gain=2.0)
    points = jnp.array(list(itertools.product([-X_STAR, 0.0, X_STAR], repeat=dim)))
    single = jax.jit(lambda x: jaxfp.probe.fixed_point_sensitivities(net, x[None]).bias)

    def loop():
        return [single(x) for x in points]

    calls = {
        "batched_closed_form": lambda: jaxfp.probe.fixed_point_sensitivities(net, points).bias,
        "batched_implicit_adjoint": lambda: (
            jaxfp.probe.fixed_point_sensitivities(net, points, method="implicit").bias
        ),
        "per_point_loop_closed_form": loop,
    }
    figures = interleaved(calls, rounds=3)
    batched = jaxfp.probe.fixed_point_sensitivities(net, points)
    implicit = jaxfp.probe.fixed_point_sensitivities(net, points, method="implicit")
    return {
        "problem": f"tanh(2x), d = {dim}, all {len(points)} fixed points, dx*/dW and dx*/db",
        "max_difference_closed_form_vs_implicit": float(
            jnp.max(jnp.abs(batched.weight - implicit.weight))
        ),
        "timings": figures,
    }


def basin_map_benchmark(resolution: int = 128) -> dict:
    net = jaxfp.looped.LoopedNet(
        jnp.array([[2.0, 0.6], [-0.4, 2.0]]), jnp.array([0.2, -0.1]), jaxfp.looped.Tanh()
    )
    points = jnp.asarray(jaxfp.enumerate_fixed_points(net).points)
    u = jnp.linspace(-1.5, 1.5, resolution)
    uu, vv = jnp.meshgrid(u, u)
    starts = jnp.stack([uu.ravel(), vv.ravel()], axis=1)
    solver = jaxfp.Picard(rtol=1e-10, atol=1e-10)

    @jax.jit
    def plain_vmap(starts):
        solve = lambda x: (
            jaxfp.fixed_point(net.fixed_point_fn, solver, x, max_steps=1000, throw=False).value
        )
        return jax.vmap(solve)(starts)

    calls = {
        "basin_map_lanes": lambda: (
            jaxfp.probe.basin_map(net, points, extent=(-1.5, 1.5), resolution=resolution).labels
        ),
        "plain_vmap_fixed_point": lambda: plain_vmap(starts),
    }
    figures = interleaved(calls, rounds=3)
    grid = jaxfp.probe.basin_map(net, points, extent=(-1.5, 1.5), resolution=resolution)
    steps = np.asarray(grid.steps)
    for entry in figures.values():
        entry["starts_per_s"] = resolution**2 / entry["run_s"]
    return {
        "problem": f"coupled 2-unit tanh net, {resolution}x{resolution} starts in [-1.5, 1.5]^2",
        "steps_median": float(np.median(steps)),
        "steps_max": int(np.max(steps)),
        "timings": figures,
    }


def main() -> None:
    start = time.perf_counter()
    payload = {
        "dtype_used": "float64",
        "sensitivities": sensitivities_benchmark(),
        "basin_map": basin_map_benchmark(),
    }
    payload["total_seconds"] = time.perf_counter() - start
    path = write_results("probe", payload)
    for section in ("sensitivities", "basin_map"):
        for name, entry in payload[section]["timings"].items():
            extra = f", {entry['starts_per_s']:.0f} starts/s" if "starts_per_s" in entry else ""
            print(
                f"{section:14s} {name:28s} first call {entry['first_call_s']:.2f} s, "
                f"run {entry['run_s'] * 1e3:.1f} ms{extra}"
            )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
