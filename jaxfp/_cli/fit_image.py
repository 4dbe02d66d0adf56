"""`jaxfp fit-image`: fit an implicit neural representation (a DEQ) to a bundled photograph and
compare its PSNR with the same model unrolled."""

from ..examples import ImageFitConfig, fit_image
from .example_report import add_example_command, example_handler


def register(subparsers) -> None:
    add_example_command(
        subparsers,
        "fit-image",
        summary="fit a DEQ implicit neural representation to a bundled image",
        description=(
            "Fit jaxfp.examples.ImageDEQ (pixel coordinates -> Fourier features -> DEQ with "
            "cell tanh(Wz + x) -> intensity) to scikit-learn's china.jpg, grayscale, "
            "downsampled to SIDE x SIDE, with full-batch Adam; then fit the same model, from "
            "the same initial parameters, with the equilibrium replaced by a fixed number of "
            "unrolled cell steps. Prints both PSNRs (dB), the DEQ's mean forward steps and the "
            "fit times; --json writes them as JSON."
        ),
        defaults=ImageFitConfig(),
        helps={
            "side": "image side (pixels)",
            "width": "equilibrium width",
            "iterations": "Adam iterations",
            "max_steps": "most DEQ forward steps",
            "unrolled_steps": "steps of the unrolled baseline (default: --max-steps)",
        },
        handler=example_handler(ImageFitConfig, fit_image),
    )
