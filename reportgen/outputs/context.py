"""The template context: what every format shows, decided here, formatted by templates.

Sorting, folding, rounding and verdicts belong here, so Markdown, HTML and the
pull-request comment agree. Templates get `summary` (the JSON summary) and
`report` (rows ready to print); both are documented in the README.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, overload

from reportgen.analysis.coverage_diff import UNCHANGED, FileDiff, TargetResult, uncovered_of
from reportgen.analysis.criteria import (
    COMPLETED,
    FAILED,
    IN_PROGRESS,
    display_delta,
    display_seconds,
)
from reportgen.analysis.numbers import Numbers, human_key
from reportgen.analysis.step import StepResult
from reportgen.outputs.history_context import history_context, known_flaky
from reportgen.outputs.patch_context import patch_context
from reportgen.outputs.summary import FileEntry

STATUS_MARKS = {COMPLETED: "✅", IN_PROGRESS: "🚧", FAILED: "❌", None: "📋"}
OUTCOME_MARKS = {"passed": "✅", "failed": "❌", "error": "💥", "skipped": "⏭️"}
# Rows shown before a long list folds away into <details>.
SHOW_FILES = 10
SHOW_TESTS = 20
# No list in a report people read grows past this; the JSON summary keeps everything.
MAX_ROWS = 500
MAX_FAILURES = 100


def pct(numbers: Numbers | None, precision: int) -> str:
    return "—" if numbers is None else numbers.display(precision) + "%"


def delta_text(before: Numbers | None, after: Numbers | None, precision: int) -> str:
    if before is None or after is None:
        return "—"
    delta = float(after.display(precision)) - float(before.display(precision))
    return display_delta(delta, precision) + "%"


def _move(item: FileDiff) -> float:
    """How far a file moved, for ordering: added/removed files count their whole percent."""
    if item.before is None or item.after is None:
        side = item.after or item.before
        return side.numbers.percent if side else 0.0
    return abs(item.after.numbers.percent - item.before.numbers.percent)


def after_only(step: StepResult) -> bool:
    """One coverage run and nothing to compare it with: no file was "added" by anything."""
    cov = step.coverage
    return cov is not None and cov.before is None and cov.after is not None


def moved_files(step: StepResult) -> list[FileDiff]:
    """Files that changed, were added or removed: largest moves first, then by path."""
    moved = [f for f in step.coverage.files if f.state != UNCHANGED] if step.coverage else []
    moved.sort(key=lambda f: (-_move(f), f.path))
    return moved


def file_row(item: FileDiff, precision: int) -> FileEntry:
    """One moved file ready to print: path, state, before, after, delta, and missing (made
    only if a template reads it: the built-in templates never do)."""
    before = item.before.numbers if item.before else None
    after = item.after.numbers if item.after else None
    values = {
        "path": item.path,
        "state": item.state,
        "before": pct(before, precision),
        "after": pct(after, precision),
        "delta": delta_text(before, after, precision),
    }
    return FileEntry(values, item.after, "")


class FileRows(Sequence[FileEntry]):
    """Every moved file's row, built when a template reads it.

    A monorepo's step can move tens of thousands of files while a report shows a few
    hundred: templates see the whole list, and pay only for the rows they print.
    """

    def __init__(self, moved: Sequence[FileDiff], precision: int) -> None:
        self._moved = moved
        self._precision = precision

    def __len__(self) -> int:
        return len(self._moved)

    @overload
    def __getitem__(self, index: int) -> FileEntry: ...
    @overload
    def __getitem__(self, index: slice) -> list[FileEntry]: ...
    def __getitem__(self, index: int | slice) -> FileEntry | list[FileEntry]:
        if isinstance(index, slice):
            return [file_row(item, self._precision) for item in self._moved[index]]
        return file_row(self._moved[index], self._precision)

    # Templates treat it as the list it stands for: printed, compared and joined like one.
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FileRows | list):
            return list(self) == list(other)
        return NotImplemented

    def __add__(self, other: object) -> list[FileEntry]:
        if isinstance(other, FileRows | list):
            return list(self) + list(other)
        return NotImplemented

    def __radd__(self, other: object) -> list[FileEntry]:
        if isinstance(other, list):
            return other + list(self)
        return NotImplemented


def coverage_table(step: StepResult) -> dict[str, Any] | None:
    """One run's coverage as `coverage report -m` prints it: every file in its order (by
    path, as coverage.py sorts), its figures and Missing column, then the total."""
    if not after_only(step):
        return None
    cov = step.coverage
    assert cov is not None and cov.after is not None
    p = step.precision
    measured = sorted(
        (f.after for f in cov.files if f.after is not None), key=lambda f: human_key(f.path)
    )

    def row(numbers: Numbers) -> dict[str, Any]:
        return {
            "statements": numbers.num_statements,
            "missed": numbers.num_missing,
            "branches": numbers.num_branches,
            "partial": numbers.num_partial_branches,
            "cover": pct(numbers, p),
        }

    rows = [
        {"path": item.path, **row(item.numbers), "missing": item.missing_text}
        for item in measured[:MAX_ROWS]
    ]
    missed = [item for item in measured if _has_misses(item.numbers)]
    return {
        "rows": rows,
        "hidden": max(0, len(measured) - MAX_ROWS),
        "total": row(cov.after),
        "uncovered_files": [
            {
                "path": item.path,
                "remaining": _remaining(item.numbers, p),
                "uncovered": [
                    {"path": u.path, "lines": u.lines, "function": u.function}
                    for u in uncovered_of(item)
                ],
            }
            for item in missed[:MAX_ROWS]
        ],
        "uncovered_hidden": max(0, len(missed) - MAX_ROWS),
    }


def _has_misses(numbers: Numbers) -> bool:
    return bool(numbers.num_missing or numbers.num_missing_branches)


def verdict(result: TargetResult, precision: int) -> str:
    if not result.holds:
        return "Target missed"
    if result.target.min is not None and result.after is not None:
        if float(result.after.display(precision)) > result.target.min:
            return "Target exceeded"
    return "Target met"


def target_rows(step: StepResult) -> list[dict[str, Any]]:
    p = step.precision
    rows = []
    for result in step.targets:
        numbers = result.after
        rows.append(
            {
                "pattern": result.target.pattern,
                # What the target measured: its one file's path (a bare "slug.py" names
                # "src/app/slug.py"), else the pattern of its several files.
                "name": result.name,
                "min": result.target.min,
                "min_delta": result.target.delta,
                "goal": goal_text(result.target.min, result.target.delta),
                "before": pct(result.before, p),
                "after": pct(result.after, p),
                "delta": delta_text(result.before, result.after, p),
                "holds": result.holds,
                "verdict": verdict(result, p),
                "statements": numbers.num_statements if numbers else 0,
                "missed": numbers.num_missing if numbers else 0,
                "branches": numbers.num_branches if numbers else 0,
                "partial": numbers.num_partial_branches if numbers else 0,
                "remaining": _remaining(numbers, p),
                "uncovered": [
                    {"path": u.path, "lines": u.lines, "function": u.function}
                    for u in result.uncovered
                ],
                "several_files": len(result.paths) > 1,
            }
        )
    return rows


def goal_text(minimum: float | None, delta: float | None) -> str | None:
    """A target's goal in words: "≥80%", "+3 points", "≥80% and +3 points"."""
    parts = []
    if minimum is not None:
        parts.append(f"≥{minimum:g}%")
    if delta is not None:
        parts.append(f"{delta:+g} point{'s' if delta != 1 else ''}")
    return " and ".join(parts) or None


