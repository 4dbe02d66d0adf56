"""Equilibrium layers for Equinox models: the DEQ layer, its training utilities (regularizers,
spectral normalization, variational dropout, the prepare-once hook) and a monotone cell. Weight
normalization is equinox's `equinox.nn.WeightNorm`, which works in a cell as it is. Worked
models live in `jaxfp.examples`."""

from ._deq import DEQ as DEQ
from ._deq_stats import DEQStats as DEQStats
from ._dropout import VariationalDropout as VariationalDropout
from ._monotone import MonotoneCell as MonotoneCell
from ._normalization import SpectralNorm as SpectralNorm
from ._preparable import AbstractPreparable as AbstractPreparable
from ._preparable import prepare_cell as prepare_cell
from ._regularizers import fixed_point_correction_loss as fixed_point_correction_loss
from ._regularizers import jacobian_penalty as jacobian_penalty
from ._regularizers import spectral_radius as spectral_radius
