"""Equilibrium layers for Equinox models: the DEQ layer, its training utilities (regularizers,
weight and spectral normalization, variational dropout, the prepare-once hook) and a monotone
cell. Worked models live in `jaxfp.examples`."""

from equinox.nn import WeightNorm as WeightNorm

from ._deq import DEQ as DEQ
from ._deq import DEQStats as DEQStats
from ._dropout import VariationalDropout as VariationalDropout
from ._monotone import MonotoneCell as MonotoneCell
from ._normalization import SpectralNorm as SpectralNorm
from ._preparable import AbstractPreparable as AbstractPreparable
from ._preparable import prepare_cell as prepare_cell
from ._regularizers import fixed_point_correction_loss as fixed_point_correction_loss
from ._regularizers import jacobian_penalty as jacobian_penalty
from ._regularizers import spectral_radius as spectral_radius
