from .approximate import OneStepAdjoint as OneStepAdjoint
from .approximate import PhantomAdjoint as PhantomAdjoint
from .base import AbstractAdjoint as AbstractAdjoint
from .implicit import ImplicitAdjoint as ImplicitAdjoint
from .linear_solve import (
    AbstractLinearFixedPointSolver as AbstractLinearFixedPointSolver,
)
from .linear_solve import (
    AndersonLinearSolver as AndersonLinearSolver,
)
from .linear_solve import (
    LinearSolveResult as LinearSolveResult,
)
from .linear_solve import (
    NeumannLinearSolver as NeumannLinearSolver,
)
from .unrolled import UnrolledAdjoint as UnrolledAdjoint
