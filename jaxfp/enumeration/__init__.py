"""Enumeration of all fixed points of looped networks.

`jaxfp.enumerate_fixed_points(net, method=Auto(), **run_options)` runs one method (`Starts`,
`ExactRegions`, `Homotopy`, `BranchAndBound`, `Auto`: `AbstractEnumerationMethod`s) and
returns one `FixedPoints`, assembled by `assemble_fixed_points`; `complete` is True only with a
`Proof`, and what else is known is an `Evidence` (fields; its text derived from them). A starts
or exact-regions run splits into parts over processes or hosts (`enumerate_part`, `save_part`,
`load_part`, `merge_parts`). Each method's statistics are in `FixedPoints.stats` (a Module with
`summary()`).
"""

from ._assemble import assemble_fixed_points as assemble_fixed_points
from ._fixed_points import FixedPoints as FixedPoints
from ._fixed_points import Proof as Proof
from ._method_auto import Auto as Auto
from ._method_base import AbstractEnumerationMethod as AbstractEnumerationMethod
from ._method_bnb import BranchAndBound as BranchAndBound
from ._method_exact import ExactRegions as ExactRegions
from ._method_homotopy import Homotopy as Homotopy
from ._method_starts import Starts as Starts
from ._parts import enumerate_part as enumerate_part
from ._parts import load_part as load_part
from ._parts import merge_parts as merge_parts
from ._parts import save_part as save_part
