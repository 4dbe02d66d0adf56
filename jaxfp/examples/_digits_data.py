"""scikit-learn's bundled digits (1797 8×8 images, no download), split for training."""

import equinox as eqx
import jax.numpy as jnp
from jaxtyping import Array, Float, Int

IMAGE_SIDE = 8
NUM_PIXELS = IMAGE_SIDE**2
NUM_CLASSES = 10


class DigitsData(eqx.Module):
    """A stratified train/test split of the digits data, pixels scaled to [0, 1]."""

    train_images: Float[Array, "train 64"]
    train_labels: Int[Array, " train"]
    test_images: Float[Array, "test 64"]
    test_labels: Int[Array, " test"]


def load_digits_split(test_fraction: float = 0.2, seed: int = 0) -> DigitsData:
    """Load scikit-learn's digits (1797 images) and split them, stratified by class.

    Args:
        test_fraction: fraction of the images held out for testing, in (0, 1).
        seed: seed of the shuffle.

    Returns:
        A `DigitsData` with float32 images in [0, 1] and int32 labels.

    Raises:
        ValueError: if `test_fraction` is outside (0, 1).

    Example:
        >>> data = load_digits_split()
        >>> data.train_images.shape, data.test_images.shape
        ((1437, 64), (360, 64))
    """
    # scikit-learn is imported here, not at module level: only loading the data needs it.
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0 < test_fraction < 1:
        raise ValueError(f"`test_fraction` must lie in (0, 1), got {test_fraction}.")
    images, labels = load_digits(return_X_y=True)
    train_x, test_x, train_y, test_y = train_test_split(
        images / 16.0, labels, test_size=test_fraction, random_state=seed, stratify=labels
    )
    return DigitsData(
        jnp.asarray(train_x, jnp.float32),
        jnp.asarray(train_y, jnp.int32),
        jnp.asarray(test_x, jnp.float32),
        jnp.asarray(test_y, jnp.int32),
    )
