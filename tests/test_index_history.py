"""The index's trends per target and its test history, read from archived summaries.

Each archive here is made of the example's real summary, changed per step as a milestone's
steps change it (targets, measured files, the tests of the after run from JUnit XML read by
the real reader), so every figure the index shows comes from a known input.
"""

from __future__ import annotations

import copy
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from markdown_it import MarkdownIt

from reportgen.analysis.test_run import TestRun, run_from_records
from reportgen.cli import main
from reportgen.inputs.test_results import parse_junit
from reportgen.outputs.snapshot import encode_snapshot
from reportgen.outputs.summary import records

ROOT = Path(__file__).resolve().parents[1]
BASE = json.loads(
    (ROOT / "reports" / "m3" / "p0-4-milestone-3--step-1.json").read_text(encoding="utf-8")
)
CONFIG = "tools/soak/config_manager.py"
SHADOW = "tools/shadow/run_shadow.py"
COMMIT = "c" * 40


def run(*args: str):
    return CliRunner().invoke(main, list(args), env={"SOURCE_DATE_EPOCH": ""})


def figure(statements: int, missing: int) -> dict[str, Any]:
    """A statement-only figure as the summary writes it."""
    percent = 100.0 * (statements - missing) / statements
    return {
        "statements": statements,
        "missing": missing,
        "branches": 0,
        "covered_branches": 0,
        "partial_branches": 0,
        "percent": percent,
        "display": f"{percent:.0f}",
    }


def junit(cases: list[tuple[str, str, float, str]]) -> TestRun:
    """A run read by the JUnit reader from (name, outcome, seconds, message) cases of class
    `t.mod`; a name given twice is a rerun, as pytest-rerunfailures writes it."""
    body = []
    for name, outcome, seconds, message in cases:
        inner = {
            "passed": "",
            "failed": f'<failure message="{message}">{message}</failure>',
            "error": f'<error message="{message}">{message}</error>',
            "skipped": "<skipped/>",
        }[outcome]
        body.append(
            f'<testcase classname="t.mod" name="{name}" time="{seconds}">{inner}</testcase>'
        )
    xml = f'<testsuite name="s">{"".join(body)}</testsuite>'
    return parse_junit(io.BytesIO(xml.encode()), "results.xml")


def summary(
    step: int,
    targets: dict[str, tuple[int, int]],
    files: dict[str, tuple[int, int]],
    scope: tuple[int, int] | None,
    tests: TestRun | None,
    schema: int = 2,
) -> dict[str, Any]:
    """The example's summary as step `step` of milestone "M" would have archived it."""
    data = copy.deepcopy(BASE)
    data.update(schema=schema, milestone="M", step=f"Step {step}", date=f"2025-01-0{step}")
    coverage = data["coverage"]
    template = coverage["targets"][0]
    coverage["targets"] = [
        {**template, "pattern": p, "paths": [p], "min": 60.0, "after": figure(*f)}
        for p, f in targets.items()
    ]
    coverage["files"] = [
        {**coverage["files"][0], "path": p, "after": figure(*f)} for p, f in files.items()
    ]
    if scope is None:
        coverage["scope"] = None
    else:
        coverage["scope"] = {**coverage["scope"], "after": figure(*scope)}
    section = data["tests"]
    if tests is None:
        section.update(after=None, records={}, flaky=[], failures=[])
    else:
        stats = tests.stats()
        section.update(
            after={**stats, "time": round(stats["time"], 6)},
            records=records(tests),
            flaky=list(tests.flaky),
            failures=[
                {"id": f.id, "outcome": f.outcome, "message": f.message} for f in tests.failures
            ],
        )
    if schema == 1:
        del section["records"]
    return data


