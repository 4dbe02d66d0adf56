"""Looped networks F(x) = σ(Wx + b) and F(x) = W σ(x) + b (P1, Ke et al. 2024)."""

from typing import Literal

import equinox as eqx
import jax
import numpy as np
from jaxtyping import Array, ArrayLike, Float

from .._misc import real_array
from ._activation_base import Activation
from ._parameter_radii import ParameterRadii, checked_radii
from ._rounding import add, as_float, interval_matmul, multiply, point_matmul

Form = Literal["sigma-affine", "affine-sigma"]
_FORMS = ("sigma-affine", "affine-sigma")
_Pair = tuple[Float[Array, "..."], Float[Array, "..."]]


def _is_concrete(x) -> bool:
    return not isinstance(x, jax.core.Tracer)


def _validate(weight, bias, activation, form) -> None:
    if form not in _FORMS:
        raise ValueError(f"LoopedNet `form` must be one of {_FORMS}, got {form!r}.")
    if not isinstance(activation, Activation):
        raise ValueError(
            "LoopedNet `activation` must be a jaxfp.looped.Activation (for example "
            f"jaxfp.looped.activation_from_name('tanh')), got {type(activation).__name__}."
        )
    if weight.ndim != 2 or weight.shape[0] != weight.shape[1] or weight.shape[0] == 0:
        raise ValueError(
            f"LoopedNet `W` must be a square matrix (d, d) with d ≥ 1, got shape {weight.shape}."
        )
    if bias.shape != (weight.shape[0],):
        raise ValueError(
            f"LoopedNet `b` must have shape (d,) = ({weight.shape[0]},) to match `W` of shape "
            f"{weight.shape}, got shape {bias.shape}."
        )
    for argument, value in (("W", weight), ("b", bias)):
        if _is_concrete(value) and not bool(np.all(np.isfinite(np.asarray(value)))):
            raise ValueError(f"LoopedNet `{argument}` contains NaN or infinite entries.")


def _check_box(lower, upper, dim: int) -> None:
    for argument, value in (("lower", lower), ("upper", upper)):
        if value.shape != (dim,):
            raise ValueError(
                f"box `{argument}` must have shape (d,) = ({dim},) for this network, got "
                f"{value.shape}."
            )


def _parameter_interval(value, radius) -> _Pair:
    return add(value, value, -radius, radius)


