"""Writing outputs: all or nothing, atomically, never silently replacing an archive."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import msgspec

from reportgen.errors import OutputError


class PlannedFile(msgspec.Struct, frozen=True):
    path: Path
    content: bytes


def _current(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise OutputError(f"{path}: is a directory, cannot write the report there") from None
    except OSError as err:
        raise OutputError(f"{path}: cannot read ({err.strerror})") from None


def write_all(files: Sequence[PlannedFile], force: bool) -> list[Path]:
    """Write every file or none; returns the paths whose content changed.

    A file that already holds the same bytes is left untouched (content and
    modification time). One that differs is refused unless `force`.
    """
    pending = []
    for planned in files:
        existing = _current(planned.path)
        if existing == planned.content:
            continue
        if existing is not None and not force:
            raise OutputError(
                f"{planned.path}: an archived report with different content exists;"
                " use --force to replace it"
            )
        pending.append(planned)
    temps: list[tuple[str, Path]] = []
    try:
        for planned in pending:
            temps.append((_write_temp(planned), planned.path))
    except OSError as err:
        for temp, _ in temps:
            _remove(temp)
        raise OutputError(f"{planned.path}: cannot write ({err.strerror or err})") from None
    for temp, target in temps:
        os.replace(temp, target)
    return [p.path for p in pending]


def _write_temp(planned: PlannedFile) -> str:
    """The new content in a temporary file beside the target (same file system)."""
    planned.path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{planned.path.name}.", dir=planned.path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(planned.content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
    except OSError:
        _remove(temp)
        raise
    return temp


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def append_text(path: Path, text: str) -> None:
    """Append to a file such as $GITHUB_STEP_SUMMARY (an append is not a replacement)."""
    try:
        with open(path, "a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as err:
        raise OutputError(f"{path}: cannot append ({err.strerror or err})") from None
