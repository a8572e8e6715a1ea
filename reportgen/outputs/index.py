"""The archive's index: one row per archived step, newest first, and the trend (pure)."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

import msgspec

from reportgen.outputs.summary import READABLE_SCHEMAS, overall

SPARKS = "▁▂▃▄▅▆▇█"


class ArchivedStep(msgspec.Struct, frozen=True):
    """A JSON summary found in the archive, with where it lies (relative to the index)."""

    path: str
    summary: dict[str, Any]
    report: str | None = None  # the Markdown report beside it, when there is one
    html_report: str | None = None  # the HTML report beside it, when there is one


def is_summary(data: Any) -> bool:
    return isinstance(data, dict) and data.get("schema") in READABLE_SCHEMAS and "coverage" in data


class _Figure(msgspec.Struct):
    display: str
    percent: Annotated[float, msgspec.Meta(ge=0, le=100)]


class _Target(msgspec.Struct):
    pattern: str
    after: _Figure | None = None


class _Scope(msgspec.Struct):
    prefix: str
    target: list[float | None] | None = None
    after: _Figure | None = None


class _Coverage(msgspec.Struct):
    after: _Figure | None = None
    targets: list[_Target] = []
    scope: _Scope | None = None


class _Shape(msgspec.Struct):
    """What the index reads of a summary, with the types it relies on."""

    coverage: _Coverage
    milestone: str | None = None
    step: str | None = None
    title: str | None = None
    date: str | None = None
    status: str | None = None


def summary_problem(data: dict[str, Any]) -> str | None:
    """Why an archived summary cannot be indexed, or None when it can."""
    try:
        msgspec.convert(data, _Shape)
    except msgspec.ValidationError as err:
        return " ".join(str(err).split())[:200]
    return None


def _natural(text: str | None) -> tuple:
    """ "Step 10" sorts after "Step 9"; names come from archived files, so any text sorts."""
    parts = re.split(r"(\d+)", text or "")
    # The split alternates text and digit runs, so like compares with like.
    return tuple(_number_key(part) if i % 2 else part for i, part in enumerate(parts))


def _number_key(digits: str) -> tuple[int, str]:
    """A digit run's value as a sort key, without int(): no size limit, any script's digits."""
    value = "".join(str(unicodedata.decimal(c)) for c in digits).lstrip("0")
    return (len(value), value)


def _targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for target in (summary.get("coverage") or {}).get("targets") or []:
        after = target.get("after") or {}
        if isinstance(after, dict) and "display" in after:
            rows.append(
                {
                    "pattern": target.get("pattern"),
                    "display": f"{after['display']}%",
                    "holds": target.get("holds"),
                }
            )
    return rows


def build_index(steps: list[ArchivedStep]) -> dict[str, Any]:
    """The index context: rows newest first, the trend oldest first."""
    rows = []
    for item in steps:
        s = item.summary
        total = overall(s) or {}
        scope = (s.get("coverage") or {}).get("scope") or {}
        rows.append(
            {
                "milestone": s.get("milestone"),
                "step": s.get("step"),
                "title": s.get("title"),
                "date": s.get("date"),
                "status": s.get("status"),
                "targets": _targets(s),
                "overall": f"{total['display']}%" if "display" in total else None,
                "percent": total.get("percent"),
                "scope": scope.get("prefix"),
                "target_range": scope.get("target"),
                "report": item.report,
                "html_report": item.html_report,
                "summary": item.path,
            }
        )
    rows.sort(key=lambda r: (r["date"] or "", _natural(r["milestone"]), _natural(r["step"])))
    trend = [r for r in rows if r["percent"] is not None]
    newest_first = list(reversed(rows))
    return {
        "rows": newest_first,
        "trend": [
            {
                "label": " ".join(p for p in (r["milestone"], r["step"]) if p) or r["summary"],
                "date": r["date"],
                "percent": r["percent"],
                "display": r["overall"],
                "target_range": r["target_range"],
            }
            for r in trend
        ],
        "sparkline": sparkline([r["percent"] for r in trend]),
    }


def sparkline(values: list[float]) -> str:
    """A one-line trend scaled between the lowest and highest value, e.g. "▁▄█"."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return SPARKS[len(SPARKS) // 2] * len(values)
    top = len(SPARKS) - 1
    return "".join(SPARKS[round((v - low) / (high - low) * top)] for v in values)
