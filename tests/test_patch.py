"""Changed-lines (patch) coverage on a real project measured by coverage.py, through the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from reportgen.analysis.models import CoverageSnapshot
from reportgen.analysis.numbers import percent
from reportgen.analysis.patch import ChangedFile, ChangeSet, compute_patch, match_paths
from reportgen.cli import main
from reportgen.inputs.coverage_json import combine_snapshots, parse_coverage_json
from tests.patch_project import git, make_project

DATA = Path(__file__).parent / "data" / "coverage"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("patch"))


def run(cwd: Path, *args: str, env: dict[str, str] | None = None):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), env=env or {"SOURCE_DATE_EPOCH": ""})
    finally:
        os.chdir(old)


def summary(repo: Path, *args: str) -> dict:
    result = run(
        repo, "step", "--before", "../before.json", "--after", "../after.json", "--format", "json",
        *args,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def formats_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same project, each run also written as Cobertura XML and LCOV."""
    return make_project(tmp_path_factory.mktemp("patch-formats"), "xml", "lcov")


def _step_patch(repo: Path, suffix: str) -> dict:
    result = run(
        repo, "step", "--after", f"../after.{suffix}", "--format", "json", "--diff-base", "v1"
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["patch"]


@pytest.mark.parametrize("suffix", ["xml", "lcov"])
def test_branch_figures_from_per_line_counts(formats_project: Path, suffix: str) -> None:
    """Cobertura and LCOV count branches per line: the changed lines' counts give the same
    branch figures as the JSON's arcs (only the Missing texts differ: they name no arcs)."""
    own = _step_patch(formats_project, "json")
    counted = _step_patch(formats_project, suffix)
    assert counted["branch"] is True
    assert counted["total"] == own["total"]
    assert own["total"]["branches"] == 8 and own["total"]["partial_branches"] == 2
    figures = lambda files: [{k: v for k, v in f.items() if k != "missing"} for f in files]  # noqa: E731
    assert figures(counted["files"]) == figures(own["files"])


def test_figures_on_a_real_change(project: Path) -> None:
    """calc.py gains 22 lines: 15 are statements (6 never run), 8 branch arcs start on them
    (4 missed, 2 of those from lines that ran); run.py's 6 changed statements all ran."""
    patch = summary(project, "--diff-base", "v1")["patch"]
    assert patch["source"] == "git diff v1...HEAD"
    assert patch["branch"] is True
    assert patch["total"] == {
        "statements": 21,
        "missing": 6,
        "branches": 8,
        "covered_branches": 4,
        "partial_branches": 2,
        "percent": 100 * (15 + 4) / (21 + 8),
        "display": "66",
    }
    calc, run_py = patch["files"]
    assert calc == {
        "path": "pkg/calc.py",
        "statements": 15,
        "missing": "10, 17, 21-24",
        "branches": 8,
        "covered_branches": 4,
        "partial_branches": 2,
        "percent": 100 * 13 / 23,
        "display": "57",
        "missing_lines": [10, 17, 21, 22, 23, 24],
    }
    assert run_py["path"] == "run.py" and run_py["statements"] == 6
    assert run_py["missing_lines"] == [] and run_py["display"] == "100"
    # other.py is untouched, but the new run.py calls its second function.
    assert patch["indirect"] == [
        {
            "path": "pkg/other.py",
            "before": {
                "statements": 4, "missing": 1, "branches": 0, "covered_branches": 0,
                "partial_branches": 0, "percent": 75.0, "display": "75",
            },
            "after": {
                "statements": 4, "missing": 0, "branches": 0, "covered_branches": 0,
                "partial_branches": 0, "percent": 100.0, "display": "100",
            },
            "delta": 25.0,
        }
    ]  # fmt: skip
    assert patch["unmeasured"] == [] and patch["ambiguous"] == []


def test_precision_and_criterion(project: Path) -> None:
    data = summary(project, "--diff-base", "v1", "--precision", "2", "--patch-min", "65.5")
    assert data["patch"]["total"]["display"] == "65.52"
    assert data["criteria"] == [
        {
            "text": "Changed lines covered ≥65.5%",
            "automatic": True,
            "holds": True,
            "achieved": "65.52%",
        }
    ]
    failed = run(
        project, "step", "--after", "../after.json", "--diff-base", "v1", "--patch-min", "67"
    )
    assert failed.exit_code == 1
    assert "Changed lines covered ≥67%" in failed.output


def test_every_line_added_equals_coverage_reports_own_figures(project: Path) -> None:
    """A diff from the empty tree adds every line: the patch is then the whole measurement,
    so its figures must be coverage.py's own (summary and Missing column)."""
    empty = git(project, "hash-object", "-t", "tree", "/dev/null").strip()
    diff = git(project, "diff", "--no-color", empty, "HEAD")
    (project.parent / "all.diff").write_text(diff)
    patch = summary(project, "--diff", "../all.diff")["patch"]
    report = json.loads((project.parent / "after.json").read_text())
    totals = report["totals"]
    assert patch["total"]["statements"] == totals["num_statements"]
    assert patch["total"]["missing"] == totals["missing_lines"]
    assert patch["total"]["branches"] == totals["num_branches"]
    assert patch["total"]["partial_branches"] == totals["num_partial_branches"]
    assert patch["total"]["display"] == totals["percent_covered_display"]
    measured = {
        path: item for path, item in report["files"].items() if item["summary"]["num_statements"]
    }
    assert [f["path"] for f in patch["files"]] == sorted(measured)
    env = dict(os.environ, COVERAGE_FILE=str(project / ".coverage"))
    text = subprocess.run(
        [sys.executable, "-m", "coverage", "report", "-m"],
        cwd=project, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    for item in patch["files"]:
        row = next(line for line in text.splitlines() if line.startswith(item["path"] + " "))
        assert row.endswith(
            f"{item['display']}%" + (f"   {item['missing']}" if item["missing"] else "")
        )


def test_only_comments_changed_is_no_code_changed(tmp_path: Path, project: Path) -> None:
    diff = (
        "--- a/pkg/calc.py\n+++ b/pkg/calc.py\n@@ -5,2 +5,3 @@\n"
        " def clamp(x, low, high):\n+    # keep x within its bounds\n     if x < low:\n"
        "--- a/pkg/new.py\n+++ b/pkg/new.py\n@@ -0,0 +1 @@\n+print(1)\n"
    )
    (tmp_path / "c.diff").write_text(diff)
    data = summary(project, "--diff", str(tmp_path / "c.diff"), "--patch-min", "90")
    assert data["patch"]["total"]["statements"] == 0
    assert data["patch"]["total"]["percent"] is None
    assert data["patch"]["total"]["display"] is None
    assert data["patch"]["files"] == []
    assert data["patch"]["unmeasured"] == ["pkg/new.py"]
    assert data["criteria"][0]["holds"] is True
    assert data["criteria"][0]["achieved"] == "no code changed"
    md = run(project, "step", "--after", "../after.json", "--diff", str(tmp_path / "c.diff"))
    assert md.exit_code == 0
    assert "**Changed lines covered:** no code changed" in md.output
    assert "changed Python files never measured): `pkg/new.py`" in md.output
    # The note stays a paragraph: a "---" right below it would make it a heading.
    tokens = MarkdownIt("commonmark").enable("table").parse(md.output)
    headings = [t.content for i, t in enumerate(tokens[1:]) if tokens[i].type == "heading_open"]
    assert not any("never measured" in h for h in headings)
    assert "never measured): `pkg/new.py`\n\n---\n" in md.output


def test_markdown_section(project: Path) -> None:
    result = run(
        project, "step", "--before", "../before.json", "--after", "../after.json",
        "--diff-base", "v1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = result.output
    start = text.index("## Changed lines")
    section = text[start : text.index("\n## ", start) + 1]
    assert section == (
        "## Changed lines\n\n"
        "**Changed lines covered:** **66%** (21 changed statements, 6 missed; 8 branches, 2 partial)\n\n"
        "| File | Changed statements | Missed | Branches | Partial | Covered | Missing |\n"
        "|------|-------------------|--------|----------|---------|---------|---------|\n"
        "| `pkg/calc.py` | 15 | 6 | 8 | 2 | 57% | 10, 17, 21-24 |\n"
        "| `run.py` | 6 | 0 | 0 | 0 | 100% |  |\n\n"
        "### Uncovered changed lines\n\n"
        "- `pkg/calc.py` line 10: in `clamp`\n"
        "- `pkg/calc.py` line 17: in `sign`\n"
        "- `pkg/calc.py` lines 21-24: in `unused`\n\n"
        "### Indirect changes\n\n"
        "Files the diff does not touch whose coverage moved:\n\n"
        "| File | Before | After | Delta |\n"
        "|------|--------|-------|-------|\n"
        "| `pkg/other.py` | 75% | 100% | +25% |\n\n"
        "---\n\n"
    )


def test_diff_base_against_a_remote_branch(tmp_path: Path, project: Path) -> None:
    """A clone whose branch is compared with `origin/main`, as in a pull request."""
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(project), str(origin))
    git(origin, "update-ref", "refs/heads/main", "v1")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    git(clone, "fetch", "-q", str(project), "main:feature")
    git(clone, "checkout", "-q", "feature")
    result = run(
        clone, "step", "--after", str(project.parent / "after.json"), "--diff-base",
        "origin/main", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    patch = json.loads(result.output)["patch"]
    assert patch["source"] == "git diff origin/main...HEAD"
    assert patch["total"]["statements"] == 21 and patch["total"]["missing"] == 6


def test_paths_of_coverage_run_in_a_subfolder(tmp_path: Path, project: Path) -> None:
    """The repository root is one folder up from where coverage ran: suffix matching."""
    diff = git(project, "diff", "--no-color", "--src-prefix=a/app/", "--dst-prefix=b/app/", "v1")
    (tmp_path / "sub.diff").write_text(diff)
    assert "b/app/pkg/calc.py" in diff
    patch = summary(project, "--diff", str(tmp_path / "sub.diff"))["patch"]
    assert [(f["path"], f.get("diff_path")) for f in patch["files"]] == [
        ("pkg/calc.py", "app/pkg/calc.py"),
        ("run.py", "app/run.py"),
    ]
    assert patch["total"]["statements"] == 21


def test_match_paths() -> None:
    measured = ["pkg/a.py", "src/pkg/b.py", "x/util.py", "y/util.py", "/abs/repo/c.py"]
    found, ambiguous = match_paths(
        ["pkg/a.py", "b.py", "repo/pkg/b.py", "util.py", "c.py", "d.py", "lib/a.py"], measured
    )
    assert found == {
        "pkg/a.py": "pkg/a.py",  # exact
        "b.py": "src/pkg/b.py",  # the diff's path is a suffix of one measured path
        "c.py": "/abs/repo/c.py",  # absolute coverage paths
    }
    # "repo/pkg/b.py" and "src/pkg/b.py" share only "pkg/b.py": neither is a suffix of the other.
    assert ambiguous == ["util.py"]


def test_without_branch_data(tmp_path: Path) -> None:
    report = DATA / "7.6.1" / "nobranch.json"
    files = json.loads(report.read_text())["files"]
    core = files["sample/core.py"]
    changed = sorted(core["executed_lines"][:3] + core["missing_lines"][:2] + [10_000])
    snapshot = parse_coverage_json(report.read_bytes(), "nobranch.json", None, lambda p: True)
    result = compute_patch(
        ChangeSet("x.diff", (ChangedFile("sample/core.py", "modified", tuple(changed)),)), snapshot
    )
    assert result.has_branches is False
    assert result.total.num_statements == 5 and result.total.num_missing == 2
    assert result.total.num_branches == 0
    assert result.percent == percent(3, 5)


def test_combined_shards_keep_the_union_of_executed_arcs() -> None:
    """Shards combined equal `coverage combine`'s own JSON, executed arcs included."""
    folder = DATA / "7.6.1"

    def load(name: str) -> CoverageSnapshot:
        return parse_coverage_json((folder / name).read_bytes(), name, None, lambda p: True)

    combined = combine_snapshots([load("shard_a.json"), load("shard_b.json")])
    reference = load("combined.json")
    assert combined.files.keys() == reference.files.keys()
    for path, item in reference.files.items():
        assert combined.files[path].executed_branches == item.executed_branches, path
        assert combined.files[path].missing_branches == item.missing_branches, path
    assert any(item.executed_branches for item in reference.files.values())


@pytest.mark.parametrize("value", [[[1]], "1,2", [[1, 2], [3, "4"]], [[1, 10**19]]])
def test_executed_arcs_are_checked_when_read(tmp_path: Path, value: object) -> None:
    report = json.loads((DATA / "7.6.1" / "branch.json").read_text())
    report["files"]["sample/core.py"]["executed_branches"] = value
    (tmp_path / "bad.json").write_text(json.dumps(report))
    (tmp_path / "d.diff").write_text(
        "--- a/sample/core.py\n+++ b/sample/core.py\n@@ -0,0 +1 @@\n+x\n"
    )
    result = run(tmp_path, "step", "--after", "bad.json", "--diff", "d.diff")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "Error: bad.json: not a coverage.py JSON report (file 'sample/core.py'"
    )
    assert "executed_branches" in lines[0]
    # Without a diff the same report is read as before: the executed arcs are never looked at.
    assert run(tmp_path, "step", "--after", "bad.json").exit_code == 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--diff-base", "no-such-ref"], "git diff no-such-ref...HEAD: fatal:"),
        (["--diff-base", "--output=x"], "not a git revision"),
        (["--diff", "../missing.diff"], "../missing.diff: no such file"),
        (["--diff", "../bad.diff"], "../bad.diff: not a valid unified diff"),
        (["--diff", "../bad.diff", "--diff-base", "v1"], "give one of them"),
        (["--patch-min", "50"], "needs the change (--diff or --diff-base)"),
    ],
)
def test_bad_change_input_exits_2_with_one_line(project: Path, args: list[str], words: str) -> None:
    (project.parent / "bad.diff").write_bytes(b"--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n a\n")
    out = project.parent / "out"
    result = run(project, "step", "--after", "../after.json", "--out", str(out) + "/", *args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.output
    assert not out.exists()


def test_diff_base_outside_a_repository_and_without_git(tmp_path: Path, project: Path) -> None:
    after = str(project.parent / "after.json")
    outside = run(tmp_path, "step", "--after", after, "--diff-base", "main")
    assert outside.exit_code == 2
    assert "not a git repository" in outside.output.lower()
    assert len(outside.output.strip().splitlines()) == 1
    no_git = run(
        project, "step", "--after", after, "--diff-base", "v1",
        env={"PATH": str(tmp_path), "SOURCE_DATE_EPOCH": ""},
    )  # fmt: skip
    assert no_git.exit_code == 2
    assert (
        no_git.output.strip()
        == "Error: git diff v1...HEAD: git is not installed (--diff-base needs it)"
    )


def test_spec_names_the_diff_and_the_minimum(tmp_path: Path, project: Path) -> None:
    diff = git(project, "diff", "--no-color", "v1")
    (tmp_path / "change.diff").write_text(diff)
    (tmp_path / "step.toml").write_text(
        f'[inputs]\nafter = "{project.parent / "after.json"}"\ndiff = "change.diff"\n'
        "[patch]\nmin = 70\n"
    )
    result = run(project, "step", "--spec", str(tmp_path / "step.toml"), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["patch"]["total"]["display"] == "66"
    assert data["criteria"][-1]["text"] == "Changed lines covered ≥70%"
    assert data["criteria"][-1]["holds"] is False
    # An option replaces the spec's change: the spec's [inputs] diff_base is not run.
    (tmp_path / "base.toml").write_text(
        f'[inputs]\nafter = "{project.parent / "after.json"}"\ndiff_base = "v1"\n'
    )
    by_base = run(project, "step", "--spec", str(tmp_path / "base.toml"), "--format", "json")
    assert json.loads(by_base.output)["patch"]["total"]["statements"] == 21
    bad = tmp_path / "bad.toml"
    bad.write_text("[patch]\nmin = 120\n")
    refused = run(project, "step", "--spec", str(bad), "--after", "../after.json")
    assert refused.exit_code == 2
    assert "patch.min: must be a percentage from 0 to 100, not 120" in refused.output


def test_no_diff_no_patch_key(project: Path) -> None:
    assert "patch" not in summary(project)


# diff-cover 11.0.4 on the same project (`coverage xml` of the after run, then
# `diff-cover after.xml --compare-branch=v1 --format json:dc.json`), verified by hand:
# per file, the changed statements it counts (covered_lines + violation_lines) and the
# uncovered ones (violation_lines). diff-cover is not a test dependency; these are its answers.
DIFF_COVER = {
    "pkg/calc.py": {
        "covered_lines": [5, 7, 8, 9, 11, 14, 15, 16, 20],
        "violation_lines": [10, 17, 21, 22, 23, 24],
        "percent_covered": 60.0,
    },
    "run.py": {
        "covered_lines": [1, 2, 5, 6, 7, 9],
        "violation_lines": [],
        "percent_covered": 100.0,
    },
}
DIFF_COVER_TOTAL = {"total_num_lines": 21, "total_num_violations": 6, "total_percent_covered": 71}


def test_line_figures_equal_diff_covers(project: Path) -> None:
    """Same changed statements and the same uncovered lines per file as diff-cover; its
    line-only percentages are ours with the branches left out."""
    patch = summary(project, "--diff-base", "v1")["patch"]
    files = {f["path"]: f for f in patch["files"]}
    assert files.keys() == DIFF_COVER.keys()
    snapshot = parse_coverage_json((project.parent / "after.json").read_bytes(), "after.json")
    for path, theirs in DIFF_COVER.items():
        ours = files[path]
        statements = theirs["covered_lines"] + theirs["violation_lines"]
        assert ours["statements"] == len(statements)
        assert ours["missing_lines"] == theirs["violation_lines"]
        item = snapshot.files[path]
        assert set(statements) <= set(item.executed_lines) | set(item.missing_lines)
        covered = len(statements) - len(theirs["violation_lines"])
        assert percent(covered, len(statements)) == theirs["percent_covered"]
    total = patch["total"]
    assert total["statements"] == DIFF_COVER_TOTAL["total_num_lines"]
    assert total["missing"] == DIFF_COVER_TOTAL["total_num_violations"]
    lines_only = percent(total["statements"] - total["missing"], total["statements"])
    assert round(lines_only) == DIFF_COVER_TOTAL["total_percent_covered"]
    # With branches, coverage.py's formula: two partial branches pull the figure down.
    assert total["display"] == "66"


def test_badge_shows_the_patch_figure(tmp_path: Path, project: Path) -> None:
    def badge(*args: str) -> str:
        result = run(project, "step", "--after", "../after.json", "--format", "badge", *args)
        assert result.exit_code in (0, 1), result.output
        return result.output

    # 66% against [patch] min 70: within 10 points below, orange; at min 60, green.
    assert 'aria-label="patch coverage: 66%"' in badge("--diff-base", "v1", "--badge", "patch")
    assert 'fill="#b94e00"' in badge("--diff-base", "v1", "--badge", "patch", "--patch-min", "70")
    assert 'fill="#2e7d32"' in badge("--diff-base", "v1", "--badge", "patch", "--patch-min", "60")
    # The default badge stays the total coverage, diff or not.
    assert 'aria-label="coverage: 73%"' in badge("--diff-base", "v1")
    (tmp_path / "none.diff").write_text("--- a/run.py\n+++ b/run.py\n@@ -2,0 +3 @@\n+\n")
    none = badge("--diff", str(tmp_path / "none.diff"), "--badge", "patch")
    assert 'aria-label="patch coverage: no code changed"' in none
    refused = run(
        project, "step", "--after", "../after.json", "--format", "badge", "--badge", "patch"
    )
    assert refused.exit_code == 2
    assert refused.output.strip() == "Error: --badge patch needs the change (--diff or --diff-base)"


BRANCH_717 = DATA / "7.17.4" / "branch.json"


def _snapshot_717() -> CoverageSnapshot:
    return parse_coverage_json(BRANCH_717.read_bytes(), "branch.json", None, lambda p: True)


def _patch_of(snapshot: CoverageSnapshot, changed: dict[str, set[int]]):
    files = tuple(ChangedFile(p, "modified", tuple(sorted(lines))) for p, lines in changed.items())
    return compute_patch(ChangeSet("x.diff", files), snapshot)


def test_every_line_changed_is_coverage_pys_own_figures() -> None:
    """All lines of every file: each file's patch figures are its summary and Missing column."""
    snapshot = _snapshot_717()
    everything = {p: set(range(1, 1000)) for p in snapshot.files}
    result = _patch_of(snapshot, everything)
    by_path = {f.path: f for f in result.files}
    for path, item in snapshot.files.items():
        if not item.numbers.num_statements:
            assert path not in by_path
            continue
        assert by_path[path].numbers == item.numbers, path
        assert by_path[path].missing_text == item.missing_text, path
    assert result.total == snapshot.totals


lines_of = st.sets(st.integers(1, 210), max_size=80)


@settings(max_examples=150, deadline=None)
@given(first=lines_of, second=lines_of)
def test_figures_add_up_over_disjoint_changes(first: set[int], second: set[int]) -> None:
    """Counting is per line and per arc: two disjoint changes sum to their union's figures,
    and a change's missed lines are exactly its changed lines that coverage.py missed."""
    snapshot = _snapshot_717()
    second = second - first
    parts = [_patch_of(snapshot, {p: lines for p in snapshot.files}) for lines in (first, second)]
    union = _patch_of(snapshot, {p: first | second for p in snapshot.files})
    assert parts[0].total + parts[1].total == union.total
    for item in union.files:
        measured = snapshot.files[item.path]
        assert set(item.missing_lines) == (first | second) & set(measured.missing_lines)
        statements = set(measured.executed_lines) | set(measured.missing_lines)
        assert item.numbers.num_statements == len((first | second) & statements)
    if union.total.num_statements == 0:
        assert union.percent is None and union.display(0) is None


def test_diff_from_standard_input(project: Path) -> None:
    diff = git(project, "diff", "--no-color", "v1").encode()
    old = os.getcwd()
    os.chdir(project)
    try:
        result = CliRunner().invoke(
            main,
            ["step", "--after", "../after.json", "--diff", "-", "--format", "json"],
            input=diff,
            env={"SOURCE_DATE_EPOCH": ""},
        )
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    patch = json.loads(result.output)["patch"]
    assert patch["source"] == "<stdin>"
    assert patch["total"]["statements"] == 21 and patch["total"]["missing"] == 6


def test_html_section_and_hostile_paths(tmp_path: Path, project: Path) -> None:
    evil = "<img src=x onerror=alert(1)>`|.py"
    diff = git(project, "diff", "--no-color", "v1") + (
        f"--- a/{evil}\n+++ b/{evil}\n@@ -0,0 +1 @@\n+x = 1\n"
    )
    (tmp_path / "evil.diff").write_text(diff)
    out = tmp_path / "r.html"
    result = run(project, "step", "--after", "../after.json", "--diff", str(tmp_path / "evil.diff"),
                 "--patch-min", "60", "--format", "html", "--out", str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    page = out.read_text()
    section = page[page.index('<section id="changed-lines">') :]
    section = section[: section.index("</section>")]
    assert "<strong>66%</strong> of the changed lines covered" in section
    assert (
        'aria-label="Changed lines covered: All changed lines 66%, pkg/calc.py 57%, run.py 100%."'
        in section
    )
    assert (
        '<td class="mono"><span class="nowrap">10</span>, <span class="nowrap">17</span>, '
        '<span class="nowrap">21-24</span></td>'
    ) in section
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in section
    md = run(project, "step", "--after", "../after.json", "--diff", str(tmp_path / "evil.diff"))
    line = next(t for t in md.output.splitlines() if t.startswith("Not in the coverage data"))
    # In a code span (HTML there is shown as text), its table pipe escaped.
    assert line.endswith("never measured): ``<img src=x onerror=alert(1)>`|.py``")


def test_gitattributes_cannot_hide_changed_lines(tmp_path: Path) -> None:
    """A pull request's `.gitattributes` marking Python files binary (or giving them a
    textconv driver) does not turn its changes into "Binary files differ"."""
    from reportgen.commands.git_diff import git_diff

    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "mod.py").write_text("a = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    git(repo, "switch", "-q", "-c", "change")
    (repo / "mod.py").write_text("a = 1\nb = 2\nc = 3\n")
    (repo / ".gitattributes").write_text("*.py -diff\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two")
    old = os.getcwd()
    os.chdir(repo)
    try:
        changes = git_diff("main")
    finally:
        os.chdir(old)
    files = {f.path: f.lines for f in changes.files}
    assert files["mod.py"] == (2, 3)


def test_one_measured_file_is_matched_to_one_diff_path() -> None:
    """Two services' `pkg/x.py` in a diff, coverage run in one of them: neither is taken for
    the measured `pkg/x.py` (it would count twice); an exact match takes it from any
    suffix match, and the other path is a file coverage never measured."""
    assert match_paths(["svcA/pkg/x.py", "svcB/pkg/x.py"], ["pkg/x.py"]) == (
        {},
        ["svcA/pkg/x.py", "svcB/pkg/x.py"],
    )
    assert match_paths(["legacy/pkg/x.py", "pkg/x.py"], ["pkg/x.py"]) == (
        {"pkg/x.py": "pkg/x.py"},
        [],
    )


def test_a_file_the_diff_only_removes_lines_from_is_not_indirect(
    tmp_path: Path, project: Path
) -> None:
    """`pkg/other.py` moved 75% -> 100%: an indirect change, unless the diff names it, even
    with lines removed only (or as a rename's old name)."""
    only_removed = "--- a/pkg/other.py\n+++ b/pkg/other.py\n@@ -2 +1,0 @@\n-    y = 2\n"
    renamed = (
        "diff --git a/old/other.py b/pkg/other.py\nsimilarity index 100%\n"
        "rename from old/other.py\nrename to pkg/other.py\n"
    )
    for name, text in (("removed.diff", only_removed), ("renamed.diff", renamed)):
        (tmp_path / name).write_text(text)
        data = summary(project, "--diff", str(tmp_path / name))
        assert "pkg/other.py" not in [i["path"] for i in data["patch"]["indirect"]], name
    (tmp_path / "elsewhere.diff").write_text(only_removed.replace("other.py", "calc.py"))
    data = summary(project, "--diff", str(tmp_path / "elsewhere.diff"))
    assert [i["path"] for i in data["patch"]["indirect"]] == ["pkg/other.py", "run.py"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--diff", ""], "Error: --diff: empty path\n"),
        (["--diff-base", ""], "Error: --diff-base: empty revision\n"),
        (["--diff-base", "v1", "--patch-min", "nan"], "Error: --patch-min: expected a number"),
    ],
)
def test_empty_change_options_and_nan_are_refused(
    project: Path, args: list[str], message: str
) -> None:
    """An empty --diff or --diff-base is an unset variable, not "no change"; NaN is no
    minimum (every comparison with it is false)."""
    result = run(project, "step", "--after", "../after.json", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_a_diff_that_is_no_regular_file_is_refused(tmp_path: Path, project: Path) -> None:
    """A FIFO (or /dev/zero, named by a spec) would never end: one line, exit 2."""
    fifo = tmp_path / "change.diff"
    os.mkfifo(fifo)
    result = run(project, "step", "--after", "../after.json", "--diff", str(fifo))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {fifo}: not a regular file\n"


def test_a_file_named_many_times_merges_in_linear_time() -> None:
    """40,000 sections for one file: their lines merge once (a re-sort per section took 28 s)."""
    import io

    from reportgen.inputs.unified_diff import parse_unified_diff

    one = "--- a/x.py\n+++ b/x.py\n@@ -{n},0 +{m} @@\n+x = {n}\n"
    text = "".join(one.format(n=n, m=n + 1) for n in range(1, 40_001))
    start = time.perf_counter()
    changes = parse_unified_diff(io.BytesIO(text.encode()), "many.diff")
    assert time.perf_counter() - start < 10  # generous: the quadratic merge took 28 s
    [changed] = changes.files
    assert changed.lines == tuple(range(2, 40_002))


def test_patch_chart_labels_go_through_the_html_sanitiser() -> None:
    """A path holding bidi overrides or NUL reaches the chart's label and <title> cleaned,
    as the tables' text does (one sanitiser for every text that reaches HTML)."""
    import msgspec

    from reportgen.outputs.patch_chart import patch_chart

    snapshot = _snapshot_717()
    result = _patch_of(snapshot, {"sample/core.py": set(range(1, 200))})
    evil = msgspec.structs.replace(result.files[0], path="a\u202eyp.txt\x00.py")
    chart = patch_chart(msgspec.structs.replace(result, files=(evil,)), 0, None)
    assert chart is not None
    labels = [(row.label, row.full_label) for row in chart.rows[1:]]
    assert labels == [("a\ufffdyp.txt\ufffd.py", "a\ufffdyp.txt\ufffd.py")]
    assert "\u202e" not in chart.description and "\x00" not in chart.description


def test_a_diff_path_names_its_own_file_not_a_namesake(tmp_path: Path) -> None:
    """The diff touches `pkg/util.py`; the untouched top-level `util.py`, whose coverage the
    change's tests lifted, is an indirect change (a suffix match must not hide it)."""
    from tests.test_snapshot import coverage_json

    before = tmp_path / "before.json"
    after = tmp_path / "after.json"
    before.write_bytes(coverage_json({"util.py": ([1, 2], [3]), "pkg/util.py": ([1], [])}, False))
    after.write_bytes(
        coverage_json({"util.py": ([1, 2, 3], []), "pkg/util.py": ([1, 2], [])}, False)
    )
    diff = tmp_path / "change.diff"
    diff.write_text("--- a/pkg/util.py\n+++ b/pkg/util.py\n@@ -1,0 +2 @@\n+b = 2\n")
    done = CliRunner().invoke(
        main,
        ["step", "--before", str(before), "--after", str(after), "--diff", str(diff)]
        + ["--format", "json"],
    )
    assert done.exit_code == 0, done.stderr
    patch = json.loads(done.stdout)["patch"]
    assert [f["path"] for f in patch["files"]] == ["pkg/util.py"]
    assert [i["path"] for i in patch["indirect"]] == ["util.py"]


def test_a_missing_range_never_spans_an_unchanged_statement(tmp_path: Path) -> None:
    """Lines 2 and 4 changed, 3 unchanged, all three missed: the changed lines' Missing is
    `2, 4`, not `2-4` (line 3 is no changed line), as the README says."""
    from tests.test_snapshot import coverage_json

    after = tmp_path / "after.json"
    after.write_bytes(coverage_json({"a.py": ([1], [2, 3, 4])}, False))
    diff = tmp_path / "change.diff"
    diff.write_text("--- a/a.py\n+++ b/a.py\n@@ -2 +2 @@\n-x\n+y\n@@ -4 +4 @@\n-x\n+z\n")
    done = CliRunner().invoke(
        main, ["step", "--after", str(after), "--diff", str(diff), "--format", "json"]
    )
    assert done.exit_code == 0, done.stderr
    (item,) = json.loads(done.stdout)["patch"]["files"]
    assert (item["missing"], item["missing_lines"]) == ("2, 4", [2, 4])


def test_the_patch_chart_draws_verdicts_order_and_threshold(tmp_path: Path) -> None:
    """With `--patch-min 80`: all changed lines (75%) first, then the file whose changed
    lines miss most, both red, then the covered one, green; the threshold is a line."""
    from tests.test_snapshot import coverage_json

    after = tmp_path / "after.json"
    after.write_bytes(coverage_json({"good.py": ([1, 2], []), "weak.py": ([1], [2])}, False))
    diff = tmp_path / "change.diff"
    diff.write_text(
        "--- a/good.py\n+++ b/good.py\n@@ -0,0 +1,2 @@\n+a\n+b\n"
        "--- a/weak.py\n+++ b/weak.py\n@@ -0,0 +1,2 @@\n+a\n+b\n"
    )
    done = CliRunner().invoke(
        main,
        ["step", "--after", str(after), "--diff", str(diff), "--patch-min", "80"]
        + ["--format", "html", "--exit-zero"],
    )
    assert done.exit_code == 0, done.stderr
    html = done.stdout
    section = html[html.index('<section id="changed-lines"') :]
    section = section[: section.index("</section>")]
    bars = re.findall(r'<rect class="bar-after( ok| bad)?"', section)
    assert bars[:3] == [" bad", " bad", " ok"]
    titles = re.findall(r"<title>([^<]*)</title>", section)
    assert titles.index("weak.py") < titles.index("good.py")
    assert '<line class="threshold"' in section
