"""The finite-width simulator: shapes, exact inputs, normalisation, agreement with mean field."""

import equinox as eqx
import jax
import numpy as np
import pytest

import jaxfp.kernels as jk

SMALL_AGREEMENT = 0.12  # width 256, depth 6, 4 seeds: fluctuations O(1/sqrt(256)) per layer
WIDE_AGREEMENT = 0.03  # docs/theory.md: width 4096, depth 50, RMSNorm after the activation


@pytest.fixture(scope="module")
def rms_relu():
    architecture = jk.Architecture(jk.get_activation("relu"), normalization="rms-post")
    return jk.simulate_similarity(
        architecture, [0.0, 0.5, 0.9], width=256, depth=6, num_seeds=4, key=jax.random.key(0)
    )


def test_shapes_and_inputs(rms_relu):
    assert rms_relu.cosine.shape == (4, 3, 7)
    assert rms_relu.mean_field.shape == (3, 7)
    np.testing.assert_allclose(rms_relu.cosine[:, :, 0], [[0.0, 0.5, 0.9]] * 4, atol=1e-5)
    np.testing.assert_allclose(rms_relu.squared_norm, 1.0, atol=1e-4)  # RMSNorm after φ
    np.testing.assert_allclose(rms_relu.raw, rms_relu.cosine, atol=1e-4)
    assert rms_relu.cosine_stderr.shape == (3, 7)
    assert np.all(np.asarray(rms_relu.cosine_stderr[:, 1:]) > 0)


def test_one_seed_has_no_standard_error():
    # One network shows no spread: the old code reported a standard error of 0.
    result = jk.simulate_similarity(
        jk.get_activation("tanh"), [0.5], width=16, depth=2, num_seeds=1, key=jax.random.key(0)
    )
    assert np.all(np.isnan(np.asarray(result.cosine_stderr)))
    assert np.all(np.isnan(np.asarray(result.raw_stderr)))


def test_read_offs_are_properties(rms_relu):
    seeds = rms_relu.cosine.shape[0]
    np.testing.assert_array_equal(rms_relu.cosine_mean, np.mean(rms_relu.cosine, axis=0))
    np.testing.assert_array_equal(rms_relu.raw_mean, np.mean(rms_relu.raw, axis=0))
    np.testing.assert_allclose(
        rms_relu.raw_stderr, np.std(rms_relu.raw, axis=0, ddof=1) / np.sqrt(seeds), rtol=1e-6
    )
    assert rms_relu.first_undefined_layer is None


def test_small_network_agrees_with_mean_field(rms_relu):
    assert rms_relu.max_deviation < SMALL_AGREEMENT


def test_residual_layer_norm_and_uniform_weights_run():
    architecture = jk.Architecture(jk.get_activation("tanh"), residual=0.5, normalization="ln-pre")
    result = jk.simulate_similarity(
        architecture,
        [0.3],
        width=128,
        depth=3,
        num_seeds=2,
        key=jax.random.key(1),
        weights="uniform",
    )
    assert np.all(np.isfinite(np.asarray(result.cosine)))
    assert result.max_deviation < 0.2


@pytest.mark.slow
def test_width_4096_depth_50_matches_mean_field():
    architecture = jk.Architecture(jk.get_activation("gelu"), normalization="rms-post")
    result = jk.simulate_similarity(
        architecture, [0.0, 0.5, 0.9], width=4096, depth=50, num_seeds=8, key=jax.random.key(0)
    )
    assert result.max_deviation < WIDE_AGREEMENT


def test_progress_hears_of_every_layer_once_per_run_not_per_seed():
    seen = []
    jk.simulate_similarity(
        jk.get_activation("tanh"),
        [0.5],
        width=8,
        depth=12,
        num_seeds=3,
        key=jax.random.key(0),
        progress=seen.append,
    )
    assert seen == list(range(1, 13))


def test_an_undefined_cosine_is_reported_not_hidden_in_the_deviation():
    # A state vector that underflowed to 0 (deep float32 networks without normalisation) gives
    # NaN cosines from that layer on: the deviation is NaN, not -inf or a finite number.
    result = jk.simulate_similarity(
        jk.get_activation("tanh"), [0.5], width=8, depth=3, num_seeds=2, key=jax.random.key(0)
    )
    assert result.first_undefined_layer is None and np.isfinite(result.max_deviation)
    broken = eqx.tree_at(lambda r: r.cosine, result, result.cosine.at[1, 0, 2:].set(np.nan))
    assert broken.first_undefined_layer == 2
    assert np.isnan(broken.max_deviation)


def test_cli_exits_one_with_a_line_when_the_cosine_becomes_undefined(monkeypatch, capsys):
    from jaxfp._cli.main import main

    real = jk.simulate_similarity

    def collapsing(*args, **kwargs):
        result = real(*args, **kwargs)
        return eqx.tree_at(lambda r: r.cosine, result, result.cosine.at[:, :, 2:].set(np.nan))

    monkeypatch.setattr(jk, "simulate_similarity", collapsing)
    argv = ["kernel", "--simulate", "--activation", "tanh", "--width", "8", "--depth", "3"]
    argv += ["--seeds", "1", "--json"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert "undefined from layer 2 on" in captured.err
    assert '"first_undefined_layer": 2' in captured.out and '"max_deviation": null' in captured.out
