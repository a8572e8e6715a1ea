"""The snapshot on the benchmark's generated code base: a tenth of the JSON at most, read
no slower, and the same figures."""

from __future__ import annotations

import gc
import time

import pytest

from reportgen.inputs.coverage_json import parse_coverage_json
from reportgen.inputs.snapshot import read_snapshot
from reportgen.outputs.snapshot import encode_snapshot
from tests.benchmark import generate

FILES = 600
COMMIT = "ab" * 20


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out = tmp_path_factory.mktemp("bench")
    generate.write_coverage(out, FILES, 5)
    return (out / "before.json").read_bytes()


def best_of(runs: int, work) -> float:
    times = []
    gc.disable()
    try:
        for _ in range(runs):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return min(times)


def test_small_fast_and_equal(report: bytes) -> None:
    original = parse_coverage_json(report, "before.json", lambda p: False)
    data = encode_snapshot(COMMIT, parse_coverage_json(report, "b", None), None, "7.17.4")
    assert len(data) <= len(report) / 10
    back = read_snapshot(data, "s", lambda p: False).coverage
    assert back.totals == original.totals
    for path, item in original.files.items():
        assert back.files[path].numbers == item.numbers
        assert back.files[path].same_measurement(item)
    json_time = best_of(7, lambda: parse_coverage_json(report, "b", lambda p: False))
    snapshot_time = best_of(7, lambda: read_snapshot(data, "s", lambda p: False))
    assert snapshot_time <= json_time * 1.1, (snapshot_time, json_time)


def test_figures_equal_on_every_file(report: bytes) -> None:
    original = parse_coverage_json(report, "b", None)
    back = read_snapshot(encode_snapshot(COMMIT, original, None), "s", None).coverage
    for path, item in original.files.items():
        assert back.files[path].missing_text == item.missing_text
        assert back.files[path].regions == item.regions
