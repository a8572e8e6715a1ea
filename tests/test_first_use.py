"""First use: every report mode reads well, whatever inputs a newcomer starts with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "coverage"
AFTER = str(DATA / "7.17.4" / "branch.json")
BEFORE = str(DATA / "6.5.0" / "branch.json")
JUNIT = str(ROOT / "reports" / "m3" / "data" / "junit-state1.xml")


def run(*args: str):
    return CliRunner().invoke(main, list(args), env={"SOURCE_DATE_EPOCH": ""})


# --- 1. --out's extension names the format -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("report.html", lambda b: b.startswith(b"<!DOCTYPE html>")),
        ("report.HTM", lambda b: b.startswith(b"<!DOCTYPE html>")),
        ("report.json", lambda b: json.loads(b)["schema"] == 2),
        ("report.svg", lambda b: b.startswith(b"<svg")),
        ("report.github.md", lambda b: b.startswith(b"<!-- reportgen:")),
        ("report.md", lambda b: b.startswith(b"# Coverage report")),
        ("report.txt", lambda b: b.startswith(b"# Coverage report")),
    ],
)
def test_out_extension_chooses_the_format(tmp_path: Path, name: str, check) -> None:
    """Without --format, `--out FILE` writes the format its extension names (else Markdown)."""
    out = tmp_path / name
    result = run("step", "--after", AFTER, "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert check(out.read_bytes()), out.read_bytes()[:80]


def test_format_clashing_with_out_extension_is_refused(tmp_path: Path) -> None:
    """`--format md --out r.html` is a mistake: one line, exit 2, nothing written."""
    out = tmp_path / "r.html"
    result = run("step", "--after", AFTER, "--format", "md", "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"Error: --out {out}: the name says html, but --format md was given;"
        " drop --format or rename the file"
    ]
    assert not out.exists()


def test_format_agreeing_with_out_extension_is_written(tmp_path: Path) -> None:
    """Markdown formats share `.md`; a matching --format and a folder stay as they were."""
    out = tmp_path / "r.md"
    assert run("step", "--after", AFTER, "--format", "github", "--out", str(out)).exit_code == 0
    assert out.read_text(encoding="utf-8").startswith("<!-- reportgen:")
    folder = tmp_path / "site.html"
    folder.mkdir()
    assert run("step", "--after", AFTER, "--out", str(folder)).exit_code == 0
    assert (folder / "report.md").read_text(encoding="utf-8").startswith("# Coverage report")


# --- 2. An after-only report is `coverage report -m` of that run --------------------------

TINY_FILES = {
    "tiny/__init__.py": "",
    "tiny/calc.py": """\
def sign(x):
    if x > 0:
        return 1
    if x < 0:
        return -1
    return 0


def clamp(x, low, high):
    if x < low:
        x = low
    if x > high:
        x = high
    return x


class Box:
    def __init__(self, items):
        self.items = list(items)

    def first(self):
        if not self.items:
            raise IndexError("empty box")
        return self.items[0]
""",
    "tiny/idle.py": """\
def never():
    return "not run"
""",
}
TINY_TESTS = {
    "test_tiny.py": """\
from tiny.calc import Box, clamp, sign


def test_sign():
    assert sign(3) == 1


def test_clamp():
    assert clamp(5, 0, 3) == 3


def test_box():
    assert Box([1]).first() == 1
""",
}


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`coverage run --branch -m pytest` on a tiny package: its JSON and `report -m` text."""
    from tests import coverage_oracle as oracle

    folder = tmp_path_factory.mktemp("tiny")
    data, report, _ = oracle.run_coverage(folder, TINY_FILES, TINY_TESTS, branch=True)
    path = folder / "coverage.json"
    path.write_bytes(data)
    return path, report


