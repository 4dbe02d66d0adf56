"""Kernel maps of deep networks at initialisation (P2: Joudaki & Hofmann, AISTATS 2025).

Hermite expansions of activations, kernel maps κ, κ', κ'' (closed forms where they exist),
Theorem 1 (case, ρ*, α, bounds, fixed points), residual and normalisation layers, mean-field
signal propagation (q-map, c-map, χ₁, edge of chaos), and a finite-width simulator.

Errata of P2's Table 1, corrected here (docs/kernels.md): ReLU is case 3, not 2 (κ'(1) = 1
exactly; the printed 0.95 is a truncated Hermite series), so it converges polynomially,
1 − ρ_ℓ ≈ 9π²/(2ℓ²); exp's α is 1 − 2/e (the table prints κ(0) + κ'(0)); SELU's κ'(1) is also
truncated there (exact: 1.071575).
"""

from ._activations import ACTIVATION_NAMES as ACTIVATION_NAMES
from ._activations import MAX_HERMITE_DEGREE as MAX_HERMITE_DEGREE
from ._activations import Activation as Activation
from ._activations import absolute_value as absolute_value
from ._activations import activation_from_function as activation_from_function
from ._activations import celu as celu
from ._activations import elu as elu
from ._activations import erf as erf
from ._activations import exp as exp
from ._activations import gelu as gelu
from ._activations import get_activation as get_activation
from ._activations import hermite as hermite
from ._activations import leaky_relu as leaky_relu
from ._activations import mish as mish
from ._activations import relu as relu
from ._activations import selu as selu
from ._activations import sigmoid as sigmoid
from ._activations import sign as sign
from ._activations import silu as silu
from ._activations import sin as sin
from ._activations import softplus as softplus
from ._activations import tanh as tanh
from ._architectures import NORMALIZATIONS as NORMALIZATIONS
from ._architectures import Architecture as Architecture
from ._architectures import as_architecture as as_architecture
from ._closed_forms import ClosedFormKernel as ClosedFormKernel
from ._hermite import hermite_coefficients as hermite_coefficients
from ._hermite import hermite_series_kernel as hermite_series_kernel
from ._hermite import hermite_tail_mass as hermite_tail_mass
from ._hermite import normalization_constant as normalization_constant
from ._hermite import normalized_hermite as normalized_hermite
from ._kernel_maps import kernel_map as kernel_map
from ._kernel_maps import kernel_map_derivative as kernel_map_derivative
from ._kernel_maps import kernel_map_second_derivative as kernel_map_second_derivative
from ._signal_propagation import CRITICAL_TOLERANCE as CRITICAL_TOLERANCE
from ._signal_propagation import EdgeOfChaos as EdgeOfChaos
from ._signal_propagation import SignalPropagation as SignalPropagation
from ._signal_propagation import c_map as c_map
from ._signal_propagation import edge_of_chaos as edge_of_chaos
from ._signal_propagation import q_map as q_map
from ._signal_propagation import signal_propagation as signal_propagation
from ._signal_propagation import variance_map as variance_map
from ._signal_propagation import variance_map_derivative as variance_map_derivative
from ._simulator import WEIGHT_DISTRIBUTIONS as WEIGHT_DISTRIBUTIONS
from ._simulator import SimulationResult as SimulationResult
from ._simulator import simulate_similarity as simulate_similarity
from ._theorem1 import SLOPE_TOLERANCE as SLOPE_TOLERANCE
from ._theorem1 import ZERO_TOLERANCE as ZERO_TOLERANCE
from ._theorem1 import KernelAnalysis as KernelAnalysis
from ._theorem1 import KernelFixedPoint as KernelFixedPoint
from ._theorem1 import analyze_kernel as analyze_kernel
from ._theorem1 import convergence_bound as convergence_bound
from ._theorem1 import depth_to_indistinguishability as depth_to_indistinguishability
from ._theorem1 import kernel_sequence as kernel_sequence
