"""jaxfp: fixed points of neural networks in JAX.

Solve fixed points with compiled solvers, differentiate through them, enumerate and certify all
fixed points of looped networks, probe their basins, and analyse kernel maps.

Public namespaces: `jaxfp` (solvers, `fixed_point`, adjoints, enumeration entry points),
`jaxfp.nn` (equilibrium layers), `jaxfp.looped` (looped networks), `jaxfp.enumeration`,
`jaxfp.certify`, `jaxfp.probe`, `jaxfp.kernels`.
"""

# ruff: noqa: I001  (order matters: the solver core first, the layers built on it after)
from ._solve import (
    RESULTS as RESULTS,
    AbstractFixedPointSolver as AbstractFixedPointSolver,
    Anderson as Anderson,
    Broyden as Broyden,
    Newton as Newton,
    Picard as Picard,
    Solution as Solution,
    Stats as Stats,
    fixed_point as fixed_point,
    fixed_point_batched as fixed_point_batched,
)
from ._adjoint import (
    AbstractAdjoint as AbstractAdjoint,
    AbstractLinearFixedPointSolver as AbstractLinearFixedPointSolver,
    AndersonLinearSolver as AndersonLinearSolver,
    ImplicitAdjoint as ImplicitAdjoint,
    LinearSolveResult as LinearSolveResult,
    NeumannLinearSolver as NeumannLinearSolver,
    OneStepAdjoint as OneStepAdjoint,
    PhantomAdjoint as PhantomAdjoint,
    UnrolledAdjoint as UnrolledAdjoint,
)
from optimistix import max_norm as max_norm, rms_norm as rms_norm, two_norm as two_norm

from . import nn as nn
from . import looped as looped
from . import certify as certify
from . import enumeration as enumeration
from . import probe as probe
from . import kernels as kernels
from .enumeration import (
    enumerate_fixed_points as enumerate_fixed_points,
    enumerate_pwl_fixed_points as enumerate_pwl_fixed_points,
)

__version__ = "0.1.0"
