"""The worked digits DEQs (dense and conv cells) learn; the training config rejects bad settings."""

import numpy as np
import pytest

import jaxfp.examples


def test_digits_deq_learns_in_two_epochs():
    config = jaxfp.examples.DigitsTrainingConfig(
        width=16, epochs=2, batch_size=32, learning_rate=1e-2, max_steps=20, jacobian_penalty=0.1
    )
    records = []
    result = jaxfp.examples.train_digits_deq(config, on_epoch=records.append)
    assert len(records) == 2 and records[1].train_loss < records[0].train_loss
    assert result.test_accuracy > 0.8  # chance is 0.1
    assert result.mean_forward_steps > 0 and result.mean_backward_steps > 0


@pytest.mark.slow
def test_digits_deq_reaches_target_with_defaults():
    result = jaxfp.examples.train_digits_deq()
    assert result.test_accuracy >= 0.96
    assert result.wall_time_s <= 120


def test_conv_digits_deq_trains_at_a_tiny_size():
    config = jaxfp.examples.DigitsTrainingConfig.for_model(
        "conv", width=4, epochs=2, batch_size=128, learning_rate=1e-2, max_steps=8
    )
    assert config.augment and config.backward_max_steps == 40  # the conv model's defaults
    records = []
    result = jaxfp.examples.train_digits_deq(config, on_epoch=records.append)
    assert isinstance(result.model, jaxfp.examples.ConvDigitsDEQ)
    assert records[1].train_loss < records[0].train_loss
    assert result.test_accuracy > 0.3  # chance is 0.1
    assert 0.0 <= records[1].inexact_fraction <= 1.0 and result.mean_backward_steps > 0


@pytest.mark.slow
def test_conv_digits_deq_reaches_target_with_defaults():
    result = jaxfp.examples.train_digits_deq(jaxfp.examples.DigitsTrainingConfig.for_model("conv"))
    assert result.test_accuracy >= 0.985


def test_shifted_images_move_by_at_most_one_pixel():
    image = np.zeros((1, 64))
    image[0, 3 * 8 + 4] = 1.0  # one lit pixel at row 3, column 4
    rng = np.random.default_rng(0)
    shifted = jaxfp.examples.shift_images(np.repeat(image, 50, axis=0), rng)
    rows, cols = np.nonzero(shifted.reshape(50, 8, 8))[1:]
    assert shifted.sum() == 50 and set(rows) == {2, 3, 4} and set(cols) == {3, 4, 5}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 0}, "width"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"adjoint": "magic"}, "adjoint"),
        ({"test_fraction": 1.5}, "test_fraction"),
        ({"jacobian_penalty": -1.0}, "jacobian_penalty"),
        ({"model": "resnet"}, "model"),
        ({"backward_tolerance": 0.0}, "backward_tolerance"),
        ({"backward_max_steps": 0}, "backward_max_steps"),
        ({"learning_rate": float("inf")}, "`learning_rate` must be a positive finite number"),
        ({"jacobian_penalty": float("inf")}, "`jacobian_penalty` must be"),
        ({"tolerance": float("nan")}, "`tolerance` must be a positive finite number"),
        ({"learning_rate": "0.01"}, "`learning_rate` must be a positive finite number"),
        ({"epochs": True}, "`epochs` must be a positive integer"),
        ({"test_fraction": float("nan")}, "`test_fraction` must be a real number in"),
    ],
)
def test_bad_training_config_raises(kwargs, message):
    with pytest.raises(ValueError, match=message):
        jaxfp.examples.DigitsTrainingConfig(**kwargs)


def test_numpy_integer_sizes_are_accepted():
    config = jaxfp.examples.DigitsTrainingConfig(width=np.int64(16), epochs=np.int32(1))
    assert (config.width, config.epochs) == (16, 1)
    assert type(config.width) is int and type(config.epochs) is int  # JSON-ready in reports


def test_unknown_model_of_for_model_raises():
    with pytest.raises(ValueError, match="model"):
        jaxfp.examples.DigitsTrainingConfig.for_model("resnet")
