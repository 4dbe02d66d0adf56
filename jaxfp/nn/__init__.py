"""Equilibrium layers for Equinox models: the DEQ layer, its training utilities, a monotone
cell, and a worked DEQ classifier of scikit-learn's digits."""

from equinox.nn import WeightNorm as WeightNorm

from .deq import DEQ as DEQ
from .deq import DEQStats as DEQStats
from .digits import DigitsData as DigitsData
from .digits import DigitsDEQ as DigitsDEQ
from .digits import TanhCell as TanhCell
from .digits import accuracy as accuracy
from .digits import load_digits_split as load_digits_split
from .monotone import MonotoneCell as MonotoneCell
from .normalization import SpectralNorm as SpectralNorm
from .regularizers import fixed_point_correction_loss as fixed_point_correction_loss
from .regularizers import jacobian_penalty as jacobian_penalty
from .regularizers import spectral_radius as spectral_radius
from .train import DigitsTrainingConfig as DigitsTrainingConfig
from .train import DigitsTrainingResult as DigitsTrainingResult
from .train import EpochRecord as EpochRecord
from .train import train_digits_deq as train_digits_deq
