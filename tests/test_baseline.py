"""Baselines end to end: a pull request measured once equals the two-run report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.baseline_project import (
    change_on_branch,
    json_report,
    make_repo,
    measure,
    reportgen,
)
from tests.patch_project import git
from tests.test_github import serve  # noqa: F401 (the loopback GitHub stand-in fixture)

STORE = "git:reportgen-baselines"


class Project:
    """Main measured at its first commit; `feature` changes code and tests, measured too."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.repo = make_repo(root)
        self.base_sha = git(self.repo, "rev-parse", "HEAD").strip()
        self.base_json, self.base_xml = measure(self.repo, "base")
        change_on_branch(self.repo)
        self.head_json, self.head_xml = measure(self.repo, "head")

    def save(self, store: str, *extra: str) -> Any:
        git(self.repo, "checkout", "-q", "main")
        try:
            return reportgen(
                self.repo,
                "baseline",
                "save",
                "--after",
                str(self.base_json),
                "--junit",
                str(self.base_xml),
                "--store",
                store,
                *extra,
            )
        finally:
            git(self.repo, "checkout", "-q", "feature")

    def two_runs(self, *extra: str) -> dict[str, Any]:
        return json_report(
            self.repo,
            "--before",
            str(self.base_json),
            "--junit-before",
            str(self.base_xml),
            *self.head(),
            *extra,
        )

    def head(self) -> list[str]:
        return ["--after", str(self.head_json), "--junit", str(self.head_xml)]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project(tmp_path_factory.mktemp("baseline"))


def test_git_store_report_equals_the_two_run_report(project: Project) -> None:
    saved = project.save(STORE)
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout == f"saved the snapshot of {project.base_sha[:7]} to {STORE}\n"
    # The store is an orphan branch of origin holding only the snapshot.
    origin = project.root / "origin.git"
    assert git(origin, "ls-tree", "--name-only", "reportgen-baselines").split() == [
        f"{project.base_sha}.snapshot"
    ]
    assert git(origin, "rev-list", "--count", "reportgen-baselines").strip() == "1"
    assert "main" in git(origin, "branch")  # the main line is untouched

    expected = project.two_runs()
    got = json_report(project.repo, *project.head(), "--baseline", STORE)
    baseline = got.pop("baseline")
    # The one stored run is the baseline's: its tests are history, with nothing flaky yet.
    assert got.pop("history") == {"runs": 1, "flaky": [], "slowing": [], "left_out": []}
    got.pop("history", None)  # history: tests/test_history.py
    assert got == expected
    assert baseline == {
        "store": STORE,
        "commit": project.base_sha,
        "merge_base": project.base_sha,
        "distance": 0,
        "text": f"Baseline from {project.base_sha[:7]}, the merge base with main.",
    }
    # The figures are coverage.py's and pytest's own.
    base = json.loads(project.base_json.read_text())
    assert got["coverage"]["before"]["display"] == base["totals"]["percent_covered_display"]
    assert got["coverage"]["before"]["statements"] == base["totals"]["num_statements"]
    tests = got["tests"]
    assert tests["before"]["tests"] == 4 and tests["before"]["failed"] == 1
    assert tests["added"] == ["tests.test_shapes::test_negative", "tests.test_shapes::test_scale"]
    assert tests["removed"] == ["tests.test_shapes::test_gone"]
    assert tests["fixed"] == ["tests.test_shapes::test_perimeter"]
    files = {f["path"]: f for f in got["coverage"]["files"]}
    assert files["pkg/shapes.py"]["missing"] == coverage_missing(project)


def coverage_missing(project: Project) -> str:
    """The Missing column `coverage report -m` prints for pkg/shapes.py after the change."""
    import subprocess
    import sys

    data = project.root / ".coverage"
    assert data.exists()
    # The last run measured is head's: report it.
    done = subprocess.run(
        [sys.executable, "-m", "coverage", "report", "-m", "--data-file", str(data)],
        cwd=project.repo,
        capture_output=True,
        text=True,
        check=True,
    )
    row = next(line for line in done.stdout.splitlines() if line.startswith("pkg/shapes.py"))
    return row.split("%", 1)[1].strip()


