"""Hostile and broken input: exit 2, one line naming the file, nothing run, leaked or written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main

DATA = Path(__file__).parent / "data"
AFTER = str(DATA / "coverage" / "7.17.4" / "branch.json")
JUNIT = str(DATA.parent.parent / "reports" / "m3" / "data" / "junit-state1.xml")
SECRET = "TOP-SECRET-CONTENT-4711"

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
    ']><testsuites><testsuite name="&lol3;"/></testsuites>'
)
QUADRATIC = (
    '<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "'
    + "x" * 10_000
    + '">]>'
    + '<testsuites><testsuite name="'
    + "&a;" * 1000
    + '"/></testsuites>'
)


def xxe(secret_path: Path) -> str:
    return (
        f'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY xxe SYSTEM "file://{secret_path}">]>'
        '<testsuites><testsuite name="s"><testcase classname="c" name="t">'
        '<failure message="&xxe;">&xxe;</failure></testcase></testsuite></testsuites>'
    )


def external_dtd(secret_path: Path) -> str:
    return (
        f'<?xml version="1.0"?><!DOCTYPE testsuites SYSTEM "file://{secret_path}">'
        '<testsuites><testsuite name="s"/></testsuites>'
    )


# Each case: (name, content as bytes or a function of the secret's path).
COVERAGE_CASES = {
    "empty": b"",
    "truncated": Path(AFTER).read_bytes()[:300],
    "junit-as-coverage": Path(JUNIT).read_bytes() if Path(JUNIT).exists() else b"<testsuites/>",
    "html-page": b"<!doctype html><html><body>404</body></html>",
    "binary-garbage": bytes(range(256)) * 4,
    "not-utf8": b'{"files": {"\xff\xfe.py": {}}}',
    "a-list": b"[1, 2, 3]",
    "files-not-object": b'{"files": [1]}',
    "wrong-types": b'{"files": {"a.py": {"executed_lines": "1", "missing_lines": [], "summary": {}}}}',
    "negative-counts": b'{"files": {"a.py": {"executed_lines": [], "missing_lines": [], "summary": {"num_statements": -3, "missing_lines": 0}}}}',
    "missing-keys": b'{"files": {"a.py": {"executed_lines": []}}}',
    "inconsistent": b'{"files": {"a.py": {"executed_lines": [], "missing_lines": [1, 2], "summary": {"num_statements": 2, "missing_lines": 5}}}}',
    "nested-100000": b'{"files": ' + b'{"a": ' * 100_000,
    "nul-bytes": b'{"files": {}}\x00\x00',
}

# Numbers no coverage.py run writes: each must stop every format alike, at parse time (a line
# list is otherwise decoded late, and only by the formats that show that file).
HUGE = b"9" * 5000
HUGE_NUMBER_CASES = {
    "executed-line": b'{"files": {"a.py": {"executed_lines": [1, '
    + HUGE
    + b'], "missing_lines": [],'
    b' "summary": {"num_statements": 2, "missing_lines": 0}}}}',
    "missing-line": b'{"files": {"a.py": {"executed_lines": [1], "missing_lines": [' + HUGE + b"],"
    b' "summary": {"num_statements": 2, "missing_lines": 1}}}}',
    "line-of-19-digits": b'{"files": {"a.py": {"executed_lines": [1000000000000000000],'
    b' "missing_lines": [], "summary": {"num_statements": 1, "missing_lines": 0}}}}',
    "branch": b'{"files": {"a.py": {"executed_lines": [1], "missing_lines": [],'
    b' "missing_branches": [[1, -' + HUGE + b"]],"
    b' "summary": {"num_statements": 1, "missing_lines": 0, "num_branches": 2,'
    b' "missing_branches": 1, "num_partial_branches": 1}}}}',
    "count": b'{"files": {"a.py": {"executed_lines": [1], "missing_lines": [],'
    b' "summary": {"num_statements": 1' + b"0" * 400 + b', "missing_lines": 0}}}}',
    "region-line": b'{"files": {"a.py": {"executed_lines": [1], "missing_lines": [],'
    b' "summary": {"num_statements": 1, "missing_lines": 0},'
    b' "functions": {"f": {"executed_lines": [' + HUGE + b"]}}}}}",
}

SPEC_CASES = {
    "empty-is-fine-but-no-inputs": b"",
    "truncated": b'milestone = "P0',
    "binary-garbage": bytes(range(256)),
    "not-utf8": b'title = "\xff"',
    "wrong-type": b"milestone = 3",
    "wrong-type-nested": b'[[target]]\npath = "a.py"\nmin = "eighty"',
    "unknown-check": b'[[criteria]]\ncheck = "rm -rf"',
    "nul-bytes": b'title = "a\x00b"',
    "coverage-json-as-spec": b'{"files": {}}',
}


def run(*args: str):
    return CliRunner().invoke(main, ["step", *args], env={"SOURCE_DATE_EPOCH": ""})


def assert_clean_failure(result, name: str, out: Path) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert 1 <= len(lines) <= 3, result.stderr
    assert lines[0].startswith("Error: "), result.stderr
    assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET not in result.stderr
    assert not out.exists()


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.mark.parametrize("case", sorted(COVERAGE_CASES))
@pytest.mark.parametrize("side", ["--before", "--after"])
def test_hostile_coverage_json(case: str, side: str, tmp_path: Path) -> None:
    """Broken coverage JSON on either side: exit 2, one line naming it, no output file."""
    bad = tmp_path / f"{case}.json"
    bad.write_bytes(COVERAGE_CASES[case])
    other = "--after" if side == "--before" else "--before"
    out = tmp_path / "out.md"
    result = run(side, str(bad), other, AFTER, "--out", str(out))
    assert_clean_failure(result, str(bad), out)


@pytest.mark.parametrize("case", sorted(HUGE_NUMBER_CASES))
@pytest.mark.parametrize("fmt", ["md", "json", "badge", "github", "html"])
@pytest.mark.parametrize("side", ["--before", "--after"])
def test_numbers_too_long_stop_every_format(case: str, fmt: str, side: str, tmp_path: Path) -> None:
    """A number longer than any line or count coverage.py records: exit 2, one line, in the
    formats that decode every file's lines (json) as in those that decode only moved ones."""
    bad = tmp_path / f"{case}.json"
    bad.write_bytes(HUGE_NUMBER_CASES[case])
    out = tmp_path / "out"
    # A target makes the file's functions and classes read (only then are they decoded).
    other = "--after" if side == "--before" else "--before"
    result = run(
        *(side, str(bad), other, AFTER, "--target", "a.py=50"),
        *("--format", fmt, "--out", str(out)),
    )
    assert_clean_failure(result, str(bad), out)
    assert len(result.stderr.splitlines()) == 1
    reasons = ("more than 18 digits", "<= 999999999999999999", "out of range")
    assert any(reason in result.stderr for reason in reasons), result.stderr


