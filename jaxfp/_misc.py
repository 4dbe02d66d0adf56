"""Small helpers shared by every layer: tree checks, conversions, option checks, name parsing.

Nothing here knows of solvers or networks; every module of the package may import it.
"""

import numbers
from collections.abc import Callable
from typing import NamedTuple

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Float, Inexact

from ._validation import check_count


def all_finite(tree) -> Bool[Array, ""]:
    """Whether every entry of every array leaf of `tree` is finite (True for an empty tree).

    Example:
        >>> import jax.numpy as jnp
        >>> bool(all_finite({"a": jnp.ones(2), "b": jnp.array([1.0, jnp.nan])}))
        False
    """
    leaves = [jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree_util.tree_leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.asarray(True)


class WithoutAux(eqx.Module):
    """`fn(y, args)` as `(fn(y, args), None)`: the `has_aux=False` form of a problem.

    Example:
        >>> WithoutAux(lambda y, args: 2 * y)(1.0, None)
        (2.0, None)
    """

    fn: Callable

    def __call__(self, y, args):
        return self.fn(y, args), None


def as_inexact(x: ArrayLike) -> Inexact[Array, "..."]:
    """`x` as a floating-point or complex array; integers and bools become the default float.

    Example:
        >>> as_inexact(3).dtype == jnp.result_type(float)
        True
    """
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        x = x.astype(jnp.result_type(float))
    return x


def cast_like(x: ArrayLike, like: ArrayLike) -> Array:
    """`x` (e.g. a real scale or ridge) cast to the dtype of `like` (e.g. a complex residual).

    Combining a real array with a complex one is an implicit promotion, which
    `jax.numpy_dtype_promotion("strict")` refuses; this is the explicit cast it asks for.

    Example:
        >>> import jax.numpy as jnp
        >>> cast_like(jnp.array(2.0), jnp.array(1.0 + 1.0j)).dtype == jnp.array(1j).dtype
        True
    """
    return jnp.asarray(x).astype(jnp.result_type(like))


def check_positive_int(value, name: str) -> int:
    """`value` as a Python int when it is an integer ≥ 1 (Python or NumPy, not bool): the
    positive case of the one integer check, `jaxfp._validation.check_count`.

    Raises:
        ValueError: naming `name`, for anything else.

    Example:
        >>> check_positive_int(np.int64(3), "max_steps")
        3
    """
    return check_count(value, name)


def check_positive(value, name: str) -> float:
    """`value` as a float when it is a finite real number > 0.

    Raises:
        ValueError: naming `name`, for anything else (NaN, inf, ≤ 0, non-numbers).

    Example:
        >>> check_positive(0.5, "scale")
        0.5
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a positive finite number, got {value!r}.")
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"`{name}` must be a positive finite number, got {value!r}.")
    return float(value)


def check_nonnegative(value, name: str) -> float:
    """`value` as a float when it is a finite real number ≥ 0 (a tolerance, say).

    Raises:
        ValueError: naming `name`, for anything else (NaN, inf, < 0, non-numbers).

    Example:
        >>> check_nonnegative(0, "atol")
        0.0
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a finite number ≥ 0, got {value!r}.")
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"`{name}` must be a finite number ≥ 0, got {value!r}.")
    return float(value)


def real_array(x: ArrayLike, name: str) -> Float[Array, "..."]:
    """`x` (a user's argument `name`) as a real floating-point array: integers and bools become
    the default float; complex input (which would lose its imaginary part) and non-numeric input
    (a string, an object) are refused.

    Raises:
        ValueError: naming `name`.

    Example:
        >>> real_array([1, 2], "b").dtype == jnp.result_type(float)
        True
        >>> real_array([1j], "b")
        Traceback (most recent call last):
        ...
        ValueError: `b` must hold real numbers, got an array of dtype complex128.
    """
    if not isinstance(x, jax.Array):  # (JAX would read a string as a dtype name first)
        try:
            numeric = np.asarray(x).dtype.kind in "biufc"
        except ValueError:  # ragged nesting
            numeric = False
        if not numeric:
            raise ValueError(f"`{name}` must hold real numbers, got {x!r}.")
    array = jnp.asarray(x)
    if jnp.issubdtype(array.dtype, jnp.complexfloating):
        raise ValueError(f"`{name}` must hold real numbers, got an array of dtype {array.dtype}.")
    return as_inexact(array)