def _md_table(text: str, header: str) -> list[list[str]]:
    """The cells of the Markdown table under the line starting with `header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`*") for cell in line.strip("|").split(" | ")])
    return rows


def test_after_only_table_is_coverage_report_m(tiny_run: tuple[Path, str]) -> None:
    """Files, order, every figure, Missing and TOTAL equal `coverage report -m` on that run."""
    from tests.coverage_oracle import parse_report_text

    data, report = tiny_run
    result = run("step", "--after", str(data))
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    rows = _md_table(text, "| Name | Stmts | Miss | Branch | BrPart | Cover | Missing |")
    ours = [(r[0], int(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5], r[6]) for r in rows]
    expected = parse_report_text(report)
    theirs = [
        (name, f["stmts"], f["miss"], f["branch"], f["brpart"], f["cover"] + "%", f["missing"])
        for name, f in expected["files"].items()
    ]
    total = expected["total"]
    theirs.append(
        ("TOTAL", total["stmts"], total["miss"], total["branch"], total["brpart"],
         total["cover"] + "%", "")
    )  # fmt: skip
    assert ours == theirs
    assert [line.split()[0] for line in report.splitlines()[2:-2]] == [r[0] for r in ours[:-1]]
    assert "added" not in text and "Before" not in text and "—" not in text
    assert "What Changed" not in text and "Impact" not in text


def test_after_only_lists_uncovered_lines_with_functions(tiny_run: tuple[Path, str]) -> None:
    """Every file with misses gets its uncovered lines, each named by its function."""
    data, report = tiny_run
    text = run("step", "--after", str(data)).stdout
    section = text[text.index("### Uncovered Lines") :]
    calc = section[section.index("#### `tiny/calc.py`") : section.index("#### `tiny/idle.py`")]
    items = [line for line in calc.splitlines() if line.startswith("- ")]
    missing = next(line for line in report.splitlines() if line.startswith("tiny/calc.py"))
    ranges = missing.split("%", 1)[1].strip().split(", ")
    assert [item.split()[2].rstrip(":") for item in items] == ranges
    assert all(" in `" in item for item in items), items
    assert "- Lines 4-6: in `sign`" in items
    assert "- Line 23: in `Box.first`" in items
    assert "#### `tiny/idle.py` (100% remaining)" in section
    assert "- Lines 1-2: at module level" in section


def test_after_only_html_and_comment_compare_nothing(tiny_run: tuple[Path, str]) -> None:
    """HTML shows the same table; the comment has one column of figures, not dashes."""
    data, _ = tiny_run
    html = run("step", "--after", str(data), "--format", "html").stdout
    assert "<h3>Coverage by file</h3>" in html and "<th>TOTAL</th>" in html
    assert ">added<" not in html and "was —" not in html and '<dl class="meta">\n</dl>' not in html
    comment = run("step", "--after", str(data), "--format", "github").stdout
    assert "| | Result |" in comment and "—" not in comment


# --- 3. Reduced modes: only the sections with data, titled for what they are -------------


def test_tests_only_report_is_a_test_report() -> None:
    """`--junit` alone: titled as tests, no coverage section, no column of dashes."""
    text = run("step", "--junit", JUNIT).stdout
    assert text.startswith("# Test report\n")
    assert "## 📊 Test Results" in text
    assert "—" not in text and "| Tests | Before |" not in text
    assert "Coverage" not in text and "Results\n" not in text.replace("Test Results\n", "")
    assert "---\n\n---" not in text


def test_coverage_only_report_has_no_test_heading() -> None:
    """Without JUnit the coverage line sits under a coverage heading, not "Test Results"."""
    text = run("step", "--before", BEFORE, "--after", AFTER, "--target", "core.py=80").stdout
    assert "Test Results" not in text and "Tests" not in text
    assert "## 📊 Coverage Details\n\n**Coverage of `sample/core.py`:** 86%" in text
    assert text.startswith("# Coverage report")


def test_coverage_and_tests_without_spec_say_both() -> None:
    text = run("step", "--after", AFTER, "--junit", JUNIT).stdout
    assert text.startswith("# Coverage and test report\n")


# --- 7. Targets name the file they matched; the comment keeps a target's delta -----------


def test_bare_target_shows_the_matched_path() -> None:
    """`--target core.py=80` reports `sample/core.py`, in every format."""
    args = ["step", "--before", BEFORE, "--after", AFTER, "--target", "core.py=80"]
    md = run(*args).stdout
    assert "| `sample/core.py` | 86% | **86%** |" in md
    html = run(*args, "--format", "html").stdout
    assert '<td class="path"><code>sample/<wbr>core.<wbr>py</code></td>' in html
    comment = run(*args, "--format", "github").stdout
    assert "| ✅ `sample/core.py` (target ≥80%) |" in comment


def test_comment_shows_a_targets_delta(tmp_path: Path) -> None:
    spec = tmp_path / "s.toml"
    spec.write_text(
        f'[[target]]\npath = "sample/*.py"\nmin = 80\ndelta = 1\n'
        f'[inputs]\nbefore = "{BEFORE}"\nafter = "{AFTER}"\n',
        encoding="utf-8",
    )
    comment = run("step", "--spec", str(spec), "--format", "github").stdout
    assert "`sample/*.py` (target ≥80% and +1 point) |" in comment


# --- 4. Rendered Markdown keeps one line per figure ---------------------------------------


def _paragraph_lines(markdown: str) -> list[list[str]]:
    """Each paragraph as markdown-it-py renders it: its lines, split at hard breaks only.

    A soft break inside a paragraph is a line the author meant to stand alone but that a
    renderer joins to the previous one, so it is reported as a line of its own ("<soft>").
    """
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    paragraphs = []
    for index, token in enumerate(tokens):
        if token.type != "inline" or tokens[index - 1].type != "paragraph_open":
            continue
        lines, current = [], ""
        for child in token.children or ():
            if child.type == "hardbreak":
                lines.append(current)
                current = ""
            elif child.type == "softbreak":
                lines.append(current)
                current = "<soft>"
            else:
                current += child.content
        paragraphs.append([*lines, current])
    return paragraphs


def _reports() -> dict[str, str]:
    """Every example report: the archive, the golden file and each reduced mode, with two
    targets where the mode has coverage."""
    two = ["--target", "core.py=80", "--target", "sample/limits.py=90"]
    cases = {
        "both, two targets": ["--before", BEFORE, "--after", AFTER, "--junit", JUNIT, *two],
        "coverage only, two targets": ["--before", BEFORE, "--after", AFTER, *two],
        "after only, two targets": ["--after", AFTER, "--scope", "sample/=90", *two],
        "tests only": ["--junit", JUNIT],
        "tests before and after": ["--junit", JUNIT, "--junit-before", JUNIT],
    }
    reports = {
        path.name: path.read_text(encoding="utf-8")
        for path in [
            *(ROOT / "reports").rglob("*.md"),
            ROOT / "tests/golden/coverage-only/report.md",
        ]
        if path.name != "README.md"
    }
    for name, args in cases.items():
        for fmt in ("md", "github"):
            result = run("step", *args, "--format", fmt)
            assert result.exit_code in (0, 1), result.stderr
            reports[f"{name} ({fmt})"] = result.stdout
    return reports


def test_rendered_reports_have_no_lines_run_together() -> None:
    """No paragraph of any example report joins two of its lines into one when rendered."""
    joined = {
        name: [
            lines for lines in _paragraph_lines(text) if any(x.startswith("<soft>") for x in lines)
        ]
        for name, text in _reports().items()
    }
    assert {name: found for name, found in joined.items() if found} == {}


def test_each_target_has_its_own_coverage_line() -> None:
    """With two targets, each `Coverage of X:` is a line of its own after the test figures."""
    text = run(
        "step", "--before", BEFORE, "--after", AFTER, "--junit", JUNIT,
        "--target", "core.py=80", "--target", "sample/limits.py=90",
    ).stdout  # fmt: skip
    (paragraph,) = [p for p in _paragraph_lines(text) if p[0].startswith("Total tests:")]
    assert paragraph == [
        "Total tests: 40 passed, 4 failed, 2 skipped",
        "Execution time: 0.23s",
        "Coverage of sample/core.py: 86% (70 statements, 7 missed; 20 branches, 6 partial)",
        "Coverage of sample/limits.py: 99% (200 statements, 1 missed; 0 branches, 0 partial)",
    ]


# --- 5. Added tests by their shortest unambiguous names; no empty section -----------------


def _junit(path: Path, cases: list[tuple[str, str]]) -> str:
    body = "".join(f'<testcase classname="{c}" name="{n}" time="0.01"/>' for c, n in cases)
    path.write_text(f'<testsuite name="t" time="1">{body}</testsuite>', encoding="utf-8")
    return str(path)


def test_added_tests_keep_the_names_that_tell_them_apart(tmp_path: Path) -> None:
    """Two unittest `test_basic` of different classes are two names, not one listed twice."""
    before = _junit(tmp_path / "before.xml", [("tests.test_more", "test_old")])
    after = _junit(
        tmp_path / "after.xml",
        [
            ("tests.test_more", "test_old"),
            ("tests.test_more.CollapseTests", "test_basic"),
            ("tests.test_more.SplitTests", "test_basic"),
            ("tests.test_more", "test_plain"),
            ("tests.a.Shared", "test_same"),
            ("tests.b.Shared", "test_same"),
        ],
    )
    text = run("step", "--junit", after, "--junit-before", before).stdout
    names = [line.split("**")[1] for line in text.splitlines() if line[:1].isdigit()]
    assert names == [
        "`a.Shared::test_same`",
        "`b.Shared::test_same`",
        "`CollapseTests::test_basic`",
        "`SplitTests::test_basic`",
        "`test_plain`",
    ]
    html = run("step", "--junit", after, "--junit-before", before, "--format", "html").stdout
    assert "<code>CollapseTests::<wbr>test_basic</code>" in html


def test_no_tests_added_leaves_the_section_out(tmp_path: Path) -> None:
    same = _junit(tmp_path / "same.xml", [("tests.test_more", "test_old")])
    for fmt, heading in (("md", "Tests Added"), ("html", "Tests added")):
        text = run("step", "--junit", same, "--junit-before", same, "--format", fmt).stdout
        assert heading not in text and "0 new test" not in text


# --- 6. Suites that declare counts but list no test case ----------------------------------

TOTALS_ONLY = (
    '<testsuites><testsuite name="only-totals" tests="6" failures="1" skipped="2" time="0.5"/>'
    '<testsuite name="listed" tests="1" time="0.1"><testcase classname="m" name="t"/></testsuite>'
    '<testsuite name="empty" tests="0"/></testsuites>'
)


def test_totals_only_suite_counts_its_declared_tests(tmp_path: Path) -> None:
    """`<testsuite tests="6" failures="1" skipped="2"/>` is 6 tests, 1 failing, not 0."""
    import io

    from reportgen.analysis.test_run import combine_test_runs
    from reportgen.inputs.test_results import parse_junit

    run_ = parse_junit(io.BytesIO(TOTALS_ONLY.encode()), "totals.xml")
    assert run_.stats() == {
        "tests": 7,
        "passed": 4,
        "failed": 1,
        "errors": 0,
        "skipped": 2,
        "runs": 7,
        "time": 0.6,
    }
    assert [(u.name, u.tests, u.passed) for u in run_.unlisted] == [("only-totals", 6, 3)]
    # Suites holding suites or cases are never counted from their attributes.
    nested = b'<testsuites tests="9" failures="9"><testsuite tests="5"><testcase name="a"/></testsuite></testsuites>'
    assert parse_junit(io.BytesIO(nested), "n.xml").stats()["tests"] == 1
    shards = combine_test_runs([run_, parse_junit(io.BytesIO(TOTALS_ONLY.encode()), "b.xml")])
    assert (shards.tests, shards.failed, len(shards.unlisted)) == (13, 2, 2)


def test_report_says_a_suites_tests_are_not_listed(tmp_path: Path) -> None:
    """The failure counts (and fails all-tests-pass); the report says why no test is named."""
    junit = tmp_path / "totals.xml"
    junit.write_text(TOTALS_ONLY, encoding="utf-8")
    result = run("step", "--junit", str(junit))
    assert "**Total tests:** 4 passed, 1 failed, 2 skipped  \n" in result.stdout
    assert (
        "**Not listed individually:** 6 tests of suite `only-totals` (3 passed, 1 failed,"
        " 2 skipped): the file gives only the suite's counts\n" in result.stdout
    )
    summary = json.loads(run("step", "--junit", str(junit), "--format", "json").stdout)
    assert summary["tests"]["after"]["failed"] == 1
    assert summary["tests"]["unlisted"] == [
        {"suite": "only-totals", "tests": 6, "passed": 3, "failed": 1, "errors": 0, "skipped": 2}
    ]
    spec = tmp_path / "s.toml"
    spec.write_text('[[criteria]]\ncheck = "all-tests-pass"\n', encoding="utf-8")
    assert run("step", "--junit", str(junit), "--spec", str(spec)).exit_code == 1


# --- 9. Each added test with the first line of its docstring ------------------------------

TEST_SOURCE = '''\
import unittest


class CollapseTests(unittest.TestCase):
    def test_basic(self):
        """Runs of spaces collapse to one.

        More text that is not shown.
        """


def test_plain(value):
    """<script>alert(1)</script> | *not emphasis*"""


def test_bare():
    pass
'''


def test_added_tests_show_their_docstrings(tmp_path: Path) -> None:
    """Under --source-root, each added test shows its docstring's first line, escaped."""
    project = tmp_path / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_more.py").write_text(TEST_SOURCE, encoding="utf-8")
    (tmp_path / "outside.py").write_text('def test_far():\n    """Secret."""\n', "utf-8")
    before = _junit(tmp_path / "before.xml", [("tests.test_more", "test_old")])
    after = tmp_path / "after.xml"
    after.write_text(
        '<testsuite name="t" time="1">'
        '<testcase classname="tests.test_more" name="test_old"/>'
        '<testcase classname="tests.test_more.CollapseTests" name="test_basic"/>'
        '<testcase classname="tests.test_more" name="test_plain[1]"/>'
        '<testcase classname="tests.test_more" name="test_plain[2]"/>'
        '<testcase classname="tests.test_more" name="test_bare"/>'
        '<testcase classname="far" name="test_far" file="../outside.py"/>'
        "</testsuite>",
        encoding="utf-8",
    )
    args = ["step", "--junit", str(after), "--junit-before", before]
    md = run(*args, "--source-root", str(project)).stdout
    section = md[md.index("## Tests Added") : md.index("## 📊")]
    assert "   - Runs of spaces collapse to one.\n" in section
    assert "More text" not in section and "Secret" not in section
    assert "   - \\<script>alert(1)\\</script> \\| \\*not emphasis\\*\n" in section
    assert "**`test_bare`**\n4." in section  # no docstring, no line
    html = run(*args, "--source-root", str(project), "--format", "html").stdout
    assert '<span class="muted">Runs of spaces collapse to one.</span>' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    # Without the sources at hand the list is as before: names only.
    bare = run(*args, "--source-root", str(tmp_path / "nowhere")).stdout
    assert "Runs of spaces" not in bare


