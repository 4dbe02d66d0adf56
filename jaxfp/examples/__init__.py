"""Worked equilibrium models built on `jaxfp.nn`, each with its data and training loop.

- Digits, dense cell: `DigitsDEQ` (encoder → DEQ with cell tanh(W z + x) → linear head) trained
  by `train_digits_deq` on scikit-learn's bundled 8×8 digits (`jaxfp train-deq`).
- Digits, convolutional cell: `ConvDigitsDEQ` (conv encoder → DEQ(`ConvCell`, a residual conv
  cell with GroupNorm) → linear head), trained by the same loop with
  `DigitsTrainingConfig.for_model("conv")` (`jaxfp train-deq --model conv`). Both take the
  settings of their equilibrium layer (solver, adjoint, `max_steps`) as one `DEQSettings`.
- Implicit neural representation: `ImageDEQ` (pixel coordinates → intensity) fitted by
  `fit_image` to scikit-learn's `china.jpg`, against the same model unrolled
  (`jaxfp fit-image`).
- Sequence model: `ParityDEQ`, one weight-tied `SequenceCell` over the whole sequence state,
  trained by `train_parity_deq` on running parity (`jaxfp train-sequence`).

Import it explicitly (`import jaxfp.examples`); `import jaxfp` does not load it.
"""

from ._digits_conv import ConvCell as ConvCell
from ._digits_conv import ConvDigitsDEQ as ConvDigitsDEQ
from ._digits_data import DigitsData as DigitsData
from ._digits_data import load_digits_split as load_digits_split
from ._digits_mlp import DigitsDEQ as DigitsDEQ
from ._digits_mlp import TanhCell as TanhCell
from ._digits_mlp import accuracy as accuracy
from ._digits_model import DEQSettings as DEQSettings
from ._digits_training import ADJOINTS as ADJOINTS
from ._digits_training import MODELS as MODELS
from ._digits_training import NORMS as NORMS
from ._digits_training import DigitsTrainingConfig as DigitsTrainingConfig
from ._digits_training import DigitsTrainingResult as DigitsTrainingResult
from ._digits_training import EpochRecord as EpochRecord
from ._digits_training import StepMetrics as StepMetrics
from ._digits_training import build_model as build_model
from ._digits_training import shift_images as shift_images
from ._digits_training import train_digits_deq as train_digits_deq
from ._digits_training import train_step as train_step
from ._image_inr import ImageDEQ as ImageDEQ
from ._image_inr import ImageFitConfig as ImageFitConfig
from ._image_inr import ImageFitResult as ImageFitResult
from ._image_inr import fit_image as fit_image
from ._image_inr import fit_step as fit_step
from ._image_inr import fourier_features as fourier_features
from ._image_inr import load_sample_image_gray as load_sample_image_gray
from ._image_inr import pixel_coordinates as pixel_coordinates
from ._image_inr import psnr as psnr
from ._sequence import ParityDEQ as ParityDEQ
from ._sequence import SequenceCell as SequenceCell
from ._sequence import SequenceTrainingConfig as SequenceTrainingConfig
from ._sequence import SequenceTrainingResult as SequenceTrainingResult
from ._sequence import parity_batch as parity_batch
from ._sequence import parity_step as parity_step
from ._sequence import train_parity_deq as train_parity_deq
