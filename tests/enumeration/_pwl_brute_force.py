"""An independent check: every activation region solved one by one in numpy, in x-coordinates.

For σ(Wx + b) the region's system is (I − D_s W) x = D_s b + c_s with the pattern checked on
Wx + b; for W σ(x) + b it is (I − W D_s) x = W c_s + b with the pattern checked on x. Regions
are looped over with itertools, singular ones skipped (the tests using this avoid them).
"""

import itertools

import numpy as np

CONSISTENCY_SLACK = 1e-9


def brute_force_fixed_points(weights, bias, breakpoints, slopes, intercepts, form):
    d = bias.shape[0]
    slopes, intercepts = np.asarray(slopes, float), np.asarray(intercepts, float)
    lower = np.concatenate([[-np.inf], breakpoints])
    upper = np.concatenate([breakpoints, [np.inf]])
    found = []
    for pattern in itertools.product(range(len(slopes)), repeat=d):
        pattern = np.array(pattern)
        a, c = slopes[pattern], intercepts[pattern]
        if form == "sigma-affine":
            matrix, rhs = np.eye(d) - a[:, None] * weights, a * bias + c
        else:
            matrix, rhs = np.eye(d) - weights * a[None, :], weights @ c + bias
        if abs(np.linalg.det(matrix)) < 1e-12:
            continue
        x = np.linalg.solve(matrix, rhs)
        u = weights @ x + bias if form == "sigma-affine" else x
        if np.all(u >= lower[pattern] - CONSISTENCY_SLACK) and np.all(
            u <= upper[pattern] + CONSISTENCY_SLACK
        ):
            if not any(np.abs(x - y).max() < 1e-7 for y in found):
                found.append(x)
    return np.array(found).reshape(-1, d)
