"""Write a snapshot (a baseline) of one run: deterministic, compact bytes."""

from __future__ import annotations

import zlib
from typing import Any

import msgspec

from reportgen.analysis.models import CoverageSnapshot, FileCoverage
from reportgen.analysis.snapshot import (
    FORMAT,
    MAGIC,
    Snapshot,
    StoredCoverage,
    StoredFile,
    StoredRegion,
    line_width,
    pack_arcs,
    pack_lines,
    pack_tests,
)

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
        coverage=None if coverage is None else stored_coverage(coverage),
        tests=None if tests is None else pack_tests(tests),
    )
    body = msgspec.msgpack.encode(snapshot)
    return MAGIC + bytes([FORMAT]) + zlib.compress(body, _LEVEL)


def stored_coverage(coverage: CoverageSnapshot) -> StoredCoverage:
    items = [item for _, item in sorted(coverage.files.items())]
    lists = [(i.executed_lines, i.missing_lines) for i in items]
    width = line_width(lines for pair in lists for lines in pair)
    regions = [sorted(r.lines) for i in items for r in i.regions or ()]
    width = max(width, line_width(regions))
    files = [
        _file(item, executed, missing, width)
        for item, (executed, missing) in zip(items, lists, strict=True)
    ]
    return StoredCoverage(branches=coverage.has_branches, files=files, width=width)


def _file(item: FileCoverage, executed: Any, missing: Any, width: int) -> StoredFile:
    n = item.numbers
    arcs = item.missing_branches
    regions = None
    if item.regions is not None:
        regions = [
            StoredRegion(r.kind, r.name, r.start_line, pack_lines(sorted(r.lines), width))
            for r in item.regions
        ]
    return StoredFile(
        path=item.path,
        counts=(
            n.num_statements,
            n.num_missing,
            n.num_branches,
            n.num_partial_branches,
            n.num_missing_branches,
        ),
        executed=pack_lines(executed, width),
        missing=pack_lines(missing, width),
        arcs=None if arcs is None else pack_arcs(arcs),
        regions=msgspec.Raw(msgspec.msgpack.encode(regions)),
    )