def write(archive: Path, name: str, data: dict[str, Any]) -> Path:
    archive.mkdir(parents=True, exist_ok=True)
    path = archive / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def three_steps(archive: Path) -> None:
    """config_manager.py is a target in steps 1 and 3; in step 2 only run_shadow.py is, but
    config_manager.py is among the files step 2 measured. The glob is a target in step 1."""
    passing = junit([("test_a", "passed", 0.5, "")])
    write(
        archive,
        "s1",
        summary(
            1,
            {CONFIG: (100, 30), "tools/*.py": (10, 5)},
            {CONFIG: (100, 30), "tools/a.py": (10, 5)},
            (500, 250),
            passing,
        ),
    )
    write(
        archive,
        "s2",
        summary(2, {SHADOW: (50, 25)}, {CONFIG: (100, 20), SHADOW: (50, 25)}, (500, 200), passing),
    )
    write(
        archive,
        "s3",
        summary(3, {CONFIG: (100, 10)}, {CONFIG: (100, 10), SHADOW: (50, 25)}, (500, 150), None),
    )


def table(text: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table under `header`'s line, as cells."""
    lines = text.splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_trend_per_target_takes_each_steps_known_figure(tmp_path: Path) -> None:
    archive = tmp_path / "reports"
    three_steps(archive)
    result = run("index", str(archive))
    assert result.exit_code == 0, result.stderr
    text = (archive / "index.md").read_text(encoding="utf-8")
    assert "## Target trend: M\n\nSteps, oldest first: Step 1, Step 2, Step 3.\n" in text
    assert table(text, "| Target | Trend | First → last |") == [
        # Step 2 did not name config_manager.py, but measured the file: 80%.
        [f"`{CONFIG}`", "▁▅█", "70% → 80% → 90%"],
        # A glob is known only where it was a target.
        ["`tools/*.py`", "▅··", "50% → — → —"],
        # run_shadow.py was measured in step 3 too; step 1 did not measure it.
        [f"`{SHADOW}`", "·▅▅", "— → 50% → 50%"],
        ["`tools/` (scope)", "▁▅█", "50% → 60% → 70%"],
    ]
    html = (archive / "index.html").read_text(encoding="utf-8")
    assert (
        f'aria-label="Coverage of {CONFIG} by step, oldest first:'
        ' Step 1 70%; Step 2 80%; Step 3 90%."'
    ) in html
    assert 'aria-label="Coverage of the scope tools/ by step, oldest first:' in html
    # Per step, tests and time of the after run; "—" for the step without tests.
    steps = table(
        text,
        "| Milestone | Step | Title | Date | Status | Target coverage | Overall | Tests | Time |",
    )
    assert [row[1:2] + row[-2:] for row in steps] == [
        ["Step 3", "—", "—"],
        ["Step 2", "1", "0.50s"],
        ["Step 1", "1", "0.50s"],
    ]


def test_same_archive_gives_identical_bytes(tmp_path: Path) -> None:
    archive = tmp_path / "reports"
    four_steps_with_history(archive)
    assert run("index", str(archive)).exit_code == 0
    first = {n: (archive / n).read_bytes() for n in ("index.md", "index.html")}
    other = tmp_path / "again"
    four_steps_with_history(other)
    again = run("index", str(other))
    assert again.exit_code == 0
    assert "index unchanged" not in again.stdout
    assert {n: (other / n).read_bytes() for n in first} == first
    rerun = run("index", str(archive))
    assert "index unchanged" in rerun.stdout


def four_steps_with_history(archive: Path) -> None:
    """test_flip fails in steps 2 and 4; test_slow takes 0.1 s, then 2 s in step 4;
    test_rerun passes on a rerun in step 3; test_steady always passes."""
    per_step = [
        [("test_flip", "passed", 0.1, ""), ("test_slow", "passed", 0.1, "")],
        [("test_flip", "failed", 0.1, "boom two"), ("test_slow", "passed", 0.12, "")],
        [
            ("test_flip", "passed", 0.1, ""),
            ("test_slow", "passed", 0.1, ""),
            ("test_rerun", "failed", 0.2, "first try"),
            ("test_rerun", "passed", 0.2, ""),
        ],
        [("test_flip", "failed", 0.1, "boom four"), ("test_slow", "passed", 2.0, "")],
    ]
    for step, cases in enumerate(per_step, 1):
        tests = junit([*cases, ("test_steady", "passed", 0.01, "")])
        data = summary(step, {CONFIG: (100, 30)}, {}, (500, 250), tests)
        write(archive, f"step-{step}", data)


def test_flaky_and_slowing_across_archived_steps(tmp_path: Path) -> None:
    archive = tmp_path / "reports"
    four_steps_with_history(archive)
    result = run("index", str(archive))
    assert result.exit_code == 0, result.stderr
    text = (archive / "index.md").read_text(encoding="utf-8")
    assert "Over the tests of the newest 4 archived steps that have test results." in text
    assert table(text, "| Test | Failed | Why | Last failure |") == [
        ["`t.mod::test_flip`", "2 of 4 runs", "flipped 3 times", "boom four"],
        ["`t.mod::test_rerun`", "1 of 1 runs", "passed on a rerun in 1 run", "—"],
    ]
    assert table(text, "| Test | Time | Median before |") == [
        ["`t.mod::test_slow`", "2.00s", "0.10s (of 3 runs)"],
    ]
    html = (archive / "index.html").read_text(encoding="utf-8")
    assert "<h3>Flaky tests</h3>" in html
    assert "<h3>Slowing tests</h3>" in html
    # --history-runs bounds the runs read: with the newest two, nothing flipped twice,
    # nothing has three earlier times, and test_rerun ran in one of them.
    narrow = run("index", "--history-runs", "2", str(archive))
    assert narrow.exit_code == 0, narrow.stderr
    text = (archive / "index.md").read_text(encoding="utf-8")
    assert "newest 2 archived steps" in text
    assert "| Test | Time | Median before |" not in text
    assert table(text, "| Test | Failed | Why | Last failure |") == [
        ["`t.mod::test_rerun`", "1 of 1 runs", "passed on a rerun in 1 run", "—"],
    ]
    none = run("index", "--history-runs", "0", str(archive))
    assert none.exit_code == 0
    assert "Test history" not in (archive / "index.md").read_text(encoding="utf-8")


def test_schema_1_summary_reads_the_snapshot_beside_it(tmp_path: Path) -> None:
    """Steps archived before schema 2 have no records: their snapshot gives the tests."""
    archive = tmp_path / "reports"
    for step, outcome in enumerate(["passed", "failed", "passed"], 1):
        tests = junit([("test_flip", outcome, 0.1, "boom"), ("test_ok", "passed", 0.1, "")])
        data = summary(step, {CONFIG: (100, 30)}, {}, None, tests, schema=1)
        path = write(archive, f"step-{step}", data)
        path.with_suffix(".snapshot").write_bytes(encode_snapshot(COMMIT, None, tests))
    result = run("index", str(archive))
    assert result.exit_code == 0, result.stderr
    text = (archive / "index.md").read_text(encoding="utf-8")
    # One commit, passed and failed: flaky by the same-commit rule the snapshot allows.
    assert table(text, "| Test | Failed | Why | Last failure |") == [
        ["`t.mod::test_flip`", "1 of 3 runs", "passed and failed on ccccccc", "boom"],
    ]


def test_schema_1_summary_without_snapshot_has_no_history(tmp_path: Path) -> None:
    archive = tmp_path / "reports"
    tests = junit([("test_ok", "passed", 0.1, "")])
    write(archive, "old", summary(1, {CONFIG: (100, 30)}, {}, (500, 250), tests, schema=1))
    result = run("index", str(archive))
    assert result.exit_code == 0, result.stderr
    assert "1 step indexed; wrote" in result.stdout
    text = (archive / "index.md").read_text(encoding="utf-8")
    assert "Test history" not in text
    assert "Flaky" not in text
    # Its test count still shows: schema 1 has tests.after.
    assert "| 1 | 0.10s |" in text


def test_corrupt_snapshot_beside_schema_1_is_named(tmp_path: Path) -> None:
    archive = tmp_path / "reports"
    tests = junit([("test_ok", "passed", 0.1, "")])
    path = write(archive, "old", summary(1, {CONFIG: (100, 30)}, {}, None, tests, schema=1))
    path.with_suffix(".snapshot").write_bytes(b"not a snapshot")
    result = run("index", str(archive))
    assert result.exit_code == 0, result.stderr
    assert (
        f"{path.with_suffix('.snapshot')}: not a reportgen snapshot;"
        " its tests left out of the history"
    ) in result.stdout
    assert "1 step indexed; wrote" in result.stdout


@pytest.mark.parametrize(
    ("records", "problem"),
    [
        (
            {"passed": {"t::a": "x"}},
            "Expected `float`, got `str` - at `$.tests.records.passed[...]`",
        ),
        ({"sideways": {"t::a": 0.1}}, "Object contains unknown field `sideways`"),
        ({"passed": {"t::a": -1}}, "Expected `float` >= 0.0"),
        ({"passed": {"t::a": True}}, "Expected `float`, got `bool`"),
        ({"runs": {"t::a": 1}}, "Expected `int` >= 2"),
        (["t::a"], "Expected `object`, got `array` - at `$.tests.records`"),
    ],
)
def test_malformed_records_skip_the_summary_with_a_message(
    tmp_path: Path, records: Any, problem: str
) -> None:
    archive = tmp_path / "reports"
    tests = junit([("test_ok", "passed", 0.1, "")])
    write(archive, "good", summary(1, {CONFIG: (100, 30)}, {}, None, tests))
    bad = summary(2, {CONFIG: (100, 30)}, {}, None, tests)
    bad["tests"]["records"] = records
    path = write(archive, "bad", bad)
    result = run("index", str(archive))
    assert result.exit_code == 0, result.stderr
    assert f"{path}: skipped, not a valid summary ({problem}" in result.stdout
    assert "1 step indexed; wrote" in result.stdout
    assert "Step 2" not in (archive / "index.md").read_text(encoding="utf-8")


def test_records_rebuild_the_run_they_were_written_from() -> None:
    original = junit(
        [
            ("test_a", "passed", 0.25, ""),
            ("test_b", "failed", 0.5, "no"),
            ("test_c", "skipped", 0.0, ""),
            ("test_d", "failed", 0.1, "once"),
            ("test_d", "passed", 0.1, ""),
        ]
    )
    failures = [(f.id, f.outcome, f.message) for f in original.failures]
    back = run_from_records(records(original), original.flaky, failures, original.time)
    assert records(back) == records(original)
    assert back.flaky == ("t.mod::test_d",) == original.flaky
    assert [(f.id, f.message) for f in back.failures] == [("t.mod::test_b", "no")]
    assert (back.tests, back.passed, back.failed, back.skipped) == (4, 2, 1, 1)
    assert back.time == original.time


@pytest.mark.parametrize(
    ("records", "message"),
    [
        ({"passed": {"a": "x"}}, "Expected `float`, got `str` - at `$.passed[...]`"),
        ({"won": {"a": 1}}, "Object contains unknown field `won`"),
        ({"passed": {"a": float("nan")}}, "Expected `float` >= 0.0 - at `$.passed[...]`"),
        ({"failed": {"a": -0.5}}, "Expected `float` >= 0.0 - at `$.failed[...]`"),
        ({"passed": {"a": float("inf")}}, "Expected `float` <= 1000000000.0"),
        ({"passed": {7: 1}}, "Expected `str`, got `int` - at `key` in `$.passed`"),
        ({"runs": {"a": 0}}, "Expected `int` >= 2 - at `$.runs[...]`"),
        ({"passed": {"a": 1}, "failed": {"a": 2}}, "'a' is listed twice"),
    ],
)
def test_run_from_records_refuses_a_malformed_record(records: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"tests.records: {message}")):
        run_from_records(records)


