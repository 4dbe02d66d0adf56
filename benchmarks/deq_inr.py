"""Implicit neural representation as a DEQ: jaxfp against torchdeq (same architecture, initial
weights and data) and against the same model unrolled.

`python benchmarks/deq_inr.py [--iterations N]` -> results/deq_inr.json and results/deq_inr.png.

`jaxfp.examples.fit_image` with its defaults: scikit-learn's `china.jpg`, grayscale, 32 × 32;
Fourier features (6 octaves) -> linear -> DEQ(tanh(W z + x), ||W||_2 = 0.9, Anderson at
rtol = atol = 1e-3, at most 20 steps, implicit gradients) -> linear; 500 full-batch Adam steps
(3e-3, cosine). Three trainers from the same initial parameters, one training step of each in
turn (`_training_race.race`): jaxfp's DEQ (`fit_image`'s step), the same model with the
equilibrium replaced by 20 unrolled cell steps from z = 0 (differentiated through the steps),
and the same DEQ in PyTorch + torchdeq (`_torchdeq_models.image_trainer`: Anderson forward at
rtol 1e-3 batch-wide, IFT backward by Anderson). Step time: the median over the steps after two
warm-up steps (jaxfp compiles in the first).
"""

import argparse
import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from _example_results import plt, write_example_results
from _torchdeq_models import image_trainer
from _training_race import race

from jaxfp.examples import (
    ImageFitConfig,
    fit_step,
    fourier_features,
    load_sample_image_gray,
    pixel_coordinates,
    psnr,
)


def jaxfp_trainer(model, predict, coordinates, target, config):
    """(step(_), image()) of `fit_image`'s training of `predict` from `model`."""
    optimizer, step = fit_step(predict, coordinates, target, config)
    state = {"model": model, "opt": optimizer.init(eqx.filter(model, eqx.is_array))}

    def run(_):
        new_model, opt = step(state["model"], state["opt"])
        jax.block_until_ready(new_model)
        state.update(model=new_model, opt=opt)

    render = eqx.filter_jit(lambda m: jax.vmap(lambda c: predict(m, c))(coordinates))
    return run, lambda: np.asarray(render(state["model"])), state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=ImageFitConfig.iterations)
    config = ImageFitConfig(iterations=parser.parse_args().iterations)
    target = jnp.asarray(load_sample_image_gray(config.side).ravel())
    coordinates = pixel_coordinates(config.side)
    model = config.initial_model()
    unrolled_steps = config.max_steps if config.unrolled_steps is None else config.unrolled_steps
    deq_step, deq_image, deq_state = jaxfp_trainer(
        model, lambda m, c: m(c), coordinates, target, config
    )
    unrolled_step, unrolled_image, _ = jaxfp_trainer(
        model, lambda m, c: m.unrolled(c, unrolled_steps), coordinates, target, config
    )
    features = jax.vmap(lambda c: fourier_features(c, config.frequencies))(coordinates)
    torch_step, torch_image = image_trainer(config, model, features, target)
    timings = race(
        {"jaxfp": deq_step, "jaxfp_unrolled": unrolled_step, "torchdeq": torch_step},
        range(config.iterations),
    )
    images = {"jaxfp": deq_image(), "jaxfp_unrolled": unrolled_image(), "torchdeq": torch_image()}
    _, stats = jax.vmap(lambda c: deq_state["model"](c, return_stats=True))(coordinates)
    methods = {}
    for name, entry in timings.items():
        outputs = entry.pop("outputs")
        methods[name] = {"psnr_db": psnr(images[name], target), **entry}
        methods[name].pop("times_s")
        if name == "torchdeq":
            steps = np.array(outputs)
            methods[name]["mean_forward_steps"] = float(steps[:, 0].mean())
            methods[name]["mean_backward_steps"] = float(steps[:, 1].mean())
    methods["jaxfp"]["mean_forward_steps_at_end"] = float(jnp.mean(stats.num_steps))
    methods["jaxfp_unrolled"]["steps"] = unrolled_steps
    ratio = methods["jaxfp"]["median_step_s"] / methods["torchdeq"]["median_step_s"]
    figures = {
        "parameter_count": sum(x.size for x in jax.tree.leaves(eqx.filter(model, eqx.is_array))),
        "methods": methods,
        "step_time_over_torchdeq": ratio,
    }
    side = config.side
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.2))
    panels = [(np.asarray(target), "target")] + [
        (images[name], f"{name} {methods[name]['psnr_db']:.1f} dB") for name in images
    ]
    for ax, (image, title) in zip(axes, panels, strict=True):
        ax.imshow(image.reshape(side, side), cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    workload = "INR of china.jpg (32 x 32 grayscale): jaxfp DEQ vs torchdeq vs unrolled"
    write_example_results("deq_inr", workload, dataclasses.replace(config), figures, fig)


if __name__ == "__main__":
    main()
