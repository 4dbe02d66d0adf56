"""Homotopy split over processes: the parts' ranges of paths merge into the one-process answer,
point for point, with the same proof; a killed part resumes; merging refuses parts that are not
the parts of one run, and a merge with paths unaccounted for is not complete."""

import dataclasses
import json

import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration import Homotopy, enumerate_part, load_part, merge_parts, save_part
from jaxfp.enumeration._homotopy import _run

from ._polynomial_cases import cubic_network_3
from .test_multiprocess import run_two_processes

# Chunks of 4 of the 27 paths, so that every part has several chunks.
METHOD = Homotopy(chunk_size=4)
# The parts' chunks hold other paths side by side than the one-process run's, which moves the
# tracked ends by a few ulps (1.8e-15 measured); the polished points agree to 1e-16.
POINT_TOLERANCE = 1e-12


class Killed(Exception):
    pass


@pytest.fixture(scope="module")
def net():
    return cubic_network_3()


@pytest.fixture(scope="module")
def single(net):
    return jaxfp.enumerate_fixed_points(net, METHOD)


@pytest.fixture(scope="module")
def parts(net):
    return [enumerate_part(net, (index, 3), method=METHOD) for index in range(3)]


def assert_same_result(merged, single):
    """Point for point in the same order, the same classification, the same proof."""
    assert single.complete and single.proof.method == "homotopy"
    assert merged.complete and merged.proof == single.proof
    assert merged.points.shape == single.points.shape
    np.testing.assert_allclose(merged.points, single.points, atol=POINT_TOLERANCE, rtol=0)
    for name in ("stability", "determinant_sign", "certified"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(single, name), err_msg=name)
    ours, theirs = merged.stats.summary(), single.stats.summary()
    for name in ("compile_time_s", "tracking_time_s"):
        del ours[name], theirs[name]
    assert ours == theirs


def test_the_network_has_real_and_complex_solutions(single):
    assert single.num_fixed_points == 7 and single.stats.paths.counts == (27, 0, 0, 0)


def test_parts_merge_to_the_one_process_result(single, parts):
    assert [(p.result[0].begin, p.result[0].end) for p in parts] == [(0, 9), (9, 18), (18, 27)]
    merged = merge_parts(parts[::-1])
    assert_same_result(merged, single)
    assert "merged from 3 parts" in merged.evidence.findings


def test_a_part_alone_is_never_complete(parts):
    found = parts[1].fixed_points
    assert not found.complete and found.proof is None
    assert any("partial: part 1 of 3 (paths 9 to 17 of 27" in f for f in found.evidence.findings)


def test_parts_merge_through_files(single, parts, tmp_path):
    paths = [save_part(part, tmp_path / f"part{part.index}.npz") for part in parts]
    assert load_part(paths[1]).result[1]["name"] == "poly:0,1.5,0,-0.5"
    assert_same_result(merge_parts(paths), single)


def test_killed_part_resumes_and_merges(net, single, parts, tmp_path, monkeypatch):
    tracked = []
    chunk = _run._Tracker.chunk

    def counted(self, indices, scale):
        tracked.append(indices.tolist())
        return chunk(self, indices, scale)

    monkeypatch.setattr(_run._Tracker, "chunk", counted)

    def kill_after_first_chunk(chunks_done, *_):
        if chunks_done == 1:
            raise Killed

    with pytest.raises(Killed):
        enumerate_part(
            net, (1, 3), method=METHOD, checkpoint=tmp_path, progress=kill_after_first_chunk
        )
    assert tracked == [[9, 10, 11, 12]]
    resumed = enumerate_part(net, (1, 3), method=METHOD, checkpoint=tmp_path, resume=True)
    assert tracked[1:] == [[13, 14, 15, 16], [17]]  # only the chunks that were lost
    assert_same_result(merge_parts([parts[0], resumed, parts[2]]), single)
    with pytest.raises(ValueError, match="different run"):
        enumerate_part(net, (2, 3), method=METHOD, checkpoint=tmp_path, resume=True)


