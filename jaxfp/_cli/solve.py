"""`jaxfp solve`: solve a built-in equilibrium problem with each solver and compare them."""

import time

import jax
import jax.numpy as jnp
import numpy as np

from .. import RESULTS, Anderson, Broyden, Newton, Picard, fixed_point_batched
from ._checks import (
    check_memory,
    max_steps_int,
    nonnegative_float,
    positive_float,
    positive_int,
    seed_int,
)
from ._command import add_command
from ._errors import UserInputError
from .output import dump_json, format_table, progress

SOLVER_NAMES = ("picard", "anderson", "broyden", "newton")


def _solver(name: str, rtol: float, atol: float):
    return {"picard": Picard, "anderson": Anderson, "broyden": Broyden, "newton": Newton}[name](
        rtol=rtol, atol=atol
    )


def equilibrium_problem(
    width: int, inputs: int, batch: int, spectral_norm: float, seed: int, dtype
):
    """z = tanh(W z + U x + b) for a batch of inputs x, with ||W||_2 = `spectral_norm`."""
    key_w, key_u, key_b, key_x = jax.random.split(jax.random.key(seed), 4)
    w = jax.random.normal(key_w, (width, width), dtype)
    w = spectral_norm * w / jnp.linalg.norm(w, 2)
    u = jax.random.normal(key_u, (width, inputs), dtype) / float(np.sqrt(inputs))
    b = 0.1 * jax.random.normal(key_b, (width,), dtype)
    x = jax.random.normal(key_x, (batch, inputs), dtype)
    injections = x @ u.T + b
    return (lambda z, injection: jnp.tanh(w @ z + injection)), injections


_SUMMARY = "solve a built-in equilibrium problem with jaxfp's solvers and compare them"
_DESCRIPTION = """\
Solve z = tanh(W z + U x + b) for a batch of random inputs x (one independent fixed-point problem
per input, through jaxfp.fixed_point_batched) with each chosen solver, and print steps, result
codes, residuals and times. ||W||_2 sets the difficulty: Picard's rate is about ||W||_2.
"""


def register(subparsers) -> None:
    parser = add_command(subparsers, "solve", run, summary=_SUMMARY, description=_DESCRIPTION)
    parser.add_argument(
        "--solver",
        choices=(*SOLVER_NAMES, "all"),
        default="all",
        help="solver to run (default: all four)",
    )
    parser.add_argument("--width", type=positive_int, default=64, help="state size d")
    parser.add_argument("--inputs", type=positive_int, default=16, help="input size")
    parser.add_argument("--batch", type=positive_int, default=256, help="number of problems")
    parser.add_argument(
        "--spectral-norm",
        type=positive_float,
        default=0.9,
        help="||W||_2; below 1 the map is a contraction",
    )
    parser.add_argument(
        "--rtol", type=nonnegative_float, default=1e-6, help="relative tolerance (>= 0)"
    )
    parser.add_argument(
        "--atol", type=nonnegative_float, default=1e-6, help="absolute tolerance (>= 0)"
    )
    parser.add_argument("--max-steps", type=max_steps_int, default=500, help="steps per problem")
    parser.add_argument("--float64", action="store_true", help="solve in float64")
    parser.add_argument("--seed", type=seed_int, default=0, help="random seed")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")


def _bytes_needed(args, names) -> int:
    """A lower estimate of the problem's memory: W, U, inputs, states, and Newton's Jacobians."""
    entries = args.width * (args.width + args.inputs) + 3 * args.batch * args.width
    entries += args.batch * args.inputs
    if "newton" in names:  # one dense d x d Jacobian per problem
        entries += args.batch * args.width * args.width
    return entries * (8 if args.float64 else 4)


def run(args) -> int:
    if args.rtol + args.atol == 0:
        raise UserInputError("--rtol and --atol must not both be zero.")
    names = SOLVER_NAMES if args.solver == "all" else (args.solver,)
    check_memory(
        _bytes_needed(args, names),
        f"solve --width {args.width} --batch {args.batch}",
        "use a smaller --width or --batch",
    )
    if args.float64:
        jax.config.update("jax_enable_x64", True)
    dtype = jnp.float64 if args.float64 else jnp.float32
    fn, injections = equilibrium_problem(
        args.width, args.inputs, args.batch, args.spectral_norm, args.seed, dtype
    )
    y0s = jnp.zeros((args.batch, args.width), dtype)
    records = []
    bar = progress(len(names), "solvers", enabled=not args.json)
    for name in names:
        solver = _solver(name, args.rtol, args.atol)

        def solve(solver=solver):
            return fixed_point_batched(
                fn, solver, y0s, injections, args_axes=0, max_steps=args.max_steps
            )

        start = time.perf_counter()
        jax.block_until_ready(solve())
        first = time.perf_counter() - start
        start = time.perf_counter()
        solution = jax.block_until_ready(solve())
        seconds = time.perf_counter() - start
        succeeded = np.asarray(solution.result == RESULTS.successful)
        steps = np.asarray(solution.stats.num_steps)
        records.append(
            {
                "solver": name,
                "converged": int(succeeded.sum()),
                "problems": args.batch,
                "mean_steps": float(steps.mean()),
                "max_steps": int(steps.max()),
                "max_residual": float(np.max(solution.stats.residual)),
                "compile_time_s": max(first - seconds, 0.0),
                "run_time_s": seconds,
            }
        )
        bar.update()
    bar.close()
    if args.json:
        problem = {k: v for k, v in vars(args).items() if k not in ("handler", "json")}
        dump_json({"problem": problem, "solvers": records})
    else:
        headers = list(records[0])
        print(format_table([[r[h] for h in headers] for r in records], headers))
    return 0 if all(r["converged"] == r["problems"] for r in records) else 1
