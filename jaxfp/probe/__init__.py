"""Gradient-based probing of looped networks: sensitivities, basin escape, basin design,
continuation with fold detection, and basin maps."""

from .._numerics import wilson_interval as wilson_interval
from .basin_maps import BasinMap as BasinMap
from .basin_maps import BasinVolumes as BasinVolumes
from .basin_maps import basin_map as basin_map
from .basin_maps import basin_volumes as basin_volumes
from .continuation import Bifurcations as Bifurcations
from .continuation import Branch as Branch
from .continuation import continue_fixed_point as continue_fixed_point
from .design import DesignResult as DesignResult
from .design import design_network as design_network
from .escape import EscapeResult as EscapeResult
from .escape import escape_basin as escape_basin
from .parameters import AbstractParameter as AbstractParameter
from .parameters import Bias as Bias
from .parameters import Gain as Gain
from .parameters import Weight as Weight
from .parameters import parameter_from_name as parameter_from_name
from .plots import plot_basin_map as plot_basin_map
from .plots import plot_bifurcation_diagram as plot_bifurcation_diagram
from .sensitivities import Sensitivities as Sensitivities
from .sensitivities import fixed_point_sensitivities as fixed_point_sensitivities
