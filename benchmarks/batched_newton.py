"""Benchmark: Newton over many starts, d = 4 ... 32, against the naive `vmap(jacfwd + solve)`.

Writes `benchmarks/results/batched_newton.json`. For each dimension d, dtype (float64, float32)
and problem (P1's construction (P) from corner starts, and a random tanh network
F(x) = tanh(Wx + b) with W = 1.2 N(0, 1/d) from uniform starts in [-1, 1]^d), 8192 starts,
timed interleaved (`_timing.interleaved`):

- `naive`: `jax.vmap` of a fixed number of steps `x <- x - solve(jacfwd(F - id)(x), F(x) - x)`
  (the count: the most steps the batched solve needed);
- `batched, lineax.LU`: `jaxfp.fixed_point_batched` + `jaxfp.Newton(linear_solver=lineax.LU())`
  (LAPACK once per matrix), to convergence with lanes refilled;
- `batched, vectorized LU`: the same with the batch-vectorised elimination that `jaxfp.Newton`
  chooses by default for small systems (`jaxfp/_solver/vectorized_lu.py`), forced at every d.

The two batched runs must agree: the same result code for every start where either converged,
and the same fixed points to `AGREEMENT` (relative). (Starts where neither converges wander
chaotically, and rounding decides which of max-steps / stagnation / divergence ends them.)

Run: `python benchmarks/batched_newton.py [--dims 4,8,16,32]`.
"""

import argparse
import os

import jax

jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402
import lineax as lx  # noqa: E402
import numpy as np  # noqa: E402
from _timing import interleaved, write_results  # noqa: E402
from enumeration import apply_net, naive_newton  # noqa: E402

import jaxfp  # noqa: E402
from jaxfp._solver.vectorized_lu import VectorizedLU  # noqa: E402

STARTS = 8192
LANES = 1024
MAX_STEPS = 32
AGREEMENT = 1e-6


def problem(name, dim, dtype):
    rng = np.random.default_rng(dim)
    if name == "poly":
        net = jaxfp.looped.poly_network(dim)
        starts = 0.75 * (2.0 * rng.integers(0, 2, (STARTS, dim)) - 1.0)
    else:
        weight = 1.2 * rng.standard_normal((dim, dim)) / np.sqrt(dim)
        net = jaxfp.looped.LoopedNet(weight, 0.1 * rng.standard_normal(dim), jaxfp.looped.Tanh())
        starts = rng.uniform(-1.0, 1.0, (STARTS, dim))
    net = jax.tree.map(lambda leaf: leaf.astype(dtype), net)
    return net, jnp.asarray(starts, dtype)


def measure(name, dim, dtype):
    net, starts = problem(name, dim, dtype)
    tolerance = max(1e-12, 64 * float(jnp.finfo(dtype).eps))

    def batched(linear_solver):
        solver = jaxfp.Newton(tolerance, tolerance, linear_solver=linear_solver)
        return lambda: jaxfp.fixed_point_batched(
            apply_net,
            solver,
            starts,
            net,
            lanes=LANES,
            max_steps=MAX_STEPS,
            monitor=jaxfp.Monitor(check_every=1),
        )

    lapack, vectorized = batched(lx.LU()), batched(VectorizedLU())
    reference, candidate = lapack(), vectorized()
    steps = int(np.max(np.asarray(reference.stats.num_steps)))
    naive = naive_newton(net, steps)
    figures = interleaved(
        {
            f"naive vmap(jacfwd + solve), {steps} steps": lambda: naive(starts),
            "batched, lineax.LU": lambda: lapack().value,
            "batched, vectorized LU": lambda: vectorized().value,
        },
        rounds=5,
    )
    for entry in figures.values():
        entry["starts_per_s"] = STARTS / entry["median_s"]
    naive_s, lapack_s, vectorized_s = (entry["median_s"] for entry in figures.values())
    codes, other_codes = np.asarray(reference.result._value), np.asarray(candidate.result._value)
    either = (codes == 0) | (other_codes == 0)
    same_codes = bool(np.array_equal(codes[either], other_codes[either]))
    converged = codes == 0
    gap = np.abs(np.asarray(reference.value) - np.asarray(candidate.value))[converged]
    scale = 1.0 + np.abs(np.asarray(reference.value))[converged]
    return {
        "problem": name,
        "dim": dim,
        "dtype": jnp.dtype(dtype).name,
        "starts": STARTS,
        "converged": int(converged.sum()),
        "mean_steps": float(np.mean(np.asarray(reference.stats.num_steps))),
        "same_result_codes_where_converged": same_codes,
        "same_result_codes_fraction": float(np.mean(codes == other_codes)),
        "largest_relative_gap": float(np.max(gap / scale)) if gap.size else 0.0,
        "agree": same_codes and (not gap.size or float(np.max(gap / scale)) <= AGREEMENT),
        "speedup_vectorized_over_naive": naive_s / vectorized_s,
        "speedup_vectorized_over_lapack": lapack_s / vectorized_s,
        "speedup_lapack_over_naive": naive_s / lapack_s,
        "load_average": os.getloadavg(),
        **figures,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", default="4,8,16,32", help="comma-separated dimensions")
    options = parser.parse_args()
    rows = []
    for dim in (int(d) for d in options.dims.split(",")):
        for dtype in (jnp.float64, jnp.float32):
            for name in ("poly", "tanh"):
                row = measure(name, dim, dtype)
                rows.append(row)
                print(
                    f"d={dim:2d} {row['dtype']} {name:4s} vectorized/naive "
                    f"{row['speedup_vectorized_over_naive']:.2f}x  vectorized/lapack "
                    f"{row['speedup_vectorized_over_lapack']:.2f}x  lapack/naive "
                    f"{row['speedup_lapack_over_naive']:.2f}x  agree {row['agree']}  "
                    f"converged {row['converged']}  "
                    f"load {row['load_average'][0]:.1f}",
                    flush=True,
                )
    path = write_results("batched_newton", {"rows": rows, "load_average_at_end": os.getloadavg()})
    print(path)


if __name__ == "__main__":
    main()
