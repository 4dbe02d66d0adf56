"""Equilibrium layers for Equinox models: the DEQ layer, its training utilities (regularizers,
weight and spectral normalization) and a monotone cell. Worked models live in `jaxfp.examples`."""

from equinox.nn import WeightNorm as WeightNorm

from .deq import DEQ as DEQ
from .deq import DEQStats as DEQStats
from .monotone import MonotoneCell as MonotoneCell
from .normalization import SpectralNorm as SpectralNorm
from .regularizers import fixed_point_correction_loss as fixed_point_correction_loss
from .regularizers import jacobian_penalty as jacobian_penalty
from .regularizers import spectral_radius as spectral_radius
