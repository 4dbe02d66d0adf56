"""A starts run whose per-start arrays would not fit is refused before any work, with the figure
and what to do instead (3^d face starts at d = 24 need terabytes), in the library and the CLI;
the CLI's progress bar knows the total number of starts."""

import jax
import pytest

import jaxfp
from jaxfp.enumeration import Starts
from jaxfp.enumeration._iterative import enumerate_iterative
from jaxfp.enumeration._storage import PER_START_BYTES, check_storage

# 3^24 face starts: 2 · 18 B · 2.8e11 ≈ 10 TB, beyond any machine's memory and a test's disk.
HUGE_DIM = 24


def test_eighteen_bytes_per_start():
    assert PER_START_BYTES == 18
    assert check_storage(1000, (1000, 0, 1), None) == 2 * 18 * 1000


def test_face_starts_beyond_memory_are_refused_before_any_work():
    net = jaxfp.looped.poly_network(HUGE_DIM)
    with pytest.raises(
        ValueError, match=r"need 1\.0\d*e\+04 GB in memory, more than half"
    ) as error:
        enumerate_iterative(net, faces=True, certify=False)
    message = str(error.value)
    assert "2.824e+11 starts (1.678e+07 orthant starts + 2.824e+11 face starts)" in message
    assert "--checkpoint DIR" in message and "--no-faces" in message


def test_a_checkpoint_beyond_the_free_disk_is_refused_before_any_work(tmp_path):
    net = jaxfp.looped.poly_network(HUGE_DIM)
    with pytest.raises(ValueError, match=r"needs 1\.0\d*e\+04 GB on disk, and .* free"):
        enumerate_iterative(net, faces=True, certify=False, checkpoint=tmp_path / "run")
    assert not (tmp_path / "run").exists()  # nothing written


def test_the_cli_refuses_in_one_line(capsys):
    from jaxfp._cli.main import main

    argv = ["enumerate", "--net", "poly", "--dim", str(HUGE_DIM), "--method", "starts", "--faces"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "GB in memory, more than half" in error and error.count("\n") == 1


def test_progress_reports_the_total_number_of_starts():
    seen = []
    with jax.enable_x64(True):
        jaxfp.enumerate_fixed_points(
            jaxfp.looped.poly_network(2),
            Starts(certify=False, chunk_size=4),
            progress=lambda *counts: seen.append(counts),
        )
    assert [counts[3] for counts in seen] == [13] * 4  # 4 orthant starts + 9 face starts
    assert seen[-1][:3] == (4, 4, 13)
