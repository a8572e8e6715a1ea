"""Write a snapshot (a baseline) of one run: deterministic, compact bytes."""

from __future__ import annotations

import zlib
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import msgspec

from reportgen.analysis.functions import FunctionSide
from reportgen.analysis.models import CoverageSnapshot, FileCoverage
from reportgen.analysis.snapshot import (
    FORMAT,
    MAGIC,
    NO_FUNCTION_FIGURES,
    Snapshot,
    StoredCoverage,
    StoredFile,
    StoredFunction,
    StoredRegion,
    line_width,
    pack_arc_steps,
    pack_arcs,
    pack_lines,
    pack_tests,
)

_LEVEL = 9  # saved once per main-line run, read on every pull request: smallest wins
_NO_FUNCTION_DATA = msgspec.Raw(msgspec.msgpack.encode(None))

# Per file: its functions' figures, or False when they could not be found; a file left out
# had no function data in its input.
FunctionFigures = Mapping[str, Sequence[FunctionSide] | Literal[False]]


def encode_snapshot(
    commit: str,
    coverage: CoverageSnapshot | None,
    tests: Any,  # TestRun | None
    coverage_version: str | None = None,
    functions: FunctionFigures | None = None,
) -> bytes:
    """The snapshot's bytes: equal inputs give equal bytes (no clock, sorted everything).
    Without `functions`, every file's function figures are stored as not found."""
    snapshot = Snapshot(
        commit=commit,
        coverage_version=coverage_version,
        coverage=None if coverage is None else stored_coverage(coverage, functions),
        tests=None if tests is None else pack_tests(tests),
    )
    body = msgspec.msgpack.encode(snapshot)
    return MAGIC + bytes([FORMAT]) + zlib.compress(body, _LEVEL)


def stored_coverage(
    coverage: CoverageSnapshot, functions: FunctionFigures | None = None
) -> StoredCoverage:
    items = [item for _, item in sorted(coverage.files.items())]
    lists = [(i.executed_lines, i.missing_lines) for i in items]
    width = line_width(lines for pair in lists for lines in pair)
    regions = [sorted(r.lines) for i in items for r in i.regions or ()]
    width = max(width, line_width(regions))
    figures = {
        path: False if sides is False else [(s, sorted(s.missing_lines)) for s in sides]
        for path, sides in (functions or {}).items()
    }
    width = max(
        width,
        line_width(lines for found in figures.values() if found for _, lines in found),
    )
    files = [
        _file(
            item,
            executed,
            missing,
            width,
            _functions(item, missing, figures, functions, width),
        )
        for item, (executed, missing) in zip(items, lists, strict=True)
    ]
    return StoredCoverage(branches=coverage.has_branches, files=files, width=width)


def _functions(
    item: FileCoverage,
    file_missing: Sequence[int],
    figures: Mapping[str, list[tuple[FunctionSide, list[int]]] | Literal[False]],
    functions: FunctionFigures | None,
    width: int,
) -> msgspec.Raw:
    if functions is None:
        return NO_FUNCTION_FIGURES
    found = figures.get(item.path)
    if found is None:  # the input had no function data for this file
        return _NO_FUNCTION_DATA
    if found is False:
        return NO_FUNCTION_FIGURES
    # Names are most of the figures' bytes, and the regions stored beside them hold them.
    starts: dict[int, list[str]] = {}
    for region in item.regions or ():
        if region.kind == "function":
            starts.setdefault(region.start_line, []).append(region.name)
    stored = []
    for side, missing in found:
        n = side.numbers
        # Most functions' missed lines are a run of the file's (nested functions aside):
        # stored as where the run starts, a fraction of the lines' bytes.
        start = bisect_left(file_missing, missing[0]) if missing else 0
        run = file_missing[start : start + len(missing)] == missing
        stored.append(
            StoredFunction(
                "" if starts.get(side.start_line) == [side.name] else side.name,
                side.start_line,
                (
                    n.num_statements,
                    n.num_missing,
                    n.num_branches,
                    n.num_partial_branches,
                    n.num_missing_branches,
                ),
                start if run else pack_lines(missing, width),
            )
        )
    return msgspec.Raw(msgspec.msgpack.encode(stored))


def _file(
    item: FileCoverage, executed: Any, missing: Any, width: int, functions: msgspec.Raw
) -> StoredFile:
    n = item.numbers
    arcs = item.missing_branches
    regions = None
    if item.regions is not None:
        regions = [
            StoredRegion(r.kind, r.name, r.start_line, pack_lines(sorted(r.lines), width))
            for r in item.regions
        ]
    ran = None
    if functions is _NO_FUNCTION_DATA and n.num_branches:
        ran = item.executed_branches  # kept only for files without function data
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
        functions=functions,
        executed_arcs=None if ran is None else pack_arc_steps(sorted(ran)),
    )
