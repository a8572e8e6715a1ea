"""Test history: flaky and slowing tests over stored runs of the main line.

The data is a generated history (tests/history_runs.py) of 20 runs of 10,000 tests in
pytest's JUnit XML, with 5 flaky and 3 slowed tests injected among decoys.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import pytest

from reportgen.analysis.history import HistoryRules, HistoryRun, read_history
from reportgen.inputs.test_results import parse_junit
from reportgen.outputs.snapshot import encode_snapshot
from tests import history_runs as H
from tests.patch_project import git, git_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="git repositories of 20 commits")


def parse(data: bytes, name: str = "run.xml") -> Any:
    return parse_junit(io.BytesIO(data), name)


@pytest.fixture(scope="module")
def runs() -> list[Any]:
    return [parse(H.junit_run(i), f"run-{i}.xml") for i in range(H.RUNS)]


def history_of(runs: list[Any], commits: list[str] | None = None, **rules: Any) -> Any:
    commits = commits or [f"{i:040x}" for i in range(len(runs))]
    stored = [HistoryRun(c[:7], c, r) for c, r in zip(commits, runs, strict=True)]
    return read_history(stored, HistoryRules(**rules))


def test_finds_exactly_the_injected_flaky_and_slowed_tests(runs: list[Any]) -> None:
    history = history_of(runs)
    assert history.runs == 20
    assert {t.id for t in history.flaky} == set(H.FLAKY)
    assert {t.id for t in history.slowing} == set(H.SLOWED)
    flaky = {t.id: t for t in history.flaky}
    # failed counts every run it failed in, a pass on a rerun included
    assert (flaky["tests.mod_3::test_case_17"].failed, flaky["tests.mod_3::test_case_17"].runs) == (
        3,
        20,
    )
    assert flaky["tests.mod_3::test_case_17"].why == "flipped 6 times"
    assert flaky["tests.mod_3::test_case_17"].last_message == "AssertionError: run 15 was unlucky"
    assert flaky["tests.mod_8::test_case_2"].why == "passed on a rerun in 1 run"
    assert flaky["tests.mod_8::test_case_2"].failed == 1
    assert flaky["tests.mod_41::test_case_30"].last_message == "TimeoutError: run 16"
    assert flaky["tests.mod_77::test_case_5"].failed == 3
    assert flaky["tests.mod_150::test_case_49"].failed == 3
    assert flaky["tests.mod_150::test_case_49"].last_message == "AssertionError: run 12 was unlucky"
    # most failures first, then by id
    assert [t.id for t in history.flaky][:3] == [
        "tests.mod_150::test_case_49",
        "tests.mod_3::test_case_17",
        "tests.mod_77::test_case_5",
    ]
    # the largest slow-down first; the median is that of the 19 earlier times
    slowing = history.slowing
    assert [t.id for t in slowing] == [
        "tests.mod_180::test_case_8",
        "tests.mod_12::test_case_0",
        "tests.mod_99::test_case_33",
    ]
    earlier = [r.class_results("tests.mod_12")["test_case_0"][2] for r in runs[:-1]]
    assert slowing[1].median == statistics.median(earlier)
    assert (slowing[1].time, slowing[1].earlier) == (2.5, 19)


def test_thresholds_are_the_rules(runs: list[Any]) -> None:
    """The 0.9 s test (about +0.7 s, +350%) drops out at a 1 s floor; the +35% decoy comes in
    at 30%."""
    strict = history_of(runs, slower_seconds=1.0)
    assert "tests.mod_99::test_case_33" not in {t.id for t in strict.slowing}
    loose = history_of(runs, slower_percent=30)
    assert "tests.mod_30::test_case_3" in {t.id for t in loose.slowing}


def test_same_commit_disagreeing_is_flaky_even_with_one_flip() -> None:
    passing = parse(b'<testsuite><testcase classname="m" name="t"/></testsuite>')
    failing = parse(
        b'<testsuite><testcase classname="m" name="t"><failure message="boom"/></testcase>'
        b"</testsuite>"
    )
    shas = ["a" * 40, "b" * 40, "c" * 40, "c" * 40]
    history = history_of([passing, passing, passing, failing], shas)
    assert [(t.id, t.why, t.failed, t.last_message) for t in history.flaky] == [
        ("m::t", "passed and failed on ccccccc", 1, "boom")
    ]
    # The same outcomes on four commits: one flip, a break, not flakiness.
    assert history_of([passing, passing, passing, failing]).flaky == ()


def test_slowing_needs_three_earlier_times() -> None:
    def timed(seconds: float) -> Any:
        xml = f'<testsuite><testcase classname="m" name="t" time="{seconds}"/></testsuite>'
        return parse(xml.encode())

    assert history_of([timed(0.1), timed(0.1), timed(5.0)]).slowing == ()
    assert [t.id for t in history_of([timed(0.1)] * 3 + [timed(5.0)]).slowing] == ["m::t"]


def test_the_same_runs_give_the_same_history(runs: list[Any]) -> None:
    assert history_of(runs) == history_of(list(runs))


def test_snapshot_grows_by_at_most_40_bytes_a_test(runs: list[Any]) -> None:
    """What a stored run's tests cost: the snapshot of the tests alone over 10,000 tests."""
    empty = parse(b"<testsuite/>")
    bare = len(encode_snapshot("a" * 40, None, empty, None, None))
    full = len(encode_snapshot("a" * 40, None, runs[-1], None, None))
    per_test = (full - bare) / H.TESTS
    assert per_test <= 40, per_test