def _remaining(numbers: Numbers | None, precision: int) -> str:
    """The uncovered share as the complement of the displayed percent ("19%")."""
    if numbers is None:
        return "—"
    shown = float(numbers.display(precision))
    return f"{100 - shown:.{precision}f}%"


def file_counts(step: StepResult) -> dict[str, int]:
    counts = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    for item in step.coverage.files if step.coverage else ():
        counts[item.state] += 1
    counts["total"] = sum(counts.values())
    return counts


def tests_context(step: StepResult) -> dict[str, Any] | None:
    after = step.tests_after
    if after is None:
        return None
    from reportgen.analysis.test_diff import group_parametrized
    from reportgen.analysis.test_ids import module_of, short_names

    before = step.tests_before.stats() if step.tests_before else None
    stats = after.stats()
    diff = step.tests_diff
    rows = []
    for key, label in (
        ("tests", "Total"),
        ("passed", "Passed"),
        ("failed", "Failed"),
        ("errors", "Errors"),
        ("skipped", "Skipped"),
    ):
        rows.append(
            {
                "label": label,
                "after": stats[key],
                "before": before[key] if before else None,
                "delta": _count_delta(before[key], stats[key]) if before else None,
            }
        )
    regressions = set(diff.regressions) if diff else set()
    flaky = set(after.flaky)
    known = known_flaky(step)
    # `failures` are in module, then id order: regressions first keeps that order in each
    # part, and known-flaky failures come last.
    failures = [f for f in after.failures if f.id in regressions]
    failures += [f for f in after.failures if f.id not in regressions and f.id not in known]
    failures += [f for f in after.failures if f.id in known]
    groups: dict[str, list[dict[str, Any]]] = {}
    for failure in failures[:MAX_FAILURES]:
        groups.setdefault(module_of(failure.id) or "(no module)", []).append(
            {
                "id": failure.id,
                "name": _within(failure.id, module_of(failure.id)),
                "outcome": failure.outcome,
                "mark": OUTCOME_MARKS.get(failure.outcome, "❌"),
                "message": first_line(failure.message),
                "regression": failure.id in regressions,
                "flaky": failure.id in flaky,
                "known_flaky": known.get(failure.id),
            }
        )
    added_groups = []
    if diff is not None:
        functions = group_parametrized(after, diff.added)
        # Names tell apart the functions a report can list; the rest keep their ids.
        names = short_names(g.function_id for g in functions[:MAX_ROWS])
        for group in functions:
            added_groups.append(
                {
                    "id": group.function_id,
                    "name": names.get(group.function_id, group.function_id),
                    "count": group.count,
                    "doc": step.test_docs.get(group.function_id),
                    "cases": [
                        {"param": param, "outcome": o, "mark": OUTCOME_MARKS.get(o, "❔")}
                        for param, o in group.cases
                    ],
                    "outcome": _worst(o for _, o in group.cases),
                    "mark": OUTCOME_MARKS.get(_worst(o for _, o in group.cases), "❔"),
                }
            )
    return {
        "rows": rows,
        "stats": stats,
        "before": before,
        "time": display_seconds(stats["time"]),
        "time_before": display_seconds(before["time"]) if before else None,
        "added_count": len(diff.added) if diff else None,
        "added_groups": added_groups,
        "removed": list(diff.removed) if diff else [],
        "fixed": list(diff.fixed) if diff else [],
        "regressions": list(diff.regressions) if diff else [],
        "known_flaky": list(diff.known_flaky) if diff else [],
        "failure_count": len(failures),
        "failures_hidden": max(0, len(failures) - MAX_FAILURES),
        "failure_groups": [{"module": m, "failures": fs} for m, fs in groups.items()],
        "flaky": list(after.flaky),
        # Flaky tests that passed in the end are not failures, but readers must see them.
        "flaky_passed": [i for i in after.flaky if after.outcome(i) == "passed"][:MAX_ROWS],
        "slowest": [{"id": i, "time": display_seconds(t)} for i, t in after.slowest],
        "selection": _selection(step),
        "unlisted": [
            {"suite": u.name, "tests": u.tests, "summary": _counts_text(u)}
            for u in after.unlisted[:MAX_ROWS]
        ],
    }


