"""Benchmark of the `jaxfp` command's warm start (compiled code and traced programs kept on disk).

Each run is a fresh process (`python -m jaxfp._cli.main enumerate ...`), timed in wall-clock
seconds from launch to exit, so the figures include Python start-up, importing jaxfp and jax,
tracing, compiling (or loading compiled code from the cache) and the enumeration itself:

1. cold: the first run on network A (d = 3, tanh, seed 0), with an empty cache directory;
2. warm, same network: the second run on network A;
3. warm, another network: a run on network B (d = 3, tanh, seed 1: other weights, same shapes);
4. for comparison, runs of A and B with the cache off, and the time of `import jaxfp` alone.

Target (issue 13): runs 2 and 3 at least 3x faster than run 1. Writes
`benchmarks/results/warm_start.json`. Run: `python benchmarks/warm_start.py [--repeats N]`.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import machine

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "warm_start.json"
TARGET = 3.0


def network(seed: int) -> list[str]:
    return ["--net", "random", "--dim", "3", "--activation", "tanh", "--gain", "2"] + [
        "--seed",
        str(seed),
    ]


def wall_time(arguments: list[str], cache: str) -> float:
    """Seconds for one fresh `jaxfp` process with `JAXFP_CACHE_DIR=cache`."""
    environment = {**os.environ, "JAXFP_CACHE_DIR": cache, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "jaxfp._cli.main", *arguments],
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="cold/warm sequences (default 2)")
    options = parser.parse_args()
    enumerate_a = ["enumerate", *network(0), "--json", "-"]
    enumerate_b = ["enumerate", *network(1), "--json", "-"]
    rounds = []
    for _ in range(options.repeats):
        with tempfile.TemporaryDirectory() as cache:
            round_ = {
                "cold_a_s": wall_time(enumerate_a, cache),
                "warm_a_s": wall_time(enumerate_a, cache),
                "warm_b_s": wall_time(enumerate_b, cache),
                "cache_mb": sum(p.stat().st_size for p in Path(cache).rglob("*") if p.is_file())
                / 1e6,
            }
        round_["uncached_a_s"] = wall_time(enumerate_a, "off")
        round_["uncached_b_s"] = wall_time(enumerate_b, "off")
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "import jaxfp"],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=True,
        )
        round_["import_jaxfp_s"] = time.perf_counter() - start
        round_["speedup_same"] = round_["cold_a_s"] / round_["warm_a_s"]
        round_["speedup_other"] = round_["cold_a_s"] / round_["warm_b_s"]
        rounds.append(round_)
        print(json.dumps(round_))
    best = {key: min(r[key] for r in rounds) for key in rounds[0] if key.endswith("_s")}
    summary = {
        "best_s": best,
        "speedup_same_network": best["cold_a_s"] / best["warm_a_s"],
        "speedup_other_network": best["cold_a_s"] / best["warm_b_s"],
        "target": TARGET,
    }
    summary["met"] = (
        min(summary["speedup_same_network"], summary["speedup_other_network"]) >= TARGET
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps({"machine": machine(), "rounds": rounds, "summary": summary}, indent=2) + "\n"
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
