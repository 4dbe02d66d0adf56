"""Chunks laid out over several (forced host) devices give the same fixed points."""

import textwrap

from ._host_devices import run_on_host_devices

SCRIPT = textwrap.dedent(
    """
    import json
    import jax
    import numpy as np
    from jaxfp.enumeration._exact_regions import enumerate_pwl_regions

    hardtanh = ([-1.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0])
    rng = np.random.default_rng(0)
    weights, bias = 2.0 * rng.normal(size=(3, 3)) / np.sqrt(3), 0.5 * rng.normal(size=3)
    diagonal = enumerate_pwl_regions(2.0 * np.eye(3), np.zeros(3), *hardtanh, chunk_size=8)
    sharded = enumerate_pwl_regions(weights, bias, *hardtanh, chunk_size=8, prune=False)
    single = enumerate_pwl_regions(
        weights, bias, *hardtanh, chunk_size=8, prune=False, devices=jax.local_devices()[:1]
    )
    print(json.dumps({
        "devices": len(jax.local_devices()),
        "diagonal": diagonal.num_fixed_points,
        "same": bool(np.array_equal(np.asarray(sharded.points), np.asarray(single.points))),
        "solved": sharded.num_regions_solved,
    }))
    """
)


def test_four_host_devices():
    report = run_on_host_devices(SCRIPT)
    assert report == {"devices": 4, "diagonal": 27, "same": True, "solved": 27}
