"""Implicit neural representation as a DEQ against the same model unrolled.

`python benchmarks/deq_inr.py` -> results/deq_inr.json and results/deq_inr.png.

`jaxfp.examples.fit_image` with its defaults: scikit-learn's `china.jpg`, grayscale, 32 × 32;
Fourier features (6 octaves) -> linear -> DEQ(tanh(W z + x), ||W||_2 = 0.9, Anderson at
rtol = atol = 1e-3, at most 20 steps, implicit gradients) -> linear; 500 full-batch Adam steps
(3e-3, cosine). The baseline is the same model from the same initial parameters with the
equilibrium replaced by 20 unrolled cell steps from z = 0, differentiated through the steps.
"""

from _example_results import plt, write_example_results

from jaxfp.examples import ImageFitConfig, fit_image


def main() -> None:
    config = ImageFitConfig()
    result = fit_image(config)
    figures = {
        "parameter_count": result.parameter_count,
        "deq": {
            "psnr_db": result.deq_psnr,
            "mean_forward_steps": result.deq_forward_steps,
            "fit_seconds": result.deq_seconds,
        },
        "unrolled": {
            "psnr_db": result.unrolled_psnr,
            "steps": result.unrolled_steps,
            "fit_seconds": result.unrolled_seconds,
        },
    }
    side = config.side
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.2))
    panels = [
        (result.target, "target"),
        (result.deq_image, f"DEQ {result.deq_psnr:.1f} dB"),
        (
            result.unrolled_image,
            f"unrolled ({result.unrolled_steps}) {result.unrolled_psnr:.1f} dB",
        ),
    ]
    for ax, (image, title) in zip(axes, panels, strict=True):
        ax.imshow(image.reshape(side, side), cmap="gray", vmin=0, vmax=1)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    workload = "INR of china.jpg (32 x 32 grayscale): DEQ vs the same model unrolled"
    write_example_results("deq_inr", workload, config, figures, fig)


if __name__ == "__main__":
    main()