# --- End to end: a folder store of 20 main-line runs, and a pull request --------------------


@pytest.fixture(scope="module")
def main_line(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A repository with 20 commits on main, each with its stored run, and a branch."""
    from click.testing import CliRunner

    from reportgen.cli import main

    root = tmp_path_factory.mktemp("history")
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(root, "init", "-q", "--bare", "-b", "main", "origin.git")
    git(repo, "remote", "add", "origin", str(root / "origin.git"))
    store = root / "store"
    shas = []
    for i in range(H.RUNS):
        git(repo, "commit", "-q", "--allow-empty", "-m", f"run {i}")
        sha = git(repo, "rev-parse", "HEAD").strip()
        shas.append(sha)
        junit = root / f"run-{i}.xml"
        junit.write_bytes(H.junit_run(i))
        saved = CliRunner().invoke(
            main,
            ["baseline", "save", "--junit", str(junit), "--store", str(store), "--commit", sha],
        )
        assert saved.exit_code == 0, saved.output
    git(repo, "push", "-q", "origin", "main")
    git(repo, "remote", "set-head", "origin", "main")
    git(repo, "checkout", "-q", "-b", "change")
    git(repo, "commit", "-q", "--allow-empty", "-m", "the change")
    return {"repo": repo, "store": store, "shas": shas, "root": root}


def pull_request_run(root: Path) -> Path:
    """The change's run: a known-flaky test fails, another test regresses, and a test that
    was never flaky passes on a rerun."""
    xml = H.junit_run(H.RUNS - 1).decode()
    flaky = '<testcase classname="tests.mod_3" name="test_case_17" time="'
    start = xml.index(flaky)
    end = xml.index("/>", start) + 2
    xml = (
        xml[:start]
        + xml[start : end - 2]
        + '><failure message="AssertionError: unlucky again">x</failure></testcase>'
        + xml[end:]
    )
    regress = '<testcase classname="tests.mod_60" name="test_case_1" time="'
    start = xml.index(regress)
    end = xml.index("/>", start) + 2
    case = xml[start : end - 2]
    xml = xml[:start] + case + '><failure message="real bug">x</failure></testcase>' + xml[end:]
    rerun = '<testcase classname="tests.mod_61" name="test_case_1" time="'
    start = xml.index(rerun)
    end = xml.index("/>", start) + 2
    case = xml[start : end - 2]
    xml = (
        xml[:start]
        + case
        + '><failure message="reset">x</failure></testcase>'
        + case
        + "/>"
        + xml[end:]
    )
    path = root / "pr.xml"
    path.write_text(xml, encoding="utf-8")
    return path


def run_step(main_line: dict[str, Any], *args: str) -> Any:
    from click.testing import CliRunner

    from reportgen.cli import main

    junit = pull_request_run(main_line["root"])
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(main_line["repo"])
        for key, value in git_env().items():
            patch.setenv(key, value)
        for key in ("GITHUB_BASE_REF", "GITHUB_SHA", "GITLAB_CI"):
            patch.delenv(key, raising=False)
        return CliRunner().invoke(
            main,
            ["step", "--baseline", str(main_line["store"]), "--junit", str(junit), *args],
            env={"SOURCE_DATE_EPOCH": ""},
        )


def test_pull_request_report_marks_known_flaky_failures(main_line: dict[str, Any]) -> None:
    done = run_step(main_line, "--format", "json", "--exit-zero")
    assert done.exit_code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["baseline"]["commit"] == main_line["shas"][-1]
    history = summary["history"]
    assert history["runs"] == 20
    assert [t["id"] for t in history["flaky"]] == [
        "tests.mod_150::test_case_49",
        "tests.mod_3::test_case_17",
        "tests.mod_77::test_case_5",
        "tests.mod_41::test_case_30",
        "tests.mod_8::test_case_2",
    ]
    assert history["flaky"][1] == {
        "id": "tests.mod_3::test_case_17",
        "failed": 3,
        "runs": 20,
        "flips": 6,
        "why": "flipped 6 times",
        "last_message": "AssertionError: run 15 was unlucky",
    }
    assert [t["id"] for t in history["slowing"]] == [
        "tests.mod_180::test_case_8",
        "tests.mod_12::test_case_0",
        "tests.mod_99::test_case_33",
    ]
    assert history["slowing"][0]["time"] == 12.0
    # The known-flaky failure is apart from the regressions.
    assert summary["tests"]["regressions"] == ["tests.mod_60::test_case_1"]
    assert summary["tests"]["known_flaky"] == ["tests.mod_3::test_case_17"]
    assert summary["tests"]["flaky"] == ["tests.mod_61::test_case_1"]


def test_markdown_says_flaky_on_main(main_line: dict[str, Any]) -> None:
    done = run_step(main_line, "--format", "md", "--exit-zero")
    assert done.exit_code == 0, done.stderr
    text = done.stdout
    assert (
        "- ❌ `test_case_17` *flaky on main: failed 3 of the last 20 runs*:"
        " AssertionError: unlucky again" in text
    )
    assert "**Regressions** (passed before, fail now): 1" in text
    assert "**Known flaky** (passed before, fail now, and flaky on main;" in text
    assert "## 🕘 Test history" in text
    assert "From the last 20 stored runs on main." in text
    assert (
        "| `tests.mod_3::test_case_17` | 3 of 20 | flipped 6 times |"
        " AssertionError: run 15 was unlucky |" in text
    )
    assert "| `tests.mod_180::test_case_8` | 12.00s |" in text


def test_no_new_flaky_criterion(main_line: dict[str, Any], tmp_path: Path) -> None:
    """The rerun-passing test of the change was never flaky on main: the criterion fails,
    exit 1; the known-flaky failure alone would not fail it."""
    spec = tmp_path / "spec.toml"
    spec.write_text('[[criteria]]\ncheck = "no-new-flaky"\n', encoding="utf-8")
    done = run_step(main_line, "--spec", str(spec), "--format", "json")
    assert done.exit_code == 1, done.stderr
    criteria = json.loads(done.stdout)["criteria"]
    assert criteria == [
        {
            "text": "No new flaky tests",
            "automatic": True,
            "holds": False,
            "achieved": "1 new flaky test: tests.mod_61::test_case_1",
        }
    ]


def test_history_runs_option_reads_fewer_runs(main_line: dict[str, Any]) -> None:
    done = run_step(main_line, "--format", "json", "--exit-zero", "--history-runs", "5")
    assert done.exit_code == 0, done.stderr
    history = json.loads(done.stdout)["history"]
    assert history["runs"] == 5
    # Runs 15-19: mod_41's error in 16 is two flips; mod_3 (failed in 15, the first run read)
    # and mod_77 (failed in 18 and 19) flip once each: a change of state, not flakiness.
    assert [t["id"] for t in history["flaky"]] == ["tests.mod_41::test_case_30"]
    done = run_step(main_line, "--format", "json", "--exit-zero", "--history-runs", "0")
    assert "history" not in json.loads(done.stdout)


def test_git_store_keeps_a_rerun_of_one_commit(tmp_path: Path) -> None:
    """A job re-run on the same main commit saves again; the git store's history keeps both
    saves, so a test that passed in one and failed in the other is flaky ("passed and failed
    on" that commit) although it flipped only once."""
    from tests.baseline_project import reportgen

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(tmp_path, "init", "-q", "--bare", "-b", "main", "origin.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    passing = b'<testsuite><testcase classname="m" name="t"/><testcase classname="m" name="u"/></testsuite>'
    failing = (
        b'<testsuite><testcase classname="m" name="t"><failure message="race">x</failure>'
        b'</testcase><testcase classname="m" name="u"/></testsuite>'
    )
    saves = [("one", passing), ("two", passing), ("three", passing), (None, failing)]
    for message, junit in saves:
        if message:
            git(repo, "commit", "-q", "--allow-empty", "-m", message)
        (tmp_path / "run.xml").write_bytes(junit)
        done = reportgen(repo, "baseline", "save", "--junit", "../run.xml", "--store", "git:runs")
        assert done.returncode == 0, done.stderr
    three = git(repo, "rev-parse", "HEAD").strip()
    git(repo, "push", "-q", "origin", "main")
    git(repo, "remote", "set-head", "origin", "main")
    git(repo, "checkout", "-q", "-b", "change")
    git(repo, "commit", "-q", "--allow-empty", "-m", "change")
    (tmp_path / "pr.xml").write_bytes(passing)
    done = reportgen(
        repo, "step", "--baseline", "git:runs", "--junit", "../pr.xml", "--format", "json"
    )
    assert done.returncode == 0, done.stderr
    history = json.loads(done.stdout)["history"]
    assert history["runs"] == 4  # three commits, the last measured twice
    assert history["flaky"] == [
        {
            "id": "m::t",
            "failed": 1,
            "runs": 4,
            "flips": 1,
            "why": f"passed and failed on {three[:7]}",
            "last_message": "race",
        }
    ]


def test_check_run_annotates_a_known_flaky_failure_as_a_warning() -> None:
    from reportgen.analysis.annotations import build_annotations
    from reportgen.analysis.milestone import Spec
    from reportgen.analysis.snapshot import BaselineNote
    from reportgen.analysis.step import StepInputs, build_step

    def run(t_fails: bool) -> Any:
        failure = '<failure message="boom">tests/test_m.py:7: AssertionError</failure>'
        cases = (
            f'<testcase classname="tests.test_m" name="t" file="tests/test_m.py">'
            f"{failure if t_fails else ''}</testcase>"
            f'<testcase classname="tests.test_m" name="u" file="tests/test_m.py">{failure}'
            "</testcase>"
        )
        return parse(f"<testsuite>{cases}</testsuite>".encode())

    stored = [run(False), run(True), run(False), run(True), run(False)]
    shas = [f"{i:040x}" for i in range(5)]
    step = build_step(
        StepInputs(
            spec=Spec(),
            precision=0,
            tests_after=run(True),
            tests_before=stored[-1],
            baseline=BaselineNote(store="s", text="t", commit=shas[-1], base="main"),
            history=tuple(HistoryRun(c[:7], c, r) for c, r in zip(shas, stored, strict=True)),
        )
    )
    found = {a.title: a for a in build_annotations(step, None)}
    flaky = found["Test failed: tests.test_m::t"]
    assert (flaky.level, flaky.message) == (
        "warning",
        "flaky on main: failed 2 of the last 5 runs. boom",
    )
    assert (flaky.path, flaky.start_line) == ("tests/test_m.py", 7)
    # u fails in every run: not flaky, a failure
    assert found["Test failed: tests.test_m::u"].level == "failure"
    assert step.tests_diff.known_flaky == ("tests.test_m::t",)
    assert step.tests_diff.regressions == ()


HOSTILE = [
    ("m|x", "t|<script>alert(1)</script>"),
    ("m`x", "t\u202e`` @someone #12"),
    ("<img src=x onerror=alert(1)>", "t<!-- -->"),
]


def test_hostile_test_ids_and_messages_stay_text(tmp_path: Path) -> None:
    """Ids and messages come from JUnit files of any branch: in the history tables they break
    no Markdown table, ping no one and inject no HTML."""
    from xml.sax.saxutils import quoteattr

    from markdown_it import MarkdownIt

    from reportgen.analysis.milestone import Spec
    from reportgen.analysis.snapshot import BaselineNote
    from reportgen.analysis.step import StepInputs, build_step
    from reportgen.commands.step import render_formats
    from reportgen.outputs.render import builtin_template_dir

    def run(fails: bool, seconds: float) -> Any:
        cases = "".join(
            f'<testcase classname={quoteattr(c)} name={quoteattr(n)} time="{seconds}">'
            + ('<failure message="| &lt;b&gt;bold&lt;/b&gt; @team |">x</failure>' if fails else "")
            + "</testcase>"
            for c, n in HOSTILE
        )
        return parse(f"<testsuite>{cases}</testsuite>".encode())

    stored = [run(False, 0.1), run(True, 0.1), run(False, 0.1), run(True, 0.1), run(False, 0.1)]
    shas = [f"{i:040x}" for i in range(5)]
    step = build_step(
        StepInputs(
            spec=Spec(),
            precision=0,
            tests_after=run(True, 9.0),
            tests_before=stored[-1],
            baseline=BaselineNote(store="s", text="t", commit=shas[-1], base="main|<b>x</b>"),
            history=tuple(HistoryRun(c[:7], c, r) for c, r in zip(shas, stored, strict=True)),
        )
    )
    assert len(step.history.flaky) == 3 and len(step.history.slowing) == 3
    rendered = render_formats(step, ["md", "html", "github"], builtin_template_dir())
    markdown = rendered["md"]
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables: list[list[int]] = []
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            tables[-1].append(0)
        elif token.type in ("td_open", "th_open"):
            tables[-1][-1] += 1
    # Every row has its header's cells: the test counts, the slowest tests, and the flaky
    # and slowing tables (a header and a row per hostile test).
    assert tables == [[4] * 6, [2] * 4, [4] * 4, [3] * 4]
    for text in (markdown, rendered["github"]):
        parsed = MarkdownIt("commonmark").enable("table").parse(text)
        inline = [child for t in parsed for child in (t.children or [])]
        # Raw HTML is only the report's own folding, and no mention or reference is plain text.
        raw = "".join(t.content for t in parsed + inline if t.type in ("html_inline", "html_block"))
        assert "<script" not in raw and "<img" not in raw and "<b>" not in raw
        assert "<details" in raw  # the check sees raw HTML where there is some
        plain = " ".join(t.content for t in inline if t.type == "text")
        assert "@someone" not in plain and "@team" not in plain and "#12" not in plain
    html = rendered["html"]
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
    assert "\u202e" not in html and "\u202e" not in markdown


def test_archived_steps_are_the_history_of_a_milestone(tmp_path: Path) -> None:
    """With `before = "previous"`, the earlier steps archived with their snapshots are the
    stored runs: a test flaky across them is marked "flaky in earlier steps"."""
    from click.testing import CliRunner

    from reportgen.cli import main

    def junit(t_fails: bool, seconds: float) -> str:
        failure = '<failure message="flaky again">x</failure>' if t_fails else ""
        return (
            f'<testsuite><testcase classname="m" name="t">{failure}</testcase>'
            f'<testcase classname="m" name="slow" time="{seconds}"/></testsuite>'
        )

    archive = tmp_path / "archive"
    plan = [(False, 0.1), (True, 0.1), (False, 0.1), (True, 0.1), (True, 3.0)]
    for number, (fails, seconds) in enumerate(plan, start=1):
        (tmp_path / f"s{number}.xml").write_text(junit(fails, seconds), encoding="utf-8")
        previous = 'before = "previous"\n' if number > 1 else ""
        (tmp_path / f"s{number}.toml").write_text(
            f'milestone = "M"\nstep = "Step {number}"\n[inputs]\n{previous}junit = "s{number}.xml"\n',
            encoding="utf-8",
        )
        done = CliRunner().invoke(
            main,
            ["step", "--spec", str(tmp_path / f"s{number}.toml"), "--format", "md"]
            + ["--format", "json", "--out", f"{archive}/", "--exit-zero"],
            env={"SOURCE_DATE_EPOCH": ""},
        )
        assert done.exit_code == 0, done.stderr
        assert (archive / f"m--step-{number}.snapshot").is_file()
    summary = json.loads((archive / "m--step-5.json").read_text())
    # Steps 1-4 are the history of step 5 (its own run is the report's after side).
    assert summary["history"] == {
        "runs": 4,
        "flaky": [
            {
                "id": "m::t",
                "failed": 2,
                "runs": 4,
                "flips": 3,
                "why": "flipped 3 times",
                "last_message": "flaky again",
            }
        ],
        # Step 5's own run is judged against the stored ones: 3 s against a median of 0.1 s.
        "slowing": [{"id": "m::slow", "time": 3.0, "median": 0.1}],
        "left_out": [],
    }
    assert summary["tests"]["known_flaky"] == []  # it failed in step 4 too: still failing
    report = (archive / "m--step-5.md").read_text(encoding="utf-8")
    assert "*flaky in earlier steps: failed 2 of the last 4 runs*: flaky again" in report
    assert "From the last 4 stored runs in earlier steps." in report
    assert summary["tests"]["records"] == {
        "passed": {"m::slow": 3.0},
        "failed": {"m::t": 0.0},
        "error": {},
        "skipped": {},
        "runs": {},
    }


def test_an_empty_store_reads_no_runs(main_line: dict[str, Any], tmp_path: Path) -> None:
    """The first run on a repository: `history` says no stored run was read."""
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run_step({**main_line, "store": empty}, "--format", "json", "--exit-zero")
    assert done.exit_code == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["history"] == {"runs": 0, "flaky": [], "slowing": [], "left_out": []}
    assert summary["baseline"]["commit"] is None


RERUNFAILURES = Path(__file__).parent / "data" / "junit" / "pytest-rerunfailures"


def test_pytest_rerunfailures_attempts_are_reruns() -> None:
    """pytest-rerunfailures writes a failed attempt as an empty case before the final one:
    in pytest's suite a case repeated after a pass is a rerun, so a final pass is flaky."""
    run3 = parse((RERUNFAILURES / "run-3.xml").read_bytes(), "run-3.xml")
    assert run3.flaky == ("tests.test_things::test_rerun_passes",)
    assert (run3.tests, run3.passed, run3.runs) == (4, 4, 5)
    run2 = parse((RERUNFAILURES / "run-2.xml").read_bytes(), "run-2.xml")
    assert run2.flaky == ()
    assert [(f.id, f.message) for f in run2.failures] == [
        (
            "tests.test_things::test_sometimes",
            "AssertionError: unlucky run 2\nassert 2 not in (2, 5, 6)",
        )
    ]
    assert (run2.failed, run2.runs) == (1, 5)


def test_real_pytest_runs_give_their_flaky_and_slowing_tests() -> None:
    runs = [parse((RERUNFAILURES / f"run-{i}.xml").read_bytes(), f"run-{i}.xml") for i in range(8)]
    history = history_of(runs)
    assert [(t.id, t.failed, t.runs, t.why, t.last_message) for t in history.flaky] == [
        (
            "tests.test_things::test_sometimes",
            3,
            8,
            "flipped 4 times",
            "AssertionError: unlucky run 6\nassert 6 not in (2, 5, 6)",
        ),
        ("tests.test_things::test_rerun_passes", 1, 8, "passed on a rerun in 1 run", ""),
    ]
    assert [(t.id, t.earlier) for t in history.slowing] == [
        ("tests.test_things::test_gets_slow", 7)
    ]
    assert (history.slowing[0].time, history.slowing[0].median) == (0.703, 0.01)


def junit_of(*cases: tuple[str, str, float]) -> Any:
    """A pytest-written run from (name, outcome, seconds) of class `m`; outcome "R" is a
    failed attempt and a passing rerun, as pytest-rerunfailures writes it."""
    body = []
    for name, outcome, seconds in cases:
        head = f'<testcase classname="m" name="{name}" time="{seconds}"'
        if outcome == "F":
            body.append(f'{head}><failure message="boom">x</failure></testcase>')
        elif outcome == "S":
            body.append(f'{head}><skipped message="later"/></testcase>')
        elif outcome == "R":
            body.append(f"{head}/>{head}/>")
        else:
            body.append(f"{head}/>")
    return parse(f'<testsuite name="pytest">{"".join(body)}</testsuite>'.encode())


def test_a_rerun_is_not_a_slow_down() -> None:
    """A rerun test's time is its attempts' sum: slowing compares a time per execution."""
    steady = [junit_of(("t", "P", 1.0)) for _ in range(4)]
    rerun = junit_of(("t", "R", 1.0))
    assert rerun.class_results("m")["t"] == (1, True, 2.0, 2)
    history = history_of([*steady, rerun])
    assert [t.id for t in history.flaky] == ["m::t"]
    assert history.slowing == ()
    # A real slow-down of a rerun test still shows, per execution.
    slow = junit_of(("t", "R", 3.0))
    assert [(t.id, t.time, t.median) for t in history_of([*steady, slow]).slowing] == [
        ("m::t", 3.0, 1.0)
    ]


def test_the_flaky_note_counts_the_runs_the_test_ran_in() -> None:
    from reportgen.analysis.history import known_flaky_notes

    outcomes = ["P", "F", "S", "S", "S", "P", "F"]
    history = history_of([junit_of(("t", o, 0.1)) for o in outcomes])
    assert [(t.failed, t.runs, t.flips) for t in history.flaky] == [(2, 4, 3)]
    assert known_flaky_notes(history, "main") == {
        "m::t": "flaky on main: failed 2 of the last 4 runs"
    }
    # GitLab names the base by its commit: the note does not print 40 hex digits.
    assert known_flaky_notes(history, "a" * 40)["m::t"].startswith("flaky on the base branch:")
    assert known_flaky_notes(history, "")["m::t"].startswith("flaky in earlier steps:")


def test_an_unreadable_older_run_is_left_out_and_said(
    main_line: dict[str, Any], tmp_path: Path
) -> None:
    """A corrupt snapshot of an older main-line commit is history, not the before side: the
    report is made from the others and says which was left out."""
    import shutil

    store = tmp_path / "store"
    shutil.copytree(main_line["store"], store)
    broken = store / f"{main_line['shas'][3]}.snapshot"
    broken.write_bytes(b"not a snapshot")
    done = run_step({**main_line, "store": store}, "--format", "json", "--exit-zero")
    assert done.exit_code == 0, done.stderr
    history = json.loads(done.stdout)["history"]
    assert history["runs"] == 19
    assert history["left_out"] == [f"{broken}: not a reportgen snapshot"]
    done = run_step({**main_line, "store": store}, "--format", "md", "--exit-zero")
    assert (
        f"From the last 19 stored runs on main.\n\n- Left out: {broken}: not a reportgen snapshot\n"
        in done.stdout.replace("\\_", "_")
    )
    # The baseline itself (the newest) stays an input error: it is the before side.
    (store / f"{main_line['shas'][-1]}.snapshot").write_bytes(b"not a snapshot")
    done = run_step({**main_line, "store": store}, "--format", "json", "--exit-zero")
    assert done.exit_code == 2 and "not a reportgen snapshot" in done.stderr


def test_no_regressions_says_what_it_did_not_count(
    main_line: dict[str, Any], tmp_path: Path
) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text('[[criteria]]\ncheck = "no-regressions"\n', encoding="utf-8")
    done = run_step(main_line, "--spec", str(spec), "--format", "json")
    criteria = json.loads(done.stdout)["criteria"]
    assert criteria[0]["achieved"] == "1 test regression (1 known flaky not counted)"
    assert done.exit_code == 1  # the real regression still fails it


def test_an_earlier_step_without_a_snapshot_keeps_the_older_history(tmp_path: Path) -> None:
    """`before = "previous"` when the latest earlier step was archived without a snapshot:
    no before side, but the older steps' runs are still history."""
    from click.testing import CliRunner

    from reportgen.cli import main

    archive = tmp_path / "archive"
    plan = ["P", "F", "P", "F", "F"]
    for number, outcome in enumerate(plan, start=1):
        xml = f'<testsuite><testcase classname="m" name="t">{"<failure/>" if outcome == "F" else ""}</testcase></testsuite>'
        (tmp_path / f"s{number}.xml").write_text(xml, encoding="utf-8")
        previous = 'before = "previous"\n' if number > 1 else ""
        (tmp_path / f"s{number}.toml").write_text(
            f'milestone = "M"\nstep = "Step {number}"\n[inputs]\n{previous}junit = "s{number}.xml"\n',
            encoding="utf-8",
        )
        if number == 5:
            (archive / "m--step-4.snapshot").unlink()
        done = CliRunner().invoke(
            main,
            ["step", "--spec", str(tmp_path / f"s{number}.toml"), "--format", "json"]
            + ["--out", f"{archive}/", "--exit-zero"],
            env={"SOURCE_DATE_EPOCH": ""},
        )
        assert done.exit_code == 0, done.stderr
    summary = json.loads((archive / "m--step-5.json").read_text())
    assert summary["baseline"]["text"].startswith("No baseline: Step 4 was archived without")
    assert summary["history"]["runs"] == 3
    assert [(t["id"], t["flips"]) for t in summary["history"]["flaky"]] == [("m::t", 2)]


def test_a_report_judges_its_own_run_for_slowing() -> None:
    """In a report the run being reported is the newest: a slow-down on main that this
    change does not have is not this report's, and this change's own slow-down is."""
    from reportgen.analysis.history import HistoryRules, read_history

    stored = [junit_of(("t", "P", 0.1)) for _ in range(4)] + [junit_of(("t", "P", 5.0))]
    runs = [HistoryRun(f"r{i}", f"{i:040x}", r) for i, r in enumerate(stored)]
    assert [t.time for t in read_history(runs, HistoryRules()).slowing] == [5.0]
    fast = junit_of(("t", "P", 0.1))
    assert read_history(runs, HistoryRules(), current=fast).slowing == ()
    slow = junit_of(("t", "P", 2.0))
    found = read_history(runs, HistoryRules(), current=slow).slowing
    assert [(t.id, t.time, t.median, t.earlier) for t in found] == [("m::t", 2.0, 0.1, 5)]
    # A test new in this run has no earlier times: never slowing.
    new = junit_of(("t", "P", 0.1), ("u", "P", 9.0))
    assert read_history(runs, HistoryRules(), current=new).slowing == ()


def test_a_shallow_clone_says_why_its_history_is_short(
    main_line: dict[str, Any], tmp_path: Path
) -> None:
    """A CI checkout of depth 3 reaches 3 main-line commits: the report says so, and how to
    reach the rest, instead of quietly reading fewer runs."""
    clone = tmp_path / "clone"
    origin = main_line["root"] / "origin.git"
    git(tmp_path, "clone", "-q", "--depth", "3", f"file://{origin}", str(clone))
    git(clone, "checkout", "-q", "-b", "change")
    git(clone, "commit", "-q", "--allow-empty", "-m", "change")
    done = run_step({**main_line, "repo": clone}, "--format", "json", "--exit-zero")
    assert done.exit_code == 0, done.stderr
    history = json.loads(done.stdout)["history"]
    assert history["runs"] == 3
    assert history["left_out"] == [
        "this clone is shallow: only 3 commits of the main line could be searched for stored"
        " runs (fetch with fetch-depth: 0)"
    ]


def test_a_milestones_first_step_may_create_its_archive(tmp_path: Path) -> None:
    """`before = "previous"` with `--out DIR/` that does not exist yet: the first step of a
    new milestone, with no before side, not an error."""
    from click.testing import CliRunner

    from reportgen.cli import main

    (tmp_path / "run.xml").write_text(
        '<testsuite><testcase classname="m" name="t"/></testsuite>', encoding="utf-8"
    )
    spec = tmp_path / "s1.toml"
    spec.write_text(
        'milestone = "M"\nstep = "Step 1"\n[inputs]\nbefore = "previous"\njunit = "run.xml"\n',
        encoding="utf-8",
    )
    archive = tmp_path / "reports" / "m1"
    done = CliRunner().invoke(
        main,
        ["step", "--spec", str(spec), "--format", "json", "--out", f"{archive}/"],
        env={"SOURCE_DATE_EPOCH": ""},
    )
    assert done.exit_code == 0, done.stderr
    summary = json.loads((archive / "m--step-1.json").read_text())
    assert summary["baseline"]["text"] == (
        f"No baseline: no step of M before Step 1 is archived in {archive}/;"
        " this report has no before side."
    )
    # A file, or a folder name without the "/", still needs the folder to exist.
    done = CliRunner().invoke(
        main, ["step", "--spec", str(spec), "--out", str(tmp_path / "nowhere")]
    )
    assert done.exit_code == 2
    assert 'before = "previous" needs the archive: step --out DIR/ (a folder)' in done.stderr


def test_a_folder_store_says_when_it_replaces_a_run(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reportgen.cli import main

    (tmp_path / "run.xml").write_text(
        '<testsuite><testcase classname="m" name="t"/></testsuite>', encoding="utf-8"
    )
    sha = "a" * 40
    store = tmp_path / "store"
    args = ["baseline", "save", "--junit", str(tmp_path / "run.xml"), "--store", str(store)]
    first = CliRunner().invoke(main, [*args, "--commit", sha])
    assert first.output == f"saved the snapshot of aaaaaaa to {store}/{sha}.snapshot\n"
    again = CliRunner().invoke(main, [*args, "--commit", sha])
    assert again.output == f"replaced the snapshot of aaaaaaa in {store}/{sha}.snapshot\n"


def test_saving_outside_git_names_the_option_to_use(tmp_path: Path) -> None:
    from tests.baseline_project import reportgen

    (tmp_path / "run.xml").write_text(
        '<testsuite><testcase classname="m" name="t"/></testsuite>', encoding="utf-8"
    )
    done = reportgen(
        tmp_path,
        "baseline",
        "save",
        "--junit",
        "run.xml",
        "--store",
        str(tmp_path / "s"),
        env={"GIT_CEILING_DIRECTORIES": str(tmp_path.parent)},
    )
    assert done.returncode == 2
    assert done.stderr.rstrip().endswith(
        "outside a git repository, name the run's commit with --commit SHA"
    )
    assert len(done.stderr.splitlines()) == 1


def test_a_run_whose_only_trouble_is_a_rerun_has_no_failures_heading(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from reportgen.cli import main

    junit = tmp_path / "run.xml"
    junit.write_bytes((RERUNFAILURES / "run-3.xml").read_bytes())
    for fmt, heading in (
        ("md", "## ⚠️ Passed only on a rerun (1)\n"),
        ("html", '<h2>Passed only on a rerun <span class="muted">(1)</span></h2>'),
    ):
        done = CliRunner().invoke(main, ["step", "--junit", str(junit), "--format", fmt])
        assert done.exit_code == 0, done.stderr
        assert heading in done.stdout
        assert "Failures (0)" not in done.stdout


def test_the_check_runs_title_leaves_unjudged_criteria_out() -> None:
    """No baseline yet: `no-regressions` is not judged, so the title does not count it."""
    from reportgen.analysis.criteria import CriterionResult
    from reportgen.analysis.milestone import Spec
    from reportgen.analysis.step import StepInputs, build_step
    from reportgen.commands.check import headline

    step = build_step(StepInputs(spec=Spec(), precision=0, tests_after=junit_of(("t", "F", 0.1))))
    unjudged = CriterionResult("No regressions", True, True, "no baseline", judged=False)
    missed = CriterionResult("All tests pass", True, False, "0/1 passed")
    import msgspec

    assert headline(msgspec.structs.replace(step, criteria=(unjudged,))) == "1 of 1 tests failing"
    both = msgspec.structs.replace(step, criteria=(unjudged, missed))
    assert headline(both) == "1 of 1 tests failing, 0/1 criteria hold"


def test_index_history_takes_the_newest_of_steps_that_tie(tmp_path: Path) -> None:
    """Summaries without milestone or step made on one day tie in the index's order: its
    table shows the last file newest, and its history must judge that same step."""
    from click.testing import CliRunner

    from reportgen.cli import main

    for i in range(1, 6):
        seconds = 9.0 if i == 5 else 1.0
        summary = {
            "schema": 2,
            "coverage": {},
            "date": "2025-01-01",
            "tests": {
                "after": {"tests": 1, "time": seconds},
                "records": {"passed": {"t::slow": seconds}},
            },
        }
        (tmp_path / f"s{i}.json").write_text(json.dumps(summary), encoding="utf-8")
    done = CliRunner().invoke(main, ["index", str(tmp_path)])
    assert done.exit_code == 0, done.output
    text = (tmp_path / "index.md").read_text(encoding="utf-8")
    assert "| `t::slow` | 9.00s | 1.00s" in text, text[text.index("Test history") :]


def test_the_check_runs_title_counts_passed_and_skipped_tests_apart() -> None:
    """1 pass and 2 skips: the title says what the JUnit file says, not "3 tests passed"."""
    from reportgen.analysis.milestone import Spec
    from reportgen.analysis.step import StepInputs, build_step
    from reportgen.commands.check import headline

    run = junit_of(("a", "P", 0.1), ("b", "S", 0.0), ("c", "S", 0.0))
    step = build_step(StepInputs(spec=Spec(), precision=0, tests_after=run))
    assert headline(step) == "1 test passed, 2 skipped"
    failing = junit_of(("a", "F", 0.1), ("b", "S", 0.0))
    step = build_step(StepInputs(spec=Spec(), precision=0, tests_after=failing))
    assert headline(step) == "1 of 2 tests failing, 1 skipped"
