"""Benchmark of the iterative sign-basin enumeration (the engine of jaxfp.enumeration.Starts).

Writes `benchmarks/results/enumeration.json`. Four measurements:

1. throughput (starts/s) on P1's construction (P), d = 16, 2^16 corner starts: the engine (Picard +
   Newton polish + Newton from every start, with deduplication and classification, no
   certificates) against a plain `jax.vmap` of a fixed number of Picard steps, a plain `vmap` of
   naive Newton (`jacfwd` + `solve`, fixed steps), and scipy's MINPACK `root` per start (on a
   subset, per-start rate);
2. (P) at d = 16 end to end, including compilation and certification of every point (target
   ≤ 30 s);
3. (P) at d = 20 streamed to a checkpoint directory, in a fresh process whose peak RSS is measured
   (target ≤ 10 min within 2 GB); skipped with `--quick`;
4. the batched Newton driver (`fixed_point_batched` + `jaxfp.Newton`, lanes refilled) against the
   naive `vmap(jacfwd + solve)` Newton on the same starts, both to convergence.

Compile time is reported apart from run time (warm-up call first, then the median of repeats).

Run: `python benchmarks/enumeration.py [--quick]`.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from _timing import timed  # noqa: E402

import jaxfp  # noqa: E402
from jaxfp.enumeration._iterative import enumerate_iterative  # noqa: E402
from jaxfp.enumeration._starts import orthant_starts  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "enumeration.json"
REPEATS = 3


def apply_net(y, net):
    """F(y); one module-level function, so that `fixed_point_batched` compiles once."""
    return net(y)


def corner_starts(dim):
    orthants = np.arange(2**dim)
    return orthant_starts(orthants, np.zeros_like(orthants), np.zeros(dim), 0.75, 0)


def naive_newton(net, steps):
    def one(x):
        def body(_, x):
            jacobian = jax.jacfwd(lambda y: net(y) - y)(x)
            return x - jnp.linalg.solve(jacobian, net(x) - x)

        return jax.lax.fori_loop(0, steps, body, x)

    return jax.jit(jax.vmap(one))


def plain_picard(net, steps):
    return jax.jit(jax.vmap(lambda x: jax.lax.fori_loop(0, steps, lambda _, y: net(y), x)))


def throughput(dim):
    net = jaxfp.looped.poly_network(dim)
    starts = jnp.asarray(corner_starts(dim))
    n = starts.shape[0]
    engine = timed(
        lambda: enumerate_iterative(net, faces=False, certify=False).num_fixed_points, repeats=2
    )
    picard = timed(lambda: plain_picard(net, 8)(starts))
    newton = timed(lambda: naive_newton(net, 6)(starts))
    subset = 256
    import scipy.optimize

    weights, bias = np.asarray(net.W), np.asarray(net.b)
    sigma = lambda u: 3 * u - 4 * u**3
    host_starts = np.asarray(starts[:subset])
    begin = time.perf_counter()
    for x0 in host_starts:
        scipy.optimize.root(lambda x: sigma(weights @ x + bias) - x, x0, method="hybr")
    scipy_seconds = time.perf_counter() - begin
    rate = lambda figures: n / figures["run_s"]
    return {
        "dim": dim,
        "starts": n,
        "engine (Picard + Newton polish + Newton from start, dedupe, classify)": {
            **engine,
            "starts_per_s": rate(engine),
        },
        "plain vmap Picard, 8 steps (no dedupe)": {**picard, "starts_per_s": rate(picard)},
        "plain vmap naive Newton jacfwd+solve, 6 steps (no dedupe)": {
            **newton,
            "starts_per_s": rate(newton),
        },
        "scipy root (hybr) per start": {
            "starts": subset,
            "run_s": scipy_seconds,
            "starts_per_s": subset / scipy_seconds,
        },
    }


def end_to_end(dim):
    net = jaxfp.looped.poly_network(dim)
    begin = time.perf_counter()
    found = enumerate_iterative(net, certify=True)
    seconds = time.perf_counter() - begin
    return {
        "dim": dim,
        "seconds_including_compile_and_certification": seconds,
        "n_fixed_points": found.num_fixed_points,
        "n_attracting": int(found.attracting.sum()),
        "n_certified": int(found.certified.sum()),
        "n_starts": found.num_starts,
    }


STREAM_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys, time
    import jax
    jax.config.update("jax_enable_x64", True)
    import jaxfp
    from jaxfp.enumeration._iterative import enumerate_iterative
    dim, directory = int(sys.argv[1]), sys.argv[2]
    begin = time.perf_counter()
    found = enumerate_iterative(
        jaxfp.looped.poly_network(dim), certify=True, checkpoint=directory, chunk_size=32768
    )
    seconds = time.perf_counter() - begin
    print(json.dumps({
        "dim": dim,
        "seconds": seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "n_fixed_points": found.num_fixed_points,
        "n_attracting": int(found.attracting.sum()),
        "n_certified": int(found.certified.sum()),
        "n_starts": found.num_starts,
    }))
    """
)


def streaming(dim):
    with tempfile.TemporaryDirectory() as directory:
        completed = subprocess.run(
            [sys.executable, "-c", STREAM_SCRIPT, str(dim), directory],
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def newton_paths(dim):
    net = jaxfp.looped.poly_network(dim)
    starts = jnp.asarray(corner_starts(dim))
    solver = jaxfp.Newton(1e-12, 1e-12)

    def batched():
        return jaxfp.fixed_point_batched(
            apply_net,
            solver,
            starts,
            net,
            lanes=1024,
            max_steps=32,
            monitor=jaxfp.Monitor(check_every=1),
        ).value

    steps = int(
        np.max(
            np.asarray(
                jaxfp.fixed_point_batched(
                    apply_net, solver, starts, net, lanes=1024, max_steps=32
                ).stats.num_steps
            )
        )
    )
    naive = naive_newton(net, steps)
    figures = {
        "batched Newton (fixed_point_batched, lanes refilled)": timed(batched),
        f"naive vmap(jacfwd + solve), {steps} steps": timed(lambda: naive(starts)),
    }
    for value in figures.values():
        value["starts_per_s"] = starts.shape[0] / value["run_s"]
    names = list(figures)
    figures["speedup_batched_over_naive"] = figures[names[1]]["run_s"] / figures[names[0]]["run_s"]
    return {"dim": dim, "starts": int(starts.shape[0]), **figures}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the d = 20 streaming run")
    options = parser.parse_args()
    report = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "devices": [str(d) for d in jax.devices()],
            "load_average": os.getloadavg(),
        },
        "end_to_end_p16": end_to_end(16),
        "throughput_p16": throughput(16),
        "newton_paths_p16": newton_paths(16),
    }
    if not options.quick:
        report["streaming_p20"] = streaming(20)
    report["peak_rss_mib_this_process"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
