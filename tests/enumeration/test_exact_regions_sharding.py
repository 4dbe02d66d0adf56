"""Chunks laid out over several (forced host) devices give the same fixed points."""

import json
import os
import subprocess
import sys
import textwrap

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
        "diagonal": diagonal.n_fixed_points,
        "same": bool(np.array_equal(np.asarray(sharded.points), np.asarray(single.points))),
        "solved": sharded.num_regions_solved,
    }))
    """
)


def test_four_host_devices():
    environment = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=4")
    environment["JAX_PLATFORMS"] = "cpu"
    completed = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=environment, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report == {"devices": 4, "diagonal": 27, "same": True, "solved": 27}
