"""Changed-lines (patch) coverage for the JSON summary and the templates."""

from __future__ import annotations

from typing import Any

from reportgen.analysis.numbers import Numbers
from reportgen.analysis.patch import PatchFile, PatchResult
from reportgen.analysis.step import StepResult
from reportgen.outputs.charts import NARROW
from reportgen.outputs.figures import delta_value, numbers_dict

# The patch table shows this many files, the uncovered list this many items (JSON: all).
SHOW_FILES = 50
SHOW_UNCOVERED = 100


def patch_numbers(numbers: Numbers, precision: int) -> dict[str, Any]:
    """The keys of the summary's `T`; `percent` and `display` are null with no statement
    (a change that adds none has no percent, never 100%)."""
    figures = numbers_dict(numbers, precision)
    assert figures is not None
    if numbers.num_statements == 0:
        figures["percent"] = figures["display"] = None
    return figures


def _file(item: PatchFile, precision: int) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": item.path}
    entry.update(patch_numbers(item.numbers, precision))
    # `missing` is the Missing column here, as in `coverage.files`; the count is the list's length.
    entry["missing"] = item.missing_text
    entry["missing_lines"] = list(item.missing_lines)
    if item.diff_path != item.path:
        entry["diff_path"] = item.diff_path
    return entry


def patch_summary(step: StepResult) -> dict[str, Any] | None:
    """The summary's `patch` object; None (and no key) when no diff was given."""
    patch = step.patch
    if patch is None:
        return None
    p = step.precision
    return {
        "source": patch.source,
        "branch": patch.has_branches,
        "min": step.patch_min,
        "total": patch_numbers(patch.total, p),
        "files": [_file(f, p) for f in patch.files],
        "unmeasured": list(patch.unmeasured),
        "ambiguous": list(patch.ambiguous),
        "indirect": [
            {
                "path": i.path,
                "before": patch_numbers(i.before, p),
                "after": patch_numbers(i.after, p),
                "delta": delta_value(i.before, i.after, p),
            }
            for i in patch.indirect
        ],
    }


def _signed(value: float, precision: int) -> str:
    text = f"{abs(value):.{precision}f}"
    if float(text) == 0:
        return "±" + text + "%"
    return ("+" if value > 0 else "-") + text + "%"


def patch_context(step: StepResult) -> dict[str, Any] | None:
    """What the "Changed lines" sections show; None when no diff was given."""
    patch: PatchResult | None = step.patch
    if patch is None:
        return None
    p = step.precision
    shown = patch.display(p)
    files = [
        {
            "path": f.path,
            "statements": f.numbers.num_statements,
            "missed": f.numbers.num_missing,
            "branches": f.numbers.num_branches,
            "partial": f.numbers.num_partial_branches,
            "percent": f.numbers.display(p) + "%",
            "value": f.numbers.percent,
            "missing": f.missing_text,
        }
        for f in patch.files
    ]
    uncovered = [
        {"path": u.path, "lines": u.lines, "function": u.function}
        for f in patch.files
        for u in f.uncovered
    ]
    from reportgen.outputs.patch_chart import patch_chart

    return {
        "chart": patch_chart(patch, p, step.patch_min),
        "chart_narrow": patch_chart(patch, p, step.patch_min, NARROW),
        "percent": None if shown is None else shown + "%",
        "value": patch.percent,
        "statements": patch.total.num_statements,
        "missed": patch.total.num_missing,
        "branches": patch.total.num_branches,
        "partial": patch.total.num_partial_branches,
        "has_branches": patch.has_branches,
        "source": patch.source,
        "files": files[:SHOW_FILES],
        "files_hidden": max(0, len(files) - SHOW_FILES),
        "uncovered": uncovered[:SHOW_UNCOVERED],
        "uncovered_hidden": max(0, len(uncovered) - SHOW_UNCOVERED),
        "unmeasured": list(patch.unmeasured),
        "ambiguous": list(patch.ambiguous),
        "indirect": [
            {
                "path": i.path,
                "before": i.before.display(p) + "%",
                "after": i.after.display(p) + "%",
                "delta": _signed(delta_value(i.before, i.after, p), p),
            }
            for i in patch.indirect
        ],
    }
