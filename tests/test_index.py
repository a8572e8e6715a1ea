"""The index's order: archived steps sort by date, then milestone and step naturally."""

from __future__ import annotations

from reportgen.outputs.index import ArchivedStep, build_index


def _order(names: list[str]) -> list[str]:
    steps = [
        ArchivedStep(
            path=f"{i}.json", summary={"milestone": "M", "step": name, "date": "2025-01-01"}
        )
        for i, name in enumerate(names)
    ]
    return [row["step"] for row in reversed(build_index(steps)["rows"])]


def test_steps_sort_by_their_numbers() -> None:
    assert _order(["Step 10", "Step 9", "Step 1b", "Step 1a"]) == [
        "Step 1a",
        "Step 1b",
        "Step 9",
        "Step 10",
    ]


def test_any_step_name_sorts_without_failing() -> None:
    """Names come from archived files: a digit-like character int() refuses, digits of
    another script, and a run longer than int() converts must all sort, not crash."""
    huge = "Step " + "1" * 5000
    assert _order([huge, "²", "Step ٣", "Step 2", "Step 007", "Step 10"]) == [
        "Step 2",
        "Step ٣",  # Arabic-Indic three
        "Step 007",
        "Step 10",
        huge,
        "²",
    ]