def is_floating_dtype(dtype) -> bool:
    """Whether `dtype` names a floating-point dtype (False for anything that is not a dtype).

    Example:
        >>> is_floating_dtype(jnp.bfloat16), is_floating_dtype("nonsense"), is_floating_dtype(int)
        (True, False, False)
    """
    try:
        return bool(jnp.issubdtype(dtype, jnp.floating))
    except TypeError:
        return False


def check_key(key, name: str = "key") -> None:
    """Raise a `ValueError` naming `name` unless `key` is one JAX random key: a typed key
    (`jax.random.key(seed)`, shape ()) or a raw one (`jax.random.PRNGKey(seed)`, uint32 of
    shape (2,)). A batch of keys belongs under `jax.vmap`, one key per example.

    Example:
        >>> check_key(jax.random.key(0))
        >>> check_key(0)
        Traceback (most recent call last):
        ...
        ValueError: `key` must be a JAX random key (`jax.random.key(seed)`), got int 0.
    """
    shape, dtype = getattr(key, "shape", None), getattr(key, "dtype", None)
    if shape is None or dtype is None:
        described, batch = f"{type(key).__name__} {key!r}", False
    else:
        typed = jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key)
        if (typed and shape == ()) or (dtype == jnp.uint32 and shape == (2,)):
            return
        described = f"an array of dtype {dtype} and shape {tuple(shape)}"
        batch = (typed and shape != ()) or (dtype == jnp.uint32 and len(shape) > 1)
    hint = " Split a batch of keys over examples with `jax.vmap`." if batch else ""
    raise ValueError(
        f"`{name}` must be a JAX random key (`jax.random.key(seed)`), got {described}.{hint}"
    )


def split_spec(spec: str) -> tuple[str, str | None]:
    """Split a `head:tail` specification (`"hermite:3"`, `"leaky_relu:0.1"`) at its first colon.

    Returns:
        `(head, tail)` with surrounding spaces removed, `tail` None when there is no colon.

    Raises:
        ValueError: when `spec` is not a string, or the head or a given tail is empty.

    Example:
        >>> split_spec("leaky_relu:0.1"), split_spec("tanh")
        (('leaky_relu', '0.1'), ('tanh', None))
    """
    if not isinstance(spec, str):
        raise ValueError(f"a name must be a string, got {spec!r}.")
    head, colon, tail = spec.partition(":")
    head, tail = head.strip(), tail.strip()
    if not head or (colon and not tail):
        raise ValueError(f"{spec!r} is not of the form NAME or NAME:PARAMETER.")
    return head, (tail if colon else None)


class Name(NamedTuple):
    """A by-name lookup's `NAME` or `NAME:PARAMETER`, split by `split_name`."""

    text: str  # the whole name without surrounding spaces (what error messages quote)
    head: str  # NAME, lower-cased
    parameter: str | None  # PARAMETER, None when there is no colon


def split_name(text, kind: str, valid: str) -> Name:
    """`text` split by `split_spec`, its head lower-cased: the first step of every by-name
    lookup (activations, parameters).

    Raises:
        ValueError: naming `kind` when `text` is not a string, and listing `valid` when it is
            not of the form NAME or NAME:PARAMETER.

    Example:
        >>> split_name(" Bias:2 ", "parameter", "gain, bias:I")
        Name(text='Bias:2', head='bias', parameter='2')
    """
    if not isinstance(text, str):
        raise ValueError(f"{kind} name must be a string, got {type(text).__name__}.")
    try:
        head, tail = split_spec(text)
    except ValueError as error:
        message = f"{kind} {text.strip()!r} is not of the form NAME or NAME:PARAMETER"
        raise ValueError(f"{message}; valid {kind}s: {valid}.") from error
    return Name(text.strip(), head.lower(), tail)
