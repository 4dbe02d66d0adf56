"""Training steps of several libraries timed side by side: one step of each in turn, on the
same inputs, so that a shared machine's load falls on all of them alike."""

import statistics
import time
from collections.abc import Callable, Sequence


def race(steps: dict[str, Callable], inputs: Sequence, warmup: int = 2) -> dict[str, dict]:
    """Call every `steps[name](inputs[i])` for each i in turn, timing each call.

    Each step must block until its work is done and may return a value (for example its solver
    step counts). The first `warmup` rounds (compilation) are timed apart.

    Returns, per name: `warmup_s`, `times_s` (the timed rounds), `median_step_s`, `total_s`
    (every round, warm-up included) and `outputs` (what the timed rounds returned).
    """
    figures = {name: {"warmup_s": [], "times_s": [], "outputs": []} for name in steps}
    for index, item in enumerate(inputs):
        for name, step in steps.items():
            start = time.perf_counter()
            output = step(item)
            elapsed = time.perf_counter() - start
            entry = figures[name]
            if index < warmup:
                entry["warmup_s"].append(elapsed)
            else:
                entry["times_s"].append(elapsed)
                entry["outputs"].append(output)
        if index < warmup or (index - warmup) % 50 == 0:
            line = ", ".join(
                f"{name} {(entry['times_s'] or entry['warmup_s'])[-1]:.3f} s"
                for name, entry in figures.items()
            )
            print(f"step {index}: {line}", flush=True)
    for entry in figures.values():
        entry["median_step_s"] = statistics.median(entry["times_s"])
        entry["total_s"] = sum(entry["warmup_s"]) + sum(entry["times_s"])
    return figures
