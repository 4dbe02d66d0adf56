"""Running a script on forced host devices (the sharding tests)."""

import json
import os
import subprocess
import sys


def run_on_host_devices(script: str, count: int = 4) -> dict:
    """Run `script` in a fresh CPU-only Python with `count` forced host devices; the JSON object
    its last output line prints."""
    environment = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={count}")
    environment["JAX_PLATFORMS"] = "cpu"
    completed = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])
