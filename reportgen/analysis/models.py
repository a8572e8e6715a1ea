"""Immutable models of what the inputs say, shared by every stage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import groupby
from typing import Protocol

import msgspec

from reportgen.analysis.numbers import Numbers, missing_items_sorted, total

Arc = tuple[int, int]


class Region(msgspec.Struct, frozen=True):
    """A function or class as coverage.py's JSON (7.6+) or the source file delimits it."""

    kind: str  # "function" or "class"
    name: str  # as coverage names it, "Class.method", without any "@line" suffix
    start_line: int
    lines: frozenset[int]


class LineSets(Protocol):
    """A file's line lists, however they are held until asked for."""

    def executed(self) -> Sequence[int]:
        """The executed lines, sorted."""
        ...

    def missing(self) -> Sequence[int]:
        """The missed lines, sorted."""
        ...

    def missing_arcs(self) -> tuple[Arc, ...] | None:
        """The missed arcs, sorted; None when the input has no per-arc lists."""
        ...

    def executed_arcs(self) -> tuple[Arc, ...] | None:
        """The executed arcs, sorted; None unless the reader was asked to keep them."""
        ...


class FileCoverage(msgspec.Struct, frozen=True):
    """One measured file: counts, and the line lists the Missing column is made of."""

    path: str
    numbers: Numbers
    # Only the files a report shows or compares line by line need the lists: most never do.
    lines: LineSets
    # Functions and classes; None when the JSON has none (before coverage.py 7.6).
    regions: tuple[Region, ...] | None = None

    @property
    def executed_lines(self) -> Sequence[int]:
        return self.lines.executed()

    @property
    def missing_lines(self) -> Sequence[int]:
        return self.lines.missing()

    @property
    def missing_branches(self) -> tuple[Arc, ...] | None:
        """None when the JSON carries no per-arc lists (old coverage.py, or no --branch)."""
        return self.lines.missing_arcs()

    @property
    def executed_branches(self) -> tuple[Arc, ...] | None:
        """None unless kept for changed-lines coverage (and the JSON lists them)."""
        return self.lines.executed_arcs()

    @property
    def line_branches(self) -> dict[int, tuple[int, int]] | None:
        """Each branch line's (exits, taken), from an input that counts branches per line
        instead of listing arcs (Cobertura, LCOV); None for any other."""
        counts = getattr(self.lines, "branch_counts", None)
        return None if counts is None else counts()

    @property
    def missing_text(self) -> str:
        """The Missing column of `coverage report -m` for this file."""
        return ", ".join(text for _, text in self.missing_items())

    def missing_items(self) -> list[tuple[int, str]]:
        """The Missing column's items ("70-74", "12->15"), each with its first line."""
        # Only the lists the column needs are decoded (the counts were checked against them):
        # executed lines only to tell whether two missed lines join, arcs only when one missed.
        n = self.numbers
        missing = self.missing_lines if n.num_missing else ()
        executed = self.executed_lines if n.num_missing > 1 else ()
        arcs = _group_arcs(self.missing_branches) if n.num_missing_branches else None
        return missing_items_sorted(executed, missing, arcs)

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
        if self.numbers != other.numbers:
            return False
        if self.lines == other.lines:  # the same text in both inputs: nothing to decode
            return True
        if self.missing_lines != other.missing_lines:
            return False
        arcs, other_arcs = self.missing_branches, other.missing_branches
        return self.executed_lines == other.executed_lines and (
            arcs is None or other_arcs is None or arcs == other_arcs
        )


def _group_arcs(arcs: tuple[Arc, ...] | None) -> list[tuple[int, list[int]]] | None:
    if arcs is None:
        return None
    ordered = sorted(arcs)
    return [(src, [dst for _, dst in group]) for src, group in groupby(ordered, key=lambda a: a[0])]


class CoverageSnapshot(msgspec.Struct, frozen=True):
    """A coverage.py JSON report (or several shards of one run, combined)."""

    files: Mapping[str, FileCoverage]
    has_branches: bool
    sources: tuple[str, ...]

    @property
    def totals(self) -> Numbers:
        return total(item.numbers for item in self.files.values())
