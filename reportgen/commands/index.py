"""`reportgen index DIR`: the archived summaries read back into index.md and index.html."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import msgspec

from reportgen.commands.gather import template_dir
from reportgen.errors import InputError
from reportgen.outputs.atomic_write import JOURNAL, PlannedFile, recover, write_all


def _read_summary(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """A JSON summary, or (None, why) for a corrupt one; unrelated files give (None, None)."""

    try:
        # Without blocking, and only a regular file: a FIFO named *.json would wait forever.
        handle = open(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb")
        with handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return None, f"{path}: skipped, not a regular file"
            head = handle.read(256)
            if b'"schema"' not in head:
                return None, None  # not ours (coverage data, other tools' JSON): left alone
            # Strict JSON: no NaN or Infinity, no number out of a float's range, no lone
            # surrogate (json.loads takes all three, and none can be written into the index).
            data = msgspec.json.decode(head + handle.read())
    except (OSError, ValueError, RecursionError) as err:
        return None, f"{path}: skipped, not a readable JSON summary ({type(err).__name__})"
    from reportgen.outputs.index import is_summary, summary_problem

    if not is_summary(data):
        return None, f"{path}: skipped, not a reportgen summary of schema 1 or 2"
    problem = summary_problem(data)
    if problem:
        return None, f"{path}: skipped, not a valid summary ({problem})"
    return data, None


def _beside(summary: Path, suffix: str, directory: Path) -> str | None:
    """The report of another format archived beside a summary, relative to the index."""
    other = summary.with_suffix(suffix)
    return other.relative_to(directory).as_posix() if other.is_file() else None


def _is_utf8(text: str) -> bool:
    """False for a name holding bytes that are not UTF-8 (Python keeps them as surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def run_index(directory: Path, templates_option: str | None) -> list[str]:
    """Rebuild DIR/index.md (and index.html) from the archived summaries; returns messages."""
    from reportgen.outputs.index import ArchivedStep, build_index
    from reportgen.outputs.render import (
        builtin_template_dir,
        make_environment,
        render,
        template_cache_dir,
    )

    if directory.exists() and not directory.is_dir():
        raise InputError(f"{directory}: not a folder")
    if not directory.is_dir():
        raise InputError(f"{directory}: no such folder")
    # A run killed while publishing a set of reports left a journal: finish its set first,
    # so the index never reads a new report beside an old summary.
    for journal in sorted(directory.rglob(JOURNAL)):
        recover(journal.parent)
    steps, messages = [], []
    for path in sorted(directory.rglob("*.json")):
        name = path.relative_to(directory).as_posix()
        if not _is_utf8(name):  # its links could not be written into the index
            shown = os.fsencode(path).decode("utf-8", "backslashreplace")
            messages.append(f"{shown}: skipped, its name is not UTF-8 text")
            continue
        data, problem = _read_summary(path)
        if problem:
            messages.append(problem)
        if data is None:
            continue
        steps.append(
            ArchivedStep(
                path=name,
                summary=data,
                report=_beside(path, ".md", directory),
                html_report=_beside(path, ".html", directory),
            )
        )
    context = {"index": build_index(steps)}
    jinja = make_environment(template_dir(templates_option), template_cache_dir())
    planned = []
    for name in ("index.md", "index.html"):
        if (builtin_template_dir() / name).is_file():
            text = render(jinja, name, context)
            planned.append(PlannedFile(directory / name, text.encode("utf-8")))
    written = write_all(planned, force=True)
    messages.append(
        f"{len(steps)} step{'s' * (len(steps) != 1)} indexed; "
        + ("wrote " + ", ".join(str(p) for p in written) if written else "index unchanged")
    )
    return messages
