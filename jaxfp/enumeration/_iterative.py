"""The iterative sign-basin enumeration of a looped network's fixed points (P1, docs/theory.md).

P1 (Ke, Li, Liang, Shi, Song 2024, arXiv:2410.11279) shows that F(x) = σ(Wx + b) can hold up to
2^d robust fixed points, one per sign basin. This engine looks for all of them: K starts in each of
the 2^d sign orthants around a centre (or in a seeded sample of orthants), each solved by the
iterated map (Picard, then a Newton polish) and by Newton's method from the start (which also finds
saddles); the limits are deduplicated, classified, certified and checked against the degree of
x − F(x). Chunks of starts are solved on all local devices and streamed to a checkpoint. The jobs
live apart: the plan (`_iterative_plan`), a chunk's run (`_iterative_chunk`), the assembly
(`_iterative_merge`).
"""

import time
from collections.abc import Callable, Sequence

import jax
from jaxtyping import ArrayLike

from .._validation import check_bool
from ..looped import LoopedNet
from ._iterative_chunk import process_chunk
from ._iterative_merge import merge_chunks, run_record
from ._iterative_plan import fingerprint, plan_starts, starts_of_chunk
from ._result import IterativeFixedPoints
from ._sharding import solve_on_devices
from ._solve_starts import SolveOptions
from ._storage import check_storage
from ._streaming import DirectoryStore, MemoryStore


def enumerate_iterative(
    net: LoopedNet,
    *,
    starts_per_orthant: int = 1,
    centre: ArrayLike | None = None,
    scale: float | None = None,
    sample: int | None = None,
    part: tuple[int, int] | None = None,
    faces: bool | None = None,
    seed: int = 0,
    certify: bool = True,
    checkpoint=None,
    resume: bool = False,
    devices: int | Sequence[jax.Device] | None = None,
    chunk_size: int = 16384,
    options: SolveOptions | None = None,
    callback: Callable[[int, int, int], None] | None = None,
) -> IterativeFixedPoints:
    """Find the fixed points of a looped network from starts in every sign orthant.

    Starts: `starts_per_orthant` (K) per orthant around `centre` (see `jaxfp.enumeration._starts`):
    the corner direction `centre + scale·s` first, then seeded starts with mixed magnitudes; and,
    for small d, the 3^d face starts `centre + scale·t`, t ∈ {−1, 0, 1}^d (on every orthant face,
    where saddles lie; for the diagonal constructions they find every saddle). Each
    start is solved twice: by the iterated map (Picard, then a Newton polish; its limit is the
    start's basin limit, and 2-cycles, divergence and stuck starts are reported as such) and by
    Newton's method from the start (finds saddles and repellers too). Limits are deduplicated
    across starts, classified from J_F(x*) (spectral radius; attracting/saddle/repelling; min
    singular value of I − J; sign det(I − J)), certified with `jaxfp.certify`, and the index sum
    Σ sign det(I − J) is compared with the degree of x − F(x) (see
    `jaxfp.enumeration._index_check`): a mismatch reads "index check inconsistent".

    Memory is bounded by `chunk_size`: chunks are solved over the local `devices` and, with a
    `checkpoint` directory, streamed to disk; a killed run continues with `resume=True` and gives
    the result an uninterrupted run gives.

    Args:
        net: a `jaxfp.looped.LoopedNet` (either form).
        starts_per_orthant: K ≥ 1 starts per orthant (several fixed points can share an orthant;
            one start per orthant misses some on random networks).
        centre: centre of the orthants, shape (d,); default derived from the network (see
            `jaxfp.enumeration._start_geometry`: the middle fixed point of a product of scalar
            maps, the centre of σ's range box, or the origin).
        scale: distance of the corner start from the centre; default derived with the centre.
        sample: enumerate a seeded sample of this many orthants instead of all 2^d (required when
            2^d > 2^24); the result carries a 95% Wilson interval on the fraction of orthants
            holding a fixed point.
        part: `(index, count)`: enumerate only the orthants o with o % count == index (one
            host's share of a multi-host run, see docs/enumeration.md); not with `sample`.
        faces: add the 3^d face starts (default: when not sampling and d ≤ 11).
        seed: seed of the sample and of the starts with k ≥ 1.
        certify: certify each found fixed point (`jaxfp.certify.certify_fixed_point`).
        checkpoint: a directory to stream chunks to (resumable), or None (memory).
        resume: continue the run saved in `checkpoint`.
        devices: number of local devices, a list of devices, or None (all local devices).
        chunk_size: starts per chunk (the memory bound).
        options: `SolveOptions` (solver steps, tolerances, lanes, saddle search).
        callback: called after each saved chunk with `(chunks_done, num_chunks, starts_done,
            num_starts)` (a progress bar; an exception raised in it stops the run, the checkpoint
            stays).

    Returns:
        An `IterativeFixedPoints`.

    Raises:
        ValueError: for a `net` that is not a `LoopedNet`, bad K / centre / scale / sample /
            chunk size, 2^d > 2^24 without `sample`, a checkpoint that belongs to another run,
            or per-start arrays that would not fit in memory (no checkpoint) or on the
            checkpoint's disk (`jaxfp.enumeration._storage`), refused before any work.

    Example:
        >>> import jax
        >>> jax.config.update("jax_enable_x64", True)
        >>> import jaxfp
        >>> found = enumerate_iterative(jaxfp.looped.poly_network(2), starts_per_orthant=8)
        >>> found.num_fixed_points, int(found.attracting.sum()), found.index_consistent
        (9, 4, True)
    """
    began = time.perf_counter()
    if not isinstance(net, LoopedNet):
        raise ValueError(f"`net` must be a jaxfp.looped.LoopedNet, got {type(net).__name__}.")
    certify, resume = check_bool(certify, "certify"), check_bool(resume, "resume")
    plan = plan_starts(
        net, starts_per_orthant=starts_per_orthant, centre=centre, scale=scale, sample=sample,
        part=part, faces=faces, devices=devices, chunk_size=chunk_size, options=options, seed=seed,
    )  # fmt: skip
    chunk, num_chunks, num_starts = plan.chunk, plan.num_chunks, plan.num_starts
    check_storage(num_starts, plan.layout, checkpoint, resume)
    if checkpoint is None:
        if resume:
            raise ValueError("`resume=True` needs a `checkpoint` directory.")
        store = MemoryStore(num_chunks)
    else:
        digest = fingerprint(
            net, plan.centre, plan.scale, plan.layout, plan.orthants, seed, chunk, plan.options,
            certify,
        )  # fmt: skip
        store = DirectoryStore(checkpoint, digest, num_chunks, resume)

    with store:  # a checkpoint's lock is held until the chunks are merged
        for index in range(store.completed, num_chunks):
            orthant, starts = starts_of_chunk(
                index, chunk, plan.layout, plan.orthants, plan.centre, plan.scale, seed
            )
            solution = solve_on_devices(net, starts, plan.options, plan.devices)
            n_real = min(chunk, num_starts - index * chunk)
            chunk_result = process_chunk(
                net, solution, n_real, orthant, plan.centre, plan.options, certify
            )
            store.save(index, chunk_result)
            if callback is not None:
                callback(index + 1, num_chunks, min((index + 1) * chunk, num_starts), num_starts)
        fields, per_start = merge_chunks(store, num_chunks, chunk, num_starts, plan.options)
    return run_record(
        net, plan, fields, per_start, sample=sample, part=part, certify=certify, began=began
    )
