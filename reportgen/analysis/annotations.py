"""Line annotations for a check run: failing tests and uncovered changed lines, most important
first (pure).

One annotation per item of the changed lines' Missing column ("12-14" is one range, "15->17"
one partial branch), never one per line; one per failing test whose file and line are known.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence

import msgspec

from reportgen.analysis.patch import ChangeSet, PatchFile
from reportgen.analysis.step import StepResult
from reportgen.analysis.test_run import Failure, TestRun

FAILURE, WARNING = "failure", "warning"
MAX_MESSAGE = 4096  # GitHub takes 64 KB; a reviewer reads the first lines on the diff
MAX_TITLE = 255


class Annotation(msgspec.Struct, frozen=True):
    """One annotation as the Checks API takes it (``annotation_level`` is ``level`` here)."""

    path: str
    start_line: int
    end_line: int
    level: str  # "failure" or "warning"
    title: str
    message: str

    def as_api(self) -> dict[str, object]:
        return {
            "path": self.path,
            "start_line": self.start_line,
            "end_line": self.end_line,
            "annotation_level": self.level,
            "title": self.title,
            "message": self.message,
        }


def build_annotations(step: StepResult, changes: ChangeSet | None) -> list[Annotation]:
    """Failing tests, then uncovered changed lines of target files, then the other files'."""
    known: dict[str, str] = {}
    if step.history is not None:
        from reportgen.analysis.history import known_flaky_notes

        base = step.baseline.base if step.baseline is not None else ""
        known = known_flaky_notes(step.history, base)
    found = list(_failing_tests(step.tests_after, changes, known))
    if step.patch is not None:
        in_targets = {path for result in step.targets for path in result.paths}
        files = sorted(step.patch.files, key=lambda f: (f.path not in in_targets, f.diff_path))
        for item in files:
            found.extend(_uncovered(item))
    return found


# --- uncovered changed lines -----------------------------------------------------------------


def _uncovered(item: PatchFile) -> Iterable[Annotation]:
    for first, text in item.missing:
        if "->" in text:
            yield Annotation(
                item.diff_path,
                first,
                first,
                WARNING,
                "Partial branch",
                f"Changed line {first}: the branch {text} was never taken by the tests.",
            )
            continue
        start, _, end = text.partition("-")
        last = int(end) if end else int(start)
        lines = f"Line {first}" if last == first else f"Lines {first}-{last}"
        yield Annotation(
            item.diff_path,
            first,
            last,
            WARNING,
            "Not covered",
            f"{lines} added or changed here never ran in the tests.",
        )


# --- failing tests --------------------------------------------------------------------------


def _failing_tests(
    run: TestRun | None, changes: ChangeSet | None, known: dict[str, str]
) -> Iterable[Annotation]:
    """A failure known flaky in the stored runs is a warning, saying so; the others fail."""
    if run is None:
        return
    changed = [f.path for f in changes.files] if changes is not None else []
    for failure in run.failures:
        path = _clean_path(run.file(failure.id)) or _resolve_id(failure.id, changed)
        line = _failure_line(failure, path) if path else None
        if path is None or line is None:
            continue  # no place on the diff: the summary lists it all the same
        title = f"Test {'error' if failure.outcome == 'error' else 'failed'}: {failure.id}"
        message = _message(failure)
        level = FAILURE
        if failure.id in known:
            level, message = WARNING, f"{known[failure.id]}. {message}"
        message = _clip(message, MAX_MESSAGE)
        yield Annotation(path, line, line, level, _clip(title, MAX_TITLE), message)


def _clean_path(path: str) -> str | None:
    """A repository-relative POSIX path, or None for an absolute or escaping one."""
    if not path:
        return None
    path = posixpath.normpath(path.replace("\\", "/"))
    if path.startswith(("/", "../")) or path in (".", "..") or re.match(r"[A-Za-z]:", path):
        return None
    return path


def _resolve_id(test_id: str, changed: Sequence[str]) -> str | None:
    """The changed source file the test id's class path names (``tests.test_x.TestY::t``
    resolves to ``tests/test_x.py`` or ``src/tests/test_x.py``, ``com.acme.FooTest::t`` to
    ``src/test/java/com/acme/FooTest.java``), the longest such match."""
    classname = test_id.partition("::")[0]
    best: tuple[int, int, str] | None = None
    for path in changed:
        stem, extension = posixpath.splitext(path)
        if not extension:
            continue
        parts = stem.split("/")
        # The module may sit below a source root the class path leaves out: try each suffix.
        for skip in range(len(parts)):
            dotted = ".".join(parts[skip:])
            # "." starts a class inside the module, "$" a JVM nested class.
            if classname == dotted or classname.startswith((dotted + ".", dotted + "$")):
                # The longest module wins; among equals the path with no root left out.
                key = (len(dotted), -skip, path)
                if best is None or key[:2] > best[:2] or (key[:2] == best[:2] and path < best[2]):
                    best = key
                break
    return None if best is None else best[2]


def _failure_line(failure: Failure, path: str) -> int | None:
    """Where the test stopped in its own file, from the failure's traceback: pytest ends each
    entry with ``path:LINE:``, innermost last, so the last one in the file; a JVM stack trace
    names frames ``(Name.java:LINE)``, innermost first, so the first one."""
    found = None
    name = re.escape(path)
    for match in re.finditer(rf"(?:^|[\s/\\]){name}:([0-9]{{1,9}}):", failure.text, re.MULTILINE):
        found = int(match.group(1))
    if found is None and not path.endswith(".py"):
        frame = re.search(
            rf"\({re.escape(posixpath.basename(path))}:([0-9]{{1,9}})\)", failure.text
        )
        found = int(frame.group(1)) if frame else None
    return found if found else None


def _message(failure: Failure) -> str:
    return failure.message or failure.text.strip().partition("\n")[0] or failure.outcome


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
