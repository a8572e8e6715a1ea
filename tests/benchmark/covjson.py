"""Coverage.py's JSON report (format 3, as coverage 7.17 writes it) for a synthetic code base.

Keys, their order, the float percentages and the `_display` strings follow `coverage json`
with branch coverage on and no contexts; the file is written one file entry at a time, so a
630 MB report never sits in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tests.benchmark.codebase import Module, Run
from tests.benchmark.measure import FileAnalysis, Lines, Region, analyse

COVERAGE_VERSION = "7.17.4"
FORMAT = 3


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts that add up across files, like coverage.py's `Numbers`."""

    files: int = 0
    statements: int = 0
    missing: int = 0
    excluded: int = 0
    branches: int = 0
    partial: int = 0
    missing_branches: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.files + other.files,
            self.statements + other.statements,
            self.missing + other.missing,
            self.excluded + other.excluded,
            self.branches + other.branches,
            self.partial + other.partial,
            self.missing_branches + other.missing_branches,
        )


def tally(lines: Lines) -> Tally:
    """The counts of `lines`."""
    return Tally(
        files=1,
        statements=lines.statements,
        missing=len(lines.missing),
        excluded=len(lines.excluded),
        branches=lines.branches,
        partial=lines.partial,
        missing_branches=len(lines.missing_arcs),
    )


def percent(numerator: int, denominator: int) -> float:
    """A percentage as coverage.py computes it: 100 when there is nothing to cover."""
    return (100.0 * numerator) / denominator if denominator > 0 else 100.0


def display(pc: float, precision: int = 0) -> str:
    """The shown percentage: never "0" or "100" unless exactly so."""
    near0 = 1.0 / 10**precision
    if 0 < pc < near0:
        pc = near0
    elif 100.0 - near0 < pc < 100:
        pc = 100.0 - near0
    else:
        pc = round(pc, precision)
    return f"{pc:.{precision}f}"


def summary(counts: Tally) -> dict[str, Any]:
    """The `summary` (or `totals`) object, keys in coverage.py's order."""
    covered = counts.statements - counts.missing
    covered_branches = counts.branches - counts.missing_branches
    overall = percent(covered + covered_branches, counts.statements + counts.branches)
    statements = percent(covered, counts.statements)
    branches = percent(covered_branches, counts.branches)
    return {
        "covered_lines": covered,
        "num_statements": counts.statements,
        "percent_covered": overall,
        "percent_covered_display": display(overall),
        "missing_lines": counts.missing,
        "excluded_lines": counts.excluded,
        "percent_statements_covered": statements,
        "percent_statements_covered_display": display(statements),
        "num_branches": counts.branches,
        "num_partial_branches": counts.partial,
        "covered_branches": covered_branches,
        "missing_branches": counts.missing_branches,
        "percent_branches_covered": branches,
        "percent_branches_covered_display": display(branches),
    }


def file_entry(analysis: FileAnalysis) -> dict[str, Any]:
    """One value of the `files` object."""
    whole = analysis.whole
    return {
        "executed_lines": list(whole.executed),
        "summary": summary(tally(whole)),
        "missing_lines": list(whole.missing),
        "excluded_lines": list(whole.excluded),
        "executed_branches": [list(a) for a in whole.executed_arcs],
        "missing_branches": [list(a) for a in whole.missing_arcs],
        "functions": {r.name: _region_entry(r) for r in analysis.functions},
        "classes": {r.name: _region_entry(r) for r in analysis.classes},
    }


def _region_entry(region: Region) -> dict[str, Any]:
    lines = region.lines
    return {
        "executed_lines": list(lines.executed),
        "summary": summary(tally(lines)),
        "missing_lines": list(lines.missing),
        "excluded_lines": list(lines.excluded),
        "start_line": region.start,
        "executed_branches": [list(a) for a in lines.executed_arcs],
        "missing_branches": [list(a) for a in lines.missing_arcs],
    }


def meta(timestamp: str) -> dict[str, Any]:
    """The `meta` object; the timestamp is given, never read from the clock."""
    return {
        "format": FORMAT,
        "version": COVERAGE_VERSION,
        "timestamp": timestamp,
        "branch_coverage": True,
        "show_contexts": False,
    }


def write_coverage_json(path: Path, files: Iterable[tuple[Module, Run]], timestamp: str) -> Tally:
    """Write the report of `files` (in path order) exactly as `json.dump` would; return totals."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write('{"meta": ' + json.dumps(meta(timestamp)) + ', "files": {')
        totals = _write_files(out, files)
        out.write('}, "totals": ' + json.dumps(summary(totals)) + "}")
    return totals


def _write_files(out: IO[str], files: Iterable[tuple[Module, Run]]) -> Tally:
    totals = Tally()
    separator = ""
    for module, run in files:
        analysis = analyse(module, run)
        totals += tally(analysis.whole)
        out.write(f"{separator}{json.dumps(module.path)}: {json.dumps(file_entry(analysis))}")
        separator = ", "
    return totals
