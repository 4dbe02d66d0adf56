"""Sequence DEQ on running parity: accuracy, solver steps and time of `jaxfp train-sequence`.

`python benchmarks/deq_sequence.py` -> results/deq_sequence.json and results/deq_sequence.png.

`jaxfp.examples.train_parity_deq` with its defaults: random bit sequences of length 8, target
the parity of every prefix; embedding -> DEQ whose state is the whole hidden sequence (8 x 32)
and whose weight-tied cell updates each position from its predecessor and its bit (an MLP with
64 hidden units) -> per-position logit; Picard at rtol = atol = 1e-4, at most 12 steps,
implicit gradients; 600 Adam steps (5e-3, cosine) on fresh batches of 128; 1000 held-out
sequences. The cell's Jacobian is nilpotent (position t depends on t - 1 only), so Picard
iteration reaches the fixed point exactly in 8 steps: the DEQ is a recurrent network solved
without backpropagation through time.
"""

import dataclasses
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _timing import RESULTS_DIR, write_results  # noqa: E402

from jaxfp.examples import SequenceTrainingConfig, train_parity_deq  # noqa: E402


def main() -> None:
    config = SequenceTrainingConfig()
    result = train_parity_deq(config)
    payload = {
        "workload": "running parity of 8 random bits, sequence DEQ (weight-tied cell)",
        "config": dataclasses.asdict(config),
        "load_average_at_end": os.getloadavg(),
        "sequence_accuracy": result.sequence_accuracy,
        "position_accuracy": result.position_accuracy,
        "mean_forward_steps": result.forward_steps,
        "final_loss": result.losses[-1],
        "wall_time_s": result.wall_time,
    }
    path = write_results("deq_sequence", payload)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    losses = np.asarray(result.losses)
    ax.plot(losses, lw=0.6, alpha=0.5)
    ax.plot(np.convolve(losses, np.ones(20) / 20, mode="valid"), lw=1.5)
    ax.set(xlabel="Adam step", ylabel="binary cross-entropy", yscale="log")
    ax.set_title(f"running parity: held-out sequence accuracy {result.sequence_accuracy:.3f}")
    fig.tight_layout()
    fig.savefig(RESULTS_DIR / "deq_sequence.png", dpi=80)
    print(payload)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
