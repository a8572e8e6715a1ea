"""The archived example in reports/ is rebuilt byte for byte from its specs alone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main

ROOT = Path(__file__).resolve().parents[1]
M3 = ROOT / "reports" / "m3"
STEPS = {
    "step1.toml": "p0-4-milestone-3--step-1",
    "step2.toml": "p0-4-milestone-3--step-2",
}


def run(*args: str, cwd: Path):
    """Invoke the CLI from `cwd`, as a user in that folder would."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        return CliRunner().invoke(main, list(args), env={"SOURCE_DATE_EPOCH": ""})


@pytest.mark.parametrize("spec", sorted(STEPS))
@pytest.mark.parametrize("fmt", ["md", "json", "html"])
def test_spec_alone_rebuilds_archived_report(spec: str, fmt: str) -> None:
    """`reportgen step --spec FILE` prints exactly the archived document."""
    result = run("step", "--spec", str(M3 / spec), "--format", fmt, cwd=ROOT)
    assert result.exit_code == 0, result.stderr
    archived = M3 / f"{STEPS[spec]}.{fmt}"
    assert result.stdout_bytes == archived.read_bytes()


def test_example_figures_are_coverages_own() -> None:
    """The archived figures equal the `coverage report` text saved with the data."""
    summary = json.loads((M3 / "p0-4-milestone-3--step-1.json").read_text())
    report = (M3 / "data" / "report-state1.txt").read_text()
    row = next(
        line for line in report.splitlines() if line.startswith("tools/soak/config_manager.py")
    )
    _, stmts, miss, branch, brpart, cover, *missing = row.split()
    target = summary["coverage"]["targets"][0]["after"]
    assert (target["statements"], target["missing"]) == (int(stmts), int(miss))
    assert (target["branches"], target["partial_branches"]) == (int(branch), int(brpart))
    assert target["display"] + "%" == cover
    uncovered = summary["coverage"]["targets"][0]["uncovered"]
    assert ", ".join(u["lines"] for u in uncovered) == " ".join(missing)
    assert summary["status"] == "COMPLETED"
    assert summary["tests"]["after"]["tests"] == 46


def test_index_lists_both_steps_newest_first(tmp_path: Path) -> None:
    """`reportgen index` over the archive lists both steps, newest first, and rebuilds index.md."""
    copy = tmp_path / "reports"
    shutil.copytree(ROOT / "reports", copy, ignore=shutil.ignore_patterns("example"))
    result = run("index", str(copy), cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    text = (copy / "index.md").read_text(encoding="utf-8")
    assert text == (ROOT / "reports" / "index.md").read_text(encoding="utf-8")
    html = (copy / "index.html").read_bytes()
    assert html == (ROOT / "reports" / "index.html").read_bytes()
    rows = [line for line in text.splitlines() if line.startswith("| P0.4")]
    assert [r.split(" | ")[1] for r in rows] == [
        "[Step 2](m3/p0-4-milestone-3--step-2.md)",
        "[Step 1](m3/p0-4-milestone-3--step-1.md)",
    ]
    assert "54% → 61%" in text


def test_stdout_is_utf8_whatever_the_locale() -> None:
    """Under a Latin-1 terminal encoding the report still goes out as UTF-8, byte for byte."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONIOENCODING": "latin-1", "LC_ALL": "C", "LANG": "C"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no compiled templates left in the package
    done = subprocess.run(
        [sys.executable, "-m", "reportgen", "step", "--spec", str(M3 / "step1.toml")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=True,
    )
    assert done.stdout == (M3 / "p0-4-milestone-3--step-1.md").read_bytes()


def test_readme_excerpt_is_the_real_output() -> None:
    """Every line of the README's example excerpt is a line of the archived step 1 report."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    report = (M3 / "p0-4-milestone-3--step-1.md").read_text(encoding="utf-8").splitlines()
    blocks = re.findall(r"```markdown\n(.*?)```", readme, re.S)
    assert len(blocks) == 2
    lines = [
        line for block in blocks for line in block.splitlines() if line.strip() not in ("", "...")
    ]
    assert [line for line in lines if line not in report] == []
