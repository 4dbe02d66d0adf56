"""Chunk storage of the iterative enumeration: in memory, or streamed to a checkpoint directory.

A checkpoint directory holds `manifest.json` (the run's fingerprint, the number of chunks, how
many are complete and the SHA-256 digest of each completed chunk file), one `chunk_NNNNNN.npz` per
completed chunk (which also records the run's fingerprint and its own index) and a `lock` file.

- **Atomic writes.** Each file is written under a unique temporary name in the directory
  (`tempfile.mkstemp`) and renamed into place; the manifest is renamed last. A run killed at any
  moment leaves a consistent checkpoint: resuming redoes at most the chunk that was in flight,
  and the final result equals an uninterrupted run's.
- **One run at a time.** A run that writes holds an exclusive `flock` on `lock` for as long as
  the store is open; a second run on the same directory is refused at once (the operating system
  drops the lock when a process dies, so a killed run never leaves a stale lock).
- **Verified chunks.** On resume every completed chunk is checked against the manifest (its
  digest) and against the run (its recorded fingerprint and index) before any work starts, so a
  chunk copied in from another run, or changed, is rejected with the file named. A chunk file
  that is missing is redone, with every chunk after it (the remedy for a damaged chunk: delete
  it and resume).
- **Read-only reading.** A finished checkpoint is opened without writing anything (no lock file,
  no manifest update, per-start arrays in memory), so it can be read back from a read-only
  filesystem or while another process reads it.
- **Corruption** (a truncated or damaged chunk, an empty, unreadable or wrong-type manifest) is
  reported as one `ValueError` naming the file and what to do.
"""

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

_MANIFEST = "manifest.json"
_LOCK = "lock"
_VERSION = 2
_CHUNK_FINGERPRINT = "__run_fingerprint__"
_CHUNK_INDEX = "__chunk_index__"
_MANIFEST_FIELDS = {"version": int, "fingerprint": str, "num_chunks": int, "completed": int}


