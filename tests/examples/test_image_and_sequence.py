"""The implicit-representation and sequence DEQs: tiny fits, their CLIs, bad settings."""

import json

import numpy as np
import pytest

import jaxfp.examples
from jaxfp._cli.main import main


def test_sample_image_is_a_downsampled_grayscale_photograph():
    image = jaxfp.examples.load_sample_image_gray(16)
    assert image.shape == (16, 16) and 0.0 <= image.min() < image.max() <= 1.0
    coordinates = np.asarray(jaxfp.examples.pixel_coordinates(16))
    assert coordinates.shape == (256, 2) and np.abs(coordinates).max() < 1


def test_image_deq_and_its_unrolled_baseline_fit_a_tiny_image():
    config = jaxfp.examples.ImageFitConfig(side=8, width=16, iterations=60, max_steps=10)
    result = jaxfp.examples.fit_image(config)
    flat = jaxfp.examples.psnr(np.full(64, result.target.mean()), result.target)
    # both beat the best constant image; same parameters, same number of unrolled steps
    assert result.deq_psnr_db > flat + 3 and result.unrolled_psnr_db > flat + 3
    assert result.unrolled_steps == 10 and 0 < result.deq_forward_steps <= 10


def test_parity_deq_learns_short_sequences():
    config = jaxfp.examples.SequenceTrainingConfig(
        length=4, width=16, hidden=32, iterations=150, learning_rate=1e-2, test_size=200
    )
    result = jaxfp.examples.train_parity_deq(config)
    assert result.final_loss == result.losses[-1] < result.losses[0]
    assert result.position_accuracy > 0.8  # chance is 0.5
    assert 0 < result.forward_steps <= config.length + 4


def test_cli_entries_write_json(capsys):
    assert main(["fit-image", "--side", "4", "--width", "4", "--iterations", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["unrolled_steps"] == report["config"]["max_steps"]
    assert report["deq_psnr_db"] > 0 and report["deq_time_s"] > 0
    argv = ["train-sequence", "--length", "3", "--width", "4", "--iterations", "2", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert 0.0 <= report["sequence_accuracy"] <= 1.0
    assert report["final_loss"] > 0 and report["wall_time_s"] > 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fit-image", "--side", "1000"], "side"),
        # The option as it is spelled (was "--unrolled-steps-- must ...").
        (["fit-image", "--unrolled-steps", "0"], "error: --unrolled-steps must be"),
        (["train-sequence", "--length", "0"], "error: --length must be"),
        # Was a traceback: a seed past 64 bits overflowed in jax.random.key.
        (["train-sequence", "--seed", "1e30"], "--seed: expected an integer in 0 … 4294967295"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


@pytest.mark.parametrize("command", ["fit-image", "train-deq"])
def test_max_steps_above_the_solvers_limit_is_refused_at_parse_time(command, capsys):
    from jaxfp._validation import MAX_STEPS

    assert main([command, "--max-steps", "1e12"]) == 2
    err = capsys.readouterr().err
    assert f"argument --max-steps: expected an integer in 1 … {MAX_STEPS}" in err


def test_bad_configs_raise():
    with pytest.raises(ValueError, match="learning_rate"):
        jaxfp.examples.ImageFitConfig(learning_rate=0.0)
    for bad in (float("inf"), float("nan"), "0.01"):
        with pytest.raises(ValueError, match="`learning_rate` must be a positive finite number"):
            jaxfp.examples.ImageFitConfig(learning_rate=bad)
    with pytest.raises(ValueError, match="`iterations` must be a positive integer"):
        jaxfp.examples.ImageFitConfig(iterations=True)
    with pytest.raises(ValueError, match="max_steps"):
        jaxfp.examples.SequenceTrainingConfig(max_steps=0)
    with pytest.raises(ValueError, match="`learning_rate` must be a positive finite number"):
        jaxfp.examples.SequenceTrainingConfig(learning_rate=float("inf"))
    with pytest.raises(ValueError, match="`length` must be a positive integer"):
        jaxfp.examples.SequenceTrainingConfig(length=True)
    assert type(jaxfp.examples.SequenceTrainingConfig(width=np.int64(8)).width) is int