class LoopedNet(eqx.Module):
    """A looped network x_{t+1} = F(x_t) (Ke et al. 2024, arXiv:2410.11279, docs/theory.md).

    - `form="sigma-affine"` (default): F(x) = σ(Wx + b), J_F(x) = diag(σ'(Wx + b)) W.
    - `form="affine-sigma"`: G(y) = W σ(y) + b, J_G(y) = W diag(σ'(y)).

    **Conjugacy.** With h(x) = Wx + b, G ∘ h = h ∘ F; so x* = F(x*) gives the fixed point
    y* = h(x*) of G, and y* = G(y*) gives x* = σ(y*) of F. The Jacobians D W and W D at
    corresponding points have the same eigenvalues (the same nonzero ones when W is singular),
    so both forms have the same number of fixed points with the same stability.
    `conjugate()` builds the other form and `conjugate_point(x)` maps a fixed point across.

    Args:
        W: weight matrix, shape (d, d).
        b: bias, shape (d,).
        activation: a `jaxfp.looped.Activation`.
        form: `"sigma-affine"` or `"affine-sigma"`.

    Raises:
        ValueError: if W is not square (d ≥ 1), b does not match, either is not real (complex,
            strings) or holds NaN/inf, the activation is not an `Activation`, or `form` is
            unknown.

    Example:
        >>> import jax.numpy as jnp, jaxfp
        >>> net = jaxfp.looped.LoopedNet(2.0 * jnp.eye(2), jnp.zeros(2), jaxfp.looped.Tanh())
        >>> [round(float(v), 4) for v in net(jnp.array([1.0, -1.0]))]
        [0.964, -0.964]
    """

    W: Float[Array, "d d"]
    b: Float[Array, " d"]
    activation: Activation
    form: Form = eqx.field(static=True, default="sigma-affine")

    def __init__(
        self, W: ArrayLike, b: ArrayLike, activation: Activation, form: Form = "sigma-affine"
    ):
        weight, bias = real_array(W, "W"), real_array(b, "b")
        _validate(weight, bias, activation, form)
        self.W = weight
        self.b = bias
        self.activation = activation
        self.form = form

    @property
    def dim(self) -> int:
        """The dimension d."""
        return self.W.shape[0]

    def __call__(self, x: Float[Array, " d"]) -> Float[Array, " d"]:
        if self.form == "sigma-affine":
            return self.activation(self.W @ x + self.b)
        return self.W @ self.activation(x) + self.b

    def fixed_point_fn(self, y: Float[Array, " d"], args=None) -> Float[Array, " d"]:
        """F(y), with the `fn(y, args)` signature of `jaxfp.fixed_point` and optimistix."""
        return self(y)

    def jacobian(self, x: Float[Array, " d"]) -> Float[Array, "d d"]:
        """J_F(x) in closed form: diag(σ'(Wx + b)) W, or W diag(σ'(x))."""
        if self.form == "sigma-affine":
            return self.activation.derivative(self.W @ x + self.b)[:, None] * self.W
        return self.W * self.activation.derivative(x)[None, :]

    def _parameters(self, radii: ParameterRadii):
        if radii.weight_radius is None:
            w_low, w_high = self.W, self.W
        else:
            w_low, w_high = _parameter_interval(self.W, radii.weight_radius)
        b_low, b_high = _parameter_interval(self.b, radii.bias_radius)
        return w_low, w_high, b_low, b_high

    def _affine(self, lower, upper, radii: ParameterRadii) -> _Pair:
        """Enclosure of [W][x] + [b]."""
        w_low, w_high, b_low, b_high = self._parameters(radii)
        if radii.weight_radius is None:
            low, high = point_matmul(self.W, lower, upper)
        else:
            low, high = interval_matmul(w_low, w_high, lower, upper)
        return add(low, high, b_low, b_high)

    def interval(
        self,
        lower: Float[Array, " d"],
        upper: Float[Array, " d"],
        radii: ParameterRadii | None = None,
    ) -> _Pair:
        """A rigorous enclosure of F over the box [lower, upper] (outward rounded).

        Args:
            lower, upper: the box, shape (d,).
            radii: a `jaxfp.looped.ParameterRadii` (E, e): encloses F for every W', b' with
                |W' − W| ≤ E and |b' − b| ≤ e entrywise (parameter noise, P1 Theorem 4.2);
                None for the exact W, b.

        Returns:
            `(lower, upper)` of shape (d,) with F(x) ∈ [lower, upper] for every x in the box.

        Raises:
            ValueError: if the box is not of shape (d,), or `radii` is not a `ParameterRadii`
                (or None) or its radii do not have the shapes of this network's W and b.

        Example:
            >>> import jax.numpy as jnp, jaxfp
            >>> net = jaxfp.looped.poly_network(2)
            >>> low, high = net.interval(jnp.full(2, 0.8), jnp.full(2, 1.2))
            >>> bool(jnp.all(low >= 0.8) & jnp.all(high <= 1.2))
            True
        """
        lower, upper = as_float(lower), as_float(upper)
        _check_box(lower, upper, self.dim)
        radii = checked_radii(radii, self.dim)
        if self.form == "sigma-affine":
            low, high = self._affine(lower, upper, radii)
            return self.activation.interval(low, high)
        low, high = self.activation.interval(lower, upper)
        return self._affine(low, high, radii)

    def jacobian_interval(
        self,
        lower: Float[Array, " d"],
        upper: Float[Array, " d"],
        radii: ParameterRadii | None = None,
    ) -> tuple[Float[Array, "d d"], Float[Array, "d d"]]:
        """A rigorous entrywise enclosure of J_F(x) for every x in the box (and every W', b'
        within `radii`).

        Args:
            lower, upper: the box, shape (d,).
            radii: a `jaxfp.looped.ParameterRadii`, or None for the exact W, b (see `interval`).

        Returns:
            `(lower, upper)` matrices of shape (d, d).

        Raises:
            ValueError: as `interval`.

        Example:
            >>> import jax.numpy as jnp, jaxfp
            >>> net = jaxfp.looped.poly_network(1)
            >>> low, high = net.jacobian_interval(jnp.array([1.0]), jnp.array([1.0]))
            >>> abs(float(low[0, 0])) < 1e-4 and abs(float(high[0, 0])) < 1e-4
            True
        """
        lower, upper = as_float(lower), as_float(upper)
        _check_box(lower, upper, self.dim)
        radii = checked_radii(radii, self.dim)
        w_low, w_high, _, _ = self._parameters(radii)
        if self.form == "sigma-affine":
            low, high = self._affine(lower, upper, radii)
            slope_low, slope_high = self.activation.derivative_interval(low, high)
            return multiply(slope_low[:, None], slope_high[:, None], w_low, w_high)
        slope_low, slope_high = self.activation.derivative_interval(lower, upper)
        return multiply(w_low, w_high, slope_low[None, :], slope_high[None, :])

    def conjugate(self) -> "LoopedNet":
        """The same W, b, σ in the other form (the conjugate network; see the class docstring).

        Example:
            >>> import jaxfp
            >>> jaxfp.looped.poly_network(2).conjugate().form
            'affine-sigma'
        """
        other = "affine-sigma" if self.form == "sigma-affine" else "sigma-affine"
        return LoopedNet(self.W, self.b, self.activation, other)

    def conjugate_point(self, x: Float[Array, " d"]) -> Float[Array, " d"]:
        """Maps a fixed point of this net to the corresponding fixed point of `conjugate()`:
        x ↦ Wx + b for the sigma-affine form, y ↦ σ(y) for the affine-sigma form.

        Example:
            >>> import jax.numpy as jnp, jaxfp
            >>> net = jaxfp.looped.poly_network(1)
            >>> net.conjugate_point(jnp.array([1.0])).tolist()
            [0.5]
        """
        if self.form == "sigma-affine":
            return self.W @ x + self.b
        return self.activation(x)
