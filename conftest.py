"""Test configuration for the tests and the docstring examples: float64, a compilation cache
per test process for the run, JAX's in-memory caches cleared before a process runs out of
memory mappings, and --runslow."""

import gc
import os
import shutil
import tempfile

# An XLA compilation cache for the run: the controller makes its folder when pytest starts and
# removes it at the end; each xdist worker keeps its own subfolder, which the processes it starts
# (notebook kernels, CLI subprocesses) inherit through the environment, so a program compiled once
# is loaded, not compiled again, by them. Workers never share one folder: JAX writes a cache entry
# without a lock or an atomic rename, so one process could read another's half-written entry.
if "JAXFP_TEST_COMPILATION_CACHE" not in os.environ:
    os.environ["JAXFP_TEST_COMPILATION_CACHE"] = tempfile.mkdtemp(prefix="jaxfp-tests-xla-")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0.5")
    if "JAX_COMPILATION_CACHE_DIR" not in os.environ:  # a folder the user chose is kept
        os.environ["JAXFP_TEST_CACHE_PER_PROCESS"] = "1"
    _OWNS_THE_CACHE = True
else:
    _OWNS_THE_CACHE = False
if os.environ.get("JAXFP_TEST_CACHE_PER_PROCESS") == "1":
    process = os.environ.get("PYTEST_XDIST_WORKER", "controller")
    os.environ["JAX_COMPILATION_CACHE_DIR"] = os.path.join(
        os.environ["JAXFP_TEST_COMPILATION_CACHE"], process
    )

import jax  # noqa: E402
import pytest  # noqa: E402

jax.config.update("jax_enable_x64", True)
if "JAX_COMPILATION_CACHE_DIR" in os.environ:  # in case a plugin imported jax before this file
    jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
# The `jaxfp` command's persistent compilation cache stays off in tests (never the real home);
# the tests of the cache give their subprocesses a temporary directory.
os.environ["JAXFP_CACHE_DIR"] = "off"


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", default=False, help="run slow tests")


def pytest_sessionfinish(session):
    if _OWNS_THE_CACHE:  # the controller (or a run without workers), after every worker ended
        shutil.rmtree(os.environ["JAXFP_TEST_COMPILATION_CACHE"], ignore_errors=True)


# XLA's CPU backend keeps about three memory mappings per compiled program for as long as the
# program is cached, and one test process compiles tens of thousands of programs. Near the
# kernel's limit on mappings per process (vm.max_map_count, 65 530 by default) the compiler
# fails ("LLVM compilation error: Cannot allocate memory") or segfaults inside
# backend_compile_and_load: the crashes seen late in long xdist workers. So every
# `_CHECK_EVERY` tests the process counts its mappings and, past `_MAPPINGS_FRACTION` of the
# limit, clears JAX's caches (later tests recompile, or load from the compilation cache).
_CHECK_EVERY = 10
_MAPPINGS_FRACTION = 0.5
_tests_since_check = 0


def _mappings_and_limit() -> tuple[int, int] | None:
    try:
        with open("/proc/self/maps") as maps, open("/proc/sys/vm/max_map_count") as limit:
            return sum(1 for _ in maps), int(limit.read())
    except (OSError, ValueError):  # not Linux: no such limit to keep clear of
        return None


def pytest_runtest_teardown(item, nextitem):
    global _tests_since_check
    _tests_since_check += 1
    if _tests_since_check < _CHECK_EVERY:
        return
    _tests_since_check = 0
    counts = _mappings_and_limit()
    if counts is not None and counts[0] > _MAPPINGS_FRACTION * counts[1]:
        jax.clear_caches()
        gc.collect()


def pytest_collection_modifyitems(config, items):
    if config.getoption("--runslow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: run with --runslow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)
