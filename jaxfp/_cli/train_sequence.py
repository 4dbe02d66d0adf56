"""`jaxfp train-sequence`: train the sequence DEQ on running parity and report its accuracy."""

from ..examples import SequenceTrainingConfig, train_parity_deq
from .example_report import add_example_command, example_handler


def register(subparsers) -> None:
    add_example_command(
        subparsers,
        "train-sequence",
        summary="train a sequence DEQ (one weight-tied cell over the sequence) on running parity",
        description=(
            "Train jaxfp.examples.ParityDEQ: bits -> embedding -> DEQ whose state holds one "
            "vector per position and whose cell updates each position from its predecessor "
            "and its bit -> per-position logit of the parity of the prefix; Adam on fresh "
            "random sequences, implicit gradients. Prints the held-out accuracy of the whole "
            "sequence's parity (the last position) and of every position, the mean forward "
            "steps and the wall time; --json writes them as JSON."
        ),
        defaults=SequenceTrainingConfig(),
        helps={
            "length": "sequence length",
            "width": "state width",
            "iterations": "Adam iterations",
        },
        handler=example_handler(SequenceTrainingConfig, train_parity_deq),
    )
