"""The archive's index: one row per archived step, newest first, the trends (overall and
per target) and the flaky and slowing tests of the archived runs (pure)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

import msgspec

from reportgen.analysis.criteria import display_seconds
from reportgen.analysis.history import MIN_EARLIER, History
from reportgen.analysis.test_run import Records
from reportgen.outputs.summary import READABLE_SCHEMAS, overall

SPARKS = "▁▂▃▄▅▆▇█"
GAP = "·"  # a step where a target's figure is not known
MAX_HISTORY_ROWS = 100  # of each of the flaky and slowing tables


class ArchivedStep(msgspec.Struct, frozen=True):
    """A JSON summary found in the archive, with where it lies (relative to the index)."""

    path: str
    summary: dict[str, Any]
    report: str | None = None  # the Markdown report beside it, when there is one
    html_report: str | None = None  # the HTML report beside it, when there is one


def is_summary(data: Any) -> bool:
    schema = data.get("schema") if isinstance(data, dict) else None
    # `true` equals 1 in Python: the schema must be a whole number, not a boolean.
    return type(schema) is int and schema in READABLE_SCHEMAS and "coverage" in data


_Percent = Annotated[float, msgspec.Meta(ge=0, le=100)]


class _Figure(msgspec.Struct):
    # As coverage.py displays a percent: the index prints it into pages as it is.
    display: Annotated[str, msgspec.Meta(pattern=r"^[0-9]{1,3}(\.[0-9]{1,10})?$")]
    percent: Annotated[float, msgspec.Meta(ge=0, le=100)]


class _Target(msgspec.Struct):
    pattern: str
    paths: list[str] = []
    min: _Percent | None = None  # drawn as the target's threshold
    after: _Figure | None = None


class _File(msgspec.Struct):
    path: str
    after: _Figure | None = None


class _Scope(msgspec.Struct):
    prefix: str
    target: list[_Percent | None] | None = None  # drawn as a band: a percentage or none
    after: _Figure | None = None


class _Coverage(msgspec.Struct):
    after: _Figure | None = None
    targets: list[_Target] = []
    scope: _Scope | None = None
    files: list[_File] = []


class _Failure(msgspec.Struct):
    id: str
    outcome: Literal["failed", "error"]
    message: str = ""


class _Stats(msgspec.Struct):
    tests: Annotated[int, msgspec.Meta(ge=0)]
    time: Annotated[float, msgspec.Meta(ge=0)]


class _Tests(msgspec.Struct):
    after: _Stats | None = None
    records: Records = {}  # schema 2: every test of the after run
    flaky: list[str] = []
    failures: list[_Failure] = []


class _Shape(msgspec.Struct):
    """What the index reads of a summary, with the types it relies on."""

    coverage: _Coverage
    tests: _Tests | None = None
    milestone: str | None = None
    step: str | None = None
    title: str | None = None
    date: str | None = None
    # One of the three statuses: it names a CSS class in the HTML index.
    status: Literal["COMPLETED", "IN PROGRESS", "FAILED"] | None = None


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


def _target_name(target: dict[str, Any]) -> str:
    """A target as reports name it: the file it matched when that is one file (a bare
    `config.py` reads as `src/pkg/config.py`), else its pattern."""
    paths = target.get("paths") or []
    return paths[0] if len(paths) == 1 else target["pattern"]


def _targets(summary: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for target in (summary.get("coverage") or {}).get("targets") or []:
        after = target.get("after") or {}
        if isinstance(after, dict) and "display" in after:
            rows.append(
                {
                    "pattern": _target_name(target),
                    "display": f"{after['display']}%",
                    "holds": target.get("holds"),
                }
            )
    return rows


def step_order(summary: dict[str, Any]) -> tuple:
    """Where a step sorts in the archive, oldest first: by date, then milestone and step."""
    return (
        summary.get("date") or "",
        _natural(summary.get("milestone")),
        _natural(summary.get("step")),
    )


def _label(summary: dict[str, Any], path: str) -> str:
    return " ".join(p for p in (summary.get("milestone"), summary.get("step")) if p) or path


def _tests_after(summary: dict[str, Any]) -> dict[str, Any] | None:
    after = (summary.get("tests") or {}).get("after")
    return after if isinstance(after, dict) else None


def build_index(steps: list[ArchivedStep], history: History | None = None) -> dict[str, Any]:
    """The index context: rows newest first, the trends oldest first, and what `history`
    (the tests of the archived steps, oldest first) says of flaky and slowing tests."""
    ordered = sorted(steps, key=lambda item: step_order(item.summary))
    rows = []
    for item in ordered:
        s = item.summary
        total = overall(s) or {}
        scope = (s.get("coverage") or {}).get("scope") or {}
        tests = _tests_after(s)
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
                "tests": tests["tests"] if tests else None,
                "time": display_seconds(tests["time"]) if tests else None,
                "report": item.report,
                "html_report": item.html_report,
                "summary": item.path,
            }
        )
    trend = [r for r in rows if r["percent"] is not None]
    return {
        "rows": list(reversed(rows)),
        "trend": [
            {
                "label": _label(r, r["summary"]),
                "date": r["date"],
                "percent": r["percent"],
                "display": r["overall"],
                "target_range": r["target_range"],
            }
            for r in trend
        ],
        "sparkline": sparkline([r["percent"] for r in trend]),
        "target_trends": _target_trends(ordered),
        "history": _history(history),
    }


def _target_trends(ordered: Sequence[ArchivedStep]) -> list[dict[str, Any]]:
    """Per milestone (in the order of its first step), each target and scope its steps
    name, with its figure at each step where it is known, oldest first."""
    milestones: dict[str | None, list[ArchivedStep]] = {}
    for item in ordered:
        milestones.setdefault(item.summary.get("milestone"), []).append(item)
    return [
        {"milestone": name, "steps": [_step_name(i) for i in items], "targets": lines}
        for name, items in milestones.items()
        if (lines := _milestone_lines(items))
    ]


def _step_name(item: ArchivedStep) -> str:
    return item.summary.get("step") or item.path


def _milestone_lines(items: Sequence[ArchivedStep]) -> list[dict[str, Any]]:
    """One line per target pattern, then per scope prefix, in order of first appearance."""
    patterns: dict[str, None] = {}
    prefixes: dict[str, None] = {}
    for item in items:
        coverage = item.summary.get("coverage") or {}
        for target in coverage.get("targets") or []:
            patterns.setdefault(_target_name(target))
        if coverage.get("scope"):
            prefixes.setdefault(coverage["scope"]["prefix"])
    # (pattern or prefix, is a scope) -> a point per step, None where not known
    points: dict[tuple[str, bool], list[dict[str, Any] | None]] = {
        key: [] for key in [*((p, False) for p in patterns), *((p, True) for p in prefixes)]
    }
    for item in items:
        for key, point in _step_points(item, points.keys(), patterns).items():
            points[key].append(point)
    return [_line(key, found) for key, found in points.items()]


def _step_points(
    item: ArchivedStep, keys: Iterable[tuple[str, bool]], patterns: dict[str, None]
) -> dict[tuple[str, bool], dict[str, Any] | None]:
    """The figure of each target pattern (and of the scope) at one step: its `after` where
    it was a target; else the after of the file of exactly that path, when the step
    measured one (a glob or a function is known only where it was a target)."""
    coverage = item.summary.get("coverage") or {}
    found: dict[tuple[str, bool], dict[str, Any] | None] = dict.fromkeys(keys)
    name, date = _step_name(item), item.summary.get("date")
    for file in coverage.get("files") or []:
        if file["path"] in patterns and file.get("after"):
            found[file["path"], False] = _point(name, date, file["after"], None)
    for target in coverage.get("targets") or []:
        if target.get("after"):
            minimum = target.get("min")
            bounds = None if minimum is None else [minimum, None]
            found[_target_name(target), False] = _point(name, date, target["after"], bounds)
    scope = coverage.get("scope")
    if scope:
        found[scope["prefix"], True] = (
            _point(name, date, scope["after"], scope.get("target")) if scope.get("after") else None
        )
    return found


def _point(
    name: str, date: str | None, figure: dict[str, Any], bounds: list[Any] | None
) -> dict[str, Any]:
    """One step of a target's trend, shaped as `index.trend`'s items (the chart's input)."""
    return {
        "label": name,
        "date": date,
        "percent": figure["percent"],
        "display": f"{figure['display']}%",
        "shown": _shown(figure),
        "target_range": bounds,
    }


def _shown(figure: dict[str, Any]) -> float:
    """The figure as displayed ("82" of 82.13), so a move too small to show draws no step
    up or down; the percent itself when the display is not a number."""
    try:
        shown = float(figure["display"])
    except ValueError:
        shown = -1.0
    return shown if 0 <= shown <= 100 else float(figure["percent"])


def _line(key: tuple[str, bool], points: list[dict[str, Any] | None]) -> dict[str, Any]:
    pattern, is_scope = key
    known = [p for p in points if p is not None]
    return {
        "pattern": pattern,
        "scope": is_scope,
        "sparkline": sparkline([None if p is None else p["shown"] for p in points]),
        "figures": " → ".join("—" if p is None else p["display"] for p in points),
        "points": known,
        "subject": f"Coverage of {'the scope ' if is_scope else ''}{pattern}",
    }


def _history(history: History | None) -> dict[str, Any] | None:
    """The flaky and slowing tables, at most MAX_HISTORY_ROWS rows each; None without runs."""
    if history is None or not history.runs:
        return None
    flaky = [
        {
            "id": t.id,
            "failed": f"{t.failed} of {t.runs} runs",
            "why": t.why,
            "message": t.last_message,
        }
        for t in history.flaky[:MAX_HISTORY_ROWS]
    ]
    slowing = [
        {
            "id": t.id,
            "time": display_seconds(t.time),
            "median": display_seconds(t.median),
            "earlier": t.earlier,
        }
        for t in history.slowing[:MAX_HISTORY_ROWS]
    ]
    return {
        "runs": history.runs,
        "flaky": flaky,
        "flaky_more": len(history.flaky) - len(flaky),
        "slowing": slowing,
        "slowing_more": len(history.slowing) - len(slowing),
        # A test is judged slowing against at least MIN_EARLIER earlier times.
        "slowing_needs": MIN_EARLIER + 1 if history.runs <= MIN_EARLIER else None,
    }


def sparkline(values: Sequence[float | None]) -> str:
    """A one-line trend scaled between the lowest and highest value, e.g. "▁▄█"; a value
    not known (None) is a gap, "▁·█"."""
    known = [v for v in values if v is not None]
    if not known:
        return GAP * len(values)
    low, high = min(known), max(known)
    top = len(SPARKS) - 1
    return "".join(
        GAP
        if v is None
        else SPARKS[len(SPARKS) // 2]
        if high == low
        else SPARKS[round((v - low) / (high - low) * top)]
        for v in values
    )