def test_docstrings_of_follow_the_file_attribute(tmp_path: Path) -> None:
    """The JUnit `file` attribute finds a test whose classname names no module path."""
    import io

    from reportgen.inputs.test_results import parse_junit
    from reportgen.inputs.test_sources import docstrings_of

    (tmp_path / "suite").mkdir()
    (tmp_path / "suite" / "checks.py").write_text(TEST_SOURCE, encoding="utf-8")
    xml = (
        b'<testsuite><testcase classname="Checks" name="test_plain" file="suite/checks.py"/>'
        b'<testcase classname="X" name="test_basic" file="/etc/passwd"/></testsuite>'
    )
    run_ = parse_junit(io.BytesIO(xml), "j.xml")
    docs = docstrings_of(run_, ["Checks::test_plain", "X::test_basic"], tmp_path)
    assert docs == {"Checks::test_plain": "<script>alert(1)</script> | *not emphasis*"}


def test_short_names_grow_only_as_far_as_needed() -> None:
    from reportgen.analysis.test_ids import short_names

    assert short_names(
        [
            "tests.test_x::test_y",
            "tests.a.Shared::t",
            "tests.b.Shared::t",
            "crate::mod::test",
            "crate::other::test",
            "bare",
            "pkg.one::same",
            "pkg.one.Inner::same",
        ]
    ) == {
        "tests.test_x::test_y": "test_y",
        "tests.a.Shared::t": "a.Shared::t",
        "tests.b.Shared::t": "b.Shared::t",
        "crate::mod::test": "mod::test",
        "crate::other::test": "other::test",
        "bare": "bare",
        "pkg.one::same": "same",
        "pkg.one.Inner::same": "Inner::same",
    }


