"""Files and inputs under stress: contradictory coverage summaries, symbolic-link loops in
globs, concurrent and killed writers, huge XML attributes, special files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.commands.gather import expand

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


# --- 5: globs and symbolic links ------------------------------------------------------------

JUNIT_ONE = (
    '<testsuites><testsuite name="s"><testcase classname="t.m" name="test_a" time="1"/>'
    "</testsuite></testsuites>"
)


def test_recursive_glob_does_not_follow_folder_links(tmp_path: Path) -> None:
    """A committed `loop -> .` link once made `**` read the same file 41 times."""
    res = tmp_path / "res"
    (res / "sub" / ".hidden").mkdir(parents=True)
    (res / "a.xml").write_text(JUNIT_ONE)
    (res / "sub" / "b.xml").write_text(JUNIT_ONE.replace("test_a", "test_b"))
    (res / "sub" / ".hidden" / "c.xml").write_text(JUNIT_ONE)
    (res / "loop").symlink_to(".")
    pattern = f"{res}/**/*.xml"
    assert expand([pattern], "JUnit") == [f"{res}/a.xml", f"{res}/sub/b.xml"]
    result = run("step", "--junit", pattern, "--format", "json")
    assert result.exit_code == 0, result.stderr
    after = json.loads(result.stdout)["tests"]["after"]
    assert (after["tests"], after["runs"], after["time"]) == (2, 2, 2.0)


def test_one_file_under_two_names_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(JUNIT_ONE)
    (tmp_path / "b.xml").symlink_to("a.xml")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.xml").symlink_to("../a.xml")
    patterns = [f"{tmp_path}/*.xml", str(tmp_path / "sub" / "c.xml")]
    assert expand(patterns, "JUnit") == [str(tmp_path / "a.xml")]
    result = run("step", "--junit", patterns[0], "--junit", patterns[1], "--format", "json")
    assert json.loads(result.stdout)["tests"]["after"]["runs"] == 1


@pytest.mark.parametrize("pattern", ["/**/*.xml", "/**", "//./**/x.xml", "/../**/*.xml"])
def test_recursive_glob_from_the_root_is_refused(pattern: str) -> None:
    result = run("step", "--junit", pattern, "--format", "json")
    assert_refused(result, pattern, "a recursive pattern from / would search the whole system")


def test_absolute_globs_still_work(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.xml").write_text(JUNIT_ONE)
    assert expand([f"{tmp_path}/x/*.xml"], "JUnit") == [f"{tmp_path}/x/a.xml"]
    assert expand([f"{tmp_path}/**/a.xml"], "JUnit") == [f"{tmp_path}/x/a.xml"]