def test_eighteen_digits_are_still_a_line(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps(
            {
                "files": {
                    "a.py": {
                        "executed_lines": [1, 10**18 - 2],
                        "missing_lines": [10**18 - 1],
                        "summary": {"num_statements": 3, "missing_lines": 1},
                    }
                }
            }
        )
    )
    result = run("--after", str(good), "--format", "json")
    assert result.exit_code == 0, result.stderr
    (entry,) = json.loads(result.stdout)["coverage"]["files"]
    assert (entry["after"]["statements"], entry["missing"]) == (3, "999999999999999999")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "step.md").write_text("{% for f in report.files %}{{ f.missing }}{% endfor %}")
    result = run("--after", str(good), "--templates", str(templates))
    assert (result.exit_code, result.stdout) == (0, "999999999999999999")


@pytest.mark.parametrize("case", sorted(SPEC_CASES))
def test_hostile_spec(case: str, tmp_path: Path) -> None:
    """Broken specs: exit 2, one line naming the spec, no output file."""
    bad = tmp_path / f"{case}.toml"
    bad.write_bytes(SPEC_CASES[case])
    out = tmp_path / "out.md"
    result = run("--spec", str(bad), "--out", str(out))
    assert_clean_failure(result, "nothing to report" if case.startswith("empty") else str(bad), out)


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_missing_and_directory_inputs(kind: str, tmp_path: Path) -> None:
    """A missing file or a directory given as input is named, exit 2."""
    path = tmp_path / "nothing.json" if kind == "missing" else tmp_path
    out = tmp_path / "out.md"
    for option in ("--after", "--junit", "--spec"):
        result = run(option, str(path), "--out", str(out))
        assert_clean_failure(result, str(path), out)


