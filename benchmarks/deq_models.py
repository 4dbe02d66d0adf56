"""Conv DEQ classifier on scikit-learn's digits: jaxfp against torchdeq, same architecture and data.

`python benchmarks/deq_models.py [--steps N] [--accuracy-from PATH]` -> results/deq_models.json.

Both sides train `jaxfp.examples.ConvDigitsDEQ` with the defaults of
`jaxfp train-deq --model conv` (width 16, GroupNorm conv cell, Adam 2e-3, batch 64, shifted
images): jaxfp through `jaxfp.examples.train_step` (Anderson forward at rtol = atol = 1e-3,
30 steps; implicit backward by Anderson at rtol 1e-4, 40 steps; best effort), torchdeq with the
same initial weights (copied), Anderson forward (f_tol 1e-3 'rel', 30 iterations) and Anderson
backward (b_tol 1e-4 'rel', 40 iterations), IFT gradients. The two use their own stopping
rules (jaxfp: per sample, scaled residual; torchdeq: batch-wide relative residual).

Step time: the median over `--steps` training steps on the same batches, the two libraries'
steps interleaved (the machine is shared), after two warm-up steps (jaxfp compiles in the
first). Forward/backward steps: per-step means over the batch (torchdeq: `info['nstep']` and
its backward writer). Accuracy: both test accuracies after the timed steps, and jaxfp's full
training run read from `--accuracy-from` (the JSON of `jaxfp train-deq --model conv --json`)
when given: a full run is too long to repeat here on a loaded 2-core machine.
"""

import argparse
import json
import os
import statistics
import time

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax
from _example_results import write_example_results

import jaxfp.examples as examples


def jaxfp_trainer(config, data):
    """(step(images, labels) -> (forward steps, backward steps), accuracy(), initial model)."""
    model = examples.build_model(config, jax.random.key(config.seed))
    optimizer = optax.adam(config.learning_rate)
    state = {"model": model, "opt": optimizer.init(eqx.filter(model, eqx.is_array))}
    key = jax.random.key(1)

    def step(images, labels):
        new_model, opt, metrics = examples.train_step(
            state["model"], state["opt"], optimizer, jnp.asarray(images), jnp.asarray(labels), key
        )
        jax.block_until_ready(new_model)
        state.update(model=new_model, opt=opt)
        return float(metrics.forward_steps), float(metrics.backward_steps)

    def accuracy():
        return float(examples.accuracy(state["model"], data.test_images, data.test_labels))

    return step, accuracy, model