def _counts_text(suite: Any) -> str:
    """ "4 passed, 1 failed, 2 skipped": the counts a suite declares, zeros left out."""
    parts = [
        f"{value} {label}"
        for value, label in (
            (suite.passed, "passed"),
            (suite.failed, "failed"),
            (suite.errors, "errors"),
            (suite.skipped, "skipped"),
        )
        if value
    ]
    return ", ".join(parts)


def _within(test_id: str, module: str) -> str:
    """A failing test's id inside its module's group: "NetTest::connects", "test_y"."""
    if module and test_id.startswith(module):
        return test_id[len(module) :].lstrip(".:") or test_id
    from reportgen.analysis.test_ids import split_test_id

    return split_test_id(test_id)[1] or test_id


def first_line(text: str | None) -> str:
    """The first non-empty line of a failure message."""
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


_SEVERITY = {"error": 3, "failed": 2, "passed": 1, "skipped": 0}


def _worst(outcomes: Any) -> str:
    return max(outcomes, key=lambda o: _SEVERITY.get(o, 0), default="passed")


def _count_delta(before: int, after: int) -> str:
    return f"{after - before:+d}" if after != before else "±0"


def _selection(step: StepResult) -> dict[str, Any] | None:
    if step.step_tests is None:
        return None
    stats = step.step_tests.stats()
    return {"pattern": step.spec.tests, **stats}