def _write_atomic(path: Path, write) -> None:
    """Write `path` through a unique temporary file in its directory, then rename it into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


class MemoryStore:
    """Chunks kept in memory (runs without a checkpoint)."""

    def __init__(self, num_chunks: int):
        self.num_chunks = num_chunks
        self._chunks: list[dict[str, np.ndarray]] = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Nothing to release (present so that both stores are used alike)."""

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
    """Chunks streamed to `directory` with a verified, locked manifest (see the module docstring).

    Use it as a context manager (or call `close`) so that the lock is released when the run ends.

    Args:
        directory: the checkpoint directory (created if missing).
        fingerprint: a digest of everything that determines the result (network, starts,
            options); resuming with a different fingerprint is refused.
        num_chunks: the number of chunks of the run.
        resume: continue a run whose manifest exists; without it an existing manifest is refused.

    Raises:
        ValueError: if the directory is not a directory, cannot be written (unless it holds a
            finished run), is in use by another run, holds a checkpoint and `resume` is False,
            holds a different run, or holds a damaged manifest or chunk (the message names the
            file and the remedy).

    Example:
        >>> import tempfile, numpy as np
        >>> folder = tempfile.mkdtemp()
        >>> with DirectoryStore(folder, "run-1", num_chunks=1, resume=False) as store:
        ...     store.save(0, {"points": np.zeros((1, 2))})
        >>> with DirectoryStore(folder, "run-1", num_chunks=1, resume=True) as store:
        ...     (store.completed, store.read_only, store.load(0)["points"].shape)
        (1, True, (1, 2))
    """

    def __init__(self, directory, fingerprint: str, num_chunks: int, resume: bool):
        self.directory = Path(directory)
        self.fingerprint = fingerprint
        self.num_chunks = num_chunks
        self._lock = None
        self._digests: list[str] = []
        if self.directory.exists() and not self.directory.is_dir():
            raise ValueError(f"checkpoint {str(self.directory)!r} exists and is not a directory.")
        manifest_path = self.directory / _MANIFEST
        manifest = self._read_manifest(manifest_path) if manifest_path.exists() else None
        if manifest is not None:
            self._check_manifest(manifest, resume)
            self._digests = list(manifest["chunks"])
        listed = len(self._digests)
        missing = [i for i in range(listed) if not self._chunk_path(i).exists()]
        del self._digests[missing[0] if missing else listed :]
        self.read_only = manifest is not None and len(self._digests) == num_chunks
        try:
            if not self.read_only:
                self._open_for_writing()
            self._verify_chunks()
            if manifest is None or len(self._digests) < listed:
                self._write_manifest()
        except BaseException:
            self.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Release the lock (if this store holds it); safe to call more than once."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _open_for_writing(self) -> None:
        where = str(self.directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.directory / _LOCK, "a")  # noqa: SIM115 (held until close)
        except OSError as error:
            held = (
                f"; it holds {self.completed} of {self.num_chunks} chunks" if self.completed else ""
            )
            raise ValueError(
                f"checkpoint {where!r} cannot be written ({error.strerror}{held}); choose a "
                "writable directory, or copy the checkpoint to one and resume there."
            ) from None
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise
            self.close()
            raise ValueError(
                f"checkpoint {where!r} is in use by another run (it holds the lock "
                f"{str(self.directory / _LOCK)!r}); wait for that run to finish, or use another "
                "directory."
            ) from None

    def _read_manifest(self, path: Path) -> dict:
        remedy = (
            "jaxfp writes it last and by rename, so it was changed outside jaxfp; the chunks "
            f"cannot be verified without it: delete {str(self.directory)!r} and run again."
        )
        try:
            manifest = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            kind = "empty" if path.stat().st_size == 0 else f"not valid JSON ({error})"
            raise ValueError(f"checkpoint manifest {str(path)!r} is {kind}; {remedy}") from None
        wrong = not isinstance(manifest, dict) or any(
            not isinstance(manifest.get(name), kind) or isinstance(manifest.get(name), bool)
            for name, kind in _MANIFEST_FIELDS.items()
        )
        if not wrong and manifest["version"] == _VERSION:
            chunks = manifest.get("chunks")
            wrong = not (
                isinstance(chunks, list)
                and len(chunks) == manifest["completed"]
                and all(isinstance(digest, str) for digest in chunks)
            )
        if wrong:
            raise ValueError(
                f"checkpoint manifest {str(path)!r} is not a jaxfp manifest (expected an object "
                "with version, fingerprint, num_chunks, completed and the chunks' digests); "
                + remedy
            )
        return manifest

    def _check_manifest(self, manifest: dict, resume: bool) -> None:
        where = str(self.directory)
        if not resume:
            raise ValueError(
                f"checkpoint {where!r} already holds a run ({manifest['completed']} of "
                f"{manifest['num_chunks']} chunks); pass resume=True (CLI: --resume) to continue "
                "it, or choose another directory."
            )
        if manifest["version"] != _VERSION:
            raise ValueError(
                f"checkpoint {where!r} was written by another version of jaxfp (format "
                f"{manifest['version']}, this one reads {_VERSION}); run again in a new directory."
            )
        if manifest["fingerprint"] != self.fingerprint or manifest["num_chunks"] != self.num_chunks:
            raise ValueError(
                f"checkpoint {where!r} belongs to a different run (other network, starts or "
                "options); resume with the original settings or use a new directory."
            )

    def _verify_chunks(self) -> None:
        """Check every completed chunk's digest, fingerprint and index before any work."""
        for index, digest in enumerate(self._digests):
            path = self._chunk_path(index)
            if _digest(path) != digest:
                raise ValueError(
                    f"checkpoint chunk {str(path)!r} does not match manifest.json (it was changed, "
                    f"truncated, or copied in from another run); {self._redo(index)}"
                )
            self.load(index)

    def _redo(self, index: int) -> str:
        return (
            f"delete it and resume: the run redoes chunk {index} and every chunk after it "
            f"({self.completed - index} of the {self.completed} done)."
        )

    def _write_manifest(self) -> None:
        manifest = {
            "version": _VERSION,
            "fingerprint": self.fingerprint,
            "num_chunks": self.num_chunks,
            "completed": len(self._digests),
            "chunks": self._digests,
        }
        _write_atomic(
            self.directory / _MANIFEST, lambda stream: stream.write(json.dumps(manifest).encode())
        )

    @property
    def completed(self) -> int:
        return len(self._digests)

    def _chunk_path(self, index: int) -> Path:
        return self.directory / f"chunk_{index:06d}.npz"

    def save(self, index: int, arrays: dict[str, np.ndarray]) -> None:
        if self._lock is None:
            raise ValueError(f"checkpoint {str(self.directory)!r} is open for reading only.")
        if index != len(self._digests):
            raise ValueError(f"chunk {index} saved out of order (expected {len(self._digests)}).")
        stamped = {
            **arrays,
            _CHUNK_FINGERPRINT: np.array(self.fingerprint),
            _CHUNK_INDEX: np.array(index),
        }
        path = self._chunk_path(index)
        _write_atomic(path, lambda stream: np.savez(stream, **stamped))
        self._digests.append(_digest(path))
        self._write_manifest()

    def load(self, index: int) -> dict[str, np.ndarray]:
        """The arrays of chunk `index`, checked to belong to this run."""
        path = self._chunk_path(index)
        try:
            with np.load(path) as data:
                arrays = {name: data[name] for name in data.files}
        except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(
                f"checkpoint chunk {str(path)!r} is damaged (truncated, or not written by jaxfp: "
                f"{error}); {self._redo(index)}"
            ) from None
        stamp = arrays.pop(_CHUNK_FINGERPRINT, None)
        position = arrays.pop(_CHUNK_INDEX, None)
        if stamp is None or str(stamp) != self.fingerprint or position != index:
            raise ValueError(
                f"checkpoint chunk {str(path)!r} belongs to another run or another position "
                f"(copied in from elsewhere?); {self._redo(index)}"
            )
        return arrays

    def per_start_array(self, name: str, shape, dtype) -> np.ndarray:
        """A per-start output array: memory-mapped in the directory while this run writes it (RAM
        stays bounded), in memory when the checkpoint is only read."""
        if self._lock is None:
            return np.empty(shape, dtype)
        return np.lib.format.open_memmap(
            self.directory / f"{name}.npy", mode="w+", dtype=dtype, shape=shape
        )
