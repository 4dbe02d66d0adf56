"""Upper bounds on the number of isolated fixed points of a PWL looped network.

Both forms reduce to u = W σ(u) + b (u = Wx + b for σ(Wx + b); u = x for W σ(x) + b). On the
closure of an activation region G(u) = W σ(u) + b is affine, and the fixed points of an affine map
on a convex set form a convex set: two isolated fixed points never share a closed region. Hence

- **regions**: at most (k + 1)^d isolated fixed points for a σ with k breakpoints;
- **arrangement**: every fixed point lies on the affine subspace b + range(W) of dimension
  r = rank W, which the d·k hyperplanes {u_i = β_j} cut into at most Σ_{i=0}^{r} C(d·k, i)
  regions (Buck 1943; Zaslavsky 1975, the bound behind the linear-region counts of ReLU networks
  of Serra, Tjandraatmadja and Ramalingam 2018). Every isolated fixed point lies in the closure of
  a distinct one, so the count is at most that sum. It improves on (k + 1)^d when W is
  rank-deficient.
"""

from math import comb

import numpy as np


def region_count_bound(dimension: int, num_breakpoints: int) -> int:
    """(k + 1)^d: at most one isolated fixed point per closed activation region.

    ```python
    >>> region_count_bound(3, 2)  # hard-tanh, d = 3
    27

    ```
    """
    return (num_breakpoints + 1) ** dimension


def arrangement_bound(rank: int, dimension: int, num_breakpoints: int) -> int:
    """Σ_{i=0}^{rank} C(d·k, i): the regions of d·k hyperplanes in a space of dimension `rank`.

    ```python
    >>> arrangement_bound(1, 4, 1)  # a rank-one ReLU network, d = 4: 1 + 4
    5

    ```
    """
    hyperplanes = dimension * num_breakpoints
    return sum(comb(hyperplanes, i) for i in range(rank + 1))


def fixed_point_bound(weights, num_breakpoints: int) -> tuple[int, str]:
    """The smaller of the two bounds above for this W, with the name of the one used.

    Args:
        weights: W, shape (d, d).
        num_breakpoints: k, the breakpoints of σ.

    Returns:
        `(bound, reference)`.

    Example:
        >>> fixed_point_bound(np.eye(3), 1)
        (8, 'regions (k+1)^d')
    """
    weights = np.asarray(weights)
    d = weights.shape[0]
    rank = int(np.linalg.matrix_rank(weights)) if d else 0
    regions = region_count_bound(d, num_breakpoints)
    arrangement = arrangement_bound(rank, d, num_breakpoints)
    if arrangement < regions:
        return arrangement, f"arrangement sum_(i<=r) C(dk,i), r=rank W={rank} (Zaslavsky 1975)"
    return regions, "regions (k+1)^d"
