"""Enumeration of all fixed points of looped networks.

`jaxfp.enumerate_fixed_points(net, method=Auto(), **run_options)` runs one method (`Starts`,
`ExactRegions`, `BranchAndBound`, `Auto`; all `AbstractEnumerationMethod`s) and returns one
`FixedPoints`, assembled by `assemble_fixed_points`; `complete` is True only with a `Proof`.
"""

from .._numerics import STABILITY_NAMES as STABILITY_NAMES
from ._assemble import assemble_fixed_points as assemble_fixed_points
from ._dispatch import enumerate_fixed_points as enumerate_fixed_points
from ._exact_regions import enumerate_pwl_regions as enumerate_pwl_regions
from ._fixed_points import FixedPoints as FixedPoints
from ._fixed_points import Proof as Proof
from ._index_check import check_completeness as check_completeness
from ._iterative import enumerate_iterative as enumerate_iterative
from ._method_auto import Auto as Auto
from ._method_auto import AutoStats as AutoStats
from ._method_base import AbstractEnumerationMethod as AbstractEnumerationMethod
from ._method_bnb import BranchAndBound as BranchAndBound
from ._method_bnb import BranchAndBoundStats as BranchAndBoundStats
from ._method_exact import ExactRegions as ExactRegions
from ._method_exact import ExactRegionsStats as ExactRegionsStats
from ._method_starts import Starts as Starts
from ._method_starts import StartsStats as StartsStats
from ._parts import EnumerationPart as EnumerationPart
from ._parts import enumerate_part as enumerate_part
from ._parts import load_part as load_part
from ._parts import merge_parts as merge_parts
from ._parts import save_part as save_part
from ._pwl_networks import (
    enumerate_pwl_fixed_points as enumerate_pwl_fixed_points,
)
from ._pwl_networks import (
    is_piecewise_linear as is_piecewise_linear,
)
from ._region_bounds import (
    arrangement_bound as arrangement_bound,
)
from ._region_bounds import (
    fixed_point_bound as fixed_point_bound,
)
from ._region_bounds import (
    region_count_bound as region_count_bound,
)
from ._region_solve import Tolerances as Tolerances
from ._result import OUTCOME_NAMES as OUTCOME_NAMES
from ._result import IterativeFixedPoints as IterativeFixedPoints
from ._results import PWLFixedPoints as PWLFixedPoints
from ._results import SingularRegions as SingularRegions
from ._singular_regions import SINGULAR_REGION_KINDS as SINGULAR_REGION_KINDS
from ._solve_starts import SolveOptions as SolveOptions