def torchdeq_trainer(config, data, jax_model):
    """The same model in PyTorch + torchdeq, initialised with `jax_model`'s weights."""
    import torch
    from torch import nn
    from torchdeq import get_deq

    torch.set_num_threads(os.cpu_count() or 1)
    as_torch = lambda a: torch.tensor(np.asarray(a))
    channels, groups = config.width, jax_model.encoder_norm.groups

    def group_norm(eqx_norm):
        norm = nn.GroupNorm(groups, eqx_norm.channels, eps=eqx_norm.eps)
        norm.weight.data, norm.bias.data = as_torch(eqx_norm.weight), as_torch(eqx_norm.bias)
        return norm

    def conv(eqx_conv):
        weight = eqx_conv.weight
        bias = eqx_conv.bias is not None
        layer = nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1, bias=bias)
        layer.weight.data = as_torch(weight)
        if bias:
            layer.bias.data = as_torch(eqx_conv.bias.reshape(-1))
        return layer

    cell = jax_model.deq.cell

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder, self.encoder_norm = (
                conv(jax_model.encoder),
                group_norm(jax_model.encoder_norm),
            )
            self.conv1, self.conv2 = conv(cell.conv1), conv(cell.conv2)
            self.norm1, self.norm2, self.norm3 = map(
                group_norm, (cell.norm1, cell.norm2, cell.norm3)
            )
            self.head_norm = group_norm(jax_model.head_norm)
            self.head = nn.Linear(channels * 64, 10)
            self.head.weight.data = as_torch(jax_model.head.weight)
            self.head.bias.data = as_torch(jax_model.head.bias)
            self.deq = get_deq(
                ift=True,
                f_solver="anderson",
                b_solver="anderson",
                f_max_iter=config.max_steps,
                b_max_iter=config.backward_max_steps,
                f_tol=config.tolerance,
                b_tol=config.backward_tolerance,
                f_stop_mode="rel",
                b_stop_mode="rel",
            )

        def cell(self, z, x):
            y = self.norm1(torch.relu(self.conv1(z)))
            return self.norm3(torch.relu(z + self.norm2(x + self.conv2(y))))

        def forward(self, images, writer=None):
            x = self.encoder_norm(self.encoder(images.reshape(-1, 1, 8, 8)))
            z_out, info = self.deq(
                lambda z: self.cell(z, x), torch.zeros_like(x), backward_writer=writer
            )
            logits = self.head(self.head_norm(z_out[-1]).flatten(1))
            return logits, info

    model = Model()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    loss_fn = nn.CrossEntropyLoss()

    def step(images, labels):
        backward = []
        model.train()
        optimizer.zero_grad()
        logits, info = model(as_torch(images), writer=lambda stats: backward.append(stats))
        loss_fn(logits, torch.tensor(np.asarray(labels), dtype=torch.long)).backward()
        optimizer.step()
        backward_steps = float(backward[0]["nstep"].float().mean()) if backward else -1.0
        return float(info["nstep"].float().mean()), backward_steps

    def accuracy():
        model.eval()
        with torch.no_grad():
            logits, _ = model(as_torch(data.test_images))
        labels = np.asarray(data.test_labels)
        return float((logits.argmax(-1).numpy() == labels).mean())

    return step, accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12, help="timed training steps per library")
    parser.add_argument("--accuracy-from", help="JSON of `jaxfp train-deq --model conv --json`")
    arguments = parser.parse_args()
    config = examples.DigitsTrainingConfig.for_model("conv")
    data = examples.load_digits_split(config.test_fraction, config.seed)
    rng = np.random.default_rng(config.seed)
    images = examples.shift_images(np.asarray(data.train_images), rng)
    labels = np.asarray(data.train_labels)
    batches = [
        (images[i : i + config.batch_size], labels[i : i + config.batch_size])
        for i in range(0, config.batch_size * (arguments.steps + 2), config.batch_size)
    ]
    jax_step, jax_accuracy, jax_model = jaxfp_trainer(config, data)
    torch_step, torch_accuracy = torchdeq_trainer(config, data, jax_model)
    figures = {"jaxfp": {"times_s": [], "steps": []}, "torchdeq": {"times_s": [], "steps": []}}
    for index, (batch_images, batch_labels) in enumerate(batches):
        for name, step in (("jaxfp", jax_step), ("torchdeq", torch_step)):
            start = time.perf_counter()
            steps = step(batch_images, batch_labels)
            elapsed = time.perf_counter() - start
            if index >= 2:  # two warm-up steps (jaxfp compiles in the first)
                figures[name]["times_s"].append(elapsed)
                figures[name]["steps"].append(steps)
            else:
                figures[name].setdefault("warmup_s", []).append(elapsed)
        print(f"step {index}: " + ", ".join(f"{n} {f['times_s'][-1:]}" for n, f in figures.items()))
    for name, accuracy in (("jaxfp", jax_accuracy), ("torchdeq", torch_accuracy)):
        entry = figures[name]
        entry["median_step_s"] = statistics.median(entry["times_s"])
        steps = np.array(entry.pop("steps"))
        entry["mean_forward_steps"] = float(steps[:, 0].mean())
        entry["mean_backward_steps"] = float(steps[:, 1].mean())
        entry["test_accuracy_after_timed_steps"] = accuracy()
    ratio = figures["jaxfp"]["median_step_s"] / figures["torchdeq"]["median_step_s"]
    payload = {
        "timed_steps": arguments.steps,
        "methods": figures,
        "targets": {
            "step_time_over_torchdeq": {"value": ratio, "target": 0.7, "met": ratio <= 0.7}
        },
    }
    if arguments.accuracy_from:
        with open(arguments.accuracy_from) as stream:
            full = json.load(stream)
        payload["jaxfp_full_training"] = full
        accuracy = full["test_accuracy"]
        payload["targets"]["test_accuracy"] = {
            "value": accuracy,
            "target": 0.985,
            "met": accuracy >= 0.985,
        }
    workload = "ConvDigitsDEQ (width 16) on scikit-learn digits, batch 64, float32"
    write_example_results("deq_models", workload, config, payload)
    print(json.dumps(payload["targets"], indent=2))


if __name__ == "__main__":
    main()
