"""An enumeration split into parts, one per process or host, and the merge of the parts.

Three methods split: `Starts` (part I of N takes the orthants o with o % N == I,
`jaxfp.enumeration._parts_starts`), `ExactRegions` (part I of N solves the I-th of N contiguous
blocks of the regions left after pruning, `jaxfp.enumeration._parts_regions`) and `Homotopy`
(part I of N tracks the I-th of N contiguous ranges of the k^d start paths,
`jaxfp.enumeration._parts_homotopy`). Each part runs on its own process's local devices (a
starts or homotopy part with its own checkpoint) and is saved to a file (`save_part`). One file
format and one merge path serve all three: `merge_parts` checks that the files are the N parts
of one run (same method, network and options, every index once, the method's work covered
exactly once) and hands them to the method's merge, which gives the one-process answer point for
point (tested with two real processes under `jax.distributed`): the starts merge deduplicates
across parts and runs the index check on the merged list (never a proof); the exact-regions merge
assembles the regions' records in order, with the one-process completeness proof (every region
solved or pruned, each exactly once; singular regions classified); the homotopy merge re-tracks
the failed and jumped paths of the whole run and accounts for every path, complete with the
homotopy proof only when every path of every part is accounted for.

Under `jax.distributed` (one process per host, or per GPU), `enumerate_part(net)` takes its part
from `jax.process_index()` and `jax.process_count()` and its devices from `jax.local_devices()`.
"""

import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import jax
import numpy as np

from .._validation import check_callable, check_part
from ..looped import LoopedNet
from . import _parts_homotopy, _parts_regions, _parts_starts
from ._fixed_points import FixedPoints
from ._method_auto import Auto
from ._method_exact import ExactRegions
from ._method_homotopy import Homotopy
from ._method_starts import Starts

_FORMAT = "jaxfp-enumeration-part/2"
_META = "__part__"
# The durations a part file of an earlier build holds under their old names (round 10 renamed
# them): the file still loads.
_OLD_NUMBER_NAMES = {
    "seconds": "wall_time_s",
    "compile_seconds": "compile_time_s",
    "tracking_seconds": "tracking_time_s",
}
# Each method that splits: its method class and its side of a split run.
_METHODS = {
    _parts_starts.NAME: (Starts, _parts_starts),
    _parts_regions.NAME: (ExactRegions, _parts_regions),
    _parts_homotopy.NAME: (Homotopy, _parts_homotopy),
}


@dataclasses.dataclass(frozen=True, eq=False)
class EnumerationPart:
    """Part `index` of `count` of an enumeration split over processes (see the module docstring).

    Attributes:
        result: the part's own record: an `IterativeFixedPoints` (starts: its orthants only), a
            `RegionsPart` (exact regions: its block of regions and the network) or a pair
            (`TrackedRange`, network) (homotopy: its range of paths, W, b and σ's coefficients).
        method: the method's name (`"starts"`, `"exact-regions"`, `"homotopy"`).
        index: the part's index I, 0 ≤ I < count.
        count: the number of parts N.
        network: a digest of the network (W, b, the activation and its parameters, the form):
            parts of other networks are refused by `merge_parts`.
        options: the method's options that decide the result (JSON-able): every part of a run
            must have the same.
    """

    result: object
    method: str
    index: int
    count: int
    network: str
    options: dict

    @property
    def fixed_points(self) -> FixedPoints:
        """The part's own points as a `FixedPoints` (never complete: a part)."""
        return _METHODS[self.method][1].partial(self)


def network_digest(net: LoopedNet) -> str:
    """A digest of what defines `net`'s fixed points: W, b, the activation (its type, name and
    every array it holds) and the form."""
    digest = hashlib.sha256()
    leaves = jax.tree_util.tree_leaves(net.activation)
    for array in (net.W, net.b, *leaves):
        digest.update(np.ascontiguousarray(np.asarray(array, dtype=np.float64)).tobytes())
    activation = net.activation
    digest.update(f"{type(activation).__name__}|{activation.name}|{net.form}".encode())
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
    """Enumerate part `part = (I, N)` of `net`'s fixed points with a `Starts`, `ExactRegions`
    or `Homotopy` method.

    Args:
        net: the looped network.
        part: `(index, count)`; `None` takes `(jax.process_index(), jax.process_count())`, the
            part of this process in a `jax.distributed` job.
        method: a `jaxfp.enumeration.Starts` (default `Starts()`; parts split its orthants, so
            face starts and samples are refused), `ExactRegions` (parts split its regions; it
            keeps no checkpoint) or `Homotopy` (parts split its k^d paths; every part draws the
            same γ from the method's `seed`), or an `Auto`, which takes the part of the method
            it would run that splits and proves where it can (homotopy on a polynomial σ with
            k^d ≤ its `max_paths`, exact regions on a piecewise-linear σ, otherwise starts).
            Every part must use the same.
        checkpoint: a directory for this part's resumable checkpoint (starts and homotopy; one
            per part; a killed part resumes with `resume=True`).
        resume: continue this part's checkpoint.
        devices: the devices to use (default: this process's local devices).
        progress: called after each chunk, as the method's run calls it.

    Returns:
        The part, to be saved with `save_part` and merged with `merge_parts`.

    Raises:
        ValueError: for a malformed `part`, a method that does not split, face starts or a
            sample, a checkpoint with `ExactRegions`, and every error of the method's run.

    Example:
        >>> import jaxfp
        >>> from jaxfp.enumeration import Starts
        >>> net = jaxfp.looped.poly_network(2)
        >>> parts = [enumerate_part(net, (i, 2), method=Starts(certify=False)) for i in range(2)]
        >>> merge_parts(parts).num_fixed_points  # the 4 attractors, one per orthant
        4
    """
    method = Starts() if method is None else method
    if isinstance(method, Auto):
        method = _split_of_auto(method, net)
    kinds = [name for name, (kind, _) in _METHODS.items() if type(method) is kind]
    if not kinds:
        raise ValueError(
            "`method` must be a jaxfp.enumeration.Starts (parts split its orthants), "
            f"ExactRegions (parts split its regions) or Homotopy (parts split its paths), got "
            f"{method!r}."
        )
    part = check_part((jax.process_index(), jax.process_count()) if part is None else part)
    check_callable(progress, "progress")
    result, options = _METHODS[kinds[0]][1].run(
        net,
        part,
        method,
        checkpoint=checkpoint,
        resume=resume,
        devices=jax.local_devices() if devices is None else devices,
        progress=progress,
    )
    return EnumerationPart(result, kinds[0], part[0], part[1], network_digest(net), options)


