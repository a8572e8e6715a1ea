"""Writes are all or nothing: an injected failure leaves every earlier file as it was."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from click.testing import CliRunner

import reportgen.outputs.atomic_write
from reportgen.cli import main
from reportgen.errors import OutputError
from reportgen.outputs.atomic_write import PlannedFile, write_all

AFTER = str(Path(__file__).parent / "data" / "coverage" / "7.17.4" / "branch.json")


def test_disk_full_on_the_second_file_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write failing on the second file removes the first's temp file and renames nothing."""
    first, second = tmp_path / "a.md", tmp_path / "b.json"
    first.write_bytes(b"old a")
    second.write_bytes(b"old b")
    real = reportgen.outputs.atomic_write._write_temp
    calls = []

    def failing(planned: PlannedFile) -> str:
        calls.append(planned.path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(planned)

    monkeypatch.setattr(reportgen.outputs.atomic_write, "_write_temp", failing)
    with pytest.raises(OutputError, match=r"b.json: cannot write \(No space left on device\)"):
        write_all([PlannedFile(first, b"new a"), PlannedFile(second, b"new b")], force=True)
    assert first.read_bytes() == b"old a" and second.read_bytes() == b"old b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.md", "b.json"]  # no temp left


def test_template_error_on_second_format_writes_nothing(tmp_path: Path) -> None:
    """A broken second template stops the run before any file of the first format is touched."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.md").write_text("archived\n", encoding="utf-8")
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "step.html").write_text("{{ broken(", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "step",
            "--after",
            AFTER,
            "--format",
            "md",
            "--format",
            "html",
            "--out",
            str(out),
            "--templates",
            str(templates),
            "--force",
        ],
    )
    assert result.exit_code == 2
    assert "step.html:1: template syntax error" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["report.md"]
    assert (out / "report.md").read_text(encoding="utf-8") == "archived\n"


def test_new_folders_are_created_and_files_replace_atomically(tmp_path: Path) -> None:
    """Parent folders are created; a replaced file is swapped in whole by a rename."""
    target = tmp_path / "deep" / "er" / "r.md"
    assert write_all([PlannedFile(target, b"one")], force=False) == [target]
    inode = target.stat().st_ino
    assert write_all([PlannedFile(target, b"two")], force=True) == [target]
    assert target.read_bytes() == b"two" and target.stat().st_ino != inode