TEMPLATE_ESCAPES = {
    "globals": "{{ cycler.__init__.__globals__ }}",
    "mro": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "format-attr": "{{ '{0.__class__}'.format(report) }}",
    "mutate": "{% set x = report.targets.append(1) %}{{ x }}",
    "include-outside": '{% include "../../../../../../etc/passwd" %}',
    "include-absolute": '{% include "/etc/passwd" %}',
    "syntax": "{% if %}",
    "runtime": "{{ 1 // 0 }}",
    "undefined": "{{ no_such_variable.deeper }}",
}


@pytest.mark.parametrize("case", sorted(TEMPLATE_ESCAPES))
def test_hostile_templates_are_stopped(case: str, tmp_path: Path) -> None:
    """A template reaching for Python internals, outside files or broken: exit 2, named, nothing run."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "step.md").write_text(TEMPLATE_ESCAPES[case])
    out = tmp_path / "out.md"
    result = run("--after", AFTER, "--templates", str(folder), "--out", str(out))
    assert_clean_failure(result, "step.md" if case != "include-outside" else "passwd", out)
    assert "root:" not in result.stderr


def test_template_syntax_error_names_line(tmp_path: Path) -> None:
    """A template syntax error names the template file and its line."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "step.md").write_text("line one\nline two\n{% for %}\n")
    result = run("--after", AFTER, "--templates", str(folder))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {folder / 'step.md'}:3: template syntax error:")


