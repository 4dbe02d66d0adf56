"""Spreading the chunks of starts over the local devices with `jax.sharding`.

Each chunk of starts is split along its leading axis over a one-axis device mesh (`"starts"`); every
device runs the batched solve on its own slice (`jax.shard_map`), with the network replicated. The
per-start results do not depend on the number of devices, so a run on 4 devices equals a run on 1.
For several hosts, see docs/enumeration.md (`jax.distributed.initialize`, then one process per host
enumerating its own range of orthants).
"""

import functools
from collections.abc import Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec

from .solve_starts import ChunkSolution, SolveOptions, solve_chunk


def select_devices(devices: int | Sequence[jax.Device] | None) -> tuple[jax.Device, ...]:
    """The devices to use: all local ones (`None`), the first `n`, or an explicit list.

    Raises:
        ValueError: if `devices` asks for more devices than exist, or is empty or not positive.

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
    chosen = tuple(devices)
    if not chosen:
        raise ValueError("`devices` must not be empty.")
    return chosen


@functools.lru_cache(maxsize=16)
def _sharded_solver(devices: tuple[jax.Device, ...], options: SolveOptions):
    mesh = Mesh(np.array(devices), ("starts",))

    @eqx.filter_jit
    def solve(dynamic, static, starts):
        def local(dynamic_net, local_starts):
            return solve_chunk(eqx.combine(dynamic_net, static), local_starts, options)

        return jax.shard_map(
            local,
            mesh=mesh,
            in_specs=(PartitionSpec(), PartitionSpec("starts")),
            out_specs=PartitionSpec("starts"),
            check_vma=False,
        )(dynamic, starts)

    return solve


@eqx.filter_jit
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
    else:
        dynamic, static = eqx.partition(net, eqx.is_array)
        solution = _sharded_solver(devices, options)(dynamic, static, starts)
    return jax.tree.map(np.asarray, solution)
