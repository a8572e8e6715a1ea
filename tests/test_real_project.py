"""reportgen's figures against `coverage report -m` on a real project: toolz 1.0.0 and 1.1.0.

tests/data/real holds, for each version, the `coverage json` output of the project's own test
suite and the two `coverage report -m` texts (precision 0 and 1) of the same data, in three
variants: coverage 7.17.4 with and without branch data, and coverage 6.5.0 with branch data (see
its README). The CLI is run on 1.0.0 as before and 1.1.0 as after, and every file's Stmts, Miss,
Branch, BrPart, Cover and Missing, and the totals, must be the ones coverage printed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from tests import coverage_oracle as oracle

DATA = Path(__file__).parent / "data" / "real"
BEFORE = DATA / "toolz-1.0.0"
AFTER = DATA / "toolz-1.1.0"
VARIANTS = ["branch", "nobranch", "cov65"]
CASES = [(variant, precision) for variant in VARIANTS for precision in (0, 1)]
CASE_IDS = [f"{variant}-p{precision}" for variant, precision in CASES]


def _summary(variant: str, precision: int, *, before: bool = True) -> bytes:
    """The CLI's JSON summary of one variant: 1.0.0 → 1.1.0, or 1.0.0 alone as an after-only run."""
    args = ["step", "--format", "json", "--precision", str(precision)]
    if before:
        args += [
            "--before",
            str(BEFORE / f"{variant}.json"),
            "--after",
            str(AFTER / f"{variant}.json"),
        ]
    else:
        args += ["--after", str(BEFORE / f"{variant}.json")]
    result = CliRunner().invoke(main, args, env={"SOURCE_DATE_EPOCH": ""})
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def _report(folder: Path, variant: str, precision: int) -> dict:
    """coverage's own table for one version and variant, parsed."""
    name = f"{variant}.report.txt" if precision == 0 else f"{variant}.report-p1.txt"
    return oracle.parse_report_text((folder / name).read_text(encoding="utf-8"))


def _figure_mismatches(where: str, ours: dict | None, row: dict, has_branches: bool) -> list[tuple]:
    """(where, field, ours, coverage's) for each figure of a `T` that differs from a report row."""
    if ours is None:
        return [(where, "figures", None, row)]
    pairs = [("statements", "stmts"), ("missing", "miss"), ("display", "cover")]
    if has_branches:
        pairs += [("branches", "branch"), ("partial_branches", "brpart")]
    return [
        (where, field, ours[field], row[column])
        for field, column in pairs
        if ours[field] != row[column]
    ]


def _side_mismatches(
    summary: dict, report: dict, side: str, *, with_missing: bool, has_branches: bool
) -> list[tuple]:
    """Every file's figures (and Missing string) of one side of a summary against its report."""
    files = {item["path"]: item for item in summary["coverage"]["files"]}
    found: list[tuple] = []
    for path, row in report["files"].items():
        item = files.get(path)
        if item is None:
            found.append((path, "present", False, True))
            continue
        found += _figure_mismatches(f"{path} {side}", item[side], row, has_branches)
        if with_missing and item["missing"] != row["missing"]:
            found.append((path, "Missing", item["missing"], row["missing"]))
    total = summary["coverage"][side]
    found += _figure_mismatches(f"TOTAL {side}", total, report["total"], has_branches)
    return found


@pytest.mark.parametrize(("variant", "precision"), CASES, ids=CASE_IDS)
def test_before_and_after_figures_match_coverage_reports(variant: str, precision: int) -> None:
    """Every file's before and after figures, the after Missing and both totals equal coverage's."""
    summary = json.loads(_summary(variant, precision))
    before, after = _report(BEFORE, variant, precision), _report(AFTER, variant, precision)
    has_branches = after["total"]["branch"] is not None
    assert summary["coverage"]["branch"] is has_branches
    assert summary["coverage"]["precision"] == precision
    paths = {item["path"] for item in summary["coverage"]["files"]}
    assert paths == set(before["files"]) | set(after["files"])
    found = _side_mismatches(summary, after, "after", with_missing=True, has_branches=has_branches)
    found += _side_mismatches(
        summary, before, "before", with_missing=False, has_branches=has_branches
    )
    assert found == []


@pytest.mark.parametrize(("variant", "precision"), CASES, ids=CASE_IDS)
def test_before_side_alone_matches_its_coverage_report(variant: str, precision: int) -> None:
    """The 1.0.0 data as an after-only report gives every figure and Missing string coverage printed."""
    summary = json.loads(_summary(variant, precision, before=False))
    report = _report(BEFORE, variant, precision)
    has_branches = report["total"]["branch"] is not None
    assert {item["path"] for item in summary["coverage"]["files"]} == set(report["files"])
    assert all(item["before"] is None for item in summary["coverage"]["files"])
    found = _side_mismatches(summary, report, "after", with_missing=True, has_branches=has_branches)
    assert found == []


@pytest.mark.parametrize(("variant", "precision"), CASES, ids=CASE_IDS)
def test_file_states_and_deltas_follow_the_reports(variant: str, precision: int) -> None:
    """Files in one version only are added or removed without a delta; the others move as printed."""
    summary = json.loads(_summary(variant, precision))
    before, after = _report(BEFORE, variant, precision), _report(AFTER, variant, precision)
    files = {item["path"]: item for item in summary["coverage"]["files"]}
    added = set(after["files"]) - set(before["files"])
    removed = set(before["files"]) - set(after["files"])
    # The pair was chosen for this: toolz/_version.py went away, test modules arrived.
    assert removed == {"toolz/_version.py"}
    assert "toolz/sandbox/tests/test_core.py" in added
    found: list[tuple] = []
    for path, item in files.items():
        if path in added:
            ours, expected = (item["state"], item["delta"], item["before"]), ("added", None, None)
        elif path in removed:
            ours, expected = (item["state"], item["delta"], item["after"]), ("removed", None, None)
        else:
            # A file whose printed row moved is changed; equal rows may still differ in lines.
            old, new = before["files"][path], after["files"][path]
            moved = round(float(new["cover"]) - float(old["cover"]), 6)
            ours = (round(item["delta"], 6), item["state"] if old != new else None)
            expected = (moved, "changed" if old != new else None)
        if ours != expected:
            found.append((path, ours, expected))
    total_move = float(after["total"]["cover"]) - float(before["total"]["cover"])
    assert round(summary["coverage"]["delta"], 6) == round(total_move, 6)
    assert found == []


@pytest.mark.parametrize("variant", VARIANTS)
def test_same_inputs_give_byte_identical_summaries(variant: str) -> None:
    """Running the same command twice on the real data writes the very same bytes."""
    assert _summary(variant, 1) == _summary(variant, 1)
