"""The plan of a starts run: its arguments checked, the orthants to search (all, a sample or a
part), the layout of the starts, the chunks and the devices; and each chunk's starts."""

import hashlib
import math
from typing import NamedTuple

import numpy as np

from .._misc import check_positive_int
from .._validation import check_bool, check_count, check_part
from ._sharding import select_devices
from ._solve_starts import SolveOptions
from ._start_geometry import default_centre_and_scale
from ._starts import MAX_FULL_ORTHANTS, face_starts, orthant_starts, sample_orthants


def fingerprint(net, centre, scale, layout, orthants, seed, chunk, options, certify):
    digest = hashlib.sha256()
    for array in (net.W, net.b, centre):
        digest.update(np.ascontiguousarray(np.asarray(array, dtype=np.float64)).tobytes())
    digest.update(f"{net.activation.name}|{net.form}|{scale!r}|{layout}".encode())
    digest.update(f"|{seed}|{chunk}|{options!r}|{certify}|{net.W.dtype}".encode())
    if orthants is not None:
        digest.update(np.ascontiguousarray(orthants).tobytes())
    return digest.hexdigest()


# Face starts (3^d of them) are used by default up to d = 11.
MAX_FACE_STARTS = 3**11


def starts_of_chunk(index, chunk, layout, orthants, centre, scale, seed):
    """A chunk's starts (padded with the last real start) and each start's orthant (−1 for face
    starts). `layout` is (orthant starts, face starts, starts per orthant)."""
    n_orthant_starts, n_faces, starts_per_orthant = layout
    first = index * chunk
    last = n_orthant_starts + n_faces - 1
    numbers = np.minimum(np.arange(first, first + chunk, dtype=np.int64), last)
    is_face = numbers >= n_orthant_starts
    slots = np.where(is_face, 0, numbers) // starts_per_orthant
    orthant = slots if orthants is None else orthants[slots]
    ks = numbers % starts_per_orthant
    starts = orthant_starts(orthant, ks, centre, scale, seed)
    if n_faces and np.any(is_face):
        starts[is_face] = face_starts(numbers[is_face] - n_orthant_starts, centre, scale)
    return np.where(is_face, -1, orthant), starts


class StartsPlan(NamedTuple):
    """A checked starts run: `layout` is (orthant starts, face starts, starts per orthant);
    `orthants` the orthant numbers searched (None: all 2^d)."""

    centre: np.ndarray
    scale: float
    orthants: np.ndarray | None
    num_orthants: int
    layout: tuple[int, int, int]
    num_starts: int
    chunk: int
    num_chunks: int
    devices: list
    options: SolveOptions


def plan_starts(
    net,
    *,
    starts_per_orthant,
    centre,
    scale,
    sample,
    part,
    faces,
    devices,
    chunk_size,
    options,
    seed,
) -> StartsPlan:
    """Check the arguments of `enumerate_iterative` and plan the run (see its docstring)."""
    dim = net.dim
    starts_per_orthant = check_positive_int(starts_per_orthant, "starts_per_orthant")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    check_count(seed, "seed", minimum=0)
    faces = check_bool(faces, "faces", allow_none=True)
    options = SolveOptions() if options is None else options
    if not isinstance(options, SolveOptions):
        raise ValueError(f"`options` must be a SolveOptions, got {type(options).__name__}.")
    derived_centre, derived_scale = default_centre_and_scale(net)
    centre = derived_centre if centre is None else np.asarray(centre, dtype=np.float64)
    if centre.shape != (dim,) or not np.all(np.isfinite(centre)):
        raise ValueError(f"`centre` must be a finite array of shape ({dim},), got {centre.shape}.")
    scale = derived_scale if scale is None else scale
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"`scale` must be a positive finite number, got {scale!r}.")
    if part is not None:
        if sample is not None:
            raise ValueError(f"`part` cannot be combined with `sample`; got part={part!r}.")
        part = check_part(part)
        if dim > 62 or (1 << dim) > part[1] * MAX_FULL_ORTHANTS:
            raise ValueError(f"2^{dim} orthants split in {part[1]} parts are too many per part.")
        orthants = np.arange(part[0], 1 << dim, part[1], dtype=np.int64)
        num_orthants = int(orthants.shape[0])
    elif sample is None:
        if dim > 62 or (1 << dim) > MAX_FULL_ORTHANTS:
            raise ValueError(
                f"2^{dim} orthants are too many to enumerate them all (the limit is 2^24); pass "
                "`sample=N` (CLI: --sample N) to enumerate a seeded sample of N orthants."
            )
        orthants, num_orthants = None, 1 << dim
    else:
        orthants = sample_orthants(dim, sample, seed)
        num_orthants = int(orthants.shape[0])
    if faces is None:
        faces = orthants is None and 3**dim <= MAX_FACE_STARTS
    if faces and orthants is not None:
        raise ValueError("`faces=True` cannot be combined with `sample` or `part`.")
    chosen_devices = select_devices(devices)
    n_devices = len(chosen_devices)
    layout = (num_orthants * starts_per_orthant, 3**dim if faces else 0, starts_per_orthant)
    num_starts = layout[0] + layout[1]
    chunk = -(-min(chunk_size, num_starts) // n_devices) * n_devices
    num_chunks = -(-num_starts // chunk)
    return StartsPlan(
        centre,
        scale,
        orthants,
        num_orthants,
        layout,
        num_starts,
        chunk,
        num_chunks,
        chosen_devices,
        options,
    )
