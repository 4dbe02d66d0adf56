"""Spreading the chunks of starts over the local devices with `jax.sharding`.

Each chunk of starts is laid out along its leading axis over a one-axis device mesh (`"starts"`,
a `NamedSharding`); every device runs the compiled batched solve on its own shard (dispatched
asynchronously, so the devices work at the same time), with the network replicated, and the
per-device results are assembled into one sharded array per output. (`jax.shard_map` over the
solver is not used: lineax's structure checks reject the mesh-annotated shapes inside it.) The
per-start results do not depend on the number of devices, so a run on 4 devices equals a run on 1.
For several hosts, see docs/enumeration.md (`jax.distributed.initialize`, then one process per host
enumerating its own range of orthants).
"""

from collections.abc import Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from .._exported import exported_jit
from ._solve_starts import ChunkSolution, SolveOptions, solve_chunk


def select_devices(devices: int | Sequence[jax.Device] | None) -> tuple[jax.Device, ...]:
    """The devices to use: all local ones (`None`), the first `n`, or an explicit list.

    Raises:
        ValueError: if `devices` asks for more devices than exist, is not positive, or is not
            a non-empty list of `jax.Device`s.

    Example:
        >>> len(select_devices(1))
        1
    """
    available = jax.local_devices()
    if devices is None:
        return tuple(available)
    if isinstance(devices, bool):
        raise ValueError(f"`devices` must be a device count or a list of devices, got {devices!r}.")
    if isinstance(devices, (int, np.integer)):
        if not 1 <= devices <= len(available):
            raise ValueError(
                f"`devices` = {devices} but {len(available)} local device(s) exist "
                f"({available[0].platform}); use 1 … {len(available)}."
            )
        return tuple(available[: int(devices)])
    chosen = tuple(devices) if isinstance(devices, (list, tuple)) else None
    if chosen == ():
        raise ValueError("`devices` must not be empty.")
    if chosen is None or not all(isinstance(device, jax.Device) for device in chosen):
        raise ValueError(f"`devices` must be a device count or a list of devices, got {devices!r}.")
    return chosen


@exported_jit
def _solve_one_device(net, starts, options: SolveOptions) -> ChunkSolution:
    return solve_chunk(net, starts, options)


def solve_on_devices(
    net, starts: np.ndarray, options: SolveOptions, devices: tuple[jax.Device, ...]
) -> ChunkSolution:
    """Solve a chunk of starts over `devices`; returns the per-start results as numpy arrays.

    The number of starts must be a multiple of the number of devices (the engine pads chunks).
    """
    if starts.shape[0] % len(devices):
        raise ValueError(
            f"a chunk of {starts.shape[0]} starts does not split over {len(devices)} devices."
        )
    starts = jnp.asarray(starts, dtype=net.W.dtype)
    if len(devices) == 1:
        solution = _solve_one_device(jax.device_put(net, devices[0]), starts, options)
        return jax.tree.map(np.asarray, solution)
    mesh = Mesh(np.array(devices), ("starts",))
    laid_out = jax.device_put(starts, NamedSharding(mesh, PartitionSpec("starts")))
    shards = sorted(laid_out.addressable_shards, key=lambda shard: shard.index[0].start)
    pieces = [
        _solve_one_device(jax.device_put(net, shard.device), shard.data, options)
        for shard in shards
    ]

    def assemble(*leaves):
        spec = PartitionSpec("starts", *([None] * (leaves[0].ndim - 1)))
        shape = (starts.shape[0], *leaves[0].shape[1:])
        return jax.make_array_from_single_device_arrays(
            shape, NamedSharding(mesh, spec), list(leaves)
        )

    return jax.tree.map(np.asarray, jax.tree.map(assemble, *pieces))
