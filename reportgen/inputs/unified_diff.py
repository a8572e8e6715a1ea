"""Read a unified diff (`git diff`, any context) into the lines each file adds.

unidiff does the parsing. Around it: bytes are decoded line by line (bytes that are
not UTF-8 become U+FFFD; only paths matter, and a path that is not UTF-8 cannot name a
measured file anyway), CRLF endings become LF, the text of hunk lines is dropped
before unidiff sees it (only their kind and count matter), and each file is reduced
to its added line numbers as soon as the next one starts, so memory follows the
largest file's line count, not the size of the diff.

Two passes at most. The first asks unidiff for hunk headers and counts only
(`metadata_only`, no object per line, 5x faster): a hunk whose target lines are all
added (`git diff -U0`, new files) gives its line numbers by arithmetic. Only a diff
with context lines inside a hunk is read again in full, for the added lines' positions.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

import msgspec
from unidiff import PatchedFile, PatchSet
from unidiff.errors import UnidiffParseError

from reportgen.analysis.patch import (
    ADDED,
    BINARY,
    DELETED,
    MODIFIED,
    RENAMED,
    ChangedFile,
    ChangeSet,
)
from reportgen.errors import InputError

_DEV_NULL = "/dev/null"
_PREFIX = re.compile(r"[abciow12]/")
_OCTAL = re.compile(rb"\\([0-7]{3})")
_ESCAPES = {b"\\n": b"\n", b"\\t": b"\t", b'\\"': b'"', b"\\\\": b"\\"}


def _lines(stream: IO[bytes], blank: bool) -> Iterator[str]:
    """The diff's lines as unidiff wants them; with `blank`, hunk lines without their text
    (the counting pass keeps no line, so it need not blank them)."""
    for raw in stream:
        line = raw.decode("utf-8", errors="replace")
        if line.endswith("\r\n"):
            line = line[:-2] + "\n"
        elif line.endswith("\r"):  # a last line ending in a lone CR
            line = line[:-1] + "\n"
        if not blank:
            yield line
            continue
        first = line[:1]
        # A hunk line keeps only its kind; "---"/"+++" may be file headers, so they stay whole.
        if first == " " or (first in "+-" and line[:3] not in ("---", "+++") and first):
            yield first + "\n"
        else:
            yield line


class _NeedsLines(Exception):
    """A hunk mixes context and added lines: the counts alone do not place them."""


class _Reduced(PatchSet):
    """A PatchSet that keeps each finished file only as its added line numbers."""

    def __init__(self, lines: Iterable[str], counts_only: bool) -> None:
        self.reduced: list[ChangedFile] = []
        self._open: PatchedFile | None = None
        self._counts_only = counts_only
        super().__init__(lines, metadata_only=counts_only)
        self._finish()

    def append(self, patched: PatchedFile) -> None:  # type: ignore[override]
        # unidiff appends a file when its header starts; the one before is complete then.
        self._finish()
        self._open = patched

    def _finish(self) -> None:
        if self._open is not None:
            self.reduced.append(_changed_file(self._open, self._counts_only))
            self._open = None


def _unquote(path: str) -> str:
    """A path as git writes it, C-quoted when it holds unusual bytes ("caf\\303\\251.py")."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    data = path[1:-1].encode("utf-8")
    data = re.sub(rb"\\[nt\"\\]", lambda m: _ESCAPES[m.group(0)], data)
    data = _OCTAL.sub(lambda m: bytes([int(m.group(1), 8) & 0xFF]), data)
    return data.decode("utf-8", errors="replace")


def _clean_path(raw: str | None) -> str | None:
    if raw is None:
        return None
    path = _unquote(raw.strip())
    if path == _DEV_NULL:
        return None
    return path[2:] if _PREFIX.match(path) else path


def _added_lines(patched: PatchedFile, counts_only: bool) -> list[int]:
    if not counts_only:
        return sorted(
            line.target_line_no
            for hunk in patched
            for line in hunk
            if line.is_added and line.target_line_no is not None
        )
    added: list[int] = []
    for hunk in patched:
        if hunk.added == hunk.target_length:  # no context line in the target: all added
            added.extend(range(hunk.target_start, hunk.target_start + hunk.target_length))
        elif hunk.added:
            raise _NeedsLines
    return sorted(added)


def _changed_file(patched: PatchedFile, counts_only: bool) -> ChangedFile:
    source = _clean_path(patched.source_file)
    target = _clean_path(patched.target_file)
    if patched.is_binary_file:
        status = BINARY
    elif target is None:
        status = DELETED
    elif source is None:
        status = ADDED
    elif source != target:
        status = RENAMED
    else:
        status = MODIFIED
    lines = () if status in (BINARY, DELETED) else tuple(_added_lines(patched, counts_only))
    path = target if target is not None else (source or "")
    old = source if status == RENAMED else None
    return ChangedFile(path=path, status=status, lines=lines, old_path=old)


def parse_unified_diff(stream: IO[bytes], source: str) -> ChangeSet:
    """The files a diff changes and the lines it adds to each; `source` names it in errors."""
    if not stream.seekable():  # a pipe: kept in a temporary file, in case of a second pass
        spooled = tempfile.TemporaryFile()
        shutil.copyfileobj(stream, spooled)
        spooled.seek(0)
        with spooled:
            return parse_unified_diff(spooled, source)
    start = stream.tell()
    try:
        return _parse(stream, source, counts_only=True)
    except _NeedsLines:
        stream.seek(start)
        return _parse(stream, source, counts_only=False)


def _parse(stream: IO[bytes], source: str, counts_only: bool) -> ChangeSet:
    seen_text = False

    def lines() -> Iterator[str]:
        nonlocal seen_text
        for line in _lines(stream, blank=not counts_only):
            if line.strip():
                seen_text = True
            yield line

    try:
        patch = _Reduced(lines(), counts_only)
    except UnidiffParseError as err:
        raise InputError(f"{source}: not a valid unified diff ({_first_line(err)})") from None
    except (ValueError, OverflowError) as err:  # a hunk header's number beyond reason
        raise InputError(f"{source}: not a valid unified diff ({_first_line(err)})") from None
    if seen_text and not patch.reduced:
        raise InputError(f"{source}: not a unified diff (no file header such as '--- a/x.py')")
    files: dict[str, ChangedFile] = {}
    more: dict[str, set[int]] = {}  # lines of a file named again, merged once at the end
    for item in patch.reduced:
        if not item.path:
            raise InputError(f"{source}: not a valid unified diff (a file header names no path)")
        earlier = files.get(item.path)
        if earlier is not None:  # the same file twice (concatenated diffs): lines add up
            more.setdefault(item.path, set(earlier.lines)).update(item.lines)
            item = ChangedFile(item.path, item.status, (), item.old_path or earlier.old_path)
        files[item.path] = item
    for path, lines in more.items():
        files[path] = msgspec.structs.replace(files[path], lines=tuple(sorted(lines)))
    return ChangeSet(source=source, files=tuple(files[p] for p in sorted(files)))


def _first_line(err: Exception) -> str:
    """The parser's complaint without the line it quotes: a spec can name any readable file
    as its diff, and an error line must not print that file's content into a CI log."""
    text = " ".join(str(err).split())
    return text.split(": ", 1)[0][:200]
