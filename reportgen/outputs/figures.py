"""The JSON summary's figures of one count (`T` in the README) and its deltas, shared by the
summary and the sections built beside it (changed lines, functions)."""

from __future__ import annotations

from typing import Any

from reportgen.analysis.numbers import Numbers


def numbers_dict(numbers: Numbers | None, precision: int) -> dict[str, Any] | None:
    """`T` of the README: the counts, the exact percent and coverage.py's display string."""
    if numbers is None:
        return None
    return {
        "statements": numbers.num_statements,
        "missing": numbers.num_missing,
        "branches": numbers.num_branches,
        "covered_branches": numbers.covered_branches,
        "partial_branches": numbers.num_partial_branches,
        "percent": numbers.percent,
        "display": numbers.display(precision),
    }


def delta_value(before: Numbers | None, after: Numbers | None, precision: int) -> float | None:
    """The change between the displayed percentages, as the reports print it."""
    if before is None or after is None:
        return None
    return round(float(after.display(precision)) - float(before.display(precision)), precision)
