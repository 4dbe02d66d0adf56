"""Starting points of the sign-basin enumeration: K starts in each sign orthant around a centre.

Orthant number `o` (0 ≤ o < 2^d) has sign pattern s with s_i = +1 when bit i of `o` is set and
−1 otherwise. Start k of orthant o is `centre + scale · s ⊙ m`, with m = (1, …, 1) for k = 0 (the
corner direction, P1's Fig. 3 experiment) and, for k ≥ 1, magnitudes m_i drawn from a seeded
two-scale law: with probability ½ near the centre's coordinate planes (m_i log-uniform in
[10⁻³, ½)), else out towards the corner (m_i uniform in [½, 3/2)). Starts near the planes are what
lets Newton's method land on saddles (fixed points on or near orthant boundaries).

*Face starts* `centre + scale · t` for every ternary pattern t ∈ {−1, 0, 1}^d (3^d starts) lie on
every face of every orthant (t_i = 0 puts the start on the centre's i-th coordinate plane). For
the diagonal constructions (P), (E) and tanh(w·x) each face start is in Newton's basin of exactly
one of the 3^d fixed points, so they find all saddles deterministically; for other networks they
are extra starts where saddles tend to lie. The draws are a counter-based hash
of (seed, orthant, k, coordinate), so a start never depends on chunking, devices or resumption.
"""

import numpy as np
from jaxtyping import Float, Int

# Full enumeration is refused above this many orthants (2^24): ask for a sample instead.
MAX_FULL_ORTHANTS = 1 << 24


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser: a bijective, well-mixed hash of uint64 values."""
    with np.errstate(over="ignore"):
        z = values + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _uniforms(seed: int, orthants: np.ndarray, ks: np.ndarray, dim: int) -> np.ndarray:
    """Uniform numbers in [0, 1), shape (n, dim), a hash of (seed, orthant, k, coordinate)."""
    with np.errstate(over="ignore"):
        base = _splitmix64(
            np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ _splitmix64(orthants.astype(np.uint64))
        )
        base = _splitmix64(base ^ (ks.astype(np.uint64) * np.uint64(0xD1B54A32D192ED03)))
        words = _splitmix64(base[:, None] + np.arange(dim, dtype=np.uint64)[None, :])
    return (words >> np.uint64(11)).astype(np.float64) * 2.0**-53


def sign_patterns(orthants: Int[np.ndarray, " n"], dim: int) -> Int[np.ndarray, "n d"]:
    """The sign pattern (±1, int8) of each orthant number: s_i = +1 when bit i is set.

    Example:
        >>> import numpy as np
        >>> sign_patterns(np.array([0, 5]), 3).tolist()
        [[-1, -1, -1], [1, -1, 1]]
    """
    orthants = np.asarray(orthants, dtype=np.uint64)
    bits = (orthants[:, None] >> np.arange(dim, dtype=np.uint64)[None, :]) & np.uint64(1)
    return (2 * bits.astype(np.int8) - 1).astype(np.int8)


def orthant_numbers(patterns: Int[np.ndarray, "n d"]) -> Int[np.ndarray, " n"]:
    """The orthant number of each ±1 pattern (inverse of `sign_patterns`; d ≤ 63).

    Example:
        >>> import numpy as np
        >>> orthant_numbers(np.array([[1, -1, 1]])).tolist()
        [5]
    """
    patterns = np.asarray(patterns)
    weights = np.left_shift(np.int64(1), np.arange(patterns.shape[1], dtype=np.int64))
    return ((patterns > 0).astype(np.int64) * weights).sum(axis=1)


def orthant_starts(
    orthants: Int[np.ndarray, " n"],
    ks: Int[np.ndarray, " n"],
    centre: Float[np.ndarray, " d"],
    scale: float,
    seed: int,
) -> Float[np.ndarray, "n d"]:
    """Start number `ks[j]` of orthant `orthants[j]`, for every j (see the module docstring).

    Args:
        orthants: orthant numbers, shape (n,).
        ks: the index of the start within its orthant, shape (n,).
        centre: the centre of the orthants, shape (d,).
        scale: the distance of the corner start from the centre along each coordinate.
        seed: seed of the magnitudes of the starts with k ≥ 1.

    Returns:
        The starts, shape (n, d), float64.

    Example:
        >>> import numpy as np
        >>> orthant_starts(np.array([0, 3]), np.array([0, 0]), np.zeros(2), 0.5, 0).tolist()
        [[-0.5, -0.5], [0.5, 0.5]]
    """
    centre = np.asarray(centre, dtype=np.float64)
    dim = centre.shape[0]
    orthants = np.asarray(orthants, dtype=np.int64)
    ks = np.asarray(ks, dtype=np.int64)
    signs = sign_patterns(orthants, dim).astype(np.float64)
    uniforms = _uniforms(seed, orthants, ks, 2 * dim)
    near = uniforms[:, :dim] < 0.5
    magnitude = np.where(near, 0.5 * 500.0 ** (uniforms[:, dim:] - 1.0), 0.5 + uniforms[:, dim:])
    magnitude = np.where((ks == 0)[:, None], 1.0, magnitude)
    return centre[None, :] + scale * signs * magnitude


def face_starts(
    numbers: Int[np.ndarray, " n"], centre: Float[np.ndarray, " d"], scale: float
) -> Float[np.ndarray, "n d"]:
    """The face starts `centre + scale · t` whose ternary patterns t have base-3 numbers `numbers`
    (digit i of the number is t_i + 1).

    Example:
        >>> import numpy as np
        >>> face_starts(np.array([0, 4, 8]), np.zeros(2), 1.0).tolist()
        [[-1.0, -1.0], [0.0, 0.0], [1.0, 1.0]]
    """
    centre = np.asarray(centre, dtype=np.float64)
    numbers = np.asarray(numbers, dtype=np.int64)
    digits = (numbers[:, None] // 3 ** np.arange(centre.shape[0], dtype=np.int64)[None, :]) % 3
    return centre[None, :] + scale * (digits - 1).astype(np.float64)


def sample_orthants(dim: int, size: int, seed: int) -> Int[np.ndarray, " size"]:
    """`size` distinct orthant numbers drawn uniformly (seeded), sorted.

    Raises:
        ValueError: if `size` is not a positive integer or exceeds 2^d, or d > 62.

    Example:
        >>> sample_orthants(3, 8, 0).tolist()
        [0, 1, 2, 3, 4, 5, 6, 7]
    """
    if dim > 62:
        raise ValueError(f"sampling orthants supports d ≤ 62, got d = {dim}.")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"`sample` must be a positive integer number of orthants, got {size!r}.")
    total = 1 << dim
    if size > total:
        raise ValueError(f"`sample` = {size} exceeds the 2^{dim} = {total} orthants.")
    rng = np.random.default_rng(seed)
    if total <= 1 << 24:
        return np.sort(rng.choice(total, size=size, replace=False)).astype(np.int64)
    chosen = np.zeros(0, dtype=np.int64)
    while chosen.size < size:
        draws = rng.integers(0, total, size=2 * (size - chosen.size), dtype=np.int64)
        chosen = np.unique(np.concatenate([chosen, draws]))
    return np.sort(rng.permutation(chosen)[:size])
