"""A start whose iterate holds a NaN is never accepted by the residual test, at chunk sizes where
XLA:CPU's row-wise `jnp.max` drops the NaN."""

import jax.numpy as jnp
import numpy as np

import jaxfp
from jaxfp.enumeration._solve_starts import _relative_residual


def test_nan_coordinate_gives_a_nan_residual_in_a_large_chunk():
    net = jaxfp.looped.tanh_identity_network(3, 2.0)
    values = jnp.zeros((4096, 3)).at[7, 1].set(jnp.nan)
    residual, _ = _relative_residual(net, values)
    residual = np.asarray(residual)
    assert np.isnan(residual[7])
    assert np.all(residual[np.arange(4096) != 7] == 0.0)  # 0 is a fixed point of tanh(2x)
