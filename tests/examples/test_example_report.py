"""The report of the worked-model commands: every number field of a result, under its name."""

import argparse
import dataclasses

import pytest

import jaxfp.examples as examples
from jaxfp._cli.example_report import add_example_command, figures

# The figures (table rows and JSON keys) each command reports, in order.
REPORTED = {
    examples.DigitsTrainingResult: [
        "test_accuracy",
        "wall_time_s",
        "mean_forward_steps",
        "mean_backward_steps",
    ],
    examples.ImageFitResult: [
        "deq_psnr_db",
        "unrolled_psnr_db",
        "deq_forward_steps",
        "unrolled_steps",
        "parameter_count",
        "deq_time_s",
        "unrolled_time_s",
    ],
    examples.SequenceTrainingResult: [
        "sequence_accuracy",
        "position_accuracy",
        "forward_steps",
        "final_loss",
        "wall_time_s",
    ],
}


@pytest.mark.parametrize("result_class", list(REPORTED), ids=lambda c: c.__name__)
def test_every_number_field_of_an_example_result_is_a_figure(result_class):
    result = result_class(**{field.name: 1 for field in dataclasses.fields(result_class)})
    assert list(figures(result)) == REPORTED[result_class]


@dataclasses.dataclass
class _Quoted:
    # As written under `from __future__ import annotations`: every annotation a string.
    accuracy: "float"
    losses: "list[float]"
    steps: "int"
    note: "str | None"


def test_string_annotations_are_resolved():
    assert figures(_Quoted(0.5, [1.0], 3, None)) == {"accuracy": 0.5, "steps": 3}


def test_options_of_a_config_with_string_annotations():
    @dataclasses.dataclass
    class Config:
        width: "int" = 4
        rate: "float | None" = None
        seed: "int" = 0

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers()
    add_example_command(
        commands,
        "fit",
        summary="fit",
        description="fit",
        defaults=Config(),
        helps={"width": "width", "rate": "rate"},
        handler=lambda namespace: 0,
    )
    namespace = parser.parse_args(["fit", "--width", "8", "--rate", "0.5"])
    assert (namespace.width, namespace.rate, namespace.seed) == (8, 0.5, 0)
