"""Traced programs kept on disk (`jaxfp._exported`): reused without tracing, never wrongly."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxfp import _exported
from jaxfp._exported import exported_jit, use_exported_programs

_traces = []


class _Scale(eqx.Module):
    weight: jax.Array
    power: int = eqx.field(static=True)


@exported_jit
def _apply(module, x, offset):
    _traces.append(1)
    return {"value": module.weight * x**module.power + offset, "norm": jnp.sum(x**2)}


@exported_jit
def _call(fn, x):
    return fn(x)


@exported_jit
def _with_callback(x):
    jax.debug.callback(lambda _: None, x)
    return 2 * x


@pytest.fixture
def directory(tmp_path):
    use_exported_programs(tmp_path)
    _traces.clear()
    yield tmp_path
    use_exported_programs(None)


def _programs(directory):
    return sorted(directory.glob("*.program"))


def _expected(module, x, offset):
    return module.weight * x**module.power + offset


def test_without_a_directory_it_is_filter_jit():
    use_exported_programs(None)
    module = _Scale(jnp.array(2.0), 3)
    out = _apply(module, jnp.arange(3.0), 1.0)
    np.testing.assert_allclose(out["value"], _expected(module, jnp.arange(3.0), 1.0))


def test_stored_program_is_reused_without_tracing(directory):
    module, x = _Scale(jnp.array(2.0), 3), jnp.arange(3.0)
    first = _apply(module, x, 1.0)
    assert len(_programs(directory)) == 1 and len(_traces) == 1
    use_exported_programs(directory)  # forget what is in memory, as a fresh process would
    traced = len(_traces)
    second = _apply(_Scale(jnp.array(5.0), 3), x, 1.0)  # other weights, same shapes
    assert len(_traces) == traced, "the stored program was traced again"
    np.testing.assert_allclose(first["value"], _expected(module, x, 1.0))
    np.testing.assert_allclose(second["value"], _expected(_Scale(jnp.array(5.0), 3), x, 1.0))
    assert set(second) == {"value", "norm"}


def test_other_static_values_and_shapes_are_other_programs(directory):
    x = jnp.arange(3.0)
    for module, offset, array in [
        (_Scale(jnp.array(2.0), 3), 1.0, x),
        (_Scale(jnp.array(2.0), 2), 1.0, x),  # another static field
        (_Scale(jnp.array(2.0), 3), 4.0, x),  # another Python scalar
        (_Scale(jnp.array(2.0), 3), 1.0, jnp.arange(4.0)),  # another shape
    ]:
        np.testing.assert_allclose(
            _apply(module, array, offset)["value"], _expected(module, array, offset)
        )
    assert len(_programs(directory)) == 4


def test_an_argument_without_an_exact_description_is_not_stored(directory):
    np.testing.assert_allclose(_call(lambda x: x + 1, jnp.ones(2)), 2.0)  # no stable name
    assert _programs(directory) == []
    np.testing.assert_allclose(_call(jnp.sin, jnp.zeros(2)), 0.0)  # a module-level function
    assert len(_programs(directory)) == 1


def test_a_corrupt_entry_is_ignored_and_written_again(directory):
    module, x = _Scale(jnp.array(2.0), 3), jnp.arange(3.0)
    _apply(module, x, 1.0)
    (path,) = _programs(directory)
    path.write_bytes(b"not a program")
    use_exported_programs(directory)
    np.testing.assert_allclose(_apply(module, x, 1.0)["value"], _expected(module, x, 1.0))
    assert path.read_bytes() != b"not a program"


def test_a_function_that_cannot_be_exported_runs_as_plain_jit(directory):
    np.testing.assert_allclose(_with_callback(jnp.ones(2)), 2.0)
    assert _programs(directory) == []


def test_inside_another_trace_it_is_plain_jit(directory):
    module = _Scale(jnp.array(2.0), 1)
    out = jax.jit(lambda x: _apply(module, x, 0.0)["value"])(jnp.arange(3.0))
    np.testing.assert_allclose(out, 2 * jnp.arange(3.0))
    assert _programs(directory) == []


def test_a_change_of_source_or_versions_is_another_program(directory, monkeypatch):
    module, x = _Scale(jnp.array(2.0), 3), jnp.arange(3.0)
    _apply(module, x, 1.0)
    assert jax.__version__ in _exported._environment()
    monkeypatch.setattr(_exported, "_environment", lambda: "edited source")
    use_exported_programs(directory)
    traced = len(_traces)
    np.testing.assert_allclose(_apply(module, x, 1.0)["value"], _expected(module, x, 1.0))
    assert len(_traces) > traced and len(_programs(directory)) == 2
