"""The worked digits DEQ (dense cell) learns; its training config rejects bad settings."""

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
    assert result.wall_time <= 120


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"width": 0}, "width"),
        ({"learning_rate": 0.0}, "learning_rate"),
        ({"adjoint": "magic"}, "adjoint"),
        ({"test_fraction": 1.5}, "test_fraction"),
        ({"jacobian_penalty": -1.0}, "jacobian_penalty"),
    ],
)
def test_bad_training_config_raises(kwargs, message):
    with pytest.raises(ValueError, match=message):
        jaxfp.examples.DigitsTrainingConfig(**kwargs)
