"""Exact regions split over processes: the parts' blocks of regions merge into the one-process
answer, point for point, with the same completeness proof; merging refuses parts that are not the
parts of one run."""

import dataclasses
import json

import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration import ExactRegions, Starts, enumerate_part, merge_parts, save_part

from ._pwl_cases import split_net
from .test_multiprocess import run_two_processes


@pytest.fixture(scope="module")
def net():
    return split_net()


@pytest.fixture(scope="module")
def single(net):
    return jaxfp.enumerate_fixed_points(net, ExactRegions())


@pytest.fixture(scope="module")
def parts(net):
    return [enumerate_part(net, (index, 3), method=ExactRegions()) for index in range(3)]


def assert_same_result(merged, single):
    """Point for point in the same order, the same singular regions, the same proof."""
    assert single.complete and single.proof.method == "exact-regions"
    assert merged.complete and merged.proof == single.proof
    np.testing.assert_array_equal(merged.points, single.points)
    for name in ("stability", "determinant_sign", "certified", "spectral_radius"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(single, name), err_msg=name)
    ours, theirs = merged.stats.run, single.stats.run
    assert ours.singular_regions.kinds == theirs.singular_regions.kinds
    np.testing.assert_array_equal(ours.singular_regions.patterns, theirs.singular_regions.patterns)
    for name in ("num_regions_solved", "num_regions_pruned", "num_residual_failures", "index_sum"):
        assert getattr(ours, name) == getattr(theirs, name), name


def test_the_split_network_has_singular_regions_and_several_points(single):
    kinds = single.stats.run.singular_regions.kinds
    assert kinds and set(kinds) == {"no_solution"}
    assert single.num_fixed_points > 1


def test_parts_merge_to_the_one_process_result(single, parts, tmp_path):
    assert all(not part.fixed_points.complete for part in parts)
    assert parts[1].fixed_points.evidence.findings[0].startswith("partial: part 1 of 3")
    solved = [part.result.record.end - part.result.record.begin for part in parts]
    assert sum(solved) == single.stats.run.num_regions_solved
    paths = [save_part(part, tmp_path / f"part{part.index}.npz") for part in parts]
    merged = merge_parts(paths[::-1])
    assert_same_result(merged, single)
    assert "Merged from 3 parts, each region solved in exactly one." in merged.evidence.findings[0]


def test_more_parts_than_regions_still_merge(net, single):
    count = single.stats.run.num_regions_solved + 2  # some parts get no region at all
    parts = [enumerate_part(net, (i, count), method=ExactRegions()) for i in range(count)]
    assert_same_result(merge_parts(parts), single)


@pytest.mark.slow
def test_two_processes_merge_to_the_one_process_result(single, tmp_path):
    paths = run_two_processes(tmp_path, "exact-regions")
    assert_same_result(merge_parts(paths), single)


def test_merge_refuses_parts_of_another_network(net, parts):
    other = jaxfp.looped.LoopedNet(net.W, net.b, jaxfp.looped.hardtanh(), "affine-sigma")
    stranger = enumerate_part(other, (1, 3), method=ExactRegions())
    with pytest.raises(ValueError, match="do not belong to one run: they differ in network"):
        merge_parts([parts[0], stranger, parts[2]])


def test_merge_refuses_parts_with_other_options(net, parts):
    unpruned = enumerate_part(net, (1, 3), method=ExactRegions(prune=False))
    with pytest.raises(ValueError, match="do not belong to one run: they differ in options"):
        merge_parts([parts[0], unpruned, parts[2]])


def test_merge_refuses_parts_of_another_method():
    net = jaxfp.looped.LoopedNet(2.0 * np.eye(2), np.zeros(2), jaxfp.looped.hardtanh())
    regions = enumerate_part(net, (0, 2), method=ExactRegions())
    starts = enumerate_part(net, (1, 2), method=Starts(certify=False))
    with pytest.raises(ValueError, match="do not belong to one run: they differ in method"):
        merge_parts([regions, starts])


def test_merge_refuses_a_missing_part(parts):
    with pytest.raises(ValueError, match=r"part\(s\) \[1\] missing"):
        merge_parts([parts[0], parts[2]])


def _with_record(part, **changes):
    """`part` with fields of its region record changed."""
    record = dataclasses.replace(part.result.record, **changes)
    return dataclasses.replace(part, result=dataclasses.replace(part.result, record=record))


def test_merge_refuses_a_part_that_did_not_solve_its_block(parts):
    broken = _with_record(parts[1], end=parts[1].result.record.end - 1)
    with pytest.raises(ValueError, match="part 1 of 3 did not solve its regions"):
        merge_parts([parts[0], broken, parts[2]])


def test_merge_refuses_parts_of_another_pruning_plan(parts):
    other = _with_record(parts[1], plan="0" * 64)
    with pytest.raises(ValueError, match="numbered the regions differently"):
        merge_parts([parts[0], other, parts[2]])


def test_exact_regions_part_refuses_a_checkpoint(net, tmp_path):
    with pytest.raises(ValueError, match="ExactRegions keeps no checkpoint"):
        enumerate_part(net, (0, 2), method=ExactRegions(), checkpoint=tmp_path)


@pytest.mark.parametrize("part", [(2, 2), (0, 0), (-1, 2), (0.5, 2), [0, 2]])
def test_a_malformed_part_is_refused(net, part):
    with pytest.raises(ValueError, match="`part` must be a pair"):
        enumerate_part(net, part, method=ExactRegions())


def test_cli_exact_region_parts_and_merge_equal_the_one_process_run(single, tmp_path, capsys):
    from jaxfp._cli.main import main

    net = split_net()
    np.save(tmp_path / "W.npy", np.asarray(net.W))
    np.save(tmp_path / "b.npy", np.asarray(net.b))
    network = ["--weights", str(tmp_path / "W.npy"), "--bias", str(tmp_path / "b.npy")]
    network += ["--activation", "hardtanh", "--method", "exact-regions"]
    for index in (1, 0):
        out = ["--out", str(tmp_path / f"part{index}.npz"), "--json", "-"]
        assert main(["enumerate", *network, "--part", f"{index}/2", *out]) == 0
    capsys.readouterr()
    parts = [str(tmp_path / "part0.npz"), str(tmp_path / "part1.npz")]
    assert main(["merge", *parts, "--out", str(tmp_path / "all.npz"), "--json", "-"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["complete"] is True and summary["proof"]["method"] == "exact-regions"
    assert summary["num_fixed_points"] == single.num_fixed_points and summary["num_parts"] == 2
    with np.load(tmp_path / "all.npz") as data:
        np.testing.assert_allclose(data["points"], single.points, atol=0)
