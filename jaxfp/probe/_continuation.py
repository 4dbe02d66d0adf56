"""Pseudo-arclength continuation of a fixed point along a scalar parameter, with folds and
stability changes located on the arc."""

import math
import numbers

import equinox as eqx
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, ArrayLike, Bool, Complex, Float, Int

from .._fixed_point import fixed_point
from .._misc import check_positive, check_positive_int
from .._numerics import max_abs
from .._solution import RESULTS
from .._solver import Newton
from ..looped import LoopedNet
from ._arc import Diagnostics, correct, diagnostics, tangent_at
from ._common import (
    check_net,
    check_state,
    default_tolerance,
)
from ._parameters import AbstractParameter, parameter_from_name

# A new tangent must keep this cosine with the old one, else the step is retried shorter (a
# sharp turn means the corrector may have jumped to another branch).
_MIN_TANGENT_COSINE = 0.9
# Newton corrections at most this many iterations let the step grow by `_GROWTH`.
_FAST_ITERATIONS = 3
_GROWTH = 1.5


class Bifurcations(eqx.Module):
    """Points located on a branch where the fixed point changes character.

    - `kind`: per event, `"fold"` (a real eigenvalue of J crosses +1: saddle-node),
      `"flip"` (a real eigenvalue crosses −1: period doubling) or `"neimark-sacker"` (a
      complex pair crosses the unit circle).
    - `parameter`: the parameter value, shape (k,).
    - `states`: the fixed point there, shape (k, d).
    - `eigenvalue`: the eigenvalue of J nearest the unit circle there, shape (k,).
    - `segment`: the event lies between branch points `segment` and `segment + 1`.
    """

    kind: tuple[str, ...] = eqx.field(static=True)
    parameter: Float[Array, " k"]
    states: Float[Array, "k d"]
    eigenvalue: Complex[Array, " k"]
    segment: Int[Array, " k"]


class Branch(eqx.Module):
    """A branch of fixed points x*(λ) traced by `jaxfp.probe.continue_fixed_point`.

    - `parameter_name`: the parameter's spelling (e.g. `"bias:0"`).
    - `parameter`, `states`: λ and x* at each accepted point, shapes (n,), (n, d).
    - `arclength`: cumulative pseudo-arclength, shape (n,).
    - `parameter_slope`: dλ/ds along the arc (changes sign at a fold), shape (n,).
    - `eigenvalues`: the eigenvalues of J = J_F(x*) at each point, shape (n, d).
    - `folds`: where dλ/ds = 0 (the branch turns back), located on the arc.
    - `stability_changes`: where ρ(J) crosses 1, located on the arc.
    - `status`: why the continuation stopped.

    Read off the eigenvalues: `spectral_radius` (ρ(J)), `stable` (ρ < 1) and `determinant`
    (det(I − J), zero at a fold).
    """

    parameter_name: str = eqx.field(static=True)
    parameter: Float[Array, " n"]
    states: Float[Array, "n d"]
    arclength: Float[Array, " n"]
    parameter_slope: Float[Array, " n"]
    eigenvalues: Complex[Array, "n d"]
    folds: Bifurcations
    stability_changes: Bifurcations
    status: str = eqx.field(static=True)

    @property
    def spectral_radius(self) -> Float[Array, " n"]:
        """ρ(J_F(x*)), the largest eigenvalue modulus at each point, shape (n,)."""
        return max_abs(self.eigenvalues, axis=-1)

    @property
    def determinant(self) -> Float[Array, " n"]:
        """det(I − J) = ∏ (1 − λ_i) at each point, shape (n,); it changes sign at a fold.

        Example:
            >>> import jax.numpy as jnp, jaxfp
            >>> net = jaxfp.looped.tanh_identity_network(1, gain=2.0)
            >>> branch = jaxfp.probe.continue_fixed_point(net, "bias:0", jnp.array([-0.99]),
            ...                                           -1.0, 1.0)
            >>> x = branch.states[:, 0]  # J = 2(1 − x²) for x = tanh(2x + b)
            >>> bool(jnp.allclose(branch.determinant, 1 - 2 * (1 - x**2)))
            True
        """
        # The eigenvalues of a real J come in conjugate pairs: the product is real.
        return jnp.real(jnp.prod(1 - self.eigenvalues, axis=-1))

    @property
    def stable(self) -> Bool[Array, " n"]:
        """Whether each point is attracting: ρ(J_F(x*)) < 1, shape (n,)."""
        return self.spectral_radius < 1


def _kind(eigenvalue: complex) -> str:
    if abs(eigenvalue.imag) > 1e-6:
        return "neimark-sacker"
    return "fold" if eigenvalue.real > 0 else "flip"


def _nearest_unit(diag: Diagnostics) -> complex:
    values = np.asarray(diag.eigenvalues)
    return complex(values[np.argmin(np.abs(np.abs(values) - 1.0))])


