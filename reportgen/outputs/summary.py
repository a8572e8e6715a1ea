"""The JSON summary (`--format json`): the report's numbers for bots and `reportgen index`.

Schema versions (bump on any incompatible change, add keys freely):
  1: first published shape; see README "JSON summary".
  2: a regression of a test known flaky on the main line is in `tests.known_flaky`, no
     longer in `tests.regressions`; added `tests.records` (every test of the after run)
     and, with stored runs, `history`. Readers take both versions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from reportgen.analysis.coverage_diff import FileDiff, ScopeResult, TargetResult
from reportgen.analysis.functions import FileFunctions
from reportgen.analysis.history import History
from reportgen.analysis.models import FileCoverage
from reportgen.analysis.step import StepResult
from reportgen.analysis.test_run import TestRun, records_of
from reportgen.outputs.figures import delta_value, numbers_dict

SCHEMA = 2
READABLE_SCHEMAS = (1, 2)


def build_summary(step: StepResult) -> dict[str, Any]:
    spec = step.spec
    summary = {
        "schema": SCHEMA,
        "milestone": spec.milestone,
        "step": spec.step,
        "title": spec.title,
        "date": spec.date,
        "goal": spec.goal,
        "status": step.status,
        "coverage": _coverage(step),
        "tests": _tests(step),
        "criteria": [
            {
                "text": c.text,
                "automatic": c.automatic,
                # null: not judged (no baseline yet); it does not fail the step
                "holds": c.holds if c.judged else None,
                "achieved": c.achieved,
            }
            for c in step.criteria
        ],
        "next": list(spec.next),
        "notes": spec.notes,
    }
    if step.patch is not None:  # only with a diff: without one the summary is as before
        summary = _with_patch(summary, step)
    if step.baseline is not None:  # only with --baseline
        b = step.baseline
        summary["baseline"] = {
            "store": b.store,
            "commit": b.commit,
            "merge_base": b.merge_base,
            "distance": b.distance,
            "text": b.text,
        }
    if step.history is not None:  # only with stored runs (a baseline, or the archive)
        summary["history"] = history_summary(step.history)
    return summary


def history_summary(history: History) -> dict[str, Any]:
    return {
        "runs": history.runs,
        "flaky": [
            {
                "id": t.id,
                "failed": t.failed,
                "runs": t.runs,
                "flips": t.flips,
                "why": t.why,
                "last_message": t.last_message,
            }
            for t in history.flaky
        ],
        "slowing": [
            {"id": t.id, "time": round(t.time, 6), "median": round(t.median, 6)}
            for t in history.slowing
        ],
        "left_out": list(history.left_out),
    }


def _with_patch(summary: dict[str, Any], step: StepResult) -> dict[str, Any]:
    """The `patch` object placed right after `coverage`."""
    from reportgen.outputs.patch_context import patch_summary

    keys = list(summary)
    at = keys.index("coverage") + 1
    items = list(summary.items())
    return dict(items[:at] + [("patch", patch_summary(step))] + items[at:])


def _coverage(step: StepResult) -> dict[str, Any]:
    p = step.precision
    diff = step.coverage
    return {
        "precision": p,
        "branch": bool(diff and diff.has_branches),
        "before": numbers_dict(diff.before, p) if diff else None,
        "after": numbers_dict(diff.after, p) if diff else None,
        "delta": delta_value(diff.before, diff.after, p) if diff else None,
        "files": [_file(f, p, step.functions) for f in diff.files] if diff else [],
        "targets": [_target(t, p) for t in step.targets],
        "scope": _scope(step.scope, p),
    }


class FileEntry(Mapping[str, Any]):
    """A file's fields, read-only, with `missing` last: its Missing column, made on first read.

    The Missing column needs the file's line lists decoded. The JSON output reads every
    file's; the reports read none or a few, so at 50,000 files they do not pay for the rest.
    """

    def __init__(
        self, values: dict[str, Any], measured: FileCoverage | None, absent: str | None
    ) -> None:
        self._values = values
        self._measured = measured
        self._absent = absent  # `missing` of a file with no after side

    def __getitem__(self, key: str) -> Any:
        if key == "missing" and key not in self._values:
            measured = self._measured
            self._values[key] = measured.missing_text if measured else self._absent
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        yield from (key for key in self._values if key != "missing")
        yield "missing"

    def __len__(self) -> int:
        return len(self._values) + ("missing" not in self._values)

    def __repr__(self) -> str:
        # What a template prints for `{{ file }}`: the dict it stands for.
        return repr(dict(self))


def _file(item: FileDiff, p: int, functions: Any = None) -> FileEntry:
    before = item.before.numbers if item.before else None
    after = item.after.numbers if item.after else None
    values = {
        "path": item.path,
        "state": item.state,
        "before": numbers_dict(before, p),
        "after": numbers_dict(after, p),
        "delta": delta_value(before, after, p),
    }
    if functions is not None and item.path in functions.files:
        values["functions"] = function_entries(functions.files[item.path], p)
    return FileEntry(values, item.after, None)


def function_entries(item: FileFunctions, precision: int) -> list[dict[str, Any]]:
    """`files[].functions` of the JSON summary; `before_name` only when coverage.py keyed
    the function differently before (a moved `name@line`)."""
    entries = []
    for f in item.functions:
        before = f.before.numbers if f.before else None
        after = f.after.numbers if f.after else None
        entry: dict[str, Any] = {"name": f.name, "state": f.state}
        if f.before is not None and f.before.name != f.name:
            entry["before_name"] = f.before.name
        entry.update(
            {
                "before": numbers_dict(before, precision),
                "after": numbers_dict(after, precision),
                "delta": delta_value(before, after, precision),
                "missing": f.after.missing if f.after else None,
            }
        )
        entries.append(entry)
    return entries


def as_json(summary: Mapping[str, Any]) -> str:
    """The summary as the `json` format writes it (every file's Missing made here).

    The standard library writes the compact text (its C encoder: indenting would switch to
    the pure-Python one) and msgspec only re-indents it, numbers and strings untouched: the
    bytes of `json.dumps(indent=2)` (property-tested), 5x faster at 50,000 files.
    """
    import json

    import msgspec

    compact = json.dumps(summary, ensure_ascii=False, default=dict)
    return msgspec.json.format(compact.encode(), indent=2).decode() + "\n"


def _target(result: TargetResult, p: int) -> dict[str, Any]:
    return {
        "pattern": result.target.pattern,
        "min": result.target.min,
        "min_delta": result.target.delta,
        "paths": list(result.paths),
        "before": numbers_dict(result.before, p),
        "after": numbers_dict(result.after, p),
        "delta": delta_value(result.before, result.after, p),
        "holds": result.holds,
        "uncovered": [
            {"path": u.path, "lines": u.lines, "function": u.function} for u in result.uncovered
        ],
    }


def _scope(result: ScopeResult | None, p: int) -> dict[str, Any] | None:
    if result is None:
        return None
    scope = result.scope
    target = None if scope.min is None else [scope.min, scope.max]
    return {
        "prefix": scope.prefix,
        "target": target,
        "before": numbers_dict(result.before, p),
        "after": numbers_dict(result.after, p),
        "holds": result.holds,
    }


def _tests(step: StepResult) -> dict[str, Any]:
    diff = step.tests_diff
    after = step.tests_after

    def ids(name: str) -> list[str]:
        return list(getattr(diff, name)) if diff else []

    return {
        "before": _stats(step.tests_before),
        "after": _stats(after),
        "selection": None
        if step.step_tests is None
        else {"pattern": step.spec.tests, **_stats(step.step_tests)},
        "added": ids("added"),
        "removed": ids("removed"),
        "regressions": ids("regressions"),
        "known_flaky": ids("known_flaky"),
        "fixed": ids("fixed"),
        "still_failing": ids("still_failing"),
        "flaky": list(after.flaky) if after else [],
        "failures": [
            {"id": f.id, "outcome": f.outcome, "message": f.message}
            for f in (after.failures if after else ())
        ],
        "slowest": [{"id": i, "time": round(t, 6)} for i, t in (after.slowest if after else ())],
        # Suites of the after run counted from their declared totals (no test cases listed).
        "unlisted": [
            {
                "suite": u.name,
                "tests": u.tests,
                "passed": u.passed,
                "failed": u.failed,
                "errors": u.errors,
                "skipped": u.skipped,
            }
            for u in (after.unlisted if after else ())
        ],
        "records": records(after) if after else {},
    }


def records(run: TestRun) -> dict[str, dict[str, Any]]:
    """Every test of a run, by outcome (`{passed: {id: seconds}, failed, error, skipped,
    runs: {id: executions}}` for tests run more than once): what the index reads to tell
    flaky and slowing tests across archived steps (`tests.flaky` names those that passed
    only on a rerun)."""
    return records_of(run)


def _stats(run: Any) -> dict[str, Any] | None:
    if run is None:
        return None
    stats = dict(run.stats())
    stats["time"] = round(stats["time"], 6)
    return stats


def overall(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The overall figure the index shows: the scope's after, else the total after."""
    coverage = summary.get("coverage") or {}
    scope = coverage.get("scope")
    if scope and scope.get("after"):
        return scope["after"]
    return coverage.get("after")
