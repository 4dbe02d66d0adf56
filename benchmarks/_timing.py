"""Timing helpers shared by the benchmarks: compile time apart from run time.

The CPU may be shared with other work, so methods are timed *interleaved*: every round calls
each method once, and each method's figures are the minimum (the least disturbed run) and the
median over rounds.
"""

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import jax

RESULTS_DIR = Path(__file__).parent / "results"


def compile_jax(fn: Callable, *args) -> tuple[Callable, float]:
    """Compile `jax.jit(fn)` for `args` ahead of time; return `(compiled, compile seconds)`."""
    start = time.perf_counter()
    compiled = jax.jit(fn).lower(*args).compile()
    return compiled, time.perf_counter() - start


def timed(call: Callable[[], object], repeats: int = 5) -> dict:
    """Time one call: the first call (compile + run), then the median of `repeats` warm calls.

    Returns `{"first_call_s", "compile_s" (first minus median), "run_s" (median), "runs_s"}`.
    """
    start = time.perf_counter()
    jax.block_until_ready(call())
    first = time.perf_counter() - start
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(call())
        runs.append(time.perf_counter() - start)
    median = statistics.median(runs)
    return {
        "first_call_s": first,
        "compile_s": max(first - median, 0.0),
        "run_s": median,
        "runs_s": runs,
    }


def interleaved(calls: dict[str, Callable[[], object]], rounds: int = 7) -> dict[str, dict]:
    """Warm every call up once, then time `rounds` rounds of one call each, interleaved.

    Returns, per name, `{"first_call_s", "run_s" (minimum), "median_s", "runs_s"}`; the
    output of each call is blocked on (`jax.block_until_ready`) before its clock stops.
    """
    figures = {}
    for name, call in calls.items():
        start = time.perf_counter()
        jax.block_until_ready(call())
        figures[name] = {"first_call_s": time.perf_counter() - start, "runs_s": []}
    for _ in range(rounds):
        for name, call in calls.items():
            start = time.perf_counter()
            jax.block_until_ready(call())
            figures[name]["runs_s"].append(time.perf_counter() - start)
    for entry in figures.values():
        entry["run_s"] = min(entry["runs_s"])
        entry["median_s"] = statistics.median(entry["runs_s"])
    return figures


def machine() -> dict:
    """What the figures were measured on."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "dtype": "float32",
    }


def write_results(name: str, payload: dict) -> Path:
    """Write `payload` (plus the machine description) to `benchmarks/results/<name>.json`."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps({"machine": machine(), **payload}, indent=2) + "\n")
    return path
