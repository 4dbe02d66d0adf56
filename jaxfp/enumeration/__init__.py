"""Enumeration of all fixed points of looped networks.

For piecewise-linear activations, `enumerate_pwl_fixed_points` solves every activation region at
once and returns the complete, exact list with the evidence of completeness.
"""

from .exact_regions import enumerate_pwl_regions as enumerate_pwl_regions
from .pwl_networks import (
    enumerate_pwl_fixed_points as enumerate_pwl_fixed_points,
)
from .pwl_networks import (
    is_piecewise_linear as is_piecewise_linear,
)
from .region_bounds import (
    arrangement_bound as arrangement_bound,
)
from .region_bounds import (
    fixed_point_bound as fixed_point_bound,
)
from .region_bounds import (
    region_count_bound as region_count_bound,
)
from .region_solve import Tolerances as Tolerances
from .results import PWLFixedPoints as PWLFixedPoints
from .results import SingularRegions as SingularRegions
from .singular_regions import SINGULAR_REGION_KINDS as SINGULAR_REGION_KINDS
