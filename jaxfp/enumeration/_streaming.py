"""Chunk storage of the iterative enumeration: in memory, or streamed to a checkpoint directory.

A checkpoint directory holds `manifest.json` (the run's fingerprint, the number of chunks and how
many are complete) and one `chunk_NNNNNN.npz` per completed chunk. Each chunk file is written to a
temporary name and renamed into place before the manifest is updated (also by rename), so a run
killed at any moment leaves a consistent checkpoint: resuming redoes at most the chunk that was in
flight, and the final result equals an uninterrupted run's.
"""

import json
import os
from pathlib import Path

import numpy as np

_MANIFEST = "manifest.json"
_VERSION = 1


def _write_atomic(path: Path, write) -> None:
    temporary = path.with_name(path.name + ".partial")
    with open(temporary, "wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class MemoryStore:
    """Chunks kept in memory (runs without a checkpoint)."""

    def __init__(self, num_chunks: int):
        self.num_chunks = num_chunks
        self._chunks: list[dict[str, np.ndarray]] = []

    @property
    def completed(self) -> int:
        return len(self._chunks)

    def save(self, index: int, arrays: dict[str, np.ndarray]) -> None:
        if index != len(self._chunks):
            raise ValueError(f"chunk {index} saved out of order (expected {len(self._chunks)}).")
        self._chunks.append(arrays)

    def load(self, index: int) -> dict[str, np.ndarray]:
        return self._chunks[index]

    def per_start_array(self, name: str, shape, dtype) -> np.ndarray:
        return np.empty(shape, dtype)


class DirectoryStore:
    """Chunks streamed to `directory` with a resumable manifest (see the module docstring).

    Args:
        directory: the checkpoint directory (created if missing).
        fingerprint: a digest of everything that determines the result (network, starts,
            options); resuming with a different fingerprint is refused.
        num_chunks: the number of chunks of the run.
        resume: continue a run whose manifest exists; without it an existing manifest is refused.

    Raises:
        ValueError: if the directory holds a checkpoint and `resume` is False, or holds one of a
            different run, or is not a directory.
    """

    def __init__(self, directory, fingerprint: str, num_chunks: int, resume: bool):
        self.directory = Path(directory)
        if self.directory.exists() and not self.directory.is_dir():
            raise ValueError(f"checkpoint {str(self.directory)!r} exists and is not a directory.")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.fingerprint = fingerprint
        self.num_chunks = num_chunks
        manifest_path = self.directory / _MANIFEST
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())
            if not resume:
                raise ValueError(
                    f"checkpoint {str(self.directory)!r} already holds a run ("
                    f"{manifest.get('completed', 0)} of {manifest.get('num_chunks', '?')} chunks); "
                    "pass resume=True (CLI: --resume) to continue it, or choose another directory."
                )
            if manifest.get("fingerprint") != fingerprint or manifest.get("version") != _VERSION:
                raise ValueError(
                    f"checkpoint {str(self.directory)!r} belongs to a different run (other "
                    "network, starts or options); resume with the original settings or use a "
                    "new directory."
                )
            self._completed = int(manifest["completed"])
        else:
            self._completed = 0
            self._write_manifest()

    def _write_manifest(self) -> None:
        manifest = {
            "version": _VERSION,
            "fingerprint": self.fingerprint,
            "num_chunks": self.num_chunks,
            "completed": self._completed,
        }
        _write_atomic(
            self.directory / _MANIFEST, lambda handle: handle.write(json.dumps(manifest).encode())
        )

    @property
    def completed(self) -> int:
        return self._completed

    def _chunk_path(self, index: int) -> Path:
        return self.directory / f"chunk_{index:06d}.npz"

    def save(self, index: int, arrays: dict[str, np.ndarray]) -> None:
        if index != self._completed:
            raise ValueError(f"chunk {index} saved out of order (expected {self._completed}).")
        _write_atomic(self._chunk_path(index), lambda handle: np.savez(handle, **arrays))
        self._completed += 1
        self._write_manifest()

    def load(self, index: int) -> dict[str, np.ndarray]:
        with np.load(self._chunk_path(index)) as data:
            return {name: data[name] for name in data.files}

    def per_start_array(self, name: str, shape, dtype) -> np.ndarray:
        """A per-start output array memory-mapped in the directory (RAM stays bounded)."""
        return np.lib.format.open_memmap(
            self.directory / f"{name}.npy", mode="w+", dtype=dtype, shape=shape
        )
