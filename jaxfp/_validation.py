"""The input checks of the solver core's public API, and the dtype rules the solvers share.

`jaxfp.fixed_point`, `jaxfp.fixed_point_batched`, the solvers' and the adjoints'
`__check_init__` use these, so every bad input gets the same clear `ValueError`, raised before
anything is traced or compiled:

- tolerances (`check_tolerances`): finite, ≥ 0, not both 0;
- integer options (`check_count`): Python or NumPy integers (not bools), at most
  `MAX_COUNT` so a step counter never overflows 32 bits; the part of a split run (`check_part`);
- switches (`check_bool`): True or False (Python or NumPy bools), optionally None; callbacks
  (`check_callable`): a callable or None;
- Python numbers in `y0` and `args` become arrays once, before the jit boundary
  (`as_array_leaves`), so repeated calls with new values reuse one compilation;
- the solvers' own dtype rules: residual norms are real (`residual_dtype`), the small dense
  solves of Anderson and Newton run in at least float32 (`solve_dtype`), a `norm` must return
  a scalar (`check_scalar_norm`), and an iterative linear solver's tolerance must lie above
  the precision of the state (`check_reachable_tolerance`).
"""

import functools as ft
import numbers

import equinox as eqx
import jax
import jax.numpy as jnp
import lineax as lx
import numpy as np

# The largest step or iteration count accepted: step counters are 32-bit integers unless
# float64 is enabled, and 2**31 - 1 steps is far beyond any practical solve.
MAX_COUNT = 2**31 - 1
# The largest `max_steps` of a fixed-point loop: the loop keeps its step count in the solver's
# float progress tracker (at least float32), whose integers are exact up to 2**24.
MAX_STEPS = 2**24

# The most regions or paths one enumeration may plan (budgets `max_regions`, `max_paths`):
# regions and paths are numbered in int64, with headroom for sums of a few counts.
MAX_ENUMERATION_SIZE = 2**62

# The largest `check_every`: the loop body unrolls `check_every` solver steps, so tracing and
# compiling grow with it (10**9 would never finish compiling).
MAX_CHECK_EVERY = 1024

# lineax's iterative solvers, whose `rtol`, `atol` must lie above the state's precision.
_ITERATIVE_LINEAR_SOLVERS = (lx.GMRES, lx.BiCGStab, lx.CG)


def _is_tracer(value) -> bool:
    return isinstance(value, jax.core.Tracer)


def _as_real(value, name: str) -> float | None:
    """`value` as a Python float (None for a tracer, which cannot be checked)."""
    if _is_tracer(value):
        return None
    if isinstance(value, (np.ndarray, jax.Array)) and value.ndim == 0:
        if not (
            jnp.issubdtype(value.dtype, jnp.integer) or jnp.issubdtype(value.dtype, jnp.floating)
        ):
            raise ValueError(f"`{name}` must be a real number, got {value!r}.")
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a real number, got {value!r}.")
    return float(value)


def check_tolerances(rtol, atol) -> None:
    """Check the `rtol`, `atol` of the stopping rule `norm((f(y) - y) / (atol + rtol |f(y)|)) < 1`.

    Both must be finite and ≥ 0, and not both 0 (the rule would divide by zero and could
    never be met). Traced values (a solver built inside `jit` from traced tolerances) cannot
    be checked and pass.

    Raises:
        ValueError: naming the tolerance and its value.

    Example:
        >>> check_tolerances(1e-6, 0.0)
        >>> check_tolerances(-1e-6, 1e-6)
        Traceback (most recent call last):
        ...
        ValueError: `rtol` must be a finite number ≥ 0, got -1e-06.
    """
    values = {}
    for name, value in (("rtol", rtol), ("atol", atol)):
        real = _as_real(value, name)
        if real is not None and not (np.isfinite(real) and real >= 0):
            raise ValueError(f"`{name}` must be a finite number ≥ 0, got {real!r}.")
        values[name] = real
    if values["rtol"] == 0 and values["atol"] == 0:
        raise ValueError(
            "`rtol` and `atol` are both 0: the stopping rule `norm((f(y) - y) / (atol + rtol "
            "|f(y)|)) < 1` divides by zero and can never be met. Give `atol > 0` or `rtol > 0`."
        )


def check_real(value, name: str, lower=None, upper=None, *, open_lower=False, open_upper=True):
    """Check a real hyperparameter (`damping`, `mixing`, `ridge`, ...) against its interval.

    `value` must be a real number (Python or NumPy, or a 0-d integer or float array; not a
    bool, a string or NaN) in the interval from `lower` to `upper` (None: unbounded), each end
    open or closed. Traced values cannot be checked and pass. Every solver and adjoint checks
    its float hyperparameters here, so each bad value gets the same message.

    Raises:
        ValueError: naming `name`, the interval and the value.

    Example:
        >>> check_real(0.5, "damping", 0, 1)
        >>> check_real("0.5", "damping", 0, 1)
        Traceback (most recent call last):
        ...
        ValueError: `damping` must be a real number in [0, 1), got '0.5'.
    """
    left = "(" if open_lower else "["
    right = ")" if open_upper or upper is None else "]"
    low = "-inf" if lower is None else f"{lower:g}"
    high = "inf" if upper is None else f"{upper:g}"
    message = f"`{name}` must be a real number in {left}{low}, {high}{right}, got {value!r}."
    try:
        real = _as_real(value, name)
    except ValueError:
        raise ValueError(message) from None
    if real is None:
        return
    below = lower is not None and (real <= lower if open_lower else real < lower)
    above = upper is not None and (real >= upper if open_upper else real > upper)
    if np.isnan(real) or below or above:
        raise ValueError(message)


