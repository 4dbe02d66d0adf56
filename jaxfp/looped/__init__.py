"""Looped networks F(x) = σ(Wx + b) and W σ(x) + b, their activations, and P1's constructions.

Every activation has a name that `activation_from_name` parses (`"sigmoid"`, `"exp"`, `"sin"`,
`"square"`, `"cube"`, `"leaky_relu:0.1"`, `"p1_exp"`, `"poly:0,3,0,-4"`, `"pwl:..."`). The
classes are there to build one from numbers (`Polynomial`, `PiecewiseLinear`) or of your own
(`Activation`), and to test an activation's kind (`PiecewiseLinear` is what the exact region
method needs); `Tanh`, the usual one, is a class too. `ParameterRadii` holds the entrywise
radii of interval parameters W ± E, b ± e (parameter noise) for `LoopedNet.interval` and the
certificates.
"""

from ._activation_base import Activation as Activation
from ._activation_names import activation_from_name as activation_from_name
from ._activations_piecewise import PiecewiseLinear as PiecewiseLinear
from ._activations_piecewise import hardtanh as hardtanh
from ._activations_piecewise import relu as relu
from ._activations_polynomial import Polynomial as Polynomial
from ._activations_smooth import Tanh as Tanh
from ._builders import exp_network as exp_network
from ._builders import poly_network as poly_network
from ._builders import random_network as random_network
from ._builders import reference_fixed_points as reference_fixed_points
from ._builders import tanh_identity_network as tanh_identity_network
from ._iterate import iterate as iterate
from ._net import LoopedNet as LoopedNet
from ._parameter_radii import ParameterRadii as ParameterRadii
