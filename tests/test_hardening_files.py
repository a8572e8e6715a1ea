"""Files and inputs under stress: contradictory coverage summaries, symbolic-link loops in
globs, concurrent and killed writers, huge XML attributes, special files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main

DATA = Path(__file__).parent / "data"
REAL = DATA / "coverage" / "7.17.4" / "branch.json"


def run(*args: str):
    return CliRunner().invoke(main, list(args), env={"SOURCE_DATE_EPOCH": ""})


def assert_refused(result, *words: str, out: Path | None = None) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    if out is not None:
        assert not out.exists()


def coverage_file(tmp_path: Path, executed: list[int], missing: list[int], **summary) -> Path:
    entry = {
        "executed_lines": executed,
        "missing_lines": missing,
        "summary": {"num_statements": 3, "missing_lines": len(missing), **summary},
    }
    path = tmp_path / "cov.json"
    path.write_text(json.dumps({"files": {"pkg/a.py": entry}}))
    return path


# --- 13: contradictory coverage summaries ---------------------------------------------------


@pytest.mark.parametrize(
    ("executed", "missing", "summary", "message"),
    [
        ([1, 2], [3], {"covered_lines": 1}, "summary.covered_lines is 1 but num_statements"),
        ([1], [3], {"covered_lines": 2}, "summary.covered_lines is 2 but 1 executed lines"),
        ([1, 2], [2], {"covered_lines": 2}, "line 2 is listed in both executed_lines and"),
        ([1, 2, 3], [2], {}, "line 2 is listed in both executed_lines and missing_lines"),
        (
            [1, 2],
            [3],
            {"covered_lines": 2, "num_branches": 4, "missing_branches": 1, "covered_branches": 2},
            "summary.covered_branches is 2 but num_branches less missing_branches is 3",
        ),
    ],
)
def test_contradictory_coverage_summary_is_refused(
    tmp_path: Path, executed: list[int], missing: list[int], summary: dict, message: str
) -> None:
    cov = coverage_file(tmp_path, executed, missing, **summary)
    out = tmp_path / "out.md"
    for fmt in ("md", "json"):
        result = run("step", "--after", str(cov), "--format", fmt, "--out", str(out))
        assert_refused(result, str(cov), "'pkg/a.py'", message, out=out)


def test_consistent_summary_with_non_statement_lines_is_read(tmp_path: Path) -> None:
    """coverage.py before 7.x lists docstrings as executed: a longer list is no contradiction."""
    cov = coverage_file(tmp_path, [1, 2, 4, 5], [3], covered_lines=2)
    result = run("step", "--after", str(cov), "--format", "json")
    assert result.exit_code == 0, result.stderr
    [entry] = json.loads(result.stdout)["coverage"]["files"]
    assert (entry["after"]["statements"], entry["after"]["missing"], entry["missing"]) == (
        3,
        1,
        "3",
    )


def test_every_real_report_is_consistent() -> None:
    """The real reports of every coverage.py version pass the new checks unchanged."""
    reports = sorted(DATA.glob("coverage/*/*.json")) + sorted(DATA.glob("real/*/*.json"))
    reports = [p for p in reports if not p.name.endswith(".expected.json")]
    assert len(reports) > 20
    for path in reports:
        result = run("step", "--after", str(path), "--format", "json")
        assert result.exit_code == 0, (path, result.stderr)
