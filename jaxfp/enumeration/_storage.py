"""What a starts run will hold, checked before any work: its per-start arrays in memory (no
checkpoint) or on disk (a checkpoint), against what the machine has.

Every start keeps one row of the per-start arrays (`PER_START_DTYPES`: 18 bytes). Without a
checkpoint the chunks' rows and the merged arrays are in memory at once (twice that); with one,
the chunk files and the memory-mapped merged arrays are on disk (twice that too). A run whose need
passes half the machine's memory, or the free space where its checkpoint goes, is refused with the
figure and what to do instead (3^20 face starts need about 126 GB: a traceback hours later
otherwise).
"""

import os
import shutil
from pathlib import Path

import numpy as np

from ._iterative_merge import PER_START_DTYPES

PER_START_BYTES = sum(np.dtype(dtype).itemsize for dtype in PER_START_DTYPES.values())
# The chunks' copy and the merged copy of the per-start rows exist at once.
_COPIES = 2


def physical_memory() -> int | None:
    """This machine's physical memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _free_disk(directory: Path) -> int:
    """Free bytes on the filesystem that holds `directory` (or its nearest existing parent)."""
    directory = directory.absolute()
    while not directory.exists():
        directory = directory.parent
    return shutil.disk_usage(directory).free


def _gigabytes(count: int) -> str:
    return f"{count / 1e9:.3g} GB"


def check_storage(
    num_starts: int, layout: tuple[int, int, int], checkpoint, resume: bool = False
) -> int:
    """Refuse, before any work, a run whose per-start arrays do not fit; returns the bytes needed.

    Args:
        num_starts: the run's starts.
        layout: (orthant starts, face starts, starts per orthant), as in the plan.
        checkpoint: the checkpoint directory, or None (memory).
        resume: the checkpoint is resumed (what it holds is on disk already, and a finished one
            may be on a read-only filesystem): the disk is not checked.

    Raises:
        ValueError: with the figure and what to do instead, when the need passes half the
            physical memory (no checkpoint) or the free disk space at `checkpoint`.
    """
    need = _COPIES * PER_START_BYTES * num_starts
    starts = (
        f"{num_starts:.4g} starts ({layout[0]:.4g} orthant starts + {layout[1]:.4g} face starts)"
    )
    if checkpoint is None:
        memory = physical_memory()
        if memory is not None and need > memory // 2:
            raise ValueError(
                f"the per-start arrays of {starts} need {_gigabytes(need)} in memory, more than "
                f"half of this machine's {_gigabytes(memory)}: pass a checkpoint directory "
                "(`checkpoint=DIR`, CLI --checkpoint DIR: they go to disk there), fewer starts "
                "(`faces=False`, CLI --no-faces; `sample=N`), or parts on several machines."
            )
        return need
    if resume:
        return need
    free = _free_disk(Path(checkpoint))
    if need > free:
        raise ValueError(
            f"the checkpoint of {starts} needs {_gigabytes(need)} on disk, and "
            f"{str(checkpoint)!r} has {_gigabytes(free)} free: choose a larger disk, fewer "
            "starts (`faces=False`, CLI --no-faces; `sample=N`), or parts on several machines."
        )
    return need