def test_user_template_extends_a_builtin_block(tmp_path: Path) -> None:
    """A user template replaces one block of the built-in report and keeps the rest."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "step.md").write_text(
        '{% extends "builtin/step.md" %}\n{% block notes %}\nOUR OWN NOTES\n{% endblock %}\n'
    )
    result = run("--after", AFTER, "--templates", str(folder), "--target", "sample/core.py=50")
    assert result.exit_code == 0, result.stderr
    assert "OUR OWN NOTES" in result.stdout
    assert "### Coverage Achievement" in result.stdout


def test_unsafe_paths_in_coverage_render_as_text(tmp_path: Path) -> None:
    """File paths with Markdown, HTML and table metacharacters stay literal and in their cell."""
    name = "evil|<script>alert(1)</script>`[x](javascript:alert(1))`\n.py"

    report = {
        "files": {
            name: {
                "executed_lines": [1],
                "missing_lines": [2],
                "summary": {"num_statements": 2, "missing_lines": 1},
            }
        }
    }
    path = tmp_path / "c.json"
    path.write_text(json.dumps(report))
    result = run("--after", str(path))
    assert result.exit_code == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "evil" in line)
    assert "<script>" in row and row.count(" | ") == 4  # code span, pipes escaped
    assert "\\|" in row


def junit_cases(secret: Path) -> dict[str, bytes]:
    return {
        "billion-laughs": BILLION_LAUGHS.encode(),
        "quadratic-blowup": QUADRATIC.encode(),
        "external-entity": xxe(secret).encode(),
        "external-dtd": external_dtd(secret).encode(),
        "empty": b"",
        "truncated": b'<?xml version="1.0"?><testsuites><testsuite name="s"><testcase name="t"',
        "html-page": b"<!doctype html><html><body>404</body></html>",
        "coverage-as-junit": Path(AFTER).read_bytes(),
        "binary-garbage": bytes(range(256)) * 4,
        "not-utf8": b'<?xml version="1.0" encoding="utf-8"?><testsuites name="\xff\xfe"/>',
        "nul-bytes": b"<testsuites>\x00</testsuites>",
        "other-root": b"<suites><suite/></suites>",
    }


@pytest.mark.parametrize(
    "case",
    [
        "billion-laughs",
        "quadratic-blowup",
        "external-entity",
        "external-dtd",
        "empty",
        "truncated",
        "html-page",
        "coverage-as-junit",
        "binary-garbage",
        "not-utf8",
        "nul-bytes",
        "other-root",
    ],
)
@pytest.mark.parametrize("option", ["--junit", "--junit-before"])
def test_hostile_junit(case: str, option: str, secret: Path, tmp_path: Path) -> None:
    """Hostile or broken JUnit on either side: exit 2, one line naming it, nothing expanded or read."""
    bad = tmp_path / f"{case}.xml"
    bad.write_bytes(junit_cases(secret)[case])
    out = tmp_path / "out.md"
    other = "--junit-before" if option == "--junit" else "--junit"
    good = str(DATA / "junit" / "nested-suites.xml")
    args = [option, str(bad), "--out", str(out)]
    if option == "--junit-before":
        args += [other, JUNIT if Path(JUNIT).exists() else good]
    result = run(*args)
    assert_clean_failure(result, str(bad), out)


def test_hostile_test_names_render_as_text(tmp_path: Path) -> None:
    """Test names and messages full of Markdown and HTML stay literal in Markdown and HTML."""
    junit = tmp_path / "j.xml"
    junit.write_text(
        '<testsuites><testsuite name="s" time="1">'
        '<testcase classname="evil|mod" name="&lt;img src=x onerror=alert(1)&gt;|[x](javascript:alert(1))">'
        '<failure message="**bold** &lt;script&gt;alert(1)&lt;/script&gt;\nsecond | line"/></testcase>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run("--junit", str(junit), "--format", "md", "--format", "html", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    md = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    # In a list the name is a code span, where a bar is written as is and nothing is markup.
    assert "<img" not in md.replace("`<img src=x onerror=alert(1)>|[x](javascript:alert(1))`", "")
    from markdown_it import MarkdownIt

    rendered = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)
    assert "<img" not in rendered and "<script>" not in rendered
    assert "\\*\\*bold\\*\\* \\<script>alert(1)\\</script>" in md  # "<" is enough
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript' not in html


def test_template_symlink_out_of_the_folder_is_refused(secret: Path, tmp_path: Path) -> None:
    """A user template cannot include a file a symlink leads to outside its folder."""
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "leak.txt").symlink_to(secret)
    (folder / "step.md").write_text(
        '{% extends "builtin/step.md" %}{% block footer %}{% include "leak.txt" %}{% endblock %}'
    )
    out = tmp_path / "out.md"
    result = run("--after", AFTER, "--templates", str(folder), "--out", str(out))
    assert_clean_failure(result, "leak.txt", out)


def test_hostile_module_names_are_escaped_inside_summary_lines(tmp_path: Path) -> None:
    """A `<summary>` line is raw HTML in Markdown: untrusted names there are HTML-escaped."""
    junit = tmp_path / "j.xml"
    junit.write_text(
        '<testsuites><testsuite name="s"><testcase classname="&lt;img src=x onerror=alert(1)&gt;.TestX"'
        ' name="t"><failure message="m"/></testcase></testsuite></testsuites>',
        encoding="utf-8",
    )
    result = run("--junit", str(junit))
    assert result.exit_code == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("<summary>"))
    assert line == "<summary>&lt;img src=x onerror=alert(1)&gt;.TestX (1)</summary>"


@pytest.mark.parametrize("fmt", ["md", "json", "html"])
@pytest.mark.parametrize("option", ["--title", "--date", "--target", "--scope"])
def test_option_bytes_that_are_not_utf8_are_refused(option: str, fmt: str, tmp_path: Path) -> None:
    """Python hands argv bytes that are not UTF-8 over as lone surrogates: refused up front
    with exit 2, not a traceback from whichever format first encodes them."""
    out = tmp_path / "out"
    result = run("--after", AFTER, option, "caf\udce9", "--format", fmt, "--out", str(out))
    assert (result.exit_code, result.stderr) == (2, f"Error: {option}: not UTF-8 text\n")
    assert not out.exists()


@pytest.mark.parametrize("option", ["--repo", "--comment-id"])
def test_comment_option_bytes_that_are_not_utf8_are_refused(option: str) -> None:
    """Refused before any token is looked for or any request is made."""
    args = ["comment", "--after", AFTER, option, "o/caf\udce9"]
    result = CliRunner().invoke(main, args, env={"GITHUB_TOKEN": ""})
    assert (result.exit_code, result.stderr) == (2, f"Error: {option}: not UTF-8 text\n")
