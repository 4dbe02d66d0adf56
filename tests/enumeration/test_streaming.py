"""Streaming to a checkpoint: a killed run resumes and equals an uninterrupted run."""

import dataclasses

import numpy as np
import pytest

from jaxfp.enumeration._iterative import enumerate_iterative

from ._iterative_cases import BUILDERS, CHUNK, STARTS_PER_ORTHANT

# 59 starts in chunks of CHUNK = 16: 4 chunks.


class Killed(Exception):
    pass


def _run(**kwargs):
    return enumerate_iterative(
        BUILDERS["poly"](),
        starts_per_orthant=STARTS_PER_ORTHANT,
        chunk_size=CHUNK,
        certify=False,
        **kwargs,
    )


def _assert_same(first, second):
    for field in dataclasses.fields(first):
        if field.name == "wall_time_s":
            continue
        a, b = getattr(first, field.name), getattr(second, field.name)
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=field.name)
        else:
            assert a == b, field.name


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return _run(checkpoint=tmp_path_factory.mktemp("whole"))


def test_streamed_run_equals_in_memory_run(uninterrupted):
    _assert_same(uninterrupted, _run())


def test_resume_after_kill_equals_uninterrupted(uninterrupted, tmp_path):
    seen = []

    def kill_after_two(chunks_done, num_chunks, starts_done, num_starts):
        seen.append(chunks_done)
        if chunks_done == 2:
            raise Killed

    with pytest.raises(Killed):
        _run(checkpoint=tmp_path, callback=kill_after_two)
    assert sorted(p.name for p in tmp_path.glob("chunk_*.npz")) == [
        "chunk_000000.npz",
        "chunk_000001.npz",
    ]
    resumed_chunks = []
    resumed = _run(
        checkpoint=tmp_path, resume=True, callback=lambda done, *_: resumed_chunks.append(done)
    )
    assert resumed_chunks == [3, 4]  # only the missing chunks were solved
    _assert_same(uninterrupted, resumed)


def test_existing_checkpoint_needs_resume(uninterrupted, tmp_path):
    _run(checkpoint=tmp_path)
    with pytest.raises(ValueError, match="already holds a run"):
        _run(checkpoint=tmp_path)


def test_resume_with_other_settings_is_refused(tmp_path):
    _run(checkpoint=tmp_path)
    with pytest.raises(ValueError, match="different run"):
        _run(checkpoint=tmp_path, resume=True, seed=1)


def test_resume_needs_a_checkpoint():
    with pytest.raises(ValueError, match="needs a `checkpoint`"):
        _run(resume=True)


def test_checkpoint_path_that_is_a_file_is_refused(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        _run(checkpoint=path)
