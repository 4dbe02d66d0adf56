"""The worked DEQ models of `jaxfp.examples` in PyTorch + torchdeq, initialised with the JAX
model's weights, for the side-by-side benchmarks (`deq_models.py`, `deq_inr.py`,
`deq_sequence.py`). torchdeq and torch are optional peers (`pip install -e ".[bench]"`).

Both libraries stop on their own rules: jaxfp per sample on the scaled residual
norm((f(z) − z) / (atol + rtol |f(z)|)) < 1; torchdeq ("rel") when every sample of the batch has
‖f(z) − z‖ / ‖f(z)‖ below its tolerance. Under `jax.vmap` jaxfp's loop also runs until its
last sample stops, so both pay for the slowest sample.
"""

import os

import numpy as np

from jaxfp.examples._channels_last import ChannelsLastConv

# torchdeq's forward tolerance for the conv classifier: jaxfp's conv default (RMS norm at
# 5e-4) stops every sample no earlier than this rule (benchmarks/README.md, "DEQ models").
CONV_FORWARD_TOLERANCE = 1e-3


def _torch():
    import torch
    from torch import nn
    from torchdeq import get_deq

    torch.set_num_threads(os.cpu_count() or 1)
    return torch, nn, get_deq


def as_torch(array):
    """A torch tensor holding a copy of a JAX or NumPy array."""
    import torch

    return torch.tensor(np.asarray(array))


def linear_from(eqx_linear):
    """`torch.nn.Linear` with an `equinox.nn.Linear`'s weight and bias (same layout)."""
    from torch import nn

    weight = eqx_linear.weight
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=eqx_linear.bias is not None)
    layer.weight.data = as_torch(weight)
    if eqx_linear.bias is not None:
        layer.bias.data = as_torch(eqx_linear.bias)
    return layer


def spectral_weight(weight, vector, scale: float, iterations: int):
    """`jaxfp.nn.SpectralNorm.weight` in torch: `scale · W / σ̂(W)`, σ̂ = uᵀ W v after
    `iterations` power iterations from the stored `vector`, not differentiated through."""
    import torch

    with torch.no_grad():
        u = vector
        for _ in range(iterations):
            v = weight.T @ u
            v = v / v.norm()
            u = weight @ v
            u = u / u.norm()
        v = weight.T @ u
        v = v / v.norm()
    return scale * weight / (u @ weight @ v)


def _adam_with_cosine(torch, model, learning_rate: float, iterations: int):
    """Adam whose rate decays as optax's `cosine_decay_schedule(learning_rate, iterations)`."""
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=iterations)
    return optimizer, schedule


def _mean_steps(info) -> float:
    return float(info["nstep"].float().mean())