_NEXT_LABEL = re.compile(r"^([^:`*_\[]{1,40}):\s+(.*)$", re.DOTALL)


def next_items(items: tuple[str, ...]) -> list[dict[str, str | None]]:
    """ "Step 2: raise the gate" -> label "Step 2", text "raise the gate"."""
    rows: list[dict[str, str | None]] = []
    for item in items:
        match = _NEXT_LABEL.match(item)
        rows.append(
            {"label": match.group(1), "text": match.group(2)}
            if match
            else {"label": None, "text": item}
        )
    return rows


def heading(step: StepResult) -> str:
    spec = step.spec
    parts = [p for p in (spec.milestone, spec.step) if p]
    head = " — ".join(parts)
    if spec.title:
        head = f"{head}: {spec.title}" if head else spec.title
    if head:
        return head
    # Without a spec, the title says what the report holds.
    if step.coverage is None:
        return "Test report"
    return "Coverage and test report" if step.tests_after is not None else "Coverage report"


def build_context(step: StepResult, summary: dict[str, Any]) -> dict[str, Any]:
    p = step.precision
    cov = step.coverage
    scope = step.scope
    rows = FileRows(moved_files(step), p)
    report = {
        "heading": heading(step),
        "status": step.status,
        "status_mark": STATUS_MARKS[step.status],
        "precision": p,
        "has_coverage": cov is not None,
        "has_before": bool(cov and cov.before is not None),
        "after_only": after_only(step),
        "coverage_table": coverage_table(step),
        "has_branches": bool(cov and cov.has_branches),
        "targets": target_rows(step),
        "files": rows,
        "files_shown": rows[:SHOW_FILES],
        "files_folded": rows[SHOW_FILES:MAX_ROWS],
        "files_hidden": max(0, len(rows) - MAX_ROWS),
        "file_counts": file_counts(step),
        "total": {
            "before": pct(cov.before, p) if cov else "—",
            "after": pct(cov.after, p) if cov else "—",
            "delta": delta_text(cov.before, cov.after, p) if cov else "—",
            "statements": cov.after.num_statements if cov and cov.after else 0,
            "missed": cov.after.num_missing if cov and cov.after else 0,
        },
        "scope": None
        if scope is None
        else {
            "prefix": scope.scope.prefix,
            "before": pct(scope.before, p),
            "after": pct(scope.after, p),
            "delta": delta_text(scope.before, scope.after, p),
            "target": _range_text(scope.scope.min, scope.scope.max),
            "holds": scope.holds,
        },
        "tests": tests_context(step),
        "criteria": [
            {
                "text": c.text,
                "automatic": c.automatic,
                "holds": c.holds,
                "achieved": c.achieved,
                "judged": c.judged,
            }
            for c in step.criteria
        ],
        "next": next_items(step.spec.next),
        "show_tests": SHOW_TESTS,
        "max_rows": MAX_ROWS,
    }
    report["patch"] = patch_context(step)
    report["baseline"] = step.baseline.text if step.baseline else None
    report["history"] = history_context(step)
    from reportgen.outputs.function_context import functions_context

    report["functions"] = functions_context(step)
    return {"summary": summary, "report": report, "spec": _spec_view(step)}


def _range_text(low: float | None, high: float | None) -> str | None:
    if low is None:
        return None
    text = f"{low:g}"
    if high is not None and high != low:
        text += f"-{high:g}"
    return text + "%"


def _spec_view(step: StepResult) -> dict[str, Any]:
    spec = step.spec
    return {
        "milestone": spec.milestone,
        "step": spec.step,
        "title": spec.title,
        "date": spec.date,
        "goal": spec.goal,
        "tests": spec.tests,
        "notes": spec.notes,
        "next": list(spec.next),
    }