def test_markdown_differs_only_by_the_baseline_line(project: Project) -> None:
    assert project.save(STORE).returncode == 0
    two = reportgen(
        project.repo,
        "step",
        "--before",
        str(project.base_json),
        "--junit-before",
        str(project.base_xml),
        *project.head(),
        "--exit-zero",
        "--date",
        "2026-01-01",
    )
    one = reportgen(
        project.repo,
        "step",
        *project.head(),
        "--baseline",
        STORE,
        "--exit-zero",
        "--date",
        "2026-01-01",
    )
    line = f"Baseline from {project.base_sha[:7]}, the merge base with main.\n\n"
    history = "Test history: the last stored run on main shows no flaky test, and this run no slowing one.\n\n"
    assert line in one.stdout and history in one.stdout
    assert one.stdout.replace(line, "").replace(history, "") == two.stdout


def test_folder_store_works_the_same(project: Project, tmp_path: Path) -> None:
    store = tmp_path / "snapshots"
    saved = project.save(str(store))
    assert saved.returncode == 0, saved.stderr
    assert [p.name for p in store.iterdir()] == [f"{project.base_sha}.snapshot"]
    expected = project.two_runs()
    got = json_report(project.repo, *project.head(), "--baseline", str(store))
    assert got.pop("baseline")["commit"] == project.base_sha
    got.pop("history", None)  # history: tests/test_history.py
    assert got == expected


def test_an_ancestor_of_the_merge_base_serves_and_is_named(tmp_path: Path) -> None:
    project = Project(tmp_path)
    assert project.save(STORE).returncode == 0
    # Main moves on by two commits that change no measured code, and are never measured.
    git(project.repo, "checkout", "-q", "main")
    for number in (1, 2):
        (project.repo / f"NOTES{number}.md").write_text("notes\n")
        git(project.repo, "add", "-A")
        git(project.repo, "commit", "-q", "-m", f"notes {number}")
    git(project.repo, "push", "-q", "origin", "main")
    merge_base = git(project.repo, "rev-parse", "HEAD").strip()
    git(project.repo, "checkout", "-q", "feature")
    git(project.repo, "rebase", "-q", "main")
    expected = project.two_runs()
    got = json_report(project.repo, *project.head(), "--baseline", STORE, "--baseline-ref", "main")
    assert got.pop("baseline") == {
        "store": STORE,
        "commit": project.base_sha,
        "merge_base": merge_base,
        "distance": 2,
        "text": f"Baseline from {project.base_sha[:7]}, 2 commits before the merge base.",
    }
    got.pop("history", None)  # history: tests/test_history.py
    assert got == expected
    # GITHUB_BASE_REF names the base the same way.
    done = reportgen(
        project.repo,
        "step",
        *project.head(),
        "--baseline",
        STORE,
        "--format",
        "json",
        "--exit-zero",
        env={"GITHUB_BASE_REF": "main"},
    )
    assert json.loads(done.stdout)["baseline"]["merge_base"] == merge_base
    # In a GitLab merge-request pipeline the clone has no remote branches: the merge base GitLab
    # computed names the base.
    gitlab = {"GITLAB_CI": "true", "CI_MERGE_REQUEST_DIFF_BASE_SHA": merge_base}
    git(project.repo, "update-ref", "-d", "refs/remotes/origin/main")
    done = reportgen(
        project.repo, "step", *project.head(), "--baseline", STORE, "--format", "json",
        "--exit-zero", env=gitlab,
    )  # fmt: skip
    assert json.loads(done.stdout)["baseline"]["merge_base"] == merge_base
    assert json.loads(done.stdout)["baseline"]["commit"] == project.base_sha


