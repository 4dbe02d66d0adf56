#!/usr/bin/env bash
# The GPU check: correctness smoke tests (solvers, DEQ gradients, enumeration of P1's (P) at
# d = 16, exact regions for ReLU at d = 20) and the GPU benchmarks (W1 at batch 8192, enumeration
# throughput in starts/s, DEQ training step time), written to one JSON file
# (benchmarks/results/gpu.json, or --out FILE). Meant to finish within 8 minutes on one GPU; it is
# stopped at 8 minutes. `--quick` runs small sizes, e.g. on a CPU to check the script itself.
# Exits non-zero when a check fails (every other check still runs and is recorded).
set -euo pipefail
cd "$(dirname "$0")"
exec timeout 480 python gpu_check.py "$@"
