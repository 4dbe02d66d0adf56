"""Every duration of an enumeration result, summary and part file ends in `_time_s`, and a part
file written by an earlier build (durations named `seconds`, `compile_seconds`,
`tracking_seconds`) still loads and merges."""

import json

import numpy as np
import pytest

import jaxfp
from jaxfp.enumeration import Homotopy, Starts, enumerate_part, load_part, merge_parts, save_part

OLD_NAMES = {
    "wall_time_s": "seconds",
    "compile_time_s": "compile_seconds",
    "tracking_time_s": "tracking_seconds",
}


def _durations_named_the_old_way(summary: dict) -> list[str]:
    return [key for key in summary if key == "seconds" or key.endswith("_seconds")]


def test_homotopy_result_and_stats_name_their_durations_in_seconds():
    found = jaxfp.enumerate_fixed_points(jaxfp.looped.poly_network(2), method=Homotopy())
    summary, stats = found.summary(), found.stats.summary()
    assert summary["wall_time_s"] == found.wall_time_s > 0
    assert stats["compile_time_s"] == found.stats.paths.compile_time_s >= 0
    assert stats["tracking_time_s"] == found.stats.paths.tracking_time_s > 0
    assert _durations_named_the_old_way(summary) == _durations_named_the_old_way(stats) == []


def test_starts_run_summary_names_its_duration_in_seconds():
    found = jaxfp.enumerate_fixed_points(jaxfp.looped.poly_network(2), method=Starts(certify=False))
    run = found.stats.run.summary()
    assert run["wall_time_s"] == found.stats.run.wall_time_s > 0
    assert _durations_named_the_old_way(run) == []


def _write_as_an_earlier_build(path) -> list[str]:
    """Rewrite the part file at `path` with its durations under their old names; those names."""
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    meta = json.loads(str(arrays["__part__"]))
    meta["numbers"] = {OLD_NAMES.get(key, key): value for key, value in meta["numbers"].items()}
    arrays["__part__"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    return sorted(set(meta["numbers"]) & set(OLD_NAMES.values()))


def _durations(part) -> tuple[float, ...]:
    if part.method == "homotopy":
        return part.result[0].compile_time_s, part.result[0].tracking_time_s
    return (part.result.wall_time_s,)


@pytest.mark.parametrize(
    ("method", "old_names"),
    [
        (Starts(certify=False), ["seconds"]),
        (Homotopy(), ["compile_seconds", "tracking_seconds"]),
    ],
    ids=["starts", "homotopy"],
)
def test_part_file_of_an_earlier_build_loads_and_merges(tmp_path, method, old_names):
    net = jaxfp.looped.poly_network(2)
    part = enumerate_part(net, (0, 1), method=method)
    path = save_part(part, tmp_path / "part0.npz")
    assert _write_as_an_earlier_build(path) == old_names
    loaded = load_part(path)
    assert _durations(loaded) == _durations(part)
    merged, direct = merge_parts([path]), merge_parts([part])
    np.testing.assert_array_equal(merged.points, direct.points)
    assert merged.num_fixed_points == direct.num_fixed_points > 0
