"""jaxfp: fixed points of neural networks in JAX.

Solve fixed points with compiled solvers, differentiate through them, enumerate and certify all
fixed points of looped networks, probe their basins, and analyse kernel maps.
"""

from ._adjoint import AbstractAdjoint as AbstractAdjoint
from ._solve import RESULTS as RESULTS, Solution as Solution, Stats as Stats

__version__ = "0.1.0"
