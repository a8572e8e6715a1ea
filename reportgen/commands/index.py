"""`reportgen index DIR`: the archived summaries read back into index.md and index.html."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import msgspec

from reportgen.analysis.history import DEFAULT_RUNS, HistoryRules, HistoryRun, read_history
from reportgen.analysis.snapshot import SUFFIX
from reportgen.analysis.test_run import TestRun, run_from_records
from reportgen.commands.gather import read_bytes, template_dir
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


def _step_tests(summary: dict[str, Any], path: Path) -> tuple[TestRun | None, str, str | None]:
    """The tests of an archived step's after run, the commit they measured ("" when not
    known) and a message when they could not be read: a schema-2 summary's records, else
    the snapshot archived beside a schema-1 summary; (None, "", None) when it has neither."""
    tests = summary.get("tests") or {}
    if summary.get("schema", 1) >= 2:
        if not tests.get("after"):
            return None, "", None
        # The records were dropped when the summary was first read (they can be megabytes):
        # read again for the few steps the history needs.
        try:
            again = msgspec.json.decode(read_bytes(str(path)))
            tests = again["tests"]
        except (InputError, ValueError, KeyError, TypeError) as err:
            return None, "", f"{path}: its tests left out of the history ({err})"
        failures = [
            (f["id"], f["outcome"], f.get("message", "")) for f in tests.get("failures") or ()
        ]
        try:
            run = run_from_records(
                tests.get("records") or {},
                tests.get("flaky") or (),
                failures,
                tests["after"]["time"],
            )
        except ValueError as err:  # summary_problem checked the shape: a last guard
            return None, "", f"{path}: its tests left out of the history ({err})"
        return run, "", None
    snapshot = path.with_suffix(SUFFIX)
    if not snapshot.is_file():
        return None, "", None
    from reportgen.inputs.snapshot import read_snapshot_tests

    try:
        commit, run = read_snapshot_tests(read_bytes(str(snapshot)), str(snapshot))
    except InputError as err:
        return None, "", f"{err}; its tests left out of the history"
    return run, commit, None


def _history_runs(steps: list[tuple[Any, Path]], limit: int) -> tuple[list[HistoryRun], list[str]]:
    """The tests of the newest `limit` archived steps that have any, oldest first; steps
    come in archive order (oldest first). Older steps' files are never read."""
    from reportgen.outputs.index import step_order

    runs: list[HistoryRun] = []
    messages: list[str] = []
    # Newest first as the index's table orders them: among steps that tie, the later file
    # (a stable ascending sort walked from its end, not a reversed sort, which keeps ties
    # in file order).
    for item, path in reversed(sorted(steps, key=lambda found: step_order(found[0].summary))):
        if len(runs) >= limit:
            break
        tests, commit, problem = _step_tests(item.summary, path)
        if problem:
            messages.append(problem)
        if tests is not None:
            label = " ".join(
                p for p in (item.summary.get("milestone"), item.summary.get("step")) if p
            )
            runs.append(HistoryRun(label or item.path, commit, tests))
    runs.reverse()
    return runs, messages


def run_index(
    directory: Path, templates_option: str | None, history_runs: int = DEFAULT_RUNS
) -> list[str]:
    """Rebuild DIR/index.md (and index.html) from the archived summaries; returns messages.
    The tests of the newest `history_runs` steps that have any give the flaky and slowing
    tables (0: none)."""
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
        if isinstance(data.get("tests"), dict):
            # Checked already; only the newest steps' are needed again (_step_tests).
            data["tests"].pop("records", None)
        steps.append(
            (
                ArchivedStep(
                    path=name,
                    summary=data,
                    report=_beside(path, ".md", directory),
                    html_report=_beside(path, ".html", directory),
                ),
                path,
            )
        )
    runs, problems = _history_runs(steps, history_runs)
    messages.extend(problems)
    history = read_history(runs, HistoryRules(runs=history_runs)) if runs else None
    context = {"index": build_index([item for item, _ in steps], history)}
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
