"""Immutable models of what the inputs say, shared by every stage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby

from reportgen.numbers import Numbers, missing_items_sorted

Arc = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Region:
    """A function or class as coverage.py's JSON (7.6+) or the source file delimits it."""

    kind: str  # "function" or "class"
    name: str  # as coverage names it, "Class.method", without any "@line" suffix
    start_line: int
    lines: frozenset[int]


@dataclass(frozen=True, slots=True)
class FileCoverage:
    """One measured file: counts, and the line sets the Missing column is made of."""

    path: str
    numbers: Numbers
    # Sorted line numbers, kept as compact arrays: 50,000 files hold millions of them.
    executed_lines: Sequence[int]
    missing_lines: Sequence[int]
    # None when the JSON carries no per-arc lists (old coverage.py, or no --branch).
    missing_branches: tuple[Arc, ...] | None = None
    # Functions and classes; None when the JSON has none (before coverage.py 7.6).
    regions: tuple[Region, ...] | None = None

    @property
    def missing_text(self) -> str:
        """The Missing column of `coverage report -m` for this file."""
        return ", ".join(text for _, text in self.missing_items())

    def missing_items(self) -> list[tuple[int, str]]:
        """The Missing column's items ("70-74", "12->15"), each with its first line."""
        arcs = _group_arcs(self.missing_branches)
        return missing_items_sorted(self.executed_lines, self.missing_lines, arcs)

    def enclosing(self, line: int) -> str | None:
        """The innermost function (else class) around `line`, as coverage.py names it."""
        best: Region | None = None
        for region in self.regions or ():
            if line not in region.lines:
                continue
            if best is None or (region.kind, region.start_line) > (best.kind, best.start_line):
                best = region
        return best.name if best else None

    def same_measurement(self, other: FileCoverage) -> bool:
        """True when no figure and no line set differs."""
        arcs_known = self.missing_branches is not None and other.missing_branches is not None
        return (
            self.numbers == other.numbers
            and self.executed_lines == other.executed_lines
            and self.missing_lines == other.missing_lines
            and (not arcs_known or self.missing_branches == other.missing_branches)
        )


def _group_arcs(arcs: tuple[Arc, ...] | None) -> list[tuple[int, list[int]]] | None:
    if arcs is None:
        return None
    ordered = sorted(arcs)
    return [(src, [dst for _, dst in group]) for src, group in groupby(ordered, key=lambda a: a[0])]


@dataclass(frozen=True, slots=True)
class CoverageSnapshot:
    """A coverage.py JSON report (or several shards of one run, combined)."""

    files: Mapping[str, FileCoverage]
    has_branches: bool
    sources: tuple[str, ...]

    @property
    def totals(self) -> Numbers:
        result = Numbers()
        for item in self.files.values():
            result = result + item.numbers
        return result
