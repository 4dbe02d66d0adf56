"""The GPU check behind `benchmarks/gpu.sh`: correctness smoke tests and GPU benchmarks, one JSON.

Smoke tests (each records `passed` and what it checked):
- solvers: Picard, Anderson, Broyden and Newton on a contracting tanh layer converge
  (`RESULTS.successful`) to the same fixed point;
- DEQ gradients: the implicit gradient of a `jaxfp.nn.DEQ` loss matches the unrolled one;
- enumeration of P1's (P) at d = 16 (`--quick`: d = 6): exactly the 2^d attractors {±1}^d;
- exact regions for ReLU at d = 20 (`--quick`: d = 8): the enumeration finishes complete.

Benchmarks (`_timing.timed`: the first call, then the median of repeats; compile time apart):
- W1 at batch 8192 (`--quick`: 256): `jaxfp.fixed_point` with Picard on z = tanh(W z + U x + b),
  width 256, ‖W‖₂ = 0.9, float32;
- enumeration throughput in starts per second: (P) at d = 16 (`--quick`: 8), no certificates;
- DEQ training step time: one optax Adam step of a DEQ classifier (batch 256, width 128).

Run: `benchmarks/gpu.sh [--quick] [--out FILE.json]` (default `benchmarks/results/gpu.json`).
Runs on any backend: on a CPU it is a functional check of the script, not a GPU figure.
"""

import argparse
import json
import time
import traceback
from pathlib import Path

import jax

jax.config.update("jax_enable_x64", True)
import equinox as eqx  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402
from _timing import machine, timed  # noqa: E402

import jaxfp  # noqa: E402
from jaxfp.enumeration._iterative import enumerate_iterative  # noqa: E402
from jaxfp.enumeration._pwl_networks import enumerate_pwl_fixed_points  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "gpu.json"
REPEATS = 3


def _layer(z, args):
    weights, inputs, bias, x = args
    return jnp.tanh(z @ weights.T + x @ inputs.T + bias)


def _w1_problem(batch: int, width: int = 256, n_inputs: int = 64, dtype=jnp.float32):
    rng = np.random.default_rng(0)
    weights = rng.standard_normal((width, width))
    weights *= 0.9 / np.linalg.norm(weights, 2)
    inputs = rng.standard_normal((width, n_inputs)) / np.sqrt(n_inputs)
    arrays = (weights, inputs, 0.1 * rng.standard_normal(width), rng.standard_normal((batch, 64)))
    return tuple(jnp.asarray(a, dtype) for a in arrays)


def smoke_solvers(quick: bool) -> dict:
    args = _w1_problem(8, width=32, dtype=jnp.float64)
    z0 = jnp.zeros((8, 32))
    values = {}
    for name, solver in {
        "picard": jaxfp.Picard(1e-10, 1e-10),
        "anderson": jaxfp.Anderson(1e-10, 1e-10),
        "broyden": jaxfp.Broyden(1e-10, 1e-10),
        "newton": jaxfp.Newton(1e-10, 1e-10),
    }.items():
        solution = jaxfp.fixed_point(_layer, solver, z0, args, max_steps=500, throw=False)
        assert bool(solution.result == jaxfp.RESULTS.successful), name
        values[name] = np.asarray(solution.value)
    spread = max(float(np.max(np.abs(v - values["newton"]))) for v in values.values())
    assert spread < 1e-8, spread
    return {"solvers": sorted(values), "max_difference": spread}


class _Cell(eqx.Module):
    linear: eqx.nn.Linear

    def __call__(self, z, x):
        return jnp.tanh(0.5 * self.linear(z) + x)


def smoke_deq_gradients(quick: bool) -> dict:
    cell = _Cell(eqx.nn.Linear(6, 6, key=jax.random.key(0)))
    x = jnp.linspace(-1.0, 1.0, 6)
    solver = jaxfp.Picard(1e-12, 1e-12)

    def loss(cell, adjoint):
        deq = jaxfp.nn.DEQ(cell, solver=solver, adjoint=adjoint, max_steps=300)
        return jnp.sum(deq(x) ** 2)

    implicit = eqx.filter_grad(loss)(cell, jaxfp.ImplicitAdjoint())
    unrolled = eqx.filter_grad(loss)(cell, jaxfp.UnrolledAdjoint())
    difference = max(
        float(jnp.max(jnp.abs(a - b)))
        for a, b in zip(jax.tree.leaves(implicit), jax.tree.leaves(unrolled), strict=True)
    )
    assert difference < 1e-6, difference
    return {"max_difference_implicit_vs_unrolled": difference}