class _Tracer(eqx.Module):
    net: LoopedNet
    parameter: AbstractParameter
    tolerance: float
    iterations: int

    def point(self, anchor, tangent, arclength):
        dtype = anchor.dtype
        return correct(
            self.net,
            self.parameter,
            anchor,
            tangent,
            jnp.asarray(arclength, dtype),
            jnp.asarray(self.tolerance, dtype),
            self.iterations,
        )

    def locate(self, anchor, tangent, length, test, tolerance):
        """Bisection on s ∈ [0, length] for a sign change of test(z(s)) (z(s) on the arc)."""
        low, high = 0.0, float(length)
        value_low = test(anchor)
        z_high = None
        while high - low > tolerance * max(1.0, float(length)):
            middle = 0.5 * (low + high)
            z_middle, ok, _ = self.point(anchor, tangent, middle)
            z_middle = np.asarray(z_middle)
            if not bool(ok):
                break
            value = test(z_middle)
            if np.sign(value) == np.sign(value_low):
                low, value_low = middle, value
            else:
                high, z_high = middle, z_middle
        if z_high is None:
            z_high = np.asarray(self.point(anchor, tangent, high)[0])
        return z_high


def _events(kinds, zs, eigenvalues, segments, dim, dtype) -> Bifurcations:
    if not zs:
        return Bifurcations(
            (),
            jnp.zeros((0,), dtype),
            jnp.zeros((0, dim), dtype),
            jnp.zeros((0,), complex),
            jnp.zeros((0,), int),
        )
    zs = jnp.asarray(np.stack([np.asarray(z) for z in zs]))
    return Bifurcations(
        tuple(kinds), zs[:, -1], zs[:, :-1], jnp.asarray(eigenvalues), jnp.asarray(segments)
    )


