"""jaxfp: fixed points of neural networks in JAX.

Solve fixed points with compiled solvers, differentiate through them, enumerate and certify all
fixed points of looped networks, probe their basins, and analyse kernel maps.
"""

# The solver core first: the adjoint strategies build on its types.
from optimistix import max_norm as max_norm
from optimistix import rms_norm as rms_norm
from optimistix import two_norm as two_norm

from . import nn as nn
from ._adjoint import AbstractAdjoint as AbstractAdjoint
from ._adjoint import AbstractLinearFixedPointSolver as AbstractLinearFixedPointSolver
from ._adjoint import AndersonLinearSolver as AndersonLinearSolver
from ._adjoint import ImplicitAdjoint as ImplicitAdjoint
from ._adjoint import LinearSolveResult as LinearSolveResult
from ._adjoint import NeumannLinearSolver as NeumannLinearSolver
from ._adjoint import OneStepAdjoint as OneStepAdjoint
from ._adjoint import PhantomAdjoint as PhantomAdjoint
from ._adjoint import UnrolledAdjoint as UnrolledAdjoint
from ._solve import (
    RESULTS as RESULTS,
)
from ._solve import (
    AbstractFixedPointSolver as AbstractFixedPointSolver,
)
from ._solve import (
    Anderson as Anderson,
)
from ._solve import (
    Broyden as Broyden,
)
from ._solve import (
    Newton as Newton,
)
from ._solve import (
    Picard as Picard,
)
from ._solve import (
    Solution as Solution,
)
from ._solve import (
    Stats as Stats,
)
from ._solve import (
    fixed_point as fixed_point,
)
from ._solve import (
    fixed_point_batched as fixed_point_batched,
)

from . import kernels as kernels
from . import certify as certify, looped as looped
from . import probe as probe
from .enumeration import enumerate_pwl_fixed_points as enumerate_pwl_fixed_points
from .enumeration import enumerate_fixed_points as enumerate_fixed_points

__version__ = "0.1.0"
