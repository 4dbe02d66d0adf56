"""Shared settings of the iterative-enumeration tests (same shapes → one compilation each)."""

import jaxfp

DIM = 3
STARTS_PER_ORTHANT = 4
# Every d = 3 run uses chunks of this many starts, so they share one compiled kernel per network.
CHUNK = 16
# Assertion tolerance on fixed-point coordinates (the solver polishes to ~1e-12).
POINT_TOLERANCE = 1e-8

BUILDERS = {
    "poly": lambda: jaxfp.looped.poly_network(DIM),
    "exp": lambda: jaxfp.looped.exp_network(DIM),
    "tanh-identity": lambda: jaxfp.looped.tanh_identity_network(DIM, gain=2.0),
}


def same_point_sets(found, expected, tolerance=POINT_TOLERANCE) -> bool:
    """Whether two (n, d) arrays hold the same points (any order) up to `tolerance`."""
    import numpy as np

    found, expected = np.asarray(found), np.asarray(expected)
    if found.shape != expected.shape:
        return False
    distance = np.abs(found[:, None, :] - expected[None, :, :]).max(axis=2)
    return bool(
        np.all(distance.min(axis=1) <= tolerance) and np.all(distance.min(axis=0) <= tolerance)
    )
