from .anderson import Anderson as Anderson
from .base import AbstractFixedPointSolver as AbstractFixedPointSolver
from .broyden import Broyden as Broyden
from .monitor import Monitor as Monitor
from .newton import Newton as Newton
from .picard import Picard as Picard
