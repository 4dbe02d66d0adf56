"""Kernel maps of deep networks at initialisation (P2: Joudaki & Hofmann, AISTATS 2025).

Hermite expansions of activations, kernel maps κ, κ', κ'' (closed forms where they exist),
Theorem 1 (case, ρ*, α, bounds, fixed points), residual and normalisation layers, mean-field
signal propagation (q-map, c-map, χ₁, edge of chaos), and a finite-width simulator.

Errata of P2's Table 1, corrected here (docs/kernels.md): ReLU is case 3, not 2 (κ'(1) = 1
exactly; the printed 0.95 is a truncated Hermite series), so it converges polynomially,
1 − ρ_ℓ ≈ 9π²/(2ℓ²); exp's α is 1 − 2/e (the table prints κ(0) + κ'(0)); SELU's κ'(1) is also
truncated there (exact: 1.071575).
"""

from ._activation_library import get_activation as get_activation
from ._activation_type import KernelActivation as KernelActivation
from ._activation_type import activation_from_function as activation_from_function
from ._architectures import Architecture as Architecture
from ._edge_of_chaos import EdgeOfChaos as EdgeOfChaos
from ._edge_of_chaos import edge_of_chaos as edge_of_chaos
from ._hermite import hermite_coefficients as hermite_coefficients
from ._hermite import normalization_constant as normalization_constant
from ._kernel_maps import kernel_map as kernel_map
from ._kernel_maps import kernel_map_derivative as kernel_map_derivative
from ._signal_propagation import SignalPropagation as SignalPropagation
from ._signal_propagation import signal_propagation as signal_propagation
from ._signal_propagation import variance_map_derivative as variance_map_derivative
from ._simulator import SimulationResult as SimulationResult
from ._simulator import simulate_similarity as simulate_similarity
from ._theorem1 import KernelAnalysis as KernelAnalysis
from ._theorem1 import KernelFixedPoint as KernelFixedPoint
from ._theorem1 import analyze_kernel as analyze_kernel
from ._theorem1 import convergence_bound as convergence_bound
from ._theorem1 import depth_to_indistinguishability as depth_to_indistinguishability
from ._theorem1 import kernel_sequence as kernel_sequence
