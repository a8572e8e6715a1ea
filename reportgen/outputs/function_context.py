"""Function-level coverage for the JSON summary and the templates."""

from __future__ import annotations

from typing import Any

from reportgen.analysis.coverage_diff import matches
from reportgen.analysis.criteria import display_delta
from reportgen.analysis.functions import FunctionDiff, lost_coverage, new_not_covered
from reportgen.analysis.step import StepResult

# Rows each list shows (the JSON summary keeps every function).
SHOW_FUNCTIONS = 50


def _pct(side: Any, precision: int) -> str:
    return f"{side.numbers.display(precision)}%" if side is not None else "—"


def _delta(f: FunctionDiff, precision: int) -> str:
    """As the file tables print a delta: the difference of the displayed percents."""
    if f.before is None or f.after is None:
        return "—"
    before, after = f.before.numbers.display(precision), f.after.numbers.display(precision)
    return display_delta(float(after) - float(before), precision) + "%"


def _row(path: str, f: FunctionDiff, precision: int) -> dict[str, Any]:
    side = f.after or f.before
    assert side is not None
    return {
        "path": path,
        "name": f.name,
        "state": f.state,
        "before": _pct(f.before, precision),
        "after": _pct(f.after, precision),
        "delta": _delta(f, precision),
        "statements": side.numbers.num_statements,
        "missed": side.numbers.num_missing,
        "missing": f.after.missing if f.after else "",
    }


def functions_context(step: StepResult) -> dict[str, Any] | None:
    """`report.functions`: the lists of the function sections, bounded, with what is left out."""
    result = step.functions
    if result is None:
        return None
    p = step.precision
    lost = lost_coverage(result)
    new = new_not_covered(result)
    targets = []
    for target in step.targets:
        rows = [
            _row(path, f, p)
            for path in target.paths
            if path in result.files and matches(target.target.pattern, path)
            for f in result.files[path].functions
        ]
        if rows:
            targets.append(
                {
                    "pattern": target.target.pattern,
                    "rows": rows[:SHOW_FUNCTIONS],
                    "hidden": max(0, len(rows) - SHOW_FUNCTIONS),
                }
            )
    return {
        "lost": [_row(path, f, p) for path, f in lost[:SHOW_FUNCTIONS]],
        "lost_hidden": max(0, len(lost) - SHOW_FUNCTIONS),
        "lost_count": len(lost),
        "new": [_row(path, f, p) for path, f in new[:SHOW_FUNCTIONS]],
        "new_hidden": max(0, len(new) - SHOW_FUNCTIONS),
        "new_count": len(new),
        "targets": targets,
        "unavailable": len(result.unavailable),
        # Each distinct reason once, in the files' order.
        "unavailable_why": "; ".join(dict.fromkeys(result.why(p) for p in result.unavailable)),
    }