HOSTILE = [
    "t.mod::test_pipe|cell",
    "t.mod::<script>alert(1)</script>",
    "t.mod::test_`tick``s",
    "t.mod::test_new\nline",
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


def test_hostile_ids_and_messages_stay_in_their_cells(tmp_path: Path) -> None:
    """Ids and messages come from archived files: no extra cell, no raw HTML."""
    archive = tmp_path / "reports"
    for step in range(1, 5):
        failing = step % 2 == 0
        recs = {
            "failed" if failing else "passed": {
                test_id: 2.0 if step == 4 else 0.1 for test_id in HOSTILE
            }
        }
        data = summary(step, {"tools/<b>|x`.py": (100, 30)}, {}, None, None)
        data["tests"].update(
            after={"tests": len(HOSTILE), "time": 1.0},
            records=recs,
            failures=[
                {"id": i, "outcome": "failed", "message": "<img src=x onerror=alert(1)> | `x`\nz"}
                for i in (HOSTILE if failing else [])
            ],
        )
        write(archive, f"step-{step}", data)
    result = run("index", str(archive))
    assert result.exit_code == 0, result.stderr
    text = (archive / "index.md").read_text(encoding="utf-8")
    flaky = table(text, "| Test | Failed | Why | Last failure |")
    assert len(flaky) == len(HOSTILE)
    assert all(len(row) == 4 for row in flaky)
    assert {row[1] for row in flaky} == {"2 of 4 runs"}
    slowing = table(text, "| Test | Time | Median before |")
    assert len(slowing) == len(HOSTILE) and all(len(row) == 3 for row in slowing)
    trend = table(text, "| Target | Trend | First → last |")
    assert len(trend[0]) == 3
    # As a Markdown renderer shows it: the ids are code, the messages text, no tag made.
    rendered = _Tags()
    rendered.feed(MarkdownIt("commonmark").enable("table").render(text))
    assert not {"script", "img", "b"} & rendered.tags
    html = (archive / "index.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(html)
    assert not {"script", "img", "b"} & parser.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.replace("<wbr>", "")


def test_tables_are_bounded(tmp_path: Path) -> None:
    """More than 100 flaky tests: 100 rows and a line naming the rest."""
    archive = tmp_path / "reports"
    ids = [f"t.mod::test_{i:03}" for i in range(130)]
    for step in range(1, 4):
        outcome = "failed" if step == 2 else "passed"
        data = summary(step, {CONFIG: (100, 30)}, {}, None, None)
        data["tests"].update(
            after={"tests": len(ids), "time": 1.0},
            records={outcome: {i: 0.01 for i in ids}},
        )
        write(archive, f"step-{step}", data)
    assert run("index", str(archive)).exit_code == 0
    text = (archive / "index.md").read_text(encoding="utf-8")
    rows = table(text, "| Test | Failed | Why | Last failure |")
    assert len(rows) == 100
    assert rows[0][0] == "`t.mod::test_000`" and rows[-1][0] == "`t.mod::test_099`"
    assert "\n…and 30 more.\n" in text


def test_target_never_measured_is_listed_without_a_chart(tmp_path: Path) -> None:
    archive = tmp_path / "reports"
    data = summary(1, {"tools/gone.py": (10, 5)}, {}, None, None)
    data["coverage"]["targets"][0]["after"] = None  # the target matched no measured file
    write(archive, "s1", data)
    assert run("index", str(archive)).exit_code == 0
    text = (archive / "index.md").read_text(encoding="utf-8")
    assert table(text, "| Target | Trend | First → last |") == [["`tools/gone.py`", "·", "—"]]
    html = (archive / "index.html").read_text(encoding="utf-8")
    assert "<p><code>tools/<wbr>gone.<wbr>py</code>: —</p>" in html
    assert "Coverage of tools/gone.py" not in html


def test_steady_tests_say_so_once_slowing_can_be_judged(tmp_path: Path) -> None:
    """Two runs cannot show a slowing test (three earlier times are needed): the index says
    so; four steady runs show neither table."""
    archive = tmp_path / "reports"
    tests = junit([("test_ok", "passed", 0.1, "")])
    for step in range(1, 5):
        write(archive, f"step-{step}", summary(step, {CONFIG: (100, 30)}, {}, None, tests))
        assert run("index", str(archive)).exit_code == 0
        text = (archive / "index.md").read_text(encoding="utf-8")
        assert "| Test |" not in text
        if step < 4:
            assert text.endswith("\nNo flaky tests; telling slowing tests needs 4 runs.\n")
        else:
            assert text.endswith("\nNo flaky or slowing tests.\n")


def test_percentages_the_index_draws_are_bounded(tmp_path: Path) -> None:
    """A scope's band and a target's threshold are drawn in SVG: values outside 0-100 make
    the summary one that is skipped with a message, never `height="inf"`."""
    archive = tmp_path / "reports"
    write(archive, "good", summary(1, {CONFIG: (100, 30)}, {}, None, None))
    bad = summary(2, {CONFIG: (100, 30)}, {}, None, None)
    bad["coverage"]["scope"] = {"prefix": "tools/", "target": [-1e308, 1e308]}
    path = write(archive, "bad", bad)
    result = run("index", str(archive))
    assert result.exit_code == 0, result.stderr
    assert f"{path}: skipped, not a valid summary (Expected `float` >= 0.0" in result.stdout
    assert '"inf"' not in (archive / "index.html").read_text(encoding="utf-8")


def test_a_duplicate_record_is_named_briefly() -> None:
    long_id = "t::" + "x" * 100_000
    with pytest.raises(ValueError) as caught:
        run_from_records({"passed": {long_id: 1}, "failed": {long_id: 2}})
    assert len(str(caught.value)) < 200 and str(caught.value).endswith("is listed twice")


def test_a_target_is_named_by_the_file_it_matched(tmp_path: Path) -> None:
    """Step 1 names the target `config_manager.py`, step 2 its full path: one file, so one
    trend line under its path, as step reports name it."""
    archive = tmp_path / "reports"
    one = summary(1, {CONFIG: (100, 30)}, {}, None, None)
    one["coverage"]["targets"][0]["pattern"] = "config_manager.py"
    write(archive, "step-1", one)
    write(archive, "step-2", summary(2, {CONFIG: (100, 20)}, {}, None, None))
    assert run("index", str(archive)).exit_code == 0
    text = (archive / "index.md").read_text(encoding="utf-8")
    trend = table(text, "| Target | Trend | First → last |")
    assert [row[0] for row in trend] == [f"`{CONFIG}`"]
    assert trend[0][2] == "70% → 80%"
    assert "`config_manager.py`" not in text


@pytest.mark.parametrize(
    ("where", "value"),
    [("status", "FAILED\u202egnp.exe\u0007"), ("display", "54\u202e"), ("display", "<b>9</b>")],
)
def test_a_status_or_figure_the_index_prints_as_is_must_be_one(
    tmp_path: Path, where: str, value: str
) -> None:
    """The status names a CSS class and the figures are printed into the pages: an archived
    summary holding anything else there is skipped with a message, never shown."""
    archive = tmp_path / "reports"
    write(archive, "good", summary(1, {CONFIG: (100, 30)}, {}, None, None))
    bad = summary(2, {CONFIG: (100, 30)}, {}, None, None)
    if where == "status":
        bad["status"] = value
    else:
        bad["coverage"]["after"]["display"] = value
    path = write(archive, "bad", bad)
    result = run("index", str(archive))
    assert result.exit_code == 0, result.stderr
    assert f"{path}: skipped, not a valid summary" in result.stdout
    html = (archive / "index.html").read_text(encoding="utf-8")
    assert "\u202e" not in html and "<b>9" not in html


def test_the_mermaid_labels_open_no_comment_and_hold_no_tag(tmp_path: Path) -> None:
    """Step names go into the mermaid chart's labels, inside a code fence where no escape
    works: "<" and ">" are shown as "‹" and "›", so no "<!--" or tag is written."""
    archive = tmp_path / "reports"
    for n in (1, 2):
        data = summary(n, {CONFIG: (100, 30)}, {}, None, None)
        data.update(milestone="<!-- reportgen:x -->", step=f"S{n} <img src=x onerror=alert(1)>")
        write(archive, f"s{n}", data)
    assert run("index", str(archive)).exit_code == 0
    text = (archive / "index.md").read_text(encoding="utf-8")
    axis = next(line for line in text.splitlines() if "x-axis" in line)
    assert "‹!-- reportgen:x --› S1 ‹img" in axis
    assert "<" not in axis and ">" not in axis
