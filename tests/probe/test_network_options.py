"""The network options shared by `jaxfp enumerate` and `jaxfp probe`: an option the chosen
network would ignore is refused before any work, and every kind of weights file either gives the
network or one clear line (exit 2)."""

import argparse

import numpy as np
import pytest

from jaxfp._cli.main import main
from jaxfp._cli.network_args import add_network_arguments, network_from_arguments

CONTINUATION = ["probe", "continuation", "--param", "gain", "--start", "0.5", "--stop", "1"]


def _network(*arguments):
    parser = argparse.ArgumentParser()
    add_network_arguments(parser)
    return network_from_arguments(parser.parse_args(list(arguments)))


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("jaxfp: error:") and "\n" not in err, err
    return err


GAIN_IGNORED = "--gain applies to"
FORM_IGNORED = "is built in the sigma-affine form only"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["enumerate", "--net", "poly", "--dim", "2", "--gain", "3"], GAIN_IGNORED),
        (["enumerate", "--net", "exp", "--dim", "2", "--gain", "3"], GAIN_IGNORED),
        ([*CONTINUATION, "--net", "poly", "--dim", "1", "--gain", "3"], GAIN_IGNORED),
        (["enumerate", "--net", "poly", "--dim", "2", "--form", "affine-sigma"], FORM_IGNORED),
        (
            ["enumerate", "--net", "tanh-identity", "--dim", "2", "--form", "affine-sigma"],
            FORM_IGNORED,
        ),
        ([*CONTINUATION, "--net", "exp", "--dim", "1", "--form", "affine-sigma"], FORM_IGNORED),
    ],
)
def test_a_gain_or_form_the_construction_does_not_take_is_refused(argv, message, capsys):
    assert main(argv) == 2
    assert message in _one_line_error(capsys)


def test_form_is_honoured_where_the_network_takes_it():
    assert _network("--net", "poly", "--dim", "2", "--form", "sigma-affine").form == "sigma-affine"
    assert _network("--net", "hardtanh-identity", "--dim", "2").form == "sigma-affine"
    net = _network("--net", "hardtanh-identity", "--dim", "2", "--form", "affine-sigma")
    assert net.form == "affine-sigma"
    assert (
        _network("--net", "random", "--dim", "2", "--form", "affine-sigma").form == "affine-sigma"
    )


def test_nonfinite_gain_and_bias_scale_are_refused_when_parsed(capsys):
    assert main(["enumerate", "--net", "tanh-identity", "--dim", "2", "--gain", "nan"]) == 2
    assert "--gain" in _one_line_error(capsys)
    assert main(["enumerate", "--net", "random", "--dim", "2", "--bias-scale", "inf"]) == 2
    assert "--bias-scale" in _one_line_error(capsys)


def test_complex_weights_file_is_refused(tmp_path, capsys):
    np.save(tmp_path / "W.npy", (1 + 1j) * np.eye(2))
    np.save(tmp_path / "b.npy", np.zeros(2))
    files = ["--weights", str(tmp_path / "W.npy"), "--bias", str(tmp_path / "b.npy")]
    assert main(["enumerate", *files, "--activation", "relu"]) == 2
    assert "holds complex numbers" in _one_line_error(capsys)


def test_npz_archive_with_w_and_b_gives_the_network(tmp_path):
    weights, bias = np.array([[2.0, 0.5], [0.0, 2.0]]), np.array([0.1, -0.2])
    np.savez(tmp_path / "net.npz", W=weights, b=bias)
    net = _network("--weights", str(tmp_path / "net.npz"), "--activation", "hardtanh")
    np.testing.assert_array_equal(net.W, weights)
    np.testing.assert_array_equal(net.b, bias)


@pytest.mark.parametrize(
    ("arrays", "extra", "message"),
    [
        ({"weights": np.eye(2), "bias": np.zeros(2)}, [], "exactly two arrays named W and b"),
        ({"W": np.eye(2), "b": np.zeros(2)}, ["--bias", "b.npy"], "drop --bias"),
        # An archive of W alone with --bias: the message does not claim it holds b.
        ({"W": np.eye(2)}, ["--bias", "b.npy"], "must hold both W and b (it holds ['W'])"),
        ({"W": np.eye(2), "b": np.zeros(2, complex)}, [], "holds complex numbers"),
    ],
)
def test_npz_archive_that_is_not_one_network_is_refused(tmp_path, capsys, arrays, extra, message):
    np.savez(tmp_path / "net.npz", **arrays)
    argv = ["enumerate", "--weights", str(tmp_path / "net.npz"), "--activation", "relu", *extra]
    assert main(argv) == 2
    assert message in _one_line_error(capsys)


def test_npz_given_as_a_single_array_file_is_refused(tmp_path, capsys):
    np.save(tmp_path / "W.npy", np.eye(2))
    np.savez(tmp_path / "b.npz", b=np.zeros(2))
    files = ["--weights", str(tmp_path / "W.npy"), "--bias", str(tmp_path / "b.npz")]
    assert main(["enumerate", *files, "--activation", "relu"]) == 2
    assert "is an .npz archive" in _one_line_error(capsys)


def test_solve_huge_batch_is_refused_with_the_memory_it_needs(capsys):
    assert main(["solve", "--batch", "1e9"]) == 2
    err = _one_line_error(capsys)
    assert "--batch 1000000000 would need at least" in err and "TB" in err


def test_option_value_starting_with_a_minus_sign_gets_the_equals_hint(capsys):
    # `--box -1,1` reads -1,1 as an option; the message says to write --box=-1,1.
    assert main(["enumerate", "--net", "tanh-identity", "--dim", "2", "--box", "-1,1"]) == 2
    assert "--box: expected one argument; a value that starts with '-' goes after '='" in (
        _one_line_error(capsys)
    )
