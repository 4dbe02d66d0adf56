"""`benchmarks/gpu.sh --quick` runs every check and writes its JSON (on the CPU: the script's own
check; the GPU figures come from running it without --quick on a GPU)."""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_gpu_script_quick_mode_runs_every_check(tmp_path):
    out = tmp_path / "gpu.json"
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    run = subprocess.run(
        [str(ROOT / "benchmarks" / "gpu.sh"), "--quick", "--out", str(out)],
        env=environment,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["quick"] is True
    assert set(report["smoke"]) == {
        "solvers",
        "deq_gradients",
        "enumeration_p1_poly",
        "exact_regions_relu",
    }
    assert set(report["benchmarks"]) == {
        "w1_picard",
        "enumeration_throughput",
        "deq_training_step",
    }
    entries = [*report["smoke"].values(), *report["benchmarks"].values()]
    assert all(entry["passed"] for entry in entries), entries
    assert report["benchmarks"]["enumeration_throughput"]["starts_per_s"] > 0