def check_count(
    value, name: str, *, minimum: int = 1, maximum: int = MAX_COUNT, allow_none: bool = False
) -> int | None:
    """`value` as a Python int when it is an integer in `[minimum, maximum]`.

    Python and NumPy integers are accepted (bools are not); `None` only with `allow_none`.

    Raises:
        ValueError: naming `name`, for anything else.

    Example:
        >>> check_count(np.int64(10), "max_steps")
        10
        >>> check_count(2**31, "max_steps")
        Traceback (most recent call last):
        ...
        ValueError: `max_steps` must be at most 2147483647, got 2147483648.
    """
    if value is None and allow_none:
        return None
    kinds = {0: "a non-negative integer", 1: "a positive integer"}
    kind = kinds.get(minimum, f"an integer ≥ {minimum}")
    if allow_none:
        kind += " or None"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"`{name}` must be {kind}, got {value!r}.")
    if value < minimum:
        raise ValueError(f"`{name}` must be {kind}, got {value!r}.")
    if value > maximum:
        raise ValueError(f"`{name}` must be at most {maximum}, got {value!r}.")
    return int(value)


def check_bool(value, name: str, *, allow_none: bool = False) -> bool | None:
    """`value` as a Python bool when it is True or False (Python or NumPy); `None` only with
    `allow_none`. A string such as `"no"` or a number is refused: it would read as a switch
    that is on.

    Raises:
        ValueError: naming `name`, for anything else.

    Example:
        >>> check_bool(np.True_, "certify")
        True
        >>> check_bool("no", "certify")
        Traceback (most recent call last):
        ...
        ValueError: `certify` must be True or False, got 'no'.
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, (bool, np.bool_)):
        kind = "True, False or None" if allow_none else "True or False"
        raise ValueError(f"`{name}` must be {kind}, got {value!r}.")
    return bool(value)


def check_callable(value, name: str) -> None:
    """Refuse a `value` that is neither callable nor None (a progress callback, checked before
    the work whose end would first call it).

    Raises:
        ValueError: naming `name`.

    Example:
        >>> check_callable(print, "progress")
        >>> check_callable(3, "progress")
        Traceback (most recent call last):
        ...
        ValueError: `progress` must be a callable or None, got 3.
    """
    if value is not None and not callable(value):
        raise ValueError(f"`{name}` must be a callable or None, got {value!r}.")


def check_part(part) -> tuple[int, int]:
    """`part` as `(index, count)` when it is a pair of integers with 0 ≤ index < count (the part
    of a run split over processes, `jaxfp.enumeration.enumerate_part`).

    Raises:
        ValueError: for anything else.

    Example:
        >>> check_part((1, 4))
        (1, 4)
    """
    if isinstance(part, tuple) and len(part) == 2:
        try:
            index, count = check_count(part[0], "part", minimum=0), check_count(part[1], "part")
        except ValueError:
            index = count = None
        if index is not None and index < count:
            return index, count
    raise ValueError(f"`part` must be a pair (index, count) with 0 ≤ index < count; got {part!r}.")


def as_array_leaves(tree):
    """`tree` with every Python number (bool, int, float, complex) leaf made an array.

    Called before the jit boundary of the entry points: Python numbers would otherwise be
    static (one compilation per value) and could not be traced through the loop and adjoints.
    Arrays, NumPy scalars and non-numeric leaves are left as they are.

    Example:
        >>> tree = as_array_leaves({"gain": 0.5, "count": 3, "name": "tanh"})
        >>> type(tree["gain"]).__name__, tree["count"].dtype.kind, tree["name"]
        ('ArrayImpl', 'i', 'tanh')
    """

    def convert(leaf):
        if isinstance(leaf, (bool, int, float, complex)):
            return jnp.asarray(leaf)
        return leaf

    return jax.tree.map(convert, tree)


def residual_dtype(tree):
    """The real dtype of residual norms over the leaves of `tree` (arrays or shape structs).

    The widest floating dtype of the leaves, with complex leaves counted by their real part:
    a float32 and a float64 leaf give float64, a complex64 state gives float32.

    Example:
        >>> residual_dtype((jnp.zeros(2, jnp.complex64), jnp.zeros(1, jnp.float32)))
        dtype('float32')
    """
    dtypes = [leaf.dtype for leaf in jax.tree.leaves(tree)]
    return jnp.finfo(jnp.result_type(*dtypes)).dtype


def solve_dtype(dtype):
    """The dtype of a small dense linear solve for a state of `dtype`: at least float32.

    LAPACK (and so `jnp.linalg.solve`, `lineax.LU`) has no bfloat16 or float16 kernels: the
    solvers run such solves in float32 and cast the result back to the state's dtype.

    Example:
        >>> solve_dtype(jnp.bfloat16), solve_dtype(jnp.complex128)
        (dtype('float32'), dtype('complex128'))
    """
    # No type promotion (it fails under `jax_numpy_dtype_promotion="strict"`).
    dtype = jnp.dtype(dtype)
    if jnp.finfo(dtype).bits >= 32:
        return dtype
    return jnp.dtype(jnp.complex64 if jnp.issubdtype(dtype, jnp.complexfloating) else jnp.float32)


def check_scalar_norm(value, name: str = "norm") -> None:
    """Raise a `ValueError` at trace time unless a norm's output `value` is a scalar.

    Example:
        >>> check_scalar_norm(jnp.ones(3))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: `norm` must return a scalar, but it returned an array of shape (3,). Use ...
    """
    shape = jnp.shape(value)
    if shape != ():
        raise ValueError(
            f"`{name}` must return a scalar, but it returned an array of shape {shape}. Use "
            "`optimistix.max_norm`, `optimistix.two_norm`, `optimistix.rms_norm` or another "
            "function mapping a pytree to a scalar."
        )


def check_reachable_tolerance(rtol, atol, dtype, name: str) -> None:
    """Refuse an iterative linear solve whose `rtol` and `atol` both lie below `dtype`'s epsilon.

    Such a tolerance asks for more relative accuracy than the dtype holds, so the solve cannot
    meet it and fails for a reason that its failure message does not name.

    Raises:
        ValueError: naming `name`, the tolerances and the dtype's precision.

    Example:
        >>> check_reachable_tolerance(1e-8, 1e-8, jnp.float32, "lineax.GMRES")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: The tolerances of lineax.GMRES (rtol=1e-08, atol=1e-08) lie below ...
    """
    rtol, atol = _as_real(rtol, "rtol"), _as_real(atol, "atol")
    if rtol is None or atol is None:
        return
    eps = float(jnp.finfo(dtype).eps)
    if rtol < eps and atol < eps:
        real = jnp.finfo(dtype).dtype
        raise ValueError(
            f"The tolerances of {name} (rtol={rtol:g}, atol={atol:g}) lie below the precision "
            f"of the {jnp.dtype(dtype).name} state (machine epsilon {eps:.3g}), so the linear "
            f"solve cannot meet them. Use tolerances of at least about {10 * eps:.0e} in "
            f"{real.name}, or a float64 state."
        )


def check_linear_solver_tolerance(linear_solver, dtype, name: str) -> None:
    """`check_reachable_tolerance` for a lineax iterative solver (GMRES, BiCGStab, CG).

    Direct solvers (`lineax.LU`, `lineax.SVD`, ...) have no tolerance and always pass.

    Example:
        >>> import lineax as lx
        >>> check_linear_solver_tolerance(lx.GMRES(1e-6, 1e-6), jnp.float32, "`linear_solver`")
    """
    if isinstance(linear_solver, _ITERATIVE_LINEAR_SOLVERS):
        check_reachable_tolerance(
            linear_solver.rtol,
            linear_solver.atol,
            dtype,
            f"{name} (lineax.{type(linear_solver).__name__})",
        )


def with_array_inputs(entry_point=None, *, check_inputs=None):
    """`equinox.filter_jit(entry_point)`, after converting its inputs once on the Python side.

    `entry_point(fn, solver, y0, args=None, **options)`: Python numbers in `y0` and `args`
    become arrays (`as_array_leaves`), so a new value reuses the compiled solve instead of
    recompiling, and Python ints or bools in `args` are traced like any array; NumPy integer
    options become Python ints (they would otherwise be traced), and `max_steps` is checked by
    `check_count`. `check_inputs(fn, solver, y0, args, **options)`, when given, runs next, on
    the Python side, where the caller's tracers are still visible (inside the jit they are
    not). Used as `@with_array_inputs` or `@with_array_inputs(check_inputs=...)`.
    """
    if entry_point is None:
        return ft.partial(with_array_inputs, check_inputs=check_inputs)
    jitted = eqx.filter_jit(entry_point)

    @ft.wraps(entry_point)
    def wrapper(fn, solver, y0, args=None, **options):
        for name, value in options.items():
            if isinstance(value, np.integer):
                options[name] = int(value)
        if "max_steps" in options:
            options["max_steps"] = check_count(options["max_steps"], "max_steps", maximum=MAX_STEPS)
        y0, args = as_array_leaves(y0), as_array_leaves(args)
        if check_inputs is not None:
            check_inputs(fn, solver, y0, args, **options)
        return jitted(fn, solver, y0, args, **options)

    return wrapper
