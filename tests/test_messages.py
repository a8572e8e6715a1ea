"""What the commands tell their user: one line per file written, and errors that name the
actual problem (an empty path, a file where a folder belongs, a folder that was made)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main

DATA = Path(__file__).parent / "data" / "coverage"
BEFORE = str(DATA / "6.5.0" / "branch.json")
AFTER = str(DATA / "7.17.4" / "branch.json")


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env={"SOURCE_DATE_EPOCH": "", **(env or {})})


def test_step_prints_each_file_it_wrote(tmp_path: Path) -> None:
    """`step --out DIR` names each file on stdout, as `index` and `templates --export` do."""
    out = tmp_path / "reports"
    out.mkdir()
    args = ["step", "--after", AFTER, "--format", "md", "--format", "json", "--out", str(out)]
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"wrote {out / 'report.md'}\nwrote {out / 'report.json'}\n"
    assert result.stderr == ""


def test_step_says_which_files_were_already_up_to_date(tmp_path: Path) -> None:
    """A second identical run rewrites nothing and says so, one line per file."""
    out = tmp_path / "report.html"
    first = run("step", "--after", AFTER, "--format", "html", "--out", str(out))
    assert first.stdout == f"wrote {out}\n"
    again = run("step", "--after", AFTER, "--format", "html", "--out", str(out))
    assert again.exit_code == 0, again.stderr
    assert again.stdout == f"unchanged {out}\n"


def test_step_says_it_created_the_out_folder(tmp_path: Path) -> None:
    """--out into a missing folder creates it, and says so before naming the files."""
    out = tmp_path / "new" / "m4"
    result = run("step", "--after", AFTER, "--format", "md", "--out", f"{out}/")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"created folder {out}\nwrote {out / 'report.md'}\n"
    assert (out / "report.md").is_file()


def test_messages_go_to_stderr_when_the_report_goes_to_stdout(tmp_path: Path) -> None:
    """With the report on stdout, the line about the appended step summary goes to stderr."""
    summary = tmp_path / "summary.md"
    result = run(
        "step", "--after", AFTER, "--step-summary", env={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("# Coverage report")
    assert "appended" not in result.stdout
    assert result.stderr == f"appended the github format to {summary}\n"


def test_step_to_stdout_prints_only_the_report() -> None:
    """Without files written, stdout is the report alone and stderr stays empty."""
    result = run("step", "--after", AFTER, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("{")
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["step", "--before", "", "--after", AFTER], "Error: --before: empty path\n"),
        (["step", "--after", ""], "Error: --after: empty path\n"),
        (["step", "--after", AFTER, "--junit", ""], "Error: --junit: empty path\n"),
        (["step", "--spec", ""], "Error: --spec: empty path\n"),
        (["step", "--after", AFTER, "--templates", ""], "Error: --templates: empty path\n"),
        (["step", "--after", AFTER, "--out", ""], "Error: --out: empty path\n"),
        (["index", ""], "Error: DIRECTORY: empty path\n"),
        (["templates", "--export", ""], "Error: --export: empty path\n"),
    ],
)
def test_an_empty_path_is_named_as_such(args: list[str], message: str) -> None:
    """An empty path (an unset variable in a script) is "empty path", not a missing file."""
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr == message
    assert result.stdout == ""


def test_export_onto_a_file_says_it_is_not_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "templates.txt"
    target.write_text("mine\n", encoding="utf-8")
    result = run("templates", "--export", str(target))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {target}: not a folder; --export copies the templates into a folder\n"
    )
    assert target.read_text(encoding="utf-8") == "mine\n"


def test_export_says_it_created_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "custom"
    result = run("templates", "--export", str(target))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    from reportgen.outputs.render import builtin_template_dir

    count = sum(1 for p in builtin_template_dir().iterdir() if p.is_file())
    assert count >= 10
    assert lines[-2:] == [f"created folder {target}", f"copied {count} templates to {target}"]


def test_index_of_a_file_says_it_is_not_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    target.write_text("{}", encoding="utf-8")
    result = run("index", str(target))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {target}: not a folder\n"
