"""4 forced host devices give the same enumeration as 1 device."""

import textwrap

from ._host_devices import run_on_host_devices

SCRIPT = textwrap.dedent(
    """
    import json
    import jax
    jax.config.update("jax_enable_x64", True)
    import numpy as np
    import jaxfp
    from jaxfp.enumeration._iterative import enumerate_iterative

    net = jaxfp.looped.poly_network(3)
    one = enumerate_iterative(net, starts_per_orthant=4, certify=False, devices=1)
    four = enumerate_iterative(net, starts_per_orthant=4, certify=False, devices=None)
    same = all(
        np.array_equal(getattr(one, name), getattr(four, name))
        for name in ("points", "stability", "start_outcome", "start_limit", "start_newton_root")
    )
    print(json.dumps({
        "local_devices": len(jax.local_devices()),
        "devices": [one.devices, four.devices],
        "counts": [one.num_fixed_points, four.num_fixed_points],
        "same": bool(same),
    }))
    """
)


def test_four_host_devices_equal_one():
    report = run_on_host_devices(SCRIPT)
    assert report == {"local_devices": 4, "devices": [1, 4], "counts": [27, 27], "same": True}


def test_multi_host_parts_merge_to_the_full_run():
    import numpy as np

    import jaxfp
    from jaxfp._numerics import group_points
    from jaxfp.enumeration._index_check import index_sum
    from jaxfp.enumeration._iterative import enumerate_iterative

    from ._iterative_cases import CHUNK, same_point_sets

    net = jaxfp.looped.poly_network(3)
    common = dict(starts_per_orthant=8, faces=False, certify=False, chunk_size=CHUNK)
    full = enumerate_iterative(net, **common)
    parts = [enumerate_iterative(net, part=(i, 2), **common) for i in range(2)]
    assert all(not p.index_consistent and p.index_check.startswith("partial") for p in parts)
    points = np.concatenate([p.points for p in parts])
    signs = np.concatenate([p.determinant_sign for p in parts])
    _, representatives = group_points(points, 1e-6, 1e-6)
    assert same_point_sets(points[representatives], full.points)
    assert index_sum(signs[representatives]) == full.index_sum
