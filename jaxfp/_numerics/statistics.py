"""Confidence intervals for proportions estimated by sampling (orthants, basins)."""

import statistics

import numpy as np
from jaxtyping import ArrayLike, Float

from .._misc import check_positive_int


def wilson_interval(
    successes: ArrayLike, trials: int, confidence: float = 0.95
) -> tuple[Float[np.ndarray, "..."], Float[np.ndarray, "..."]]:
    """The Wilson score interval (Wilson 1927) for binomial proportions `successes / trials`.

    Args:
        successes: counts, any shape, each in [0, trials].
        trials: the number of trials, ≥ 1.
        confidence: two-sided confidence level in (0, 1).

    Returns:
        `(lower, upper)`, float64 NumPy arrays of the shape of `successes`.

    Raises:
        ValueError: for counts out of range, `trials` < 1 or a confidence outside (0, 1).

    Example:
        >>> low, high = wilson_interval(50, 100)
        >>> round(float(low), 4), round(float(high), 4)
        (0.4038, 0.5962)
    """
    trials = check_positive_int(trials, "trials")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"`confidence` must lie in (0, 1), got {confidence!r}.")
    counts = np.asarray(successes, dtype=np.float64)
    if np.any(counts < 0) or np.any(counts > trials) or not np.all(np.isfinite(counts)):
        raise ValueError(f"successes must lie in [0, {trials}], got {successes!r}.")
    z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
    p = counts / trials
    denominator = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denominator
    half = z / denominator * np.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
