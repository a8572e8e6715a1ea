"""Test history (flaky and slowing tests of the stored runs) for the templates."""

from __future__ import annotations

from typing import Any

from reportgen.analysis.criteria import display_seconds
from reportgen.analysis.history import History, known_flaky_notes, where_text
from reportgen.analysis.step import StepResult

# Each history table shows this many tests (the JSON summary: all).
SHOW_TESTS = 100


def _base(step: StepResult) -> str:
    return step.baseline.base if step.baseline is not None else ""


def history_where(step: StepResult) -> str:
    return where_text(_base(step))


def known_flaky(step: StepResult) -> dict[str, str]:
    """Test id -> the note beside a failing test known flaky in the stored runs."""
    return {} if step.history is None else known_flaky_notes(step.history, _base(step))


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
                # Its first line with text (a message may start with a line break).
                "message": next((line for line in t.last_message.splitlines() if line.strip()), ""),
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
        # Stored runs left out, and why (unreadable snapshots, a shallow clone): the first few.
        "left_out": list(history.left_out[:3]),
        "left_out_hidden": max(0, len(history.left_out) - 3),
        "slower_percent": f"{rules.slower_percent:g}",
        "slower_seconds": f"{rules.slower_seconds:g}",
    }