def smoke_enumeration(quick: bool) -> dict:
    dim = 6 if quick else 16
    found = enumerate_iterative(jaxfp.looped.poly_network(dim), faces=False, certify=False)
    attractors = found.points[found.attracting]
    assert attractors.shape[0] == 2**dim, attractors.shape
    assert np.allclose(np.abs(attractors), 1.0, atol=1e-8)
    return {"dim": dim, "n_attracting": int(attractors.shape[0]), "seconds": found.wall_time_s}


def smoke_exact_regions(quick: bool) -> dict:
    dim = 8 if quick else 20
    net = jaxfp.looped.random_network(dim, seed=0, activation="relu", scale=2.0, bias_scale=0.5)
    start = time.perf_counter()
    found = enumerate_pwl_fixed_points(net)
    assert found.complete, found.evidence
    return {
        "dim": dim,
        "n_fixed_points": int(found.points.shape[0]),
        "seconds": time.perf_counter() - start,
    }


def benchmark_w1(quick: bool) -> dict:
    batch = 256 if quick else 8192
    args = _w1_problem(batch)
    z0 = jnp.zeros((batch, 256), jnp.float32)
    solver = jaxfp.Picard(1e-5, 1e-5)

    @jax.jit
    def solve(args):
        return jaxfp.fixed_point(_layer, solver, z0, args, max_steps=4000).value

    figures = timed(lambda: solve(args), repeats=REPEATS)
    return {"batch": batch, "width": 256, **figures}


def benchmark_enumeration(quick: bool) -> dict:
    dim = 8 if quick else 16
    net = jaxfp.looped.poly_network(dim)
    run = lambda: enumerate_iterative(net, faces=False, certify=False)  # noqa: E731
    run()  # compile
    found = run()
    return {
        "dim": dim,
        "n_starts": found.num_starts,
        "starts_per_s": found.num_starts / found.wall_time_s,
    }


def benchmark_deq_training(quick: bool) -> dict:
    batch, width = (32, 32) if quick else (256, 128)
    keys = jax.random.split(jax.random.key(0), 3)
    encoder = eqx.nn.Linear(64, width, key=keys[0])
    deq = jaxfp.nn.DEQ(_Cell(eqx.nn.Linear(width, width, key=keys[1])), max_steps=30, throw=False)
    head = eqx.nn.Linear(width, 10, key=keys[2])
    model = (encoder, deq, head)
    x = jax.random.normal(jax.random.key(1), (batch, 64), jnp.float32)
    labels = jnp.arange(batch) % 10
    model = jax.tree.map(lambda a: a.astype(jnp.float32) if eqx.is_inexact_array(a) else a, model)
    optimizer = optax.adam(1e-3)
    state = optimizer.init(eqx.filter(model, eqx.is_inexact_array))

    def loss(model):
        encoder, deq, head = model
        logits = jax.vmap(lambda xi: head(deq(encoder(xi))))(x)
        return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()

    @eqx.filter_jit
    def step(model, state):
        value, grads = eqx.filter_value_and_grad(loss)(model)
        updates, state = optimizer.update(grads, state, eqx.filter(model, eqx.is_inexact_array))
        return eqx.apply_updates(model, updates), state, value

    figures = timed(lambda: step(model, state)[2], repeats=REPEATS)
    return {"batch": batch, "width": width, "step": figures}


SMOKE = {
    "solvers": smoke_solvers,
    "deq_gradients": smoke_deq_gradients,
    "enumeration_p1_poly": smoke_enumeration,
    "exact_regions_relu": smoke_exact_regions,
}
BENCHMARKS = {
    "w1_picard": benchmark_w1,
    "enumeration_throughput": benchmark_enumeration,
    "deq_training_step": benchmark_deq_training,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a functional check)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the JSON file to write")
    options = parser.parse_args()
    report = {"machine": machine(), "quick": options.quick, "devices": str(jax.devices())}
    failures = 0
    for section, checks in (("smoke", SMOKE), ("benchmarks", BENCHMARKS)):
        report[section] = {}
        for name, check in checks.items():
            start = time.perf_counter()
            try:
                entry = {"passed": True, **check(options.quick)}
            except Exception as error:  # one failed check must not hide the others' figures
                failures += 1
                entry = {"passed": False, "error": f"{type(error).__name__}: {error}"}
                traceback.print_exc()
            entry["wall_s"] = time.perf_counter() - start
            report[section][name] = entry
            verdict = "ok" if entry["passed"] else "FAILED"
            print(f"{section}/{name}: {verdict} ({entry['wall_s']:.1f} s)")
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"wrote {options.out}")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
