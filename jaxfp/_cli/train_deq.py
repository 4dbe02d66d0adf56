"""`jaxfp train-deq`: train a digits DEQ classifier (dense or convolutional cell) and report
accuracy, time and solver steps."""

import argparse
import dataclasses

from ..examples import (
    ADJOINTS,
    MODELS,
    NORMS,
    DigitsTrainingConfig,
    load_digits_split,
    train_digits_deq,
)
from ._checks import finite_float, max_steps_int
from ._errors import UserInputError
from .example_report import add_example_command, make_config, report
from .output import format_table, progress


def register(subparsers) -> None:
    defaults = DigitsTrainingConfig()
    parser = add_example_command(
        subparsers,
        "train-deq",
        summary="train a deep equilibrium classifier on scikit-learn's digits",
        description=(
            "Train a DEQ classifier on scikit-learn's bundled 8x8 digits with Adam, then "
            "evaluate it on a held-out, stratified split. --model mlp: encoder -> equilibrium "
            "layer z = tanh(Wz + x) with spectrally normalised W -> linear head (reaches >= 96% "
            "test accuracy in well under two minutes on a 2-core CPU); --model conv: conv "
            "encoder -> equilibrium layer of a residual conv cell with GroupNorm -> linear head "
            "(reaches 98.9% in 15 epochs, about two minutes on a loaded 2-core CPU). Both solve "
            "by Anderson acceleration with implicit gradients. Prints the test accuracy, wall time "
            "(compilation included) and mean forward/backward solver steps; --json writes them "
            "as JSON."
        ),
        defaults=defaults,
        helps={
            "batch_size": "batch size",
            "jacobian_penalty": "weight of the Hutchinson Jacobian penalty ||J||_F^2 / width at "
            "z* (0 = off)",
            "test_fraction": "held-out fraction",
        },
        handler=run,
        replaced="the progress bar and the table",
    )
    parser.add_argument(
        "--model", choices=list(MODELS), default=defaults.model, help="the cell: dense or conv"
    )
    parser.add_argument(
        "--adjoint",
        choices=list(ADJOINTS),
        default=defaults.adjoint,
        help="how gradients pass through the equilibrium layer",
    )
    # The model's own defaults (DigitsTrainingConfig.for_model) apply where these are not given.
    parser.add_argument(
        "--width",
        type=int,
        help=f"equilibrium width (mlp) or channels (conv) {_model_default('width')}",
    )
    parser.add_argument("--epochs", type=int, help=f"training epochs {_model_default('epochs')}")
    parser.add_argument(
        "--learning-rate",
        type=finite_float,
        help=f"Adam learning rate {_model_default('learning_rate')}",
    )
    parser.add_argument(
        "--tolerance",
        type=finite_float,
        help=f"forward solver rtol = atol {_model_default('tolerance')}",
    )
    parser.add_argument(
        "--norm",
        choices=list(NORMS),
        help=f"norm of the forward stopping rule {_model_default('norm')}",
    )
    parser.add_argument(
        "--max-steps",
        type=max_steps_int,
        help=f"most forward solver steps {_model_default('max_steps')}",
    )
    parser.add_argument("--history", action="store_true", help="also print per-epoch history")


def _model_default(field: str) -> str:
    """The default of an option that `--model` decides (`DigitsTrainingConfig.for_model`), for
    each model, as its help says it: `(default: 30 for mlp, 15 for conv)`."""
    values = (
        f"{getattr(DigitsTrainingConfig.for_model(model), field)} for {model}" for model in MODELS
    )
    return f"(default: {', '.join(values)})"


def run(namespace: argparse.Namespace) -> int:
    config = make_config(namespace, DigitsTrainingConfig, DigitsTrainingConfig.for_model)
    data = load_digits_split(config.test_fraction, config.seed)
    steps_per_epoch = data.train_images.shape[0] // config.batch_size
    if steps_per_epoch == 0:
        raise UserInputError(
            f"--batch-size {config.batch_size} exceeds the {data.train_images.shape[0]} training "
            "images; use a smaller batch."
        )
    quiet = namespace.json == "-"
    with progress(config.epochs * steps_per_epoch, "training", enabled=not quiet) as bar:

        def on_step(step, loss):
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.4f}")

        result = train_digits_deq(config, data=data, on_step=on_step)
    if namespace.history and not quiet:
        rows = [
            [
                r.epoch,
                r.train_loss,
                r.test_accuracy,
                r.forward_steps,
                r.backward_steps,
                r.elapsed_time_s,
            ]
            for r in result.history
        ]
        headers = ["epoch", "train loss", "test acc", "fwd steps", "bwd steps", "time (s)"]
        print(format_table(rows, headers))
        print()
    history = [dataclasses.asdict(record) for record in result.history]
    return report(result, config, namespace.json, details={"history": history})