def _split_of_auto(auto: Auto, net: LoopedNet):
    """The method of `auto`'s choice for `net` that a part runs: the proving one where it
    splits (homotopy, exact regions), otherwise its starts."""
    chosen = auto.choose(net)[0]
    proving = [method for method in chosen if isinstance(method, (Homotopy, ExactRegions))]
    return proving[0] if proving else auto.starts


def save_part(part: EnumerationPart, path) -> Path:
    """Write `part` to `path` (an .npz file, written under a temporary name, then renamed)."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"a part file must end in .npz, got {str(path)!r}.")
    arrays, numbers = _METHODS[part.method][1].arrays(part.result)
    meta = {
        "format": _FORMAT,
        "method": part.method,
        "index": part.index,
        "count": part.count,
        "network": part.network,
        "options": part.options,
        "numbers": numbers,
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
        index, count, options = int(meta["index"]), int(meta["count"]), meta["options"]
        side = _METHODS[meta["method"]][1]
        result = side.load(arrays, _current_names(meta["numbers"]), index, count, options)
    except FileNotFoundError:
        raise ValueError(f"part file {str(path)!r} does not exist.") from None
    except Exception as error:  # any failure to read means: not a usable part file
        raise ValueError(
            f"part file {str(path)!r} is damaged or not a jaxfp part file ({type(error).__name__}"
            "); write it again with `jaxfp enumerate ... --part I/N --out FILE.npz`."
        ) from None
    return EnumerationPart(result, meta["method"], index, count, meta["network"], options)


def _current_names(numbers: dict) -> dict:
    """A part file's numbers under this build's names (an earlier build wrote the durations as
    `seconds`, `compile_seconds`, `tracking_seconds`)."""
    return {_OLD_NUMBER_NAMES.get(name, name): value for name, value in numbers.items()}


def _check_parts(parts: Sequence[EnumerationPart]) -> None:
    """Check that `parts` (sorted by index) are the N parts of one run."""
    if not parts:
        raise ValueError("merge_parts needs at least one part.")
    for name in ("method", "network", "options"):
        values = {json.dumps(getattr(part, name), sort_keys=True) for part in parts}
        if len(values) > 1:
            raise ValueError(
                f"the parts do not belong to one run: they differ in {name} ({sorted(values)}); "
                "run every part with the same method, network and options."
            )
    counts = {part.count for part in parts}
    if len(counts) > 1:
        raise ValueError(f"the parts were split in different numbers of parts: {sorted(counts)}.")
    count = parts[0].count
    indices = [part.index for part in parts]
    repeated = sorted({i for i in indices if indices.count(i) > 1})
    missing = sorted(set(range(count)) - set(indices))
    if repeated or missing:
        problems = [f"part(s) {repeated} given more than once"] if repeated else []
        problems += [f"part(s) {missing} missing"] if missing else []
        raise ValueError(f"the {count} parts of the run are not all there: {'; '.join(problems)}.")
    _METHODS[parts[0].method][1].check_coverage(parts)


def merge_parts(parts: Sequence[EnumerationPart | str | Path]) -> FixedPoints:
    """Merge the N parts of one enumeration into the result of the whole run.

    Args:
        parts: the parts (`EnumerationPart`s or paths of files written by `save_part`), in any
            order.

    Returns:
        The merged `FixedPoints`, as the one-process run gives it: for starts (method "starts",
        never complete: starts are no proof) every orthant enumerated, the points deduplicated
        across parts, the index check on the merged list, and `stats.run` holding the per-start
        arrays in the global start order; for exact regions every region's record assembled in
        order, complete with the exact-regions proof when every region was solved or pruned;
        for homotopy every path of the whole run accounted for (the failed and jumped paths
        re-tracked here), complete with the homotopy (or Bézout) proof only when every path is.

    Raises:
        ValueError: if the parts are not the N parts of one run (another method, network or
            options, a part missing or repeated, the work not covered exactly once), or a file
            is damaged.
    """
    for part in parts:
        if not isinstance(part, (EnumerationPart, str, os.PathLike)):
            raise ValueError(
                "`parts` must hold EnumerationParts or the paths of part files, got "
                f"{type(part).__name__}."
            )
    parts = [part if isinstance(part, EnumerationPart) else load_part(part) for part in parts]
    parts.sort(key=lambda part: part.index)
    _check_parts(parts)
    return _METHODS[parts[0].method][1].merge(parts)