def conv_digits_trainer(config, data, jax_model):
    """`jaxfp.examples.ConvDigitsDEQ` in PyTorch + torchdeq, initialised with `jax_model`'s
    weights: `(step(images, labels) -> (forward steps, backward steps), accuracy())`."""
    torch, nn, get_deq = _torch()
    groups = jax_model.encoder_norm.groups

    def group_norm(eqx_norm):
        norm = nn.GroupNorm(groups, eqx_norm.channels, eps=eqx_norm.eps)
        norm.weight.data, norm.bias.data = as_torch(eqx_norm.weight), as_torch(eqx_norm.bias)
        return norm

    def conv(jax_conv):
        # The cell's kernels are HWIO (`ChannelsLastConv`), the encoder's OIHW (equinox).
        weight = jax_conv.weight
        if isinstance(jax_conv, ChannelsLastConv):
            weight = np.transpose(weight, (3, 2, 0, 1))
        bias = getattr(jax_conv, "bias", None) is not None
        layer = nn.Conv2d(weight.shape[1], weight.shape[0], 3, padding=1, bias=bias)
        layer.weight.data = as_torch(weight)
        if bias:
            layer.bias.data = as_torch(jax_conv.bias.reshape(-1))
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
            self.head = linear_from(jax_model.head)
            self.deq = get_deq(
                ift=True,
                f_solver="anderson",
                b_solver="anderson",
                f_max_iter=config.max_steps,
                b_max_iter=config.backward_max_steps,
                f_tol=CONV_FORWARD_TOLERANCE,
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
            # jaxfp's state is channels-last: flatten (H, W, C) as its head does.
            logits = self.head(self.head_norm(z_out[-1]).permute(0, 2, 3, 1).flatten(1))
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
        backward_steps = _mean_steps(backward[0]) if backward else -1.0
        return _mean_steps(info), backward_steps

    def accuracy():
        model.eval()
        with torch.no_grad():
            logits, _ = model(as_torch(data.test_images))
        labels = np.asarray(data.test_labels)
        return float((logits.argmax(-1).numpy() == labels).mean())

    return step, accuracy


def image_trainer(config, jax_model, features, target):
    """`jaxfp.examples.ImageDEQ` in PyTorch + torchdeq, fitted as `fit_image` fits it: full
    batch, Adam with cosine decay; torchdeq's Anderson forward (rtol `config.tolerance`, at
    most `config.max_steps`) and IFT backward by Anderson (1e-5, 200 steps, as
    `jaxfp.AndersonLinearSolver`). `features` are the pixels' Fourier features.

    Returns `(step(_) -> (forward steps, backward steps), image() -> np.ndarray)`.
    """
    torch, nn, get_deq = _torch()
    normalized = jax_model.deq.cell.linear
    features, target = as_torch(features), as_torch(target)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = linear_from(jax_model.encoder)
            self.recurrent = linear_from(normalized.layer)
            self.register_buffer("vector", as_torch(normalized.vector))
            self.head = linear_from(jax_model.head)
            self.deq = get_deq(
                ift=True,
                f_solver="anderson",
                b_solver="anderson",
                f_max_iter=config.max_steps,
                b_max_iter=200,
                f_tol=config.tolerance,
                b_tol=1e-5,
                f_stop_mode="rel",
                b_stop_mode="rel",
            )

        def forward(self, writer=None):
            x = self.encoder(features)
            weight = spectral_weight(
                self.recurrent.weight, self.vector, normalized.scale, normalized.num_iterations
            )
            bias = self.recurrent.bias
            cell = lambda z: torch.tanh(z @ weight.T + bias + x)
            z_out, info = self.deq(cell, torch.zeros_like(x), backward_writer=writer)
            return self.head(z_out[-1]).squeeze(-1), info

    model = Model()
    optimizer, schedule = _adam_with_cosine(torch, model, config.learning_rate, config.iterations)

    def step(_):
        backward = []
        optimizer.zero_grad()
        prediction, info = model(writer=backward.append)
        torch.mean((prediction - target) ** 2).backward()
        optimizer.step()
        schedule.step()
        return _mean_steps(info), _mean_steps(backward[0]) if backward else -1.0

    def image():
        with torch.no_grad():
            return model()[0].numpy()

    return step, image


def parity_trainer(config, jax_model):
    """`jaxfp.examples.ParityDEQ` in PyTorch + torchdeq, trained as `train_parity_deq` trains
    it: Adam with cosine decay on the mean binary cross-entropy of every position; torchdeq's
    fixed-point iteration forward (rtol 1e-4, at most the model's `max_steps`, as jaxfp's
    Picard) and IFT backward by Anderson (1e-5, 200 steps, as `jaxfp.AndersonLinearSolver`).

    Returns `(step((bits, parity)) -> (forward steps, backward steps, loss),
    predict(bits) -> (logits, forward steps))`.
    """
    torch, nn, get_deq = _torch()
    cell = jax_model.deq.cell

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(2, jax_model.embedding.weight.shape[1])
            self.embedding.weight.data = as_torch(jax_model.embedding.weight)
            self.hidden, self.out = linear_from(cell.hidden), linear_from(cell.out)
            self.head = linear_from(jax_model.head)
            self.deq = get_deq(
                ift=True,
                f_solver="fixed_point_iter",
                b_solver="anderson",
                f_max_iter=jax_model.deq.max_steps,
                b_max_iter=200,
                f_tol=1e-4,
                b_tol=1e-5,
                f_stop_mode="rel",
                b_stop_mode="rel",
            )

        def cell(self, z, x):
            previous = torch.cat([torch.zeros_like(z[:, :1]), z[:, :-1]], dim=1)
            hidden = torch.relu(self.hidden(torch.cat([previous, x], dim=-1)))
            return torch.tanh(self.out(hidden))

        def forward(self, bits, writer=None):
            x = self.embedding(bits)
            z_out, info = self.deq(
                lambda z: self.cell(z, x), torch.zeros_like(x), backward_writer=writer
            )
            return self.head(z_out[-1]).squeeze(-1), info

    model = Model()
    optimizer, schedule = _adam_with_cosine(torch, model, config.learning_rate, config.iterations)
    loss_fn = nn.BCEWithLogitsLoss()

    def step(batch):
        bits, parity = batch
        backward = []
        optimizer.zero_grad()
        logits, info = model(torch.tensor(bits), writer=backward.append)
        loss = loss_fn(logits, torch.tensor(parity, dtype=torch.float32))
        loss.backward()
        optimizer.step()
        schedule.step()
        backward_steps = _mean_steps(backward[0]) if backward else -1.0
        return _mean_steps(info), backward_steps, loss.item()

    def predict(bits):
        with torch.no_grad():
            logits, info = model(torch.tensor(bits))
        return logits.numpy(), _mean_steps(info)

    return step, predict
