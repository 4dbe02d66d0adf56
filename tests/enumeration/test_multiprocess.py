"""Multi-process enumeration: parts on separate processes (`jax.distributed`), merged into the
one-process answer; a killed part resumes; merging refuses parts that are not one run."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from jaxfp.enumeration import Starts, enumerate_part, load_part, merge_parts, save_part
from jaxfp.enumeration._iterative import enumerate_iterative

from ._iterative_cases import BUILDERS, STARTS_PER_ORTHANT

ROOT = Path(__file__).resolve().parents[2]
PROCESS_TIMEOUT_SECONDS = 300
POINT_TOLERANCE = 1e-9


class Killed(Exception):
    pass


def _single_process():
    return enumerate_iterative(
        BUILDERS["poly"](), starts_per_orthant=STARTS_PER_ORTHANT, faces=False, certify=False
    )


def _part(index, count=2, chunk_size=16384, **kwargs):
    method = Starts(starts_per_orthant=STARTS_PER_ORTHANT, certify=False, chunk_size=chunk_size)
    return enumerate_part(BUILDERS["poly"](), (index, count), method=method, **kwargs)


def assert_same_result(merged, single):
    """Point for point (any order of the points), and start for start."""
    assert not merged.complete and merged.proof is None  # starts are never a proof
    assert merged.index_consistent is single.index_consistent  # the engine's index-check flag
    merged = merged.stats.run
    assert merged.points.shape == single.points.shape
    order_m, order_s = np.lexsort(merged.points.T), np.lexsort(single.points.T)
    np.testing.assert_allclose(merged.points[order_m], single.points[order_s], atol=POINT_TOLERANCE)
    for name in ("sign_patterns", "stability", "determinant_sign", "reached_by", "newton_hits"):
        np.testing.assert_array_equal(
            getattr(merged, name)[order_m], getattr(single, name)[order_s], err_msg=name
        )
    np.testing.assert_array_equal(merged.start_outcome, single.start_outcome)
    np.testing.assert_array_equal(merged.start_stayed, single.start_stayed)
    for name in ("start_limit", "start_newton_root"):
        ours, theirs = getattr(merged, name), getattr(single, name)
        np.testing.assert_array_equal(ours >= 0, theirs >= 0, err_msg=name)
        np.testing.assert_allclose(
            merged.points[ours[ours >= 0]], single.points[theirs[theirs >= 0]], atol=1e-9
        )
    for name in ("index_sum", "expected_degree", "index_consistent", "orthants_with_fixed_point"):
        assert getattr(merged, name) == getattr(single, name), name
    assert merged.num_orthants == single.num_orthants and merged.orthants is None


@pytest.fixture(scope="module")
def single():
    return _single_process()


@pytest.fixture(scope="module")
def parts():
    return [_part(0), _part(1)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_two_processes(tmp_path, method: str = "starts") -> list:
    """Run the two processes of a `jax.distributed` job; returns their part files."""
    port = _free_port()
    environment = {
        **os.environ,
        "JAX_PLATFORMS": "cpu",
        "PYTHONPATH": str(ROOT),
        "XLA_FLAGS": "--xla_force_host_platform_device_count=1",
    }
    paths = [tmp_path / f"part{index}.npz" for index in range(2)]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.enumeration._multiprocess_worker",
                str(port),
                str(index),
                "2",
                str(paths[index]),
                str(tmp_path / f"checkpoint{index}"),
                method,
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for index in range(2)
    ]
    outputs = [process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    return paths


@pytest.mark.slow
def test_two_processes_merge_to_the_one_process_result(single, tmp_path):
    paths = run_two_processes(tmp_path)
    merged = merge_parts(paths[::-1])
    assert_same_result(merged, single)
    assert "merged from 2 parts" in merged.evidence.findings[0]


def test_parts_merge_to_the_one_process_result_through_files(single, parts, tmp_path):
    paths = [save_part(part, tmp_path / f"part{part.index}.npz") for part in parts]
    assert all(not part.result.index_consistent for part in parts)
    assert_same_result(merge_parts(paths), single)


def test_killed_part_resumes_and_merges(single, parts, tmp_path):
    def kill_after_first_chunk(chunks_done, *_):
        if chunks_done == 1:
            raise Killed

    with pytest.raises(Killed):
        _part(1, checkpoint=tmp_path, chunk_size=8, progress=kill_after_first_chunk)
    solved = []
    resumed = _part(
        1,
        checkpoint=tmp_path,
        chunk_size=8,
        resume=True,
        progress=lambda done, *_: solved.append(done),
    )
    assert solved == [2]  # only the chunk that was lost
    assert_same_result(merge_parts([parts[0], resumed]), single)


def test_merge_refuses_a_missing_or_repeated_part(parts):
    with pytest.raises(ValueError, match=r"part\(s\) \[1\] missing"):
        merge_parts([parts[0]])
    with pytest.raises(ValueError, match=r"part\(s\) \[0\] given more than once"):
        merge_parts([parts[0], parts[0], parts[1]])


def test_merge_refuses_parts_of_another_network(parts):
    method = Starts(starts_per_orthant=STARTS_PER_ORTHANT, certify=False)
    other = enumerate_part(BUILDERS["tanh-identity"](), (1, 2), method=method)
    with pytest.raises(ValueError, match="do not belong to one run: they differ in network"):
        merge_parts([parts[0], other])


def test_part_refuses_face_starts_and_samples():
    with pytest.raises(ValueError, match="`faces` cannot be used with parts"):
        enumerate_part(BUILDERS["poly"](), (0, 2), method=Starts(faces=True))
    with pytest.raises(ValueError, match="`sample` cannot be used with parts"):
        enumerate_part(BUILDERS["poly"](), (0, 2), method=Starts(sample=4))


def test_damaged_part_file_is_one_clear_error(tmp_path):
    path = tmp_path / "part0.npz"
    path.write_bytes(b"not an npz")
    with pytest.raises(ValueError, match=r"part0\.npz' is damaged or not a jaxfp part file"):
        load_part(path)
    with pytest.raises(ValueError, match="does not exist"):
        load_part(tmp_path / "missing.npz")


def test_cli_parts_and_merge_equal_the_one_process_run(single, tmp_path, capsys):
    from jaxfp._cli.main import main

    network = ["--net", "poly", "--dim", "3", "--method", "starts"]
    network += ["--starts-per-orthant", str(STARTS_PER_ORTHANT)]
    for index in (1, 0):
        out = str(tmp_path / f"part{index}.npz")
        argv = ["enumerate", *network, "--no-certify", "--part", f"{index}/2", "--out", out]
        assert main([*argv, "--json", "-"]) == 0
    capsys.readouterr()
    merged_file = tmp_path / "all.npz"
    parts = [str(tmp_path / "part0.npz"), str(tmp_path / "part1.npz")]
    assert main(["merge", *parts, "--out", str(merged_file), "--json", "-"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["num_fixed_points"] == single.num_fixed_points
    assert summary["index_sum"] == single.index_sum and summary["num_parts"] == 2
    with np.load(merged_file) as data:
        np.testing.assert_allclose(
            np.sort(data["points"], axis=0), np.sort(single.points, axis=0), atol=POINT_TOLERANCE
        )


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--part", "2/2", "--out", "p.npz"], "--part must be I/N with 0 <= I < N"),
        (["--part", "one/2", "--out", "p.npz"], "--part must be I/N"),
        (["--part", "0/2"], "--part needs --out PART.npz"),
        (
            ["--part", "0/2", "--out", "p.npz", "--method", "starts", "--faces"],
            "--part cannot be combined with --faces",
        ),
        # auto on a polynomial σ takes homotopy parts (3^2 paths): starts options are refused
        (
            ["--part", "0/2", "--out", "p.npz", "--starts-per-orthant", "4"],
            "--starts-per-orthant does not apply here: the homotopy run ignores it",
        ),
    ],
    ids=["index-too-large", "not-a-number", "no-out", "faces", "auto-takes-homotopy-parts"],
)
def test_cli_part_errors_are_one_line(extra, message, tmp_path, capsys, monkeypatch):
    from jaxfp._cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["enumerate", "--net", "poly", "--dim", "2", *extra]) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def test_cli_merge_of_a_missing_part_is_one_line(parts, tmp_path, capsys):
    from jaxfp._cli.main import main

    path = save_part(parts[0], tmp_path / "part0.npz")
    assert main(["merge", str(path)]) == 2
    error = capsys.readouterr().err
    assert "part(s) [1] missing" in error and error.count("\n") == 1
