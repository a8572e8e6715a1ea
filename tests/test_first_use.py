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
        ("report.json", lambda b: json.loads(b)["schema"] == 1),
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
