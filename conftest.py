"""Test configuration for the tests and the docstring examples: float64, one compilation cache
shared by the run's processes, and --runslow."""

import os
import shutil
import tempfile

# One XLA compilation cache for the whole run: the controller makes it when pytest starts, and
# both xdist workers and the processes they start (notebook kernels, CLI subprocesses) inherit it
# through the environment, so a program that one of them compiled is loaded, not compiled again,
# by the others. It starts empty in every run and is removed at the end.
if "JAXFP_TEST_COMPILATION_CACHE" not in os.environ:
    os.environ["JAXFP_TEST_COMPILATION_CACHE"] = tempfile.mkdtemp(prefix="jaxfp-tests-xla-")
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", os.environ["JAXFP_TEST_COMPILATION_CACHE"])
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.5")
    _OWNS_THE_CACHE = True
else:
    _OWNS_THE_CACHE = False

import jax  # noqa: E402  (reads the cache settings above when it is imported)
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)
# The `jaxfp` command's persistent compilation cache stays off in tests (never the real home);
# the tests of the cache give their subprocesses a temporary directory.
os.environ["JAXFP_CACHE_DIR"] = "off"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def pytest_sessionfinish(session):
    if _OWNS_THE_CACHE:  # the controller (or a run without workers), after every worker ended
        shutil.rmtree(os.environ["JAXFP_TEST_COMPILATION_CACHE"], ignore_errors=True)


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)
