"""coverage.py's arithmetic and formatting, without importing coverage.

Importing coverage costs 40-140 ms of startup, so these mirror
`coverage.results.display_covered`, `format_lines` and `should_fail_under`
exactly; tests/test_numbers.py proves them equal with property-based tests
against coverage.py's own functions.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Annotated

import msgspec


def percent(numerator: int, denominator: int) -> float:
    """Percentage as coverage.py computes it: 100.0 when there is nothing to cover."""
    if denominator > 0:
        return (100.0 * numerator) / denominator
    return 100.0


def display_covered(pc: float, precision: int) -> str:
    """The percentage as `coverage report` prints it (no "%").

    Never "0" or "100" unless the value is exactly 0 or 100; otherwise
    Python's round-half-even at `precision` decimals.
    """
    near0 = 1.0 / 10**precision
    if 0 < pc < near0:
        pc = near0
    elif (100.0 - near0) < pc < 100:
        pc = 100.0 - near0
    else:
        pc = round(pc, precision)
    return f"{pc:.{precision}f}"


def threshold_precision(threshold: float, precision: int) -> int:
    """Decimals a threshold comparison uses: the display's, or the threshold's own if more."""
    if threshold == int(threshold):
        return precision
    exponent = Decimal(str(threshold)).as_tuple().exponent
    return max(precision, -int(exponent))


def meets_threshold(pc: float, threshold: float, precision: int) -> bool:
    """True when `pc` passes `threshold` as `coverage report --fail-under` judges it."""
    if threshold >= 100.0:
        return pc >= 100.0
    return round(pc, threshold_precision(threshold, precision)) >= threshold


def line_ranges(statements: Iterable[int], lines: Iterable[int]) -> list[tuple[int, int]]:
    """Group `lines` into ranges, bridging statements-free gaps: coverage's Missing ranges."""
    wanted = set(lines)
    ranges: list[tuple[int, int]] = []
    start = end = 0
    for stmt in sorted(set(statements)):
        if stmt in wanted:
            if not start:
                start = stmt
            end = stmt
        elif start:
            ranges.append((start, end))
            start = 0
    if start:
        ranges.append((start, end))
    return ranges


def format_range(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}-{end}"


def missing_items(
    statements: Iterable[int],
    lines: Iterable[int],
    arcs: Iterable[tuple[int, Sequence[int]]] | None = None,
) -> list[tuple[int, str]]:
    """The Missing column's items in order, each with the line it starts at."""
    lines = set(lines)
    items = [(start, format_range(start, end)) for start, end in line_ranges(statements, lines)]
    return sorted(items + _arc_items(arcs, lines))


def _arc_items(
    arcs: Iterable[tuple[int, Sequence[int]]] | None, missed: set[int]
) -> list[tuple[int, str]]:
    """Partial branches ("12->15", "20->exit") from lines that ran, to lines not missed."""
    items = []
    for line, exits in sorted(arcs or ()):
        if line in missed:
            continue
        for dest in sorted(exits):
            if dest not in missed:
                items.append((line, f"{line}->{dest if dest > 0 else 'exit'}"))
    return items


def missing_items_sorted(
    executed: Sequence[int],
    missing: Sequence[int],
    arcs: Iterable[tuple[int, Sequence[int]]] | None = None,
) -> list[tuple[int, str]]:
    """`missing_items` when the statements are `executed` plus `missing`, both sorted.

    Two missed lines join one range exactly when no executed line lies between
    them, so a bisection per missed line replaces a walk over every statement:
    the cost follows the missed lines, not the size of the file.
    """
    items: list[tuple[int, str]] = []
    start = end = 0
    for line in missing:
        if start and bisect_right(executed, end) == bisect_left(executed, line):
            end = line
            continue
        if start:
            items.append((start, format_range(start, end)))
        start = end = line
    if start:
        items.append((start, format_range(start, end)))
    return sorted(items + _arc_items(arcs, set(missing)))


def format_lines(
    statements: Iterable[int],
    lines: Iterable[int],
    arcs: Iterable[tuple[int, Sequence[int]]] | None = None,
) -> str:
    """The Missing column of `coverage report -m`: "1-2, 5-11, 13, 12->15, 20->exit"."""
    return ", ".join(text for _, text in missing_items(statements, lines, arcs))


# Bounded as coverage.py's own counts are (64-bit): a count beyond it is not one, and could not
# become the float a percentage needs.
Count = Annotated[int, msgspec.Meta(ge=0, le=10**18 - 1)]


class Numbers(msgspec.Struct, frozen=True):
    """Counts for a file or a total; the percentages derive from them.

    The JSON names of two fields are coverage.py's, as in a report's `summary` (which the
    reader checks against the listed lines before building this).
    """

    num_statements: Count
    num_missing: Count = msgspec.field(name="missing_lines")
    num_branches: Count = 0
    num_partial_branches: Count = 0
    num_missing_branches: Count = msgspec.field(default=0, name="missing_branches")

    @property
    def covered_lines(self) -> int:
        return self.num_statements - self.num_missing

    @property
    def covered_branches(self) -> int:
        return self.num_branches - self.num_missing_branches

    @property
    def percent(self) -> float:
        return percent(
            self.covered_lines + self.covered_branches, self.num_statements + self.num_branches
        )

    def display(self, precision: int) -> str:
        return display_covered(self.percent, precision)

    def __add__(self, other: Numbers) -> Numbers:
        return Numbers(
            self.num_statements + other.num_statements,
            self.num_missing + other.num_missing,
            self.num_branches + other.num_branches,
            self.num_partial_branches + other.num_partial_branches,
            self.num_missing_branches + other.num_missing_branches,
        )


def total(numbers: Iterable[Numbers]) -> Numbers:
    """The sum of `numbers` (plain counters: 50,000 files, one object built)."""
    statements = missing = branches = partial = missing_branches = 0
    for item in numbers:
        statements += item.num_statements
        missing += item.num_missing
        branches += item.num_branches
        partial += item.num_partial_branches
        missing_branches += item.num_missing_branches
    return Numbers(statements, missing, branches, partial, missing_branches)


_DIGITS = re.compile(r"(\d+)")


@functools.cache
def human_key(text: str) -> tuple[list[str | int], str]:
    """The order `coverage report` lists files in: digit runs compared as numbers
    (`m2` before `m10`), the text itself breaking ties. coverage.py reads the runs in base 16
    (no digit limit; the same order as base 10 for digit strings), and so does this."""
    parts = _DIGITS.split(text)
    return [int(part, 16) if i % 2 else part for i, part in enumerate(parts)], text
