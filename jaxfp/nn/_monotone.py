"""Monotone operator equilibrium cells (monDEQ): a fixed point that provably exists, unique."""

import equinox as eqx
import jax
import jax.numpy as jnp
from jaxtyping import Array, Float, PRNGKeyArray

from .._misc import check_key, check_positive
from .._validation import check_count, check_real
from ._preparable import AbstractPreparable


class MonotoneCell(AbstractPreparable):
    """The monDEQ cell of Winston & Kolter (2020), iterated by forward-backward splitting.

    The equilibrium is z* = ReLU(W z* + U x + b) with the monotone parameterization
    W = (1 − m) I − AᵀA + B − Bᵀ, so that I − W ⪰ m I (docs/theory.md): for every x and every
    value of A, B, U, b the fixed point exists and is unique. The input injection U x + b is
    the `eqx.nn.Linear` field `input_injection` (Equinox's initialisation).

    Plain iteration of ReLU(W z + U x + b) need not converge, so calling the cell applies one
    step of forward-backward splitting, z ↦ ReLU((1 − α) z + α (W z + U x + b)), whose fixed
    points are exactly the monDEQ equilibria and which contracts for 0 < α < 2m/L², L = ‖I − W‖₂
    (Winston & Kolter 2020, Thm. 1). α is set to `step_fraction · 2m / L̂²`, with L̂ from power
    iteration (not differentiated: the fixed point does not depend on α); inside `jaxfp.nn.DEQ`
    W and α are computed once per solve (`prepare`), not at every solver step. So
    `jaxfp.nn.DEQ(MonotoneCell(...), jaxfp.Picard(...))` converges geometrically from every
    start; `jaxfp.Anderson` is usually faster but, on this non-smooth map, not guaranteed.

    Args:
        state_size: size of z.
        input_size: size of x.
        monotonicity: m > 0, the strong-monotonicity margin of I − W.
        step_fraction: α as a fraction of the contraction bound 2m/L², in (0, 1).
        key: random key for the parameters.

    Raises:
        ValueError: for sizes that are not positive ints, a `monotonicity` that is not a
            finite number > 0, a `step_fraction` outside (0, 1), or a `key` that is not a JAX
            random key.

    Example:
        >>> import jax, jax.numpy as jnp, jaxfp
        >>> cell = MonotoneCell(6, 3, key=jax.random.key(0))
        >>> # the solver stops on the splitting step, whose residual is about α (~0.2) times
        >>> # the equilibrium map's: 1e-7 there for 1e-6 here
        >>> deq = jaxfp.nn.DEQ(cell, jaxfp.Picard(rtol=1e-7, atol=1e-7), max_steps=2000)
        >>> z = deq(jnp.ones(3), z0=jnp.zeros(6))
        >>> bool(jnp.allclose(cell.equilibrium_map(z, jnp.ones(3)), z, atol=1e-6))
        True
    """

    a: Float[Array, "state state"]
    b: Float[Array, "state state"]
    input_injection: eqx.nn.Linear
    monotonicity: float = eqx.field(static=True)
    step_fraction: float = eqx.field(static=True)

    def __init__(
        self,
        state_size: int,
        input_size: int,
        *,
        monotonicity: float = 0.5,
        step_fraction: float = 0.5,
        key: PRNGKeyArray,
    ):
        state_size = check_count(state_size, "state_size")
        input_size = check_count(input_size, "input_size")
        monotonicity = check_positive(monotonicity, "monotonicity")
        check_real(step_fraction, "step_fraction", 0, 1, open_lower=True)
        check_key(key)
        key_a, key_b, key_injection = jax.random.split(key, 3)
        scale = 0.5 / jnp.sqrt(state_size)
        self.a = scale * jax.random.normal(key_a, (state_size, state_size))
        self.b = scale * jax.random.normal(key_b, (state_size, state_size))
        self.input_injection = eqx.nn.Linear(input_size, state_size, key=key_injection)
        self.monotonicity = monotonicity
        self.step_fraction = step_fraction

    def weight(self) -> Float[Array, "state state"]:
        """W = (1 − m) I − AᵀA + B − Bᵀ."""
        identity = jnp.eye(self.a.shape[0], dtype=self.a.dtype)
        return (1 - self.monotonicity) * identity - self.a.T @ self.a + self.b - self.b.T

    def equilibrium_map(self, z: Float[Array, " state"], x: Float[Array, " input"]):
        """ReLU(W z + U x + b): the map whose fixed point is the layer's output."""
        return jax.nn.relu(self.weight() @ z + self.input_injection(x))

    def step_size(self) -> Float[Array, ""]:
        """α = step_fraction · 2m / L̂², L̂ ≈ ‖I − W‖₂ by power iteration (not differentiated)."""
        operator = jax.lax.stop_gradient(jnp.eye(self.a.shape[0]) - self.weight())
        gram = operator.T @ operator
        start = jnp.ones(gram.shape[0], gram.dtype) + jnp.arange(gram.shape[0]) / gram.shape[0]

        def power_step(v, _):
            w = gram @ v
            return w / jnp.linalg.norm(w), None

        v, _ = jax.lax.scan(power_step, start / jnp.linalg.norm(start), None, length=30)
        lipschitz_squared = v @ gram @ v
        return self.step_fraction * 2 * self.monotonicity / lipschitz_squared

    def prepare(self, key: PRNGKeyArray | None = None) -> "_SplittingStep":
        """The splitting step with W and α computed once (`key` unused)."""
        del key
        return _SplittingStep(self.weight(), self.input_injection, self.step_size())

    def __call__(self, z: Float[Array, " state"], x: Float[Array, " input"]):
        """One forward-backward splitting step ReLU((1 − α) z + α (W z + U x + b))."""
        return self.prepare()(z, x)


class _SplittingStep(eqx.Module):
    """A `MonotoneCell`'s step z ↦ ReLU((1 − α) z + α (W z + U x + b)) with W and α fixed."""

    weight: Float[Array, "state state"]
    input_injection: eqx.nn.Linear
    alpha: Float[Array, ""]

    def __call__(self, z: Float[Array, " state"], x: Float[Array, " input"]):
        pre_activation = self.weight @ z + self.input_injection(x)
        return jax.nn.relu((1 - self.alpha) * z + self.alpha * pre_activation)
