"""What the worked-model benchmarks (`deq_*.py`) share: plots drawn without a display, and the
JSON (and PNG) each writes to results/."""

import dataclasses
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from _timing import RESULTS_DIR, write_results  # noqa: E402

__all__ = ["plt", "write_example_results"]


def write_example_results(name: str, workload: str, config, figures: dict, figure=None) -> Path:
    """Write results/<name>.json (`workload`, `config`, the load average now, then `figures`)
    and, when a matplotlib `figure` is given, results/<name>.png; print the payload."""
    payload = {
        "workload": workload,
        "config": dataclasses.asdict(config),
        "load_average_at_end": os.getloadavg(),
        **figures,
    }
    path = write_results(name, payload)
    if figure is not None:
        figure.tight_layout()
        figure.savefig(RESULTS_DIR / f"{name}.png", dpi=80)
    print(payload)
    print(f"wrote {path}")
    return path
