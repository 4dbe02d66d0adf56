"""Test configuration for the tests and the docstring examples: float64, and --runslow."""

import os

import jax
import pytest

jax.config.update("jax_enable_x64", True)
# The `jaxfp` command's persistent compilation cache stays off in tests (never the real home);
# the tests of the cache give their subprocesses a temporary directory.
os.environ["JAXFP_CACHE_DIR"] = "off"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)
