"""The compiled-template cache: built-in templates only, private folders only, never in the way."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.app import template_cache_dir
from reportgen.cli import main

DATA = Path(__file__).parent / "data" / "coverage"
BEFORE = str(DATA / "6.5.0" / "branch.json")
AFTER = str(DATA / "7.17.4" / "branch.json")


def step(cache: Path | str, *extra: str) -> str:
    """Run a Markdown step with `cache` as the cache folder; its report."""
    args = ["step", "--before", BEFORE, "--after", AFTER, "--date", "2025-10-27", *extra]
    result = CliRunner().invoke(main, args, env={"REPORTGEN_CACHE_DIR": str(cache)})
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"REPORTGEN_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, Path("/c")),
        ({"REPORTGEN_CACHE_DIR": "", "HOME": "/h"}, None),
        ({"XDG_CACHE_HOME": "/x", "HOME": "/h"}, Path("/x/reportgen")),
        ({"HOME": "/h"}, Path("/h/.cache/reportgen")),
        ({"XDG_CACHE_HOME": "relative", "HOME": ""}, None),
        ({}, None),
    ],
)
def test_cache_folder_follows_the_environment(env: dict[str, str], expected: Path | None) -> None:
    """REPORTGEN_CACHE_DIR wins ("" turns the cache off), then XDG_CACHE_HOME, then ~/.cache."""
    assert template_cache_dir(env) == expected


def test_second_run_reads_the_cache_and_renders_the_same(tmp_path: Path) -> None:
    """The first run compiles and stores the built-in templates; the next reads them back."""
    cache = tmp_path / "cache"
    first = step(cache)
    entries = sorted(cache.iterdir())
    assert len(entries) == 2  # step.md and the macros it imports
    assert all(e.stat().st_mode & 0o077 == 0 for e in entries)
    assert cache.stat().st_mode & 0o777 == 0o700
    stamps = [e.stat().st_mtime_ns for e in entries]
    assert step(cache) == first
    assert [e.stat().st_mtime_ns for e in sorted(cache.iterdir())] == stamps
    assert step("") == first  # and without a cache, the same report


@pytest.mark.parametrize("cut", [5, 40, -30], ids=["in-magic", "in-checksum", "in-code"])
def test_a_corrupt_entry_is_recompiled(cut: int, tmp_path: Path) -> None:
    """A damaged cache file is ignored: the template is compiled from its source again."""
    cache = tmp_path / "cache"
    first = step(cache)
    for entry in cache.iterdir():
        entry.write_bytes(entry.read_bytes()[:cut] + b"\x00garbage")
    assert step(cache) == first


def test_user_templates_are_never_cached(tmp_path: Path) -> None:
    """Templates from --templates (maybe from a pull request) are compiled, not stored."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "step.md").write_text("Total {{ report.total.after }}\n", encoding="utf-8")
    cache = tmp_path / "cache"
    assert step(cache, "--templates", str(templates)) == "Total 93%\n"
    assert not cache.exists() or not any(cache.iterdir())


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_folder_others_can_write_is_not_used(tmp_path: Path) -> None:
    """Cached code is loaded and run: a folder anyone can write to is neither read nor written."""
    cache = tmp_path / "shared"
    cache.mkdir()
    cache.chmod(0o777)
    report = step(cache)
    assert not any(cache.iterdir())
    assert report == step("")


def test_an_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    """A cache path that cannot be made (a file is in the way) costs time, not the report."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert step(blocker / "cache") == step("")
