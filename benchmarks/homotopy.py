"""Total-degree homotopy on random cubic looped networks, d = 4 … 8 (k^d = 81 … 6561 paths):
jaxfp's `Homotopy` tracker (compile and tracking time apart, from one call) against PHCpack's
`phc -b` on the same systems in one run (skipped when `phc` is not on PATH).

Each phc run is capped at `--target` × jaxfp's end-to-end time (at most `--phc-cap` s): a phc
run stopped at that cap shows the target speed-up without waiting for phc to finish. Writes
benchmarks/results/homotopy.json with the load average. Usage:
python benchmarks/homotopy.py [--dims 4 5 6 7 8] [--target 5] [--phc-cap 45]
(the defaults fit in 5 minutes).

`--parts N` instead times the split run on the command line, interleaved with the one-process
run, `--rounds` times per d: `jaxfp enumerate --method homotopy` in one process against N
processes `jaxfp enumerate --method homotopy --part I/N` started together, then `jaxfp merge`
(wall time of each whole command, compilation included, persistent cache off), checks that the
merged points are the one-process points, and writes benchmarks/results/homotopy_parts.json
with the load average before each run.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

jax.config.update("jax_enable_x64", True)

import jaxfp  # noqa: E402
from jaxfp.enumeration import load_part  # noqa: E402
from jaxfp.enumeration._homotopy._run import track_all_paths  # noqa: E402

CUBIC = (0.0, 1.5, 0.0, -0.5)


def network(dim: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((dim, dim)) / np.sqrt(dim)
    return jaxfp.looped.LoopedNet(
        weight, 0.3 * rng.standard_normal(dim), jaxfp.looped.Polynomial(CUBIC)
    )


def phc_input(net) -> str:
    weight, bias = np.asarray(net.W), np.asarray(net.b)
    lines = [str(net.dim)]
    for i in range(net.dim):
        terms = "+".join(f"({weight[i, j]:.17e})*x{j + 1}" for j in range(net.dim))
        u = f"({terms}+({bias[i]:.17e}))"
        lines.append(f"x{i + 1} - (1.5*{u} - 0.5*{u}^3);")
    return "\n".join(lines) + "\n"


def run_phc(net, cap: float):
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "system", Path(folder) / "out"
        source.write_text(phc_input(net))
        start = time.perf_counter()
        try:
            subprocess.run(
                ["phc", "-b", str(source), str(target)],
                capture_output=True,
                timeout=cap,
                check=True,
            )
        except subprocess.TimeoutExpired:
            return {"seconds": None, "timed_out_after_s": cap}
        seconds = time.perf_counter() - start
        text = target.read_text()
        real = [line for line in text.splitlines() if "Number of real solutions" in line]
        return {
            "seconds": seconds,
            "real": int(real[-1].split(":")[1].strip(" .")) if real else None,
        }


def run_jaxfp(net):
    start = time.perf_counter()
    paths = track_all_paths(net)
    seconds = time.perf_counter() - start
    return {
        "end_to_end_s": seconds,
        "compile_s": paths.compile_time_s,
        "tracking_s": paths.tracking_time_s,
        "paths_per_s_tracking": paths.num_paths / paths.tracking_time_s,
        "counts_finite_infinity_singular_failed": list(paths.counts),
        "accounted": bool(paths.accounted),
        "real": int(paths.real_solutions.shape[0]),
    }


_CLI = "import sys; from jaxfp._cli.main import main; sys.exit(main(sys.argv[1:]))"


def _cli(*argv: str) -> subprocess.Popen:
    """`jaxfp ARGV` of this checkout in a new process (no persistent compilation cache)."""
    root = Path(__file__).resolve().parents[1]
    environment = {**os.environ, "PYTHONPATH": str(root), "JAXFP_CACHE_DIR": "off"}
    command = [sys.executable, "-c", _CLI, *argv]
    return subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL)


def _wall(*processes: subprocess.Popen) -> float:
    """Seconds until every one of `processes` (started just now) has succeeded."""
    start = time.perf_counter()
    codes = [process.wait() for process in processes]
    if any(codes):
        raise RuntimeError(f"a jaxfp command failed: exit codes {codes}")
    return time.perf_counter() - start


def run_split(dim: int, count: int, rounds: int) -> dict:
    """One process against `count` parts and their merge on the CLI, interleaved."""
    folder = Path(tempfile.mkdtemp())
    net = network(dim)
    np.save(folder / "W.npy", np.asarray(net.W))
    np.save(folder / "b.npy", np.asarray(net.b))
    given = ["enumerate", "--weights", str(folder / "W.npy"), "--bias", str(folder / "b.npy")]
    given += ["--activation", "poly:0,1.5,0,-0.5", "--method", "homotopy"]
    times = {"one_process_s": [], "parts_s": [], "merge_s": [], "split_total_s": []}
    loads = []
    for _ in range(rounds):
        loads.append(os.getloadavg()[0])
        one = [*given, "--out", str(folder / "one.npz"), "--json", str(folder / "one.json")]
        times["one_process_s"].append(_wall(_cli(*one)))
        loads.append(os.getloadavg()[0])
        start = time.perf_counter()
        parts = [
            _cli(*given, "--part", f"{i}/{count}", "--out", str(folder / f"part{i}.npz"))
            for i in range(count)
        ]
        times["parts_s"].append(_wall(*parts))
        files = [str(folder / f"part{i}.npz") for i in range(count)]
        merge = ["merge", *files, "--out", str(folder / "all.npz")]
        times["merge_s"].append(_wall(_cli(*merge, "--json", str(folder / "all.json"))))
        times["split_total_s"].append(time.perf_counter() - start)
    with np.load(folder / "one.npz") as one, np.load(folder / "all.npz") as merged:
        same = one["points"].shape == merged["points"].shape and bool(
            np.allclose(one["points"], merged["points"], atol=1e-12, rtol=0)
        )
    summaries = [json.loads((folder / f"{name}.json").read_text()) for name in ("one", "all")]
    inside = {"one_process": [summaries[0][f"{n}_time_s"] for n in ("compile", "tracking")]}
    for index in range(count):  # the last round's parts: (compile, tracking) seconds inside
        tracked = load_part(folder / f"part{index}.npz").result[0]
        inside[f"part{index}"] = [tracked.compile_time_s, tracked.tracking_time_s]
    shutil.rmtree(folder)
    medians = {name: statistics.median(values) for name, values in times.items()}
    return {
        "d": dim,
        "paths": 3**dim,
        "parts": count,
        "rounds": rounds,
        "median": medians,
        "runs": times,
        "speedup_split_over_one": medians["one_process_s"] / medians["split_total_s"],
        "same_points": same,
        "complete": [summary["complete"] for summary in summaries],
        "n_fixed_points": [summary["num_fixed_points"] for summary in summaries],
        "load_before_each_run": loads,
        "compile_and_tracking_s_last_round": inside,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dims", type=int, nargs="+", default=[4, 5, 6, 7, 8])
    parser.add_argument("--target", type=float, default=5.0)
    parser.add_argument("--phc-cap", type=float, default=45.0)
    parser.add_argument("--parts", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    if arguments.parts is not None:
        rows = [run_split(dim, arguments.parts, arguments.rounds) for dim in arguments.dims]
        for row in rows:
            print(json.dumps(row), flush=True)
        output = Path(__file__).parent / "results" / "homotopy_parts.json"
        results = {"machine": f"{os.cpu_count()} CPU cores shared with other work", "rows": rows}
        output.write_text(json.dumps({**results, "load_at_end": os.getloadavg()}, indent=2))
        return
    has_phc = shutil.which("phc") is not None
    rows = []
    for dim in arguments.dims:
        net = network(dim)
        row = {"d": dim, "paths": 3**dim, "load_before": os.getloadavg()[0]}
        row["jaxfp"] = run_jaxfp(net)
        cap = min(arguments.target * row["jaxfp"]["end_to_end_s"], arguments.phc_cap)
        row["phc"] = run_phc(net, cap) if has_phc else "phc not installed"
        if has_phc:
            phc = row["phc"]["seconds"] or row["phc"]["timed_out_after_s"]
            at_least = "≥ " if row["phc"]["seconds"] is None else ""
            row["speedup_end_to_end"] = f"{at_least}{phc / row['jaxfp']['end_to_end_s']:.2f}"
            row["speedup_tracking"] = f"{at_least}{phc / row['jaxfp']['tracking_s']:.2f}"
        rows.append(row)
        print(json.dumps(row), flush=True)
    output = Path(__file__).parent / "results" / "homotopy.json"
    output.write_text(
        json.dumps(
            {
                "machine": f"{os.cpu_count()} CPU cores shared with other work",
                "load_average_at_end": os.getloadavg(),
                "backend": jax.default_backend(),
                "rows": rows,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
