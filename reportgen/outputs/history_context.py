"""Test history (flaky and slowing tests of the stored runs) for the templates."""

from __future__ import annotations

from typing import Any

from reportgen.analysis.criteria import display_seconds
from reportgen.analysis.history import History, flaky_note
from reportgen.analysis.step import StepResult

# Each history table shows this many tests (the JSON summary: all).
SHOW_TESTS = 100


def history_where(step: StepResult) -> str:
    """Where the stored runs come from, as a report says it: "on main", "in earlier steps"."""
    base = step.baseline.base if step.baseline is not None else ""
    return f"on {base}" if base else "in earlier steps"


def known_flaky_notes(step: StepResult) -> dict[str, str]:
    """Test id -> the note beside a failing test known flaky in the stored runs."""
    history = step.history
    if history is None:
        return {}
    where = history_where(step)
    return {t.id: flaky_note(t, history.runs, where) for t in history.flaky}


def history_context(step: StepResult) -> dict[str, Any] | None:
    history: History | None = step.history
    if history is None:
        return None
    rules = history.rules
    return {
        "runs": history.runs,
        "where": history_where(step),
        "flaky": [
            {
                "id": t.id,
                "failed": t.failed,
                "ran": t.runs,
                "why": t.why,
                "message": t.last_message.splitlines()[0] if t.last_message.strip() else "",
            }
            for t in history.flaky[:SHOW_TESTS]
        ],
        "flaky_hidden": max(0, len(history.flaky) - SHOW_TESTS),
        "slowing": [
            {
                "id": t.id,
                "time": display_seconds(t.time),
                "median": display_seconds(t.median),
                "earlier": t.earlier,
            }
            for t in history.slowing[:SHOW_TESTS]
        ],
        "slowing_hidden": max(0, len(history.slowing) - SHOW_TESTS),
        "slower_percent": f"{rules.slower_percent:g}",
        "slower_seconds": f"{rules.slower_seconds:g}",
    }
