"""Write a snapshot (a baseline) of one run: deterministic, compact bytes."""

from __future__ import annotations

import zlib
from collections import Counter
from typing import Any

import msgspec

from reportgen.analysis.models import CoverageSnapshot, FileCoverage, Region
from reportgen.analysis.snapshot import FORMAT, MAGIC, Snapshot, pack_tests

_LEVEL = 9  # saved once per main-line run, read on every pull request: smallest wins


def encode_snapshot(
    commit: str,
    coverage: CoverageSnapshot | None,
    tests: Any,  # TestRun | None
    coverage_version: str | None = None,
) -> bytes:
    """The snapshot's bytes: equal inputs give equal bytes (no clock, sorted everything)."""
    snapshot = Snapshot(
        commit=commit,
        coverage_version=coverage_version,
        branches=bool(coverage and coverage.has_branches),
        coverage=None if coverage is None else coverage_report(coverage, coverage_version),
        tests=None if tests is None else pack_tests(tests),
    )
    body = msgspec.msgpack.encode(snapshot)
    return MAGIC + bytes([FORMAT]) + zlib.compress(body, _LEVEL)


def coverage_report(coverage: CoverageSnapshot, version: str | None) -> bytes:
    """The coverage as a minimal coverage.py JSON report: what a report reads, nothing else.

    Lists are written as `coverage json` writes them ("[1, 2, 3]"), so a file the pull
    request left alone compares equal to its after side without being decoded.
    """
    files = {path: _file(item) for path, item in sorted(coverage.files.items())}
    meta: dict[str, Any] = {"branch_coverage": coverage.has_branches}
    if version is not None:
        meta["version"] = version
    return msgspec.json.encode({"meta": meta, "files": files})


def _file(item: FileCoverage) -> dict[str, Any]:
    n = item.numbers
    entry: dict[str, Any] = {
        "executed_lines": _lines(item.executed_lines),
        "missing_lines": _lines(item.missing_lines),
        "summary": {
            "num_statements": n.num_statements,
            "missing_lines": n.num_missing,
            "num_branches": n.num_branches,
            "num_partial_branches": n.num_partial_branches,
            "missing_branches": n.num_missing_branches,
        },
    }
    arcs = item.missing_branches
    if arcs is not None:
        entry["missing_branches"] = msgspec.Raw(
            ("[" + ", ".join(f"[{a}, {b}]" for a, b in arcs) + "]").encode()
        )
    if item.regions is not None:
        entry["functions"] = _regions([r for r in item.regions if r.kind == "function"])
        entry["classes"] = _regions([r for r in item.regions if r.kind == "class"])
    return entry


def _lines(lines: Any) -> msgspec.Raw:
    return msgspec.Raw(("[" + ", ".join(map(str, lines)) + "]").encode())


def _regions(regions: list[Region]) -> dict[str, Any]:
    # coverage.py's own convention for a name used twice: "name@start" (the reader drops it).
    repeated = Counter(r.name for r in regions)
    return {
        (f"{r.name}@{r.start_line}" if repeated[r.name] > 1 else r.name): {
            "executed_lines": sorted(r.lines),
            "start_line": r.start_line,
        }
        for r in regions
    }