def continue_fixed_point(
    net: LoopedNet,
    parameter: AbstractParameter | str,
    x0: ArrayLike,
    start: float,
    stop: float,
    *,
    step: float = 0.05,
    max_step: float = 0.2,
    min_step: float = 1e-7,
    max_points: int = 2000,
    tolerance: float | None = None,
    corrector_iterations: int = 12,
    locate_tolerance: float | None = None,
) -> Branch:
    """Follow the fixed point through `x0` as the parameter goes from `start` towards `stop`.

    Pseudo-arclength continuation (Keller 1977; Allgower & Georg, *Numerical Continuation
    Methods*, 1990) on z = (x, λ) with G(z) = F(x; λ) − x: the predictor steps along the
    unit tangent t (the null vector of DG = [J − I, ∂F/∂λ], i.e. the implicit derivative
    dx*/dλ = (I − J)⁻¹ ∂F/∂λ normalised together with λ), the corrector is Newton on the bordered
    system [G(z) = 0; t·(z − z_k) = h]. Because the arc is parametrised by length, not by λ,
    the branch turns around saddle-node folds and comes back. Steps adapt (halved on failure or
    sharp turns, grown after fast corrections). Folds (dλ/ds changes sign, det(I − J) = 0) and
    stability changes (ρ(J) crosses 1: an eigenvalue crossing +1, −1, or a complex pair) are
    located by bisection on the arc to `locate_tolerance`.

    Args:
        net: a `jaxfp.looped.LoopedNet`.
        parameter: a parameter's name (`"gain"`, `"bias:i"`, `"weight:i,j"`; see
            `parameter_from_name`) or any `jaxfp.probe.AbstractParameter`.
        x0: a fixed point (or a good guess, refined by Newton) at λ = `start`, shape (d,).
        start, stop: the parameter range; the branch starts at `start` heading towards `stop`
            and ends when λ leaves the range, after `max_points` points, or when the step
            size falls below `min_step`.
        step, max_step, min_step: initial, largest and smallest arclength step.
        max_points: the most branch points kept.
        tolerance: Newton tolerance of the corrector (max-norm of the update); default 1e-11
            in float64, 1e-5 in float32.
        corrector_iterations: Newton iterations per corrector.
        locate_tolerance: relative arclength tolerance of the event bisection; default 1e-13
            in float64, 1e-6 in float32.

    Returns:
        A `jaxfp.probe.Branch`.

    Raises:
        ValueError: for a bad `net`, `parameter`, `x0` shape, a `start` or `stop` that is not a
            finite number, `start == stop`, non-positive step options or steps out of order
            (min_step ≤ step ≤ max_step), or when Newton finds no fixed point near `x0` at
            λ = `start`.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.tanh_identity_network(1, gain=2.0)
        >>> branch = jaxfp.probe.continue_fixed_point(net, "bias:0", jnp.array([-0.99]),
        ...                                           -1.0, 1.0)
        >>> [round(float(b), 4) for b in branch.folds.parameter]
        [0.5328, -0.5328]
    """
    net = check_net(net)
    if isinstance(parameter, str):
        parameter = parameter_from_name(parameter)
    if not isinstance(parameter, AbstractParameter):
        raise ValueError(
            "`parameter` must be a jaxfp.probe.AbstractParameter or a parameter's name ('gain', "
            f"'bias:I', 'weight:I,J'), got {type(parameter).__name__}."
        )
    parameter.check(net)
    x0 = check_state(x0, net.dim, "x0")
    for name, value in (("start", start), ("stop", stop)):
        real = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not (real and math.isfinite(value)):
            raise ValueError(f"`{name}` must be a finite number, got {value!r}.")
    if start == stop:
        raise ValueError(f"`start` and `stop` must differ, both are {start}.")
    step, max_step, min_step = (
        check_positive(step, "step"),
        check_positive(max_step, "max_step"),
        check_positive(min_step, "min_step"),
    )
    if not min_step <= step <= max_step:
        raise ValueError(
            "the arclength steps must satisfy min_step <= step <= max_step, got "
            f"min_step={min_step}, step={step}, max_step={max_step}."
        )
    max_points = check_positive_int(max_points, "max_points")
    corrector_iterations = check_positive_int(corrector_iterations, "corrector_iterations")
    if tolerance is None:
        tolerance = default_tolerance(x0.dtype, 1e-11, 1e-5)
    if locate_tolerance is None:
        locate_tolerance = default_tolerance(x0.dtype, 1e-13, 1e-6)
    tolerance = check_positive(tolerance, "tolerance")
    locate_tolerance = check_positive(locate_tolerance, "locate_tolerance")

    start_net = parameter.replace(net, jnp.asarray(start, x0.dtype))
    solution = fixed_point(
        start_net.fixed_point_fn, Newton(tolerance, tolerance), x0, max_steps=64, throw=False
    )
    if solution.result != RESULTS.successful:
        raise ValueError(
            f"`x0` is not near a fixed point at {parameter.name} = {start}: Newton stopped with "
            f"'{RESULTS[solution.result]}'"
        )
    tracer = _Tracer(net, parameter, tolerance, corrector_iterations)
    low, high = min(start, stop), max(start, stop)
    direction = 1.0 if stop > start else -1.0
    z = np.concatenate([np.asarray(solution.value), [start]]).astype(x0.dtype)
    initial = np.zeros_like(z)
    initial[-1] = direction
    tangent = np.asarray(tangent_at(net, parameter, z, initial))
    zs, tangents, lengths = [z], [tangent], [0.0]
    diags = [diagnostics(net, parameter, z)]
    folds: tuple[list, list, list, list] = ([], [], [], [])
    changes: tuple[list, list, list, list] = ([], [], [], [])
    status = f"stopped after max_points = {max_points} points"
    h = step
    while len(zs) < max_points:
        z_new, ok, iterations = tracer.point(z, tangent, h)
        tangent_new = tangent_at(net, parameter, z_new, tangent) if bool(ok) else tangent
        if not bool(ok) or float(tangent_new @ tangent) < _MIN_TANGENT_COSINE:
            h *= 0.5
            if h < min_step:
                status = f"the step size fell below min_step = {min_step} (a singular point?)"
                break
            continue
        z_new, tangent_new = np.asarray(z_new), np.asarray(tangent_new)
        value = float(z_new[-1])
        leaving = not low <= value <= high
        if leaving:
            bound = high if value > high else low
            z_new = tracer.locate(z, tangent, h, lambda zz, b=bound: float(zz[-1]) - b, 1e-12)
            tangent_new = np.asarray(tangent_at(net, parameter, z_new, tangent))
            h = float(tangent @ (z_new - z))
        diag_new = diagnostics(net, parameter, z_new)
        segment = len(zs) - 1
        if np.sign(float(tangent_new[-1])) != np.sign(float(tangent[-1])):
            located = tracer.locate(
                z,
                tangent,
                h,
                lambda zz, t=tangent: float(tangent_at(net, parameter, zz, t)[-1]),
                locate_tolerance,
            )
            eigenvalue = _nearest_unit(diagnostics(net, parameter, located))
            for items, item in zip(folds, ("fold", located, eigenvalue, segment), strict=True):
                items.append(item)
        if (float(diags[-1].spectral_radius) < 1) != (float(diag_new.spectral_radius) < 1):
            located = tracer.locate(
                z,
                tangent,
                h,
                lambda zz: float(diagnostics(net, parameter, zz).spectral_radius) - 1.0,
                locate_tolerance,
            )
            eigenvalue = _nearest_unit(diagnostics(net, parameter, located))
            entry = (_kind(eigenvalue), located, eigenvalue, segment)
            for items, item in zip(changes, entry, strict=True):
                items.append(item)
        zs.append(z_new)
        tangents.append(tangent_new)
        lengths.append(lengths[-1] + h)
        diags.append(diag_new)
        z, tangent = z_new, tangent_new
        if leaving:
            status = f"reached the end of the range at {parameter.name} = {float(z[-1]):.12g}"
            break
        if int(iterations) <= _FAST_ITERATIONS:
            h = min(h * _GROWTH, max_step)
    states = jnp.asarray(np.stack(zs))
    dim, dtype = net.dim, x0.dtype
    return Branch(
        parameter_name=parameter.name,
        parameter=states[:, -1],
        states=states[:, :-1],
        arclength=jnp.asarray(lengths, dtype),
        parameter_slope=jnp.asarray(np.stack(tangents)[:, -1]),
        eigenvalues=jnp.asarray(np.stack([diag.eigenvalues for diag in diags])),
        folds=_events(*folds, dim, dtype),
        stability_changes=_events(*changes, dim, dtype),
        status=status,
    )
