"""Worked equilibrium models built on `jaxfp.nn`, each with its data and training loop.

- Digits, dense cell: `DigitsDEQ` (encoder → DEQ with cell tanh(W z + x) → linear head) trained
  by `train_digits_deq` on scikit-learn's bundled 8×8 digits (`jaxfp train-deq`).
- Digits, convolutional cell: `ConvDigitsDEQ` (conv encoder → DEQ(`ConvCell`, a residual conv
  cell with GroupNorm) → linear head).

Import it explicitly (`import jaxfp.examples`); `import jaxfp` does not load it.
"""

from ._digits_conv import ConvCell as ConvCell
from ._digits_conv import ConvDigitsDEQ as ConvDigitsDEQ
from ._digits_data import DigitsData as DigitsData
from ._digits_data import load_digits_split as load_digits_split
from ._digits_mlp import DigitsDEQ as DigitsDEQ
from ._digits_mlp import TanhCell as TanhCell
from ._digits_mlp import accuracy as accuracy
from ._digits_training import ADJOINTS as ADJOINTS
from ._digits_training import DigitsTrainingConfig as DigitsTrainingConfig
from ._digits_training import DigitsTrainingResult as DigitsTrainingResult
from ._digits_training import EpochRecord as EpochRecord
from ._digits_training import train_digits_deq as train_digits_deq