def test_no_snapshot_is_a_report_without_a_before_side(project: Project, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    alone = json_report(project.repo, *project.head())
    got = json_report(project.repo, *project.head(), "--baseline", str(empty))
    assert got.pop("baseline") == {
        "store": str(empty),
        "commit": None,
        "merge_base": None,
        "distance": 0,
        "text": f"No baseline: {empty} holds no snapshot yet; this report has no before side.",
    }
    assert got.pop("history") == {"runs": 0, "flaky": [], "slowing": [], "left_out": []}
    assert got == alone
    assert got["coverage"]["before"] is None and got["tests"]["before"] is None
    # A store that has snapshots, none of this history's: said so, still no error.
    other = tmp_path / "other"
    other.mkdir()
    (other / ("f" * 40 + ".snapshot")).write_bytes(b"never read")
    done = reportgen(project.repo, "step", *project.head(), "--baseline", str(other), "--exit-zero")
    assert done.returncode == 0, done.stderr
    assert (
        f"No baseline: {other} holds no snapshot of the merge base with main"
        f" ({project.base_sha[:7]}) nor of its last 1000 ancestors; this report has no before side."
    ) in done.stdout


def test_baseline_and_before_together_are_refused(project: Project) -> None:
    done = reportgen(
        project.repo,
        "step",
        *project.head(),
        "--before",
        str(project.base_json),
        "--baseline",
        STORE,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "Error: --baseline is the before side: drop --before and --junit-before\n"
    )


def test_saving_twice_gives_equal_bytes_and_one_file(project: Project, tmp_path: Path) -> None:
    store = tmp_path / "s"
    assert project.save(str(store)).returncode == 0
    first = (store / f"{project.base_sha}.snapshot").read_bytes()
    assert project.save(str(store)).returncode == 0
    assert (store / f"{project.base_sha}.snapshot").read_bytes() == first
    assert len(list(store.iterdir())) == 1
    # GITHUB_SHA names the commit when --commit does not.
    other = "ab" * 20
    done = reportgen(
        project.repo,
        "baseline",
        "save",
        "--after",
        str(project.base_json),
        "--store",
        str(store),
        env={"GITHUB_SHA": other},
    )
    assert done.returncode == 0, done.stderr
    assert (store / f"{other}.snapshot").is_file()
    bad = reportgen(
        project.repo,
        "baseline",
        "save",
        "--after",
        str(project.base_json),
        "--store",
        str(store),
        "--commit",
        "no-such-ref",
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("Error: --commit 'no-such-ref': not a commit of this repository")


SPEC = """\
milestone = "M1"
step = "{step}"
date = 2026-01-0{day}

[[target]]
path = "pkg/shapes.py"
min = 50

[inputs]
{inputs}
"""


def test_before_previous_chains_the_archive(project: Project, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    specs = tmp_path / "specs"
    specs.mkdir()
    runs = {
        "1": f'after = "{project.base_json}"\njunit = "{project.base_xml}"',
        "2": f'before = "previous"\nafter = "{project.head_json}"\njunit = "{project.head_xml}"',
        "two-run": f'before = "{project.base_json}"\njunit_before = "{project.base_xml}"\n'
        f'after = "{project.head_json}"\njunit = "{project.head_xml}"',
    }
    for name, inputs in runs.items():
        step = "Step 2" if name == "two-run" else f"Step {name}"
        day = 2 if name == "two-run" else int(name)
        (specs / f"{name}.toml").write_text(SPEC.format(step=step, day=day, inputs=inputs))

    def step(name: str, *args: str) -> Any:
        return reportgen(
            project.repo, "step", "--spec", str(specs / f"{name}.toml"), "--exit-zero", *args
        )

    # Step 2 before step 1 is archived: said in the report, not an error.
    alone = step("2", "--format", "json", "--out", str(archive) + "/")
    assert alone.returncode == 0, alone.stderr
    first = json.loads((archive / "m1--step-2.json").read_text())
    assert first["baseline"]["text"] == (
        f"No baseline: no step of M1 before Step 2 is archived in {archive}/;"
        " this report has no before side."
    )
    assert first["coverage"]["before"] is None

    done = step("1", "--format", "md", "--format", "json", "--out", str(archive))
    assert done.returncode == 0, done.stderr
    assert f"wrote {archive / 'm1--step-1.snapshot'}" in done.stdout
    done = step("2", "--format", "md", "--format", "json", "--out", str(archive), "--force")
    assert done.returncode == 0, done.stderr
    got = json.loads((archive / "m1--step-2.json").read_text())
    assert got.pop("baseline") == {
        "store": str(archive),
        "commit": None,
        "merge_base": None,
        "distance": 0,
        "text": "Before side: the after side of Step 1, as archived.",
    }
    expected = json.loads(step("two-run", "--format", "json").stdout)
    got.pop("history", None)  # history: tests/test_history.py
    assert got == expected
    assert (
        got["coverage"]["targets"][0]["before"]["display"]
        == json.loads(project.base_json.read_text())["files"]["pkg/shapes.py"]["summary"][
            "percent_covered_display"
        ]
    )
    # Rebuilding the archive changes nothing: the snapshots are keyed by step, not by commit.
    again = step("1", "--format", "md", "--format", "json", "--out", str(archive))
    assert again.returncode == 0, again.stderr
    assert f"unchanged {archive / 'm1--step-1.snapshot'}" in again.stdout


def test_before_previous_finds_steps_archived_without_a_summary(
    project: Project, tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    base = f'after = "{project.base_json}"\njunit = "{project.base_xml}"'
    head = f'after = "{project.head_json}"\njunit = "{project.head_xml}"'

    def step(milestone: str, name: str, inputs: str, *args: str) -> Any:
        spec = tmp_path / "spec.toml"
        text = SPEC.format(step=name, day=1, inputs=inputs)
        spec.write_text(text.replace('"M1"', f'"{milestone}"'))
        done = reportgen(
            project.repo, "step", "--spec", str(spec), "--exit-zero", *args, "--out", f"{archive}/"
        )
        assert done.returncode == 0, done.stderr
        return done

    # Archived in the default format (Markdown): only their snapshots say they exist.
    step("M1", "Step 9", base)
    step("M1", "Step 11", head)  # later: not the before side
    step("M0", "Step 1", head)  # another milestone's: nor this
    assert not list(archive.glob("*.json"))
    step("M1", "Step 10", f'before = "previous"\n{head}', "--format", "json")
    got = json.loads((archive / "m1--step-10.json").read_text())
    assert got.pop("baseline")["text"] == "Before side: the after side of m1--step-9, as archived."
    two = tmp_path / "two.toml"
    two.write_text(SPEC.format(step="Step 10", day=1, inputs=head))
    expected = json_report(
        project.repo,
        "--spec",
        str(two),
        "--before",
        str(project.base_json),
        "--junit-before",
        str(project.base_xml),
    )
    got.pop("history", None)  # history: tests/test_history.py
    assert got == expected
    totals = json.loads(project.base_json.read_text())["totals"]
    assert got["coverage"]["before"]["statements"] == totals["num_statements"]
    assert got["tests"]["before"]["tests"] == 4


def test_comment_from_a_baseline_equals_the_two_run_comment(
    project: Project,
    serve: Any,  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from reportgen.cli import main
    from tests.patch_project import git_env
    from tests.test_github import ACTIONS_BOT, NUMBER, REPO, TOKEN, FakeGitHub

    assert project.save(STORE).returncode == 0
    fake = serve(FakeGitHub())
    for key, value in git_env().items():
        monkeypatch.setenv(key, value)
    for name in ("http_proxy", "https_proxy", "all_proxy"):  # loopback only
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.chdir(project.repo)
    env = {
        "GITHUB_API_URL": fake.base_url,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_EVENT_PATH": "",
        "GITHUB_BASE_REF": "main",
        "REPORTGEN_BOT_LOGIN": ACTIONS_BOT,
    }
    common = ["comment", "--repo", REPO, "--pr", str(NUMBER), "--exit-zero", *project.head()]
    two = CliRunner().invoke(
        main,
        [*common, "--comment-id", "two", "--before", str(project.base_json),
         "--junit-before", str(project.base_xml)],
        env=env,
    )  # fmt: skip
    one = CliRunner().invoke(main, [*common, "--comment-id", "one", "--baseline", STORE], env=env)
    assert two.exit_code == 0 and one.exit_code == 0, two.output + one.output
    bodies = list(fake.comments.values())
    line = f"Baseline from {project.base_sha[:7]}, the merge base with main.\n\n"
    assert line in bodies[1] and line not in bodies[0]
    assert bodies[1].replace(line, "").replace("reportgen:one", "reportgen:two") == bodies[0]


def test_a_snapshot_filed_under_another_commit_is_refused(project: Project, tmp_path: Path) -> None:
    store = tmp_path / "s"
    other = "cd" * 20
    done = project.save(str(store), "--commit", other)
    assert done.returncode == 0, done.stderr
    (store / f"{other}.snapshot").rename(store / f"{project.base_sha}.snapshot")
    out = tmp_path / "out"
    done = reportgen(
        project.repo,
        "step",
        *project.head(),
        "--baseline",
        str(store),
        "--out",
        str(out) + "/",
        "--format",
        "json",
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"Error: {store}/{project.base_sha}.snapshot: holds the snapshot of {other[:12]}\n"
    )
    assert not out.exists()


def test_outside_a_repository_there_is_no_baseline_and_no_error(
    project: Project, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    store = tmp_path / "s"
    assert project.save(str(store)).returncode == 0
    done = reportgen(
        outside,
        "step",
        *project.head(),
        "--baseline",
        str(store),
        "--format",
        "json",
        "--exit-zero",
        env={"GIT_CEILING_DIRECTORIES": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    text = json.loads(done.stdout)["baseline"]["text"]
    assert text.startswith(f"No baseline: git could not read {store} or find the merge base (")
    assert "git repository" in text  # git's own reason


def test_the_baseline_line_is_escaped_in_every_format(project: Project, tmp_path: Path) -> None:
    store = tmp_path / "a|b <script>alert(1)</script> **x**"
    out = tmp_path / "out"
    done = reportgen(project.repo, "step", *project.head(), "--baseline", str(store),
                     "--format", "md", "--format", "html", "--format", "github",
                     "--out", str(out), "--exit-zero")  # fmt: skip
    assert done.returncode == 0, done.stderr
    md = (out / "report.md").read_text()
    line = next(x for x in md.splitlines() if x.startswith("No baseline:"))
    # Markdown's own escapes: the text stays literal, the table-safe `|` included.
    assert line.endswith(
        "a\\|b \\<script>alert(1)\\</script> \\*\\*x\\*\\* holds no snapshot yet;"
        " this report has no before side."
    )
    github = (out / "report.github.md").read_text()
    assert line in github
    html = (out / "report.html").read_text()
    assert "<script>alert" not in html
    assert "a|b &lt;script&gt;alert(1)&lt;/script&gt; **x** holds no snapshot yet" in html


def test_no_snapshot_leaves_comparing_criteria_unjudged(project: Project, tmp_path: Path) -> None:
    """The first pull request after adopting baselines has none: criteria that compare with
    the before side are reported as not judged, not an input error that stops the comment."""
    spec = tmp_path / "c.toml"
    spec.write_text(
        '[[criteria]]\ncheck = "no-regressions"\n[[criteria]]\ncheck = "all-tests-pass"\n',
        encoding="utf-8",
    )
    empty = tmp_path / "empty"
    args = ("--spec", str(spec), "--baseline", str(empty), "--format", "json")
    done = reportgen(project.repo, "step", *project.head(), *args)
    assert done.returncode in (0, 1), done.stderr
    criteria = json.loads(done.stdout)["criteria"]
    # holds is null: neither met nor missed (it does not fail the step)
    assert criteria[0] == {
        "text": "No regressions in existing tests",
        "automatic": True,
        "holds": None,
        "achieved": "no baseline",
    }
    assert criteria[1]["text"] == "All tests pass" and criteria[1]["holds"] is not None
    # Shown as not judged, never ticked; the comment does not count it as met.
    md = reportgen(project.repo, "step", *project.head(), *args[:-2], "--format", "md")
    assert "- [ ] No regressions in existing tests (not judged: no baseline)\n" in md.stdout
    github = reportgen(project.repo, "step", *project.head(), *args[:-2], "--format", "github")
    # Only the missed criterion is listed as not met: the unjudged one is not a failure.
    assert (
        "**Criteria not met:**\n- ❌ All tests pass (achieved 4/5 passed, 1 failed, 0 errors)"
        "\n\n<details>" in github.stdout
    )
    html = reportgen(project.repo, "step", *project.head(), *args[:-2], "--format", "html")
    assert 'aria-label="not judged"' in html.stdout and "(not judged: no baseline)" in html.stdout
    # Without a baseline asked for, the missing before side is still an input error.
    alone = reportgen(project.repo, "step", *project.head(), "--spec", str(spec))
    assert alone.returncode == 2 and "needs both runs' JUnit" in alone.stderr
