"""Shared numerical routines used above the solver core: a fixed point's Jacobian diagnostics
and stability class, point matching with one tolerance rule, Wilson intervals, bisection, and
the largest magnitude of an array with NaN kept (`max_abs`, for every residual check).

`jaxfp.enumeration`, `jaxfp.certify`, `jaxfp.probe`, `jaxfp.kernels` and the CLI use these, and
none defines its own.
"""

from .bisection import bisect as bisect
from .bisection import bisect_host as bisect_host
from .bisection import bisection_bracket as bisection_bracket
from .diagnostics import (
    ATTRACTING as ATTRACTING,
)
from .diagnostics import (
    NON_HYPERBOLIC as NON_HYPERBOLIC,
)
from .diagnostics import (
    REPELLING as REPELLING,
)
from .diagnostics import (
    SADDLE as SADDLE,
)
from .diagnostics import (
    STABILITY_NAMES as STABILITY_NAMES,
)
from .diagnostics import (
    classify_jacobians as classify_jacobians,
)
from .matching import group_points as group_points
from .matching import match_points as match_points
from .matching import same_point as same_point
from .norms import max_abs as max_abs
from .statistics import wilson_interval as wilson_interval
