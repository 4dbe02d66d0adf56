"""An enumeration split into parts, one per process or host, and the merge of the parts.

The starts method's orthants are independent problems: part `I` of `N` enumerates the orthants
o with o % N == I (all 2^d of them between the parts, each exactly once) on its own process's
local devices, with its own checkpoint. Each part is saved to a file (`save_part`); `merge_parts`
checks that the files are the N parts of one run (same network, same options, every index once,
the orthants covered exactly once), deduplicates the points across parts with the one matching
rule of `jaxfp._numerics.group_points`, rebuilds the per-start arrays in the global start order,
and decides completeness on the merged list with the same index check as a one-process run (the
sum of sign det(I − J) over all points against the Brouwer degree). The merged result equals the
one-process run on the same orthant starts, point for point (tested with two real processes under
`jax.distributed`). Face starts are not split: parts use orthant starts only.

Under `jax.distributed` (one process per host, or per GPU), `enumerate_part(net)` takes its part
from `jax.process_index()` and `jax.process_count()` and its devices from `jax.local_devices()`.
"""

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import jax
import numpy as np

from ..looped import LoopedNet
from ._fixed_points import FixedPoints
from ._index_check import index_sum, index_verdict
from ._iterative_merge import _POINT_FIELDS, dedupe_blocks, merged_rows
from ._method_starts import Starts, StartsStats
from ._result import IterativeFixedPoints
from ._solve_starts import SolveOptions
from ._starts import orthant_numbers

_FORMAT = "jaxfp-enumeration-part/1"
_META = "__part__"
_PER_POINT = ("sign_patterns", *_POINT_FIELDS)
_PER_START = ("start_outcome", "start_limit", "start_newton_root", "start_stayed")
_SHARED = ("starts_per_orthant", "certification", "expected_degree", "network", "tolerance")


@dataclasses.dataclass(frozen=True, eq=False)
class EnumerationPart:
    """Part `index` of `count` of a starts enumeration (see the module docstring).

    Attributes:
        result: the part's own result (its orthants only; `index_consistent` is False).
        index: the part's index I, 0 ≤ I < count.
        count: the number of parts N.
        network: a digest of the network (W, b, activation, form): parts of other networks are
            refused by `merge_parts`.
        tolerance: the deduplication tolerance the part used (`SolveOptions.dedupe_tolerance`).
    """

    result: IterativeFixedPoints
    index: int
    count: int
    network: str
    tolerance: float

    @property
    def fixed_points(self) -> FixedPoints:
        """The part's own points as a `FixedPoints` (never complete: a part and starts)."""
        run = self.result
        consistent, words = index_verdict(run.index_sum, run.expected_degree, run.determinant_sign)
        evidence = (
            f"partial: part {self.index} of {self.count} ({run.n_starts} starts, {run.n_orthants} "
            f"orthants); merge the parts; {words}"
        )
        return _fixed_points(run, evidence, consistent)

    @property
    def starts_per_orthant(self) -> int:
        return self.result.starts_per_orthant

    @property
    def certification(self) -> bool:
        return self.result.certification

    @property
    def expected_degree(self) -> int | None:
        return self.result.expected_degree


def network_digest(net: LoopedNet) -> str:
    """A digest of what defines `net`'s fixed points: W, b, the activation and the form."""
    digest = hashlib.sha256()
    for array in (net.W, net.b):
        digest.update(np.ascontiguousarray(np.asarray(array, dtype=np.float64)).tobytes())
    digest.update(f"{net.activation!r}|{net.form}".encode())
    return digest.hexdigest()


def enumerate_part(
    net: LoopedNet,
    part: tuple[int, int] | None = None,
    *,
    method=None,
    checkpoint=None,
    resume: bool = False,
    devices=None,
    progress=None,
) -> EnumerationPart:
    """Enumerate part `part = (I, N)` of the orthants of `net` with a `Starts` method.

    Args:
        net: the looped network.
        part: `(index, count)`; `None` takes `(jax.process_index(), jax.process_count())`, the
            part of this process in a `jax.distributed` job.
        method: a `jaxfp.enumeration.Starts` (default `Starts()`); every part must use the same.
            Parts split the orthants, so face starts and samples are refused.
        checkpoint: a directory for this part's resumable checkpoint (one per part; a killed
            part resumes with `resume=True`).
        resume: continue this part's checkpoint.
        devices: the devices to use (default: this process's local devices).
        progress: called after each chunk with `(chunks_done, num_chunks, starts_done)`.

    Returns:
        The part, to be saved with `save_part` and merged with `merge_parts`.

    Raises:
        ValueError: for a malformed `part`, a method that is not `Starts`, face starts or a
            sample, and every error of the `Starts` run.

    Example:
        >>> import jaxfp
        >>> from jaxfp.enumeration import Starts
        >>> net = jaxfp.looped.poly_network(2)
        >>> parts = [enumerate_part(net, (i, 2), method=Starts(certify=False)) for i in range(2)]
        >>> merge_parts(parts).n_fixed_points  # the 4 attractors, one per orthant
        4
    """
    method = Starts() if method is None else method
    if not isinstance(method, Starts):
        raise ValueError(
            "`method` must be a jaxfp.enumeration.Starts (parts split its orthants), got "
            f"{method!r}."
        )
    if part is None:
        part = (jax.process_index(), jax.process_count())
    for name in ("faces", "sample"):
        if getattr(method, name):
            raise ValueError(f"`{name}` cannot be used with parts: each part takes its orthants.")
    method = dataclasses.replace(method, faces=False)
    found = method.run(
        net,
        part=part,
        checkpoint=checkpoint,
        resume=resume,
        devices=jax.local_devices() if devices is None else devices,
        progress=progress,
    )
    tolerance = (method.options or SolveOptions()).dedupe_tolerance
    return EnumerationPart(
        found.stats.run, int(part[0]), int(part[1]), network_digest(net), float(tolerance)
    )


