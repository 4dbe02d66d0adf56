"""`jaxfp enumerate --certify-complete [--box=LO,HI]`: the certified-complete mode and its bad
inputs."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

import jaxfp
from jaxfp._cli.enumerate_complete import check_against_branch_and_bound
from jaxfp._cli.main import main

# The automatic box is σ's range widened by a relative 1e-7 (jaxfp.certify._complete).
BOX_TOLERANCE = 1e-6


def _summary(argv, capsys) -> dict:
    assert main(["enumerate", *argv, "--json", "-"]) == 0
    return json.loads(capsys.readouterr().out)


def test_tanh_identity_certified_complete_on_the_automatic_box(capsys):
    summary = _summary(
        ["--net", "tanh-identity", "--dim", "2", "--gain", "2", "--certify-complete"], capsys
    )
    assert summary["num_fixed_points"] == 9 and summary["num_certified_boxes"] == 9
    assert summary["certified_complete"] is True and summary["search_finished"] is True
    assert summary["num_enumerated_in_box"] == 9
    np.testing.assert_allclose(summary["complete_box"], [-1.0, 1.0], atol=BOX_TOLERANCE)
    assert "certified-complete search over [-1, 1]^2 (sigma's range)" in summary["evidence"]
    assert "certified complete" in summary["evidence"]
    assert summary["complete"] is True and summary["proof"]["method"] == "branch-and-bound"


def test_poly_with_a_user_box_table_and_npz(tmp_path, capsys):
    out = tmp_path / "points.npz"
    assert main(["enumerate", "--net", "poly", "--dim", "1", "--box=-2,2", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "certified_complete" in text and "[-2.0, 2.0]" in text
    assert "certified-complete search over [-2, 2]^1 (--box)" in text
    saved = np.load(out)
    assert saved["complete_boxes_lower"].shape == (3, 1)
    assert np.all(saved["complete_boxes_lower"] < saved["complete_boxes_upper"])


def test_a_smaller_box_counts_only_the_points_inside(capsys):
    summary = _summary(["--net", "poly", "--dim", "1", "--box=-0.5,0.5"], capsys)
    assert summary["num_fixed_points"] == 3 and summary["num_enumerated_in_box"] == 1
    assert summary["num_certified_boxes"] == 1 and summary["certified_complete"] is True
    assert summary["complete_box"] == [-0.5, 0.5]


def test_a_missed_fixed_point_is_not_certified_complete(capsys):
    # Corner starts only: the saddle at 0 is missed, and the search finds it.
    summary = _summary(["--net", "poly", "--dim", "1", "--no-faces", "--box=-2,2"], capsys)
    assert summary["num_fixed_points"] == 2 and summary["num_certified_boxes"] == 3
    assert summary["search_finished"] is True and summary["certified_complete"] is False
    assert "1 certified box(es) with no enumerated point" in summary["evidence"]


def test_off_by_default(capsys):
    summary = _summary(["--net", "poly", "--dim", "1"], capsys)
    assert "certified_complete" not in summary and "complete_box" not in summary


def test_unbounded_activation_needs_a_box(tmp_path, capsys):
    weights, bias = tmp_path / "W.npy", tmp_path / "b.npy"
    np.save(weights, 0.5 * np.eye(1))
    np.save(bias, np.zeros(1))
    argv = ["enumerate", "--weights", str(weights), "--bias", str(bias)]
    argv += ["--activation", "poly:0,1.5,0,-0.5", "--certify-complete"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "is unbounded" in error and "--box=LO,HI" in error


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ("1", "two comma-separated numbers"),
        ("a,b", "two comma-separated numbers"),
        ("-2,0,2", "two comma-separated numbers"),
        ("2,-2", "LO < HI"),
        ("1,1", "LO < HI"),
        ("nan,1", "finite ends"),
        ("-inf,1", "finite ends"),
    ],
)
def test_malformed_box(box, message, capsys):
    assert main(["enumerate", "--net", "poly", "--dim", "1", f"--box={box}"]) == 2
    assert message in capsys.readouterr().err


def test_exact_regions_refuses_the_mode(capsys):
    argv = ["enumerate", "--net", "hardtanh-identity", "--dim", "1", "--certify-complete"]
    assert main(argv) == 2
    assert "apply to --method starts" in capsys.readouterr().err


@pytest.mark.parametrize("flag", [["--sample", "4"], ["--starts-per-orthant", "2"], ["--resume"]])
def test_exact_regions_refuses_starts_only_options(flag, capsys):
    argv = ["enumerate", "--net", "hardtanh-identity", "--dim", "2", *flag]
    assert main(argv) == 2
    assert "apply to --method starts" in capsys.readouterr().err


def test_complete_only_with_a_proof_over_the_a_priori_box(capsys):
    argv = ["--net", "tanh-identity", "--dim", "2", "--gain", "2"]
    summary = _summary([*argv, "--method", "starts"], capsys)
    assert summary["complete"] is False and summary["proof"] is None
    assert "--method branch-and-bound proves the list complete" in summary["evidence"]
    auto = _summary(argv, capsys)
    assert auto["complete"] is True and auto["proof"]["method"] == "branch-and-bound"
    proved = _summary(
        ["--net", "tanh-identity", "--dim", "2", "--gain", "2", "--method", "branch-and-bound"],
        capsys,
    )
    assert proved["complete"] is True and proved["proof"]["method"] == "branch-and-bound"


def test_user_box_states_the_points_outside_it(capsys):
    summary = _summary(["--net", "poly", "--dim", "1", "--box=-0.5,0.5"], capsys)
    assert summary["num_enumerated_outside_box"] == 2
    assert "2 enumerated point(s) lie outside the box" in summary["evidence"]
    assert summary["complete"] is False


def test_a_listed_point_outside_the_a_priori_box_blocks_certification():
    # The a-priori box holds every fixed point, so a listed point outside it is not one.
    net = jaxfp.looped.tanh_identity_network(1, 2.0)
    proved = jaxfp.certify.certify_complete(net).points
    for extra, certified in (([], True), ([[5.0]], False)):
        found = SimpleNamespace(
            points=np.concatenate([np.asarray(proved), np.reshape(extra, (-1, 1))])
        )
        fields, evidence, _, proof = check_against_branch_and_bound(net, None, found)
        assert fields["certified_complete"] is certified and (proof is not None) is certified
        assert fields["num_enumerated_outside_box"] == len(extra)
    assert "1 enumerated point(s) lie outside it, and it holds every fixed point" in evidence


def test_the_listed_points_distance_from_the_proven_enclosures():
    # A proven box holds one fixed point but may be wide: a listed point off the fixed point
    # still matches its box, and the distance from the tight enclosure says how far off it is.
    net = jaxfp.looped.tanh_identity_network(1, 2.0)
    certificate = jaxfp.certify.certify_complete(net)
    proved = np.asarray(certificate.points)
    fields, evidence, _, _ = check_against_branch_and_bound(
        net, None, SimpleNamespace(points=proved)
    )
    assert fields["max_enclosure_distance"] == 0.0
    assert "every matched point lies inside its proven fixed point's enclosure" in evidence
    # Each box's midpoint: inside the box (so matched), off the fixed point unless centred.
    middles = np.asarray(certificate.boxes.midpoint)
    low, high = np.asarray(certificate.enclosures.lower), np.asarray(certificate.enclosures.upper)
    expected = np.max(np.maximum(np.maximum(low - middles, middles - high), 0.0))
    assert expected > 1e-3
    fields, evidence, _, _ = check_against_branch_and_bound(
        net, None, SimpleNamespace(points=middles)
    )
    assert fields["certified_complete"] is True  # the count is proven
    assert fields["max_enclosure_distance"] == pytest.approx(expected, rel=1e-12)
    assert "the boxes prove the count, not the listed points' accuracy" in evidence
    fields, _, _, _ = check_against_branch_and_bound(net, None, SimpleNamespace(points=proved[:0]))
    assert fields["max_enclosure_distance"] is None


def test_an_unfinished_search_says_what_would_finish_it(capsys):
    # tanh(1e30·x) = x: the box around 0 reaches the size limit, which a budget does not fix.
    net = jaxfp.looped.LoopedNet(np.array([[1e30]]), np.zeros(1), jaxfp.looped.Tanh())
    proved = np.array([[-1.0], [0.0], [1.0]])
    fields, evidence, _, _ = check_against_branch_and_bound(
        net, None, SimpleNamespace(points=proved)
    )
    assert fields["search_finished"] is False and fields["certified_complete"] is False
    assert "not certified complete (" in evidence and "min_width" in evidence
