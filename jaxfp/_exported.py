"""Traced programs kept on disk, so that a fresh process skips tracing and lowering.

JAX's persistent compilation cache (which the `jaxfp` command turns on) spares a later process
XLA's compilation, but not the tracing and lowering that come before it, and for the
enumeration's kernels those take seconds. `exported_jit` wraps a function as `eqx.filter_jit`
does. Once `use_exported_programs(directory)` has been called, each call looks in `directory` for
the function's program, exported with `jax.export` for these static arguments and array shapes;
it runs that program, or exports it there first. Without a directory (the library's default) the
wrapper is `eqx.filter_jit`.

A stored program is used only when everything it was traced from is the same: the function,
jaxfp's source, the versions of JAX and the libraries the kernels trace through, the platform,
the x64 flag, each array's shape and dtype, and an exact description of every other argument.
An argument that cannot be described exactly (a lambda, a closure, an object that is not a
dataclass) is never stored: that call is plain `eqx.filter_jit`. An unreadable entry is ignored
and written again. Entries are pickled, so the directory must be as trusted as the code.
"""

import dataclasses
import enum
import functools
import hashlib
import importlib.metadata
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import equinox as eqx
import jax
import numpy as np

_FORMAT = 1
_directory: Path | None = None
_programs: dict[str, tuple[Callable, object] | None] = {}


def use_exported_programs(directory: str | os.PathLike | None) -> None:
    """Keep exported programs in `directory` from now on (None: stop).

    Args:
        directory: a writable directory (made at the first program stored), or None.
    """
    global _directory
    _directory = None if directory is None else Path(directory)
    _programs.clear()


def exported_jit(fn: Callable) -> Callable:
    """`eqx.filter_jit(fn)`, whose traced program is kept on disk when a directory is set.

    The output of `fn` must be a pytree of arrays.

    Example:
        >>> import jax.numpy as jnp
        >>> double = exported_jit(lambda x: 2 * x)
        >>> double(jnp.ones(2)).tolist()
        [2.0, 2.0]
    """
    jitted = eqx.filter_jit(fn)

    @functools.wraps(fn)
    def wrapper(*args):
        name = _qualified_name(wrapper)  # the module's name for `fn` is now this wrapper
        if _directory is None or name is None:
            return jitted(*args)
        dynamic, static = eqx.partition(args, eqx.is_array)
        leaves, in_tree = jax.tree.flatten(dynamic)
        description = _describe(static)
        if description is None or any(isinstance(leaf, jax.core.Tracer) for leaf in leaves):
            return jitted(*args)  # not describable, or called inside another trace
        shapes = [(x.shape, str(x.dtype), getattr(x, "weak_type", False)) for x in leaves]
        context = (_environment(), jax.default_backend(), jax.config.jax_enable_x64)
        key = _digest(repr((name, str(in_tree), description, shapes, context)))
        if key not in _programs:
            _programs[key] = _load(key) or _export(fn, key, static, in_tree, leaves)
        if _programs[key] is None:
            return jitted(*args)
        call, skeleton = _programs[key]
        return jax.tree.unflatten(jax.tree.structure(skeleton), call(*leaves))

    return wrapper


def _export(fn, key, static, in_tree, leaves):
    skeletons = []

    def flat(*flat_leaves):
        arguments = eqx.combine(jax.tree.unflatten(in_tree, flat_leaves), static)
        output_leaves, output_tree = jax.tree.flatten(fn(*arguments))
        skeletons.append(jax.tree.unflatten(output_tree, list(range(len(output_leaves)))))
        return output_leaves

    try:
        exported = jax.export.export(jax.jit(flat))(*leaves)
        entry = {"format": _FORMAT, "program": exported.serialize(), "output": skeletons[-1]}
    except Exception:  # not exportable (e.g. a host callback): such calls stay plain jit
        return None
    _write(_directory / f"{key}.program", pickle.dumps(entry))
    return jax.jit(exported.call), skeletons[-1]


def _load(key):
    path = _directory / f"{key}.program"
    try:
        entry = pickle.loads(path.read_bytes())
        if entry["format"] != _FORMAT:
            return None
        exported = jax.export.deserialize(bytearray(entry["program"]))
    except Exception:  # absent, truncated or foreign: export anew
        return None
    return jax.jit(exported.call), entry["output"]


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except OSError:  # a read-only or full cache only costs the next run its warm start
        pass


def _describe(value) -> str | None:
    """An exact, process-independent description of a static argument, or None if none exists."""
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, enum.Enum):
        return f"{_qualified_name(type(value))}.{value.name}"
    if isinstance(value, (tuple, list)):
        parts = [_describe(item) for item in value]
        return None if None in parts else f"{type(value).__name__}({','.join(parts)})"
    if isinstance(value, dict):
        parts = [(_describe(k), _describe(v)) for k, v in sorted(value.items(), key=repr)]
        flat = [part for pair in parts for part in pair]
        return None if None in flat else f"dict({parts})"
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        return f"array({array.dtype},{array.shape},{_digest(array.tobytes())})"
    if isinstance(value, type) or callable(value) and not dataclasses.is_dataclass(value):
        return _qualified_name(value)
    if dataclasses.is_dataclass(value):
        fields = [
            (field.name, _describe(getattr(value, field.name, None)))
            for field in dataclasses.fields(value)
        ]
        name = _qualified_name(type(value))
        return None if name is None or None in dict(fields).values() else f"{name}{fields}"
    return None


def _qualified_name(value) -> str | None:
    """`module.qualname` when that name leads back to `value` (so it means the same next run)."""
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if not module or not qualname or "<" in qualname or module not in sys.modules:
        return None
    found = sys.modules[module]
    for part in qualname.split("."):
        found = getattr(found, part, None)
    return f"{module}.{qualname}" if found is value else None


@functools.cache
def _environment() -> str:
    """What else a traced program depends on: jaxfp's source and the libraries' versions."""
    source = hashlib.sha256()
    package = Path(__file__).parent
    for path in sorted(package.rglob("*.py")):
        source.update(str(path.relative_to(package)).encode())
        source.update(path.read_bytes())
    versions = [
        importlib.metadata.version(name)
        for name in ("jax", "jaxlib", "equinox", "lineax", "optimistix")
    ]
    return repr((source.hexdigest(), versions))


def _digest(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:32]