def save_part(part: EnumerationPart, path) -> Path:
    """Write `part` to `path` (an .npz file, written under a temporary name, then renamed)."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"a part file must end in .npz, got {str(path)!r}.")
    result = part.result
    arrays = {name: np.asarray(getattr(result, name)) for name in _PER_POINT + _PER_START}
    arrays["reached_by"], arrays["newton_hits"] = result.reached_by, result.newton_hits
    arrays["centre"], arrays["orthants"] = result.centre, result.orthants
    meta = {
        "format": _FORMAT,
        "index": part.index,
        "count": part.count,
        "network": part.network,
        "tolerance": part.tolerance,
        "starts_per_orthant": result.starts_per_orthant,
        "certification": result.certification,
        "expected_degree": result.expected_degree,
        "seconds": result.seconds,
        "devices": result.devices,
    }
    arrays[_META] = np.array(json.dumps(meta))
    temporary = path.with_name(f".{path.name}.tmp.npz")
    np.savez(temporary, **arrays)
    temporary.replace(path)
    return path


def load_part(path) -> EnumerationPart:
    """Read a part written by `save_part`.

    Raises:
        ValueError: if the file is missing, damaged or not a jaxfp part file.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        meta = json.loads(str(arrays.pop(_META)))
        assert meta["format"] == _FORMAT
    except FileNotFoundError:
        raise ValueError(f"part file {str(path)!r} does not exist.") from None
    except Exception as error:  # any failure to read means: not a usable part file
        raise ValueError(
            f"part file {str(path)!r} is damaged or not a jaxfp part file ({type(error).__name__}"
            "); write it again with `jaxfp enumerate ... --part I/N --out FILE.npz`."
        ) from None
    n = arrays["points"].shape[0]
    holding = int(np.sum(np.all(arrays["sign_patterns"] != 0, axis=1))) if n else 0
    result = IterativeFixedPoints(
        **{name: arrays[name] for name in _PER_POINT + _PER_START},
        reached_by=arrays["reached_by"],
        newton_hits=arrays["newton_hits"],
        centre=arrays["centre"],
        starts_per_orthant=int(meta["starts_per_orthant"]),
        n_face_starts=0,
        orthants=arrays["orthants"],
        n_orthants=int(arrays["orthants"].shape[0]),
        sampled=False,
        orthants_with_fixed_point=holding,
        orthant_fraction=holding / max(int(arrays["orthants"].shape[0]), 1),
        orthant_fraction_interval=(float("nan"), float("nan")),
        index_sum=index_sum(arrays["determinant_sign"]),
        expected_degree=meta["expected_degree"],
        index_consistent=False,
        index_check=f"partial: part {meta['index']} of {meta['count']}; merge the parts",
        certification=bool(meta["certification"]),
        seconds=float(meta["seconds"]),
        devices=int(meta["devices"]),
    )
    return EnumerationPart(
        result, int(meta["index"]), int(meta["count"]), meta["network"], float(meta["tolerance"])
    )


