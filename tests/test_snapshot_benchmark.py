"""The snapshot on the benchmark's generated code base: a tenth of the JSON at most, read
no slower, and the same figures."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from reportgen.commands.baseline import load_whole_coverage
from reportgen.inputs.coverage_json import parse_coverage_json
from reportgen.inputs.snapshot import read_snapshot
from reportgen.outputs.snapshot import encode_snapshot
from tests.benchmark import generate

FILES = 600
COMMIT = "ab" * 20


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    generate.write_coverage(out, FILES, 5)
    return out


@pytest.fixture(scope="module")
def report(bench: Path) -> bytes:
    return (bench / "before.json").read_bytes()


def saved(path: Path) -> bytes:
    """The snapshot `baseline save` writes, function figures and all."""
    coverage, version, functions = load_whole_coverage([str(path)])
    return encode_snapshot(COMMIT, coverage, None, version, functions)


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


def test_small_fast_and_equal(bench: Path, report: bytes) -> None:
    original = parse_coverage_json(report, "before.json", lambda p: False)
    data = saved(bench / "before.json")
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


def test_function_figures_equal_the_two_run_report(bench: Path) -> None:
    """The step from a snapshot of the before side has the two-run step's every function
    figure, on every file the change touches."""
    from reportgen.analysis.snapshot import BaselineNote
    from reportgen.analysis.step import build_step
    from reportgen.commands.baseline import BaselineSide
    from reportgen.commands.gather import gather
    from reportgen.outputs.summary import as_json, build_summary

    data = saved(bench / "before.json")
    after = [str(bench / "after.json")]

    def stored_before(*_: object) -> BaselineSide:
        found = read_snapshot(data, "s", lambda p: False)
        note = BaselineNote(store="s", text="from a snapshot")
        return BaselineSide(found.coverage, found.tests, note, found.functions)

    def summary(options: dict, stored: Callable[..., BaselineSide] | None = None) -> dict:
        step = build_step(gather(options, {}, stored_before=stored))
        result = msgspec.json.decode(as_json(build_summary(step)))
        result.pop("baseline", None)
        return result

    two_runs = summary({"before": [str(bench / "before.json")], "after": after})
    from_snapshot = summary({"after": after, "baseline": "s"}, stored_before)
    assert from_snapshot == two_runs
    compared = [f for f in two_runs["coverage"]["files"] if f.get("functions")]
    assert len(compared) > FILES // 20
