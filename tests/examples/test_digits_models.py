"""The digits DEQs take the settings of their equilibrium layer as one `DEQSettings` record,
checked when it is built."""

import jax
import numpy as np
import pytest

import jaxfp
import jaxfp.examples
from jaxfp.examples import ConvDigitsDEQ, DEQSettings, DigitsDEQ


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_steps": 10, "solver": "anderson"}, "`solver` must be a jaxfp solver"),
        ({"max_steps": 10, "solver": jaxfp.ImplicitAdjoint()}, "`solver` must be a jaxfp solver"),
        ({"max_steps": 10, "adjoint": "implicit"}, "`adjoint` must be a jaxfp adjoint"),
        (
            {"max_steps": 10, "adjoint": jaxfp.Picard(1e-3, 1e-3)},
            "`adjoint` must be a jaxfp adjoint",
        ),
        ({"max_steps": 0}, "`max_steps` must be a positive integer"),
        ({"max_steps": 2.5}, "`max_steps` must be a positive integer"),
        ({"max_steps": True}, "`max_steps` must be a positive integer"),
    ],
)
def test_bad_settings_are_refused_when_built(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DEQSettings(**kwargs)


def test_default_settings_are_anderson_and_implicit():
    settings = DEQSettings(max_steps=np.int64(12))
    assert settings.solver == jaxfp.Anderson(rtol=1e-3, atol=1e-3)
    assert settings.adjoint == jaxfp.ImplicitAdjoint()
    assert settings.max_steps == 12 and type(settings.max_steps) is int  # a static field


def test_both_models_carry_the_same_settings_in_their_deq():
    settings = DEQSettings(
        max_steps=7, solver=jaxfp.Picard(rtol=1e-2, atol=1e-2), adjoint=jaxfp.PhantomAdjoint()
    )
    dense = DigitsDEQ(8, equilibrium=settings, key=jax.random.key(0))
    conv = ConvDigitsDEQ(4, 4, groups=2, equilibrium=settings, key=jax.random.key(0))
    for model in (dense, conv):
        assert model.deq.solver is settings.solver
        assert model.deq.adjoint is settings.adjoint
        assert model.deq.max_steps == 7


def test_each_model_keeps_its_own_step_limit_by_default():
    dense = DigitsDEQ(8, key=jax.random.key(0))
    conv = ConvDigitsDEQ(4, 4, groups=2, key=jax.random.key(0))
    assert (dense.deq.max_steps, conv.deq.max_steps) == (40, 30)
    for model in (dense, conv):
        assert model.deq.solver == jaxfp.Anderson(rtol=1e-3, atol=1e-3)
        assert model.deq.adjoint == jaxfp.ImplicitAdjoint()


@pytest.mark.parametrize("name", ["mlp", "conv"])
def test_build_model_passes_the_config_to_the_deq(name):
    config = jaxfp.examples.DigitsTrainingConfig.for_model(
        name, width=4, tolerance=1e-4, norm="rms", max_steps=9, adjoint="phantom"
    )
    model = jaxfp.examples.build_model(config, jax.random.key(0))
    solver = jaxfp.Anderson(rtol=1e-4, atol=1e-4, norm=jaxfp.examples.NORMS["rms"])
    assert model.deq.solver == solver
    assert model.deq.adjoint == jaxfp.PhantomAdjoint()
    assert model.deq.max_steps == 9
