"""Every count in the JSON of `jaxfp enumerate` and `jaxfp merge` is spelled `num_`, the
spelling of the attributes, and a key that names an attribute of the run's record holds its
value."""

import json

import jax.numpy as jnp
import pytest

import jaxfp
from jaxfp._cli.main import main
from jaxfp.enumeration import ExactRegions


def _keys_spelled_n(summary: dict) -> list[str]:
    return [key for key in summary if key.startswith("n_")]


def _summary(argv, capsys) -> dict:
    assert main([*argv, "--json", "-"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("argv", "counts"),
    [
        (
            ["--net", "poly", "--dim", "2", "--method", "starts", "--no-certify"],
            ["num_starts", "num_face_starts", "num_orthants", "num_starts_fixed_point"],
        ),
        (
            ["--net", "hardtanh-identity", "--dim", "2", "--method", "exact-regions"],
            ["num_regions_total", "num_regions_solved", "num_on_boundary"],
        ),
        (
            ["--net", "poly", "--dim", "2", "--method", "homotopy"],
            ["num_paths", "num_complex_solutions", "num_real_solutions", "num_singular_real"],
        ),
        (
            ["--net", "tanh-identity", "--dim", "2", "--method", "branch-and-bound"],
            ["num_undecided_boxes"],
        ),
        (
            ["--net", "tanh-identity", "--dim", "2", "--gain", "2", "--certify-complete"],
            ["num_certified_boxes", "num_enumerated_in_box", "num_enumerated_outside_box"],
        ),
    ],
    ids=["starts", "exact-regions", "homotopy", "branch-and-bound", "certify-complete"],
)
def test_enumerate_json_spells_every_count_num(argv, counts, capsys):
    summary = _summary(["enumerate", *argv], capsys)
    assert _keys_spelled_n(summary) == []
    expected = ["num_fixed_points", "num_attracting", "num_saddle", "num_certified", *counts]
    assert set(expected) <= set(summary), sorted(set(expected) - set(summary))


def test_merge_json_spells_every_count_num(tmp_path, capsys):
    network = ["--net", "hardtanh-identity", "--dim", "2", "--method", "exact-regions"]
    parts = [str(tmp_path / f"part{index}.npz") for index in (0, 1)]
    for index, path in enumerate(parts):
        _summary(["enumerate", *network, "--part", f"{index}/2", "--out", path], capsys)
    summary = _summary(["merge", *parts], capsys)
    assert _keys_spelled_n(summary) == []
    assert summary["num_parts"] == 2 and summary["num_fixed_points"] == 9


def test_exact_regions_summary_reports_the_record_attributes_under_their_names():
    net = jaxfp.looped.LoopedNet(3.0 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.hardtanh())
    found = jaxfp.enumerate_fixed_points(net, method=ExactRegions())
    summary = found.stats.summary()
    assert summary == {name: getattr(found.stats.run, name) for name in summary}
    assert summary["num_regions_total"] == 9 and _keys_spelled_n(summary) == []
