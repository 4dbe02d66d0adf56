"""Memory of forward + backward through a DEQ as the number of forward iterations grows.

The W1 layer (batch 512, width 256, float32) solved by Picard with an unreachable tolerance, so
the forward runs exactly `max_steps` iterations (10 … 1000); then the gradient of a scalar loss
with respect to W. The figure is XLA's own accounting of the compiled `value_and_grad`
program: the peak of its temporary buffers (`memory_analysis().temp_size_in_bytes`), which is
what grows with stored iterations; arguments and outputs are the same for every method.

Expected: flat for `ImplicitAdjoint` (the loop is not differentiated), growing for
`UnrolledAdjoint` (checkpointed backprop stores loop states; with a fixed number of
checkpoints it stays bounded at the price of recomputation).

Run: `python benchmarks/memory.py` (writes benchmarks/results/memory.json).
"""

import argparse
import time

import jax
import jax.numpy as jnp
from _timing import write_results
from solver_w1 import cell, tanh_problem

import jaxfp

STEPS = (10, 30, 100, 300, 1000)
# An unreachable tolerance: every solve runs exactly max_steps iterations.
FORWARD = jaxfp.Picard(rtol=1e-30, atol=1e-30)


def loss_for(adjoint, max_steps):
    def loss(w, u, b, x):
        z0 = jnp.zeros((x.shape[0], w.shape[0]), x.dtype)
        sol = jaxfp.fixed_point(
            cell,
            FORWARD,
            z0,
            (w, x @ u.T + b),
            adjoint=adjoint,
            max_steps=max_steps,
            throw=False,
            monitor=jaxfp.Monitor(stagnation_patience=None, divergence_ratio=None),
        )
        return jnp.mean(sol.value**2), sol.stats.num_steps

    return loss


def measure(adjoint, max_steps, problem, run: bool) -> dict:
    grad = jax.value_and_grad(loss_for(adjoint, max_steps), has_aux=True)
    start = time.perf_counter()
    compiled = jax.jit(grad).lower(*problem).compile()
    compile_s = time.perf_counter() - start
    analysis = compiled.memory_analysis()
    entry = {
        "max_steps": max_steps,
        "temp_mb": analysis.temp_size_in_bytes / 1e6,
        "argument_mb": analysis.argument_size_in_bytes / 1e6,
        "output_mb": analysis.output_size_in_bytes / 1e6,
        "compile_s": compile_s,
    }
    if run:
        start = time.perf_counter()
        (_, steps), gradient = jax.block_until_ready(compiled(*problem))
        entry["run_s"] = time.perf_counter() - start
        entry["iterations_run"] = int(steps)
        entry["gradient_finite"] = bool(jnp.all(jnp.isfinite(gradient)))
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="compile and account only")
    run = not parser.parse_args().no_run
    problem = tanh_problem(hard=False)
    adjoints = {
        "implicit_default": jaxfp.ImplicitAdjoint(),
        "phantom_5": jaxfp.PhantomAdjoint(steps=5),
        "unrolled_auto_checkpoints": jaxfp.UnrolledAdjoint(),
        "unrolled_16_checkpoints": jaxfp.UnrolledAdjoint(checkpoints=16),
    }
    entries = {name: [] for name in adjoints}
    for steps in STEPS:
        for name, adjoint in adjoints.items():
            entry = measure(adjoint, steps, problem, run)
            entries[name].append(entry)
            print(
                f"{name:28s} steps {steps:5d}  temp {entry['temp_mb']:9.1f} MB  "
                f"run {entry.get('run_s', float('nan')):7.3f} s  "
                f"iterations {entry.get('iterations_run', '-')}",
                flush=True,
            )
    path = write_results(
        "memory",
        {
            "workload": "W1 layer, batch 512, width 256, float32; Picard runs exactly max_steps "
            "iterations; gradient of mean(z*^2) w.r.t. W",
            "measure": "XLA memory_analysis of the compiled value_and_grad: temporary buffers",
            "methods": entries,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
