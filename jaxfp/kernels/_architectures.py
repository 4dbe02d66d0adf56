"""Architectures for kernel-map analysis: activation, residual strength, normalisation (P2 §5).

- Residual (P2 Prop. 2): h^ℓ = sqrt(1 − r²) φ(W h / sqrt(d)) + r P h / sqrt(d) gives
  κ_res(ρ) = (1 − r²) κ(ρ) + r² ρ: the same fixed points, slower convergence as r grows.
- Normalisation (P2 Prop. 3): LayerNorm after the activation ("ln-post") gives
  (κ − κ(0)) / (1 − κ(0)), which always lands in Theorem 1's case 1 (ρ* = 0); LayerNorm or
  RMSNorm before the activation ("ln-pre", "rms-pre") and RMSNorm after it ("rms-post") leave κ
  unchanged in the mean-field limit.

The normalisation acts on the residual branch; the residual blend is applied last.
"""

import equinox as eqx
from jaxtyping import Array, Float

from .._validation import check_real
from ._activation_type import KernelActivation, check_kernel_activation

NORMALIZATIONS = ("none", "ln-pre", "ln-post", "rms-pre", "rms-post")


class Architecture(eqx.Module):
    """A deep network's layer, as far as its kernel map is concerned.

    - `activation`: the `KernelActivation` φ.
    - `residual`: the residual strength r in [0, 1) (0: no skip connection).
    - `normalization`: one of `"none"`, `"ln-pre"`, `"ln-post"`, `"rms-pre"`, `"rms-post"`
      (LayerNorm or RMSNorm, before or after the activation).

    Raises:
        ValueError: for a residual outside [0, 1), an unknown normalisation, or an
            activation that is not a `KernelActivation`.

    Example:
        >>> import jaxfp.kernels as jk
        >>> relu = jk.get_activation("relu")
        >>> arch = jk.Architecture(relu, residual=0.5, normalization="rms-post")
        >>> arch.normalization
        'rms-post'
    """

    activation: KernelActivation
    residual: Float[Array, ""] | float = 0.0
    normalization: str = eqx.field(static=True, default="none")

    def __check_init__(self):
        check_kernel_activation(self.activation)
        if self.normalization not in NORMALIZATIONS:
            raise ValueError(
                f"`normalization` must be one of {NORMALIZATIONS}, got {self.normalization!r}."
            )
        check_real(self.residual, "residual", 0, 1)


def as_architecture(model: KernelActivation | Architecture) -> Architecture:
    """`model` as an `Architecture` (a `KernelActivation` becomes a plain layer).

    Raises:
        ValueError: if `model` is neither.

    Example:
        >>> import jaxfp.kernels as jk
        >>> as_architecture(jk.get_activation("tanh")).residual
        0.0
    """
    if isinstance(model, Architecture):
        return model
    if isinstance(model, KernelActivation):
        return Architecture(model)
    raise ValueError(
        "`model` must be a jaxfp.kernels.KernelActivation (for example "
        f"jaxfp.kernels.get_activation('tanh')) or Architecture, got {type(model).__name__}."
    )