def _check_parts(parts: Sequence[EnumerationPart]) -> int:
    """Check that `parts` are the N parts of one run; returns d."""
    if not parts:
        raise ValueError("merge_parts needs at least one part.")
    first = parts[0]
    for name in _SHARED:
        values = {repr(getattr(part, name)) for part in parts}
        if len(values) > 1:
            raise ValueError(
                f"the parts do not belong to one run: they differ in {name} ({sorted(values)}); "
                "run every part with the same network and options."
            )
    if not all(np.array_equal(part.result.centre, first.result.centre) for part in parts):
        raise ValueError("the parts do not belong to one run: they differ in centre.")
    counts = {part.count for part in parts}
    if len(counts) > 1:
        raise ValueError(f"the parts were split in different numbers of parts: {sorted(counts)}.")
    count = first.count
    indices = sorted(part.index for part in parts)
    repeated = sorted({i for i in indices if indices.count(i) > 1})
    missing = sorted(set(range(count)) - set(indices))
    if repeated or missing:
        problems = [f"part(s) {repeated} given more than once"] if repeated else []
        problems += [f"part(s) {missing} missing"] if missing else []
        raise ValueError(f"the {count} parts of the run are not all there: {'; '.join(problems)}.")
    dim = first.result.centre.shape[0]
    for part in parts:  # the global index check: each orthant exactly once over the parts
        expected = np.arange(part.index, 1 << dim, count, dtype=np.int64)
        if not np.array_equal(part.result.orthants, expected):
            raise ValueError(
                f"part {part.index} of {count} did not enumerate its orthants (o % {count} == "
                f"{part.index}, {expected.size} of them); run it again."
            )
    return dim


def merge_parts(parts: Sequence[EnumerationPart | str | Path]) -> FixedPoints:
    """Merge the N parts of one enumeration into the result of the whole run.

    Args:
        parts: the parts (`EnumerationPart`s or paths of files written by `save_part`), in any
            order.

    Returns:
        The merged `FixedPoints` (method "starts", never complete: starts are no proof): every
        orthant enumerated, the points deduplicated across parts, the index check on the merged
        list, as for a one-process run; `stats.run` holds the per-start arrays in the global
        start order.

    Raises:
        ValueError: if the parts are not the N parts of one run (another network or options, a
            part missing or repeated, orthants not covered exactly once), or a file is damaged.
    """
    parts = [part if isinstance(part, EnumerationPart) else load_part(part) for part in parts]
    dim = _check_parts(parts)
    parts.sort(key=lambda part: part.index)
    count, tolerance = parts[0].count, parts[0].tolerance
    per_start_k = parts[0].starts_per_orthant
    results = [part.result for part in parts]
    blocks = [{name: getattr(result, name) for name in _PER_POINT} for result in results]
    fields, labels, offsets = dedupe_blocks(blocks, _PER_POINT, tolerance)
    n_points = fields["points"].shape[0]
    reached_by = np.bincount(
        labels[:-1], np.concatenate([r.reached_by for r in results]), n_points
    ).astype(np.int64)
    newton_hits = np.bincount(
        labels[:-1], np.concatenate([r.newton_hits for r in results]), n_points
    ).astype(np.int64)

    n_starts = (1 << dim) * per_start_k
    per_start = {name: np.empty(n_starts, getattr(results[0], name).dtype) for name in _PER_START}
    for part, result, offset in zip(parts, results, offsets[:-1], strict=True):
        local = np.arange(result.start_outcome.shape[0])
        orthant = part.index + count * (local // per_start_k)
        rows = orthant * per_start_k + local % per_start_k
        for name in ("start_outcome", "start_stayed"):
            per_start[name][rows] = getattr(result, name)
        for name in ("start_limit", "start_newton_root"):
            per_start[name][rows] = merged_rows(labels, offset, getattr(result, name))

    patterns = fields["sign_patterns"]
    inside = np.all(patterns != 0, axis=1)
    holding = int(np.unique(orthant_numbers(patterns[inside])).size) if dim <= 63 else 0
    total, degree = index_sum(fields["determinant_sign"]), parts[0].expected_degree
    consistent, index_words = index_verdict(total, degree, fields["determinant_sign"])
    fraction = holding / (1 << dim)
    run = IterativeFixedPoints(
        **fields,
        reached_by=reached_by,
        newton_hits=newton_hits,
        **per_start,
        centre=results[0].centre,
        starts_per_orthant=per_start_k,
        n_face_starts=0,
        orthants=None,
        n_orthants=1 << dim,
        sampled=False,
        orthants_with_fixed_point=holding,
        orthant_fraction=fraction,
        orthant_fraction_interval=(fraction, fraction),
        index_sum=total,
        expected_degree=degree,
        index_consistent=bool(consistent),
        index_check=f"{index_words} (merged from {count} parts)",
        certification=results[0].certification,
        seconds=max(result.seconds for result in results),
        devices=sum(result.devices for result in results),
    )
    evidence = (
        f"{run.n_starts} starts, {run.n_orthants} orthants, merged from {count} parts; starts are "
        f"never a proof of completeness; {index_words}"
    )
    return _fixed_points(run, evidence, consistent)


def _fixed_points(run: IterativeFixedPoints, evidence: str, consistent) -> FixedPoints:
    """The `FixedPoints` of a starts record (its per-point fields; never complete)."""
    return FixedPoints(
        points=run.points,
        **run.point_diagnostics(),
        complete=False,
        proof=None,
        evidence=evidence,
        index_sum=run.index_sum,
        expected_degree=run.expected_degree,
        index_consistent=consistent,
        method="starts",
        stats=StartsStats(run),
        seconds=run.seconds,
    )
