"""Checkpoint robustness (issue 12): a lock, unique temporary names, a fingerprint per chunk,
read-only reading, and one clear error per kind of corruption naming the file and the remedy."""

import builtins
import dataclasses
import errno
import json
import os
import shutil

import numpy as np
import pytest

from jaxfp.enumeration._streaming import DirectoryStore

from .test_streaming import _run as _enumerate

CHUNKS = 3


def _chunk(index: int) -> dict[str, np.ndarray]:
    return {"points": np.full((2, 3), float(index)), "start_outcome": np.arange(4, dtype=np.int8)}


def _finished(directory, fingerprint="run-a", chunks=CHUNKS):
    with DirectoryStore(directory, fingerprint, chunks, resume=False) as store:
        for index in range(chunks):
            store.save(index, _chunk(index))
    return directory


def _block_writes(monkeypatch, directory):
    """Make every write under `directory` fail as on a read-only filesystem (the tests run as
    root, whom file permissions do not stop)."""
    root = os.path.realpath(directory)
    real_open, real_os_open = builtins.open, os.open

    def refuse(path):
        if os.path.realpath(path).startswith(root):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    def guarded_open(path, mode="r", *args, **kwargs):
        if isinstance(path, (str, os.PathLike)) and set(mode) & set("wax+"):
            refuse(path)
        return real_open(path, mode, *args, **kwargs)

    def guarded_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def guarded_path_call(real):
        def call(path, *args, **kwargs):
            refuse(path)
            return real(path, *args, **kwargs)

        return call

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    for name in ("replace", "unlink", "mkdir"):
        monkeypatch.setattr(os, name, guarded_path_call(getattr(os, name)))


def test_two_runs_on_one_checkpoint_do_not_collide(tmp_path):
    first = DirectoryStore(tmp_path, "run-a", CHUNKS, resume=False)
    first.save(0, _chunk(0))
    with pytest.raises(ValueError, match="in use by another run .*lock"):
        DirectoryStore(tmp_path, "run-a", CHUNKS, resume=True)
    first.close()
    with DirectoryStore(tmp_path, "run-a", CHUNKS, resume=True) as second:
        assert second.completed == 1
        second.save(1, _chunk(1))


def test_temporary_names_are_unique_and_never_left_behind(tmp_path, monkeypatch):
    sources = []
    real_replace = os.replace

    def recording_replace(source, target):
        sources.append(os.path.basename(source))
        return real_replace(source, target)

    monkeypatch.setattr(os, "replace", recording_replace)
    _finished(tmp_path / "a")
    _finished(tmp_path / "b")
    assert len(sources) == len(set(sources)) == 2 * (1 + 2 * CHUNKS)  # manifests and chunks

    def failing_savez(stream, **arrays):
        stream.write(b"half a chunk")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", failing_savez)
    with DirectoryStore(tmp_path / "c", "run-c", CHUNKS, resume=False) as store:
        with pytest.raises(KeyboardInterrupt):
            store.save(0, _chunk(0))
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["lock", "manifest.json"]


def test_chunk_copied_from_another_run_is_rejected_on_resume(tmp_path):
    ours, theirs = _finished(tmp_path / "ours"), _finished(tmp_path / "theirs", "run-b")
    shutil.copy(theirs / "chunk_000001.npz", ours / "chunk_000001.npz")
    with pytest.raises(ValueError, match=r"chunk_000001\.npz.* does not match manifest\.json"):
        DirectoryStore(ours, "run-a", CHUNKS, resume=True)
    # Even with the manifest's digest edited to match, the chunk's own fingerprint rejects it.
    manifest = json.loads((ours / "manifest.json").read_text())
    manifest["chunks"][1] = json.loads((theirs / "manifest.json").read_text())["chunks"][1]
    (ours / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"chunk_000001\.npz.* belongs to another run"):
        DirectoryStore(ours, "run-a", CHUNKS, resume=True)


def test_truncated_chunk_names_the_file_and_deleting_it_resumes(tmp_path):
    _finished(tmp_path)
    path = tmp_path / "chunk_000001.npz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match=r"chunk_000001\.npz.*delete it and resume.*chunk 1"):
        DirectoryStore(tmp_path, "run-a", CHUNKS, resume=True)
    path.unlink()
    with DirectoryStore(tmp_path, "run-a", CHUNKS, resume=True) as store:
        assert store.completed == 1 and not store.read_only
        store.save(1, _chunk(1))
        store.save(2, _chunk(2))
        np.testing.assert_array_equal(store.load(2)["points"], _chunk(2)["points"])


@pytest.mark.parametrize(
    "content, kind",
    [
        ("", "is empty"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a jaxfp manifest"),
        (
            '{"version": "2", "fingerprint": "run-a", "num_chunks": 3, "completed": 3}',
            "is not a jaxfp",
        ),
        (
            '{"version": 2, "fingerprint": "run-a", "num_chunks": 3, "completed": 3, "chunks": 1}',
            "is not a jaxfp",
        ),
    ],
    ids=["empty", "not-json", "wrong-type", "wrong-field-type", "wrong-chunks"],
)
def test_corrupt_manifest_names_the_file_and_the_remedy(tmp_path, content, kind):
    _finished(tmp_path)
    (tmp_path / "manifest.json").write_text(content)
    with pytest.raises(ValueError, match=rf"manifest\.json'? {kind}.*delete .* and run again"):
        DirectoryStore(tmp_path, "run-a", CHUNKS, resume=True)


def test_finished_checkpoint_reads_back_on_a_read_only_filesystem(tmp_path, monkeypatch):
    _finished(tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    _block_writes(monkeypatch, tmp_path)
    with DirectoryStore(tmp_path, "run-a", CHUNKS, resume=True) as store:
        assert store.read_only and store.completed == CHUNKS
        np.testing.assert_array_equal(store.load(2)["points"], _chunk(2)["points"])
        assert not isinstance(store.per_start_array("x", (4,), np.int8), np.memmap)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before


def test_unfinished_checkpoint_on_a_read_only_filesystem_is_refused_clearly(tmp_path, monkeypatch):
    with DirectoryStore(tmp_path, "run-a", CHUNKS, resume=False) as store:
        store.save(0, _chunk(0))
    _block_writes(monkeypatch, tmp_path)
    with pytest.raises(ValueError, match=r"cannot be written .*1 of 3 chunks.*copy the checkpoint"):
        DirectoryStore(tmp_path, "run-a", CHUNKS, resume=True)


def test_new_checkpoint_in_an_unwritable_place_is_refused(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ValueError, match="cannot be written .*choose a writable directory"):
        DirectoryStore(tmp_path / "a-file" / "run", "run-a", CHUNKS, resume=False)


def test_old_checkpoint_format_is_refused_with_the_remedy(tmp_path):
    _finished(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["version"] = 1
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="another version of jaxfp .*new directory"):
        DirectoryStore(tmp_path, "run-a", CHUNKS, resume=True)


def test_finished_enumeration_reads_back_read_only_and_equals_the_run(tmp_path, monkeypatch):
    first = _enumerate(checkpoint=tmp_path)
    _block_writes(monkeypatch, tmp_path)
    solved = []
    again = _enumerate(checkpoint=tmp_path, resume=True, callback=lambda *a: solved.append(a))
    assert solved == []  # nothing recomputed
    for field in dataclasses.fields(first):
        if field.name != "wall_time_s":
            a, b = getattr(first, field.name), getattr(again, field.name)
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b, err_msg=field.name)
            else:
                assert a == b, field.name
