"""Sequence DEQ on running parity: jaxfp against torchdeq, same architecture, initial weights
and batches.

`python benchmarks/deq_sequence.py [--iterations N]` -> results/deq_sequence.json and
results/deq_sequence.png.

`jaxfp.examples.train_parity_deq` with its defaults: random bit sequences of length 8, target
the parity of every prefix; embedding -> DEQ whose state is the whole hidden sequence (8 x 32)
and whose weight-tied cell updates each position from its predecessor and its bit (an MLP with
64 hidden units) -> per-position logit; Picard at rtol = atol = 1e-4, at most 12 steps,
implicit gradients; 600 Adam steps (5e-3, cosine) on fresh batches of 128; 1000 held-out
sequences. The cell's Jacobian is nilpotent (position t depends on t - 1 only), so Picard
iteration reaches the fixed point exactly in 8 steps: the DEQ is a recurrent network solved
without backpropagation through time. The same model in PyTorch + torchdeq
(`_torchdeq_models.parity_trainer`: fixed-point iteration forward at rtol 1e-4 batch-wide, IFT
backward by Anderson) trains on the same batches, one step of each library in turn
(`_training_race.race`); step time is the median after two warm-up steps.
"""

import argparse

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from _example_results import plt, write_example_results
from _torchdeq_models import parity_trainer
from _training_race import race

from jaxfp.examples import SequenceTrainingConfig, parity_batch, parity_step


def jaxfp_trainer(model, config):
    """(step((bits, parity)) -> loss, predict(bits) -> (logits, mean forward steps))."""
    optimizer, step = parity_step(config)
    state = {"model": model, "opt": optimizer.init(eqx.filter(model, eqx.is_array))}

    def run(batch):
        bits, parity = batch
        new_model, opt, loss = step(
            state["model"], state["opt"], jnp.asarray(bits), jnp.asarray(parity, float)
        )
        state.update(model=new_model, opt=opt)
        return float(loss)

    evaluate = eqx.filter_jit(lambda m, bits: jax.vmap(lambda b: m(b, return_stats=True))(bits))

    def predict(bits):
        logits, stats = evaluate(state["model"], jnp.asarray(bits))
        return np.asarray(logits), float(jnp.mean(stats.num_steps))

    return run, predict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=SequenceTrainingConfig.iterations)
    config = SequenceTrainingConfig(iterations=parser.parse_args().iterations)
    model = config.initial_model()
    rng = np.random.default_rng(config.seed)
    size, length = config.batch_size, config.length
    batches = [parity_batch(rng, size, length) for _ in range(config.iterations)]
    test_bits, test_parity = parity_batch(
        np.random.default_rng(config.seed + 1), config.test_size, config.length
    )
    jax_step, jax_predict = jaxfp_trainer(model, config)
    torch_step, torch_predict = parity_trainer(config, model)
    timings = race({"jaxfp": jax_step, "torchdeq": torch_step}, batches)
    methods = {}
    losses = {}
    for name, predict in (("jaxfp", jax_predict), ("torchdeq", torch_predict)):
        entry = timings[name]
        outputs = entry.pop("outputs")
        entry.pop("times_s")
        logits, forward_steps = predict(test_bits)
        correct = (logits > 0) == test_parity.astype(bool)
        methods[name] = {
            "sequence_accuracy": float(correct[:, -1].mean()),
            "position_accuracy": float(correct.mean()),
            "mean_forward_steps_on_test": forward_steps,
            **entry,
        }
        if name == "torchdeq":
            steps = np.array(outputs)
            methods[name]["mean_forward_steps"] = float(steps[:, 0].mean())
            methods[name]["mean_backward_steps"] = float(steps[:, 1].mean())
            losses[name] = steps[:, 2]
        else:
            losses[name] = np.array(outputs)
        methods[name]["final_loss"] = float(losses[name][-1])
    ratio = methods["jaxfp"]["median_step_s"] / methods["torchdeq"]["median_step_s"]
    figures = {"methods": methods, "step_time_over_torchdeq": ratio}
    fig, ax = plt.subplots(figsize=(5, 3.2))
    for name, curve in losses.items():
        smooth = np.convolve(curve, np.ones(20) / 20, mode="valid")
        ax.plot(smooth, lw=1.5, label=f"{name} ({methods[name]['sequence_accuracy']:.3f})")
    ax.set(xlabel="Adam step", ylabel="binary cross-entropy", yscale="log")
    ax.set_title("running parity: held-out sequence accuracy")
    ax.legend()
    workload = "running parity of 8 random bits, sequence DEQ (weight-tied cell)"
    write_example_results("deq_sequence", workload, config, figures, fig)


if __name__ == "__main__":
    main()
