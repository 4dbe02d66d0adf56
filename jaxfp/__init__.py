"""jaxfp: fixed points of neural networks in JAX.

Solve fixed points with compiled solvers, differentiate through them, enumerate and certify all
fixed points of looped networks, probe their basins, and analyse kernel maps.

Public namespaces: `jaxfp` (solvers, `fixed_point`, adjoints, enumeration entry points),
`jaxfp.nn` (equilibrium layers), `jaxfp.looped` (looped networks), `jaxfp.enumeration`,
`jaxfp.certify`, `jaxfp.probe`, `jaxfp.kernels`.
"""

from . import certify as certify
from . import enumeration as enumeration
from . import kernels as kernels
from . import looped as looped
from . import nn as nn
from . import probe as probe
from ._adjoint import AbstractAdjoint as AbstractAdjoint
from ._adjoint import AbstractLinearFixedPointSolver as AbstractLinearFixedPointSolver
from ._adjoint import AndersonLinearSolver as AndersonLinearSolver
from ._adjoint import ImplicitAdjoint as ImplicitAdjoint
from ._adjoint import LinearSolveResult as LinearSolveResult
from ._adjoint import NeumannLinearSolver as NeumannLinearSolver
from ._adjoint import OneStepAdjoint as OneStepAdjoint
from ._adjoint import PhantomAdjoint as PhantomAdjoint
from ._adjoint import UnrolledAdjoint as UnrolledAdjoint
from ._batched import fixed_point_batched as fixed_point_batched
from ._fixed_point import fixed_point as fixed_point
from ._solution import RESULTS as RESULTS
from ._solution import Solution as Solution
from ._solution import Stats as Stats
from ._solver import AbstractFixedPointSolver as AbstractFixedPointSolver
from ._solver import Anderson as Anderson
from ._solver import Broyden as Broyden
from ._solver import Monitor as Monitor
from ._solver import Newton as Newton
from ._solver import Picard as Picard
from .enumeration._dispatch import enumerate_fixed_points as enumerate_fixed_points

__version__ = "0.1.0"
