"""Golden-file comparison: a mismatch prints a diff and saves the output to tests/actual/."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
ACTUAL = Path(__file__).parent / "actual"


def check_golden(actual: str, name: str, regen: bool) -> None:
    """Compare `actual` with tests/golden/<name>; with --regen-golden, rewrite it instead."""
    golden = GOLDEN / name
    if regen:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(actual, encoding="utf-8", newline="\n")
        return
    if not golden.exists():
        pytest.fail(f"missing golden file {golden}; run pytest --regen-golden and review it")
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        saved = ACTUAL / name
        saved.parent.mkdir(parents=True, exist_ok=True)
        saved.write_text(actual, encoding="utf-8", newline="\n")
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), actual.splitlines(True), str(golden), str(saved)
            )
        )
        pytest.fail(f"output differs from {golden} (saved to {saved}):\n{diff}")
