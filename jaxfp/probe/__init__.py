"""Gradient-based probing of looped networks: sensitivities, basin escape, basin design,
continuation with fold detection, and basin maps (each start iterated and matched as an
`Attraction` says).

Continuation follows a parameter named as on the command line (`"gain"`, `"bias:I"`,
`"weight:I,J"`) or any `AbstractParameter` of your own.
"""

from ._attraction import Attraction as Attraction
from ._basin_maps import BasinMap as BasinMap
from ._basin_maps import BasinVolumes as BasinVolumes
from ._basin_maps import basin_map as basin_map
from ._basin_maps import basin_volumes as basin_volumes
from ._continuation import Bifurcations as Bifurcations
from ._continuation import Branch as Branch
from ._continuation import continue_fixed_point as continue_fixed_point
from ._design import DesignResult as DesignResult
from ._design import design_network as design_network
from ._escape import EscapeResult as EscapeResult
from ._escape import escape_basin as escape_basin
from ._parameters import AbstractParameter as AbstractParameter
from ._parameters import parameter_from_name as parameter_from_name
from ._plots import plot_basin_map as plot_basin_map
from ._plots import plot_bifurcation_diagram as plot_bifurcation_diagram
from ._sensitivities import Sensitivities as Sensitivities
from ._sensitivities import fixed_point_sensitivities as fixed_point_sensitivities