def test_merge_refuses_missing_repeated_and_foreign_parts(net, parts):
    with pytest.raises(ValueError, match=r"part\(s\) \[2\] missing"):
        merge_parts(parts[:2])
    with pytest.raises(ValueError, match=r"part\(s\) \[0\] given more than once"):
        merge_parts([parts[0], *parts])
    other_seed = enumerate_part(net, (2, 3), method=dataclasses.replace(METHOD, seed=1))
    with pytest.raises(ValueError, match="differ in options"):
        merge_parts([*parts[:2], other_seed])
    other_net = jaxfp.looped.LoopedNet(net.W, net.b + 0.01, net.activation)
    foreign = enumerate_part(other_net, (2, 3), method=METHOD)
    with pytest.raises(ValueError, match="differ in network"):
        merge_parts([*parts[:2], foreign])
    halves = enumerate_part(net, (1, 2), method=METHOD)
    with pytest.raises(ValueError, match="different numbers of parts"):
        merge_parts([*parts[:2], halves])
    moved = dataclasses.replace(parts[0], index=2)
    with pytest.raises(ValueError, match=r"part 2 of 3 did not track its paths \(18 to 26"):
        merge_parts([*parts[:2], moved])


def test_merge_with_failed_paths_is_not_complete(net):
    method = Homotopy(seed=4, chunk_size=4, max_steps=3, max_retries=1)
    merged = merge_parts([enumerate_part(net, (i, 2), method=method) for i in range(2)])
    assert not merged.complete and merged.proof is None
    assert merged.stats.paths.counts[3] > 0 and merged.stats.seeds == (4,)
    (note,) = [f for f in merged.evidence.findings if "run every part again" in f]
    assert "still failed with γ of seed 4" in note
    assert "Homotopy(seed=5)" in note and "--gamma-seed 5" in note  # the API and the CLI form


def test_parts_refuse_a_non_polynomial_network():
    with pytest.raises(ValueError, match="Homotopy needs a polynomial activation"):
        enumerate_part(jaxfp.looped.tanh_identity_network(2), (0, 2), method=METHOD)


@pytest.mark.slow
def test_two_processes_merge_to_the_one_process_result(single, tmp_path):
    paths = run_two_processes(tmp_path, "homotopy")
    merged = merge_parts(paths[::-1])
    assert_same_result(merged, single)
    assert [load_part(path).result[0].end for path in paths] == [13, 27]


def test_cli_parts_and_merge_equal_the_one_process_run(net, single, tmp_path, capsys):
    from jaxfp._cli.main import main

    np.save(tmp_path / "W.npy", np.asarray(net.W))
    np.save(tmp_path / "b.npy", np.asarray(net.b))
    network = ["--weights", str(tmp_path / "W.npy"), "--bias", str(tmp_path / "b.npy")]
    network += ["--activation", "poly:0,1.5,0,-0.5", "--chunk-size", "4"]
    # auto on a polynomial network runs homotopy parts, as the one-process auto would run it
    for index, method in ((1, "homotopy"), (0, "auto")):
        out = str(tmp_path / f"part{index}.npz")
        argv = ["enumerate", *network, "--method", method, "--part", f"{index}/2", "--out", out]
        assert main([*argv, "--json", "-"]) == 0
        assert json.loads(capsys.readouterr().out)["method"] == "homotopy"
        assert load_part(out).method == "homotopy"
    merged_file = tmp_path / "all.npz"
    parts = [str(tmp_path / "part0.npz"), str(tmp_path / "part1.npz")]
    assert main(["merge", *parts, "--out", str(merged_file), "--json", "-"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["complete"] is True and summary["proof"]["method"] == "homotopy"
    assert summary["num_fixed_points"] == single.num_fixed_points and summary["num_parts"] == 2
    with np.load(merged_file) as data:
        np.testing.assert_allclose(data["points"], single.points, atol=POINT_TOLERANCE, rtol=0)


def test_auto_parts_take_homotopy_on_a_polynomial_network(net, parts):
    part = enumerate_part(net, (0, 3), method=jaxfp.enumeration.Auto(homotopy=METHOD))
    assert part.method == "homotopy" and part.options == parts[0].options
    beyond = jaxfp.enumeration.Auto(max_paths=26)  # 27 paths: auto would run starts only
    assert enumerate_part(net, (0, 3), method=beyond).method == "starts"