def test_before_alone_is_refused() -> None:
    """`--before` without `--after` is a slip (every file would read as removed): one line."""
    result = run("step", "--before", BEFORE)
    assert result.exit_code == 2
    assert result.stderr == "Error: --before needs --after (the after run) to compare with\n"
    assert result.stdout == ""


def test_several_formats_into_a_file_name_are_refused(tmp_path: Path) -> None:
    """`--out one.md` with two formats would make a folder named `one.md`: refused instead."""
    out = tmp_path / "one.md"
    result = run("step", "--after", AFTER, "--format", "md", "--format", "html", "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: --out {out}: names a file, but 2 formats need a folder;"
        " give --out DIR/ or one --format\n"
    )
    assert not out.exists()
    folder = tmp_path / "reports"
    done = run(
        "step", "--after", AFTER, "--format", "md", "--format", "html", "--out", f"{folder}/"
    )
    assert done.exit_code == 0, done.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["report.html", "report.md"]


def test_after_only_rows_follow_coverage_reports_order(tmp_path: Path) -> None:
    """`m2` before `m10`, as `coverage report -m` lists them (its human sort), not by code point."""
    import subprocess
    import sys

    from tests.coverage_oracle import parse_report_text

    names = ["m2", "m10", "M1", "m_1", "m1a"]
    for name in names:
        (tmp_path / f"{name}.py").write_text("x = 1\nif x:\n    y = 2\n", encoding="utf-8")
    (tmp_path / "main.py").write_text("".join(f"import {n}\n" for n in names), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "COVERAGE_FILE": str(tmp_path / ".coverage")}

    def coverage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "coverage", *args],
            cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout

    coverage("run", "--branch", "--rcfile=/dev/null", "main.py")
    coverage("json", "--rcfile=/dev/null", "-o", str(tmp_path / "c.json"))
    expected = list(parse_report_text(coverage("report", "-m", "--rcfile=/dev/null"))["files"])
    text = run("step", "--after", str(tmp_path / "c.json")).stdout
    rows = _md_table(text, "| Name | Stmts | Miss | Branch | BrPart | Cover | Missing |")
    assert [r[0] for r in rows[:-1]] == expected
    assert expected.index("m2.py") < expected.index("m10.py")


def test_after_only_reads_its_json_once(
    tiny_run: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The functions of the listed files come from the one parse, not a second read."""
    from reportgen.inputs import coverage_json

    calls: list[str] = []
    parse = coverage_json.parse_coverage_json

    def counted(data, source, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(source)
        return parse(data, source, *args, **kwargs)

    monkeypatch.setattr(coverage_json, "parse_coverage_json", counted)
    data, _ = tiny_run
    text = run("step", "--after", str(data)).stdout
    assert calls == [str(data)]
    assert "- Lines 4-6: in `sign`" in text and "- Line 23: in `Box.first`" in text
