"""Writing outputs: all or nothing, atomically, never silently replacing an archive."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import msgspec

from reportgen.errors import OutputError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


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


# A set of several files is committed by this journal, beside them: present, it names the
# temporaries still to be renamed. A run killed before writing it left only temporaries
# (the old set stands); one killed after it left a journal that the next run finishes.
JOURNAL = ".reportgen-pending"
# Every temporary ends so: the next run in the folder knows a killed run's leftovers.
TEMP_SUFFIX = ".reportgen-tmp"


def write_all(files: Sequence[PlannedFile], force: bool) -> list[Path]:
    """Write every file or none; returns the paths whose content changed.

    A file that already holds the same bytes is left untouched (content and
    modification time). One that differs is refused unless `force`. The files share one
    folder, which is locked meanwhile, so that two runs never both pass the check before
    either writes; a set of several files is published through the journal.
    """
    if not files:
        return []
    folder = files[0].path.parent
    if any(planned.path.parent != folder for planned in files):
        raise ValueError("write_all writes into one folder")
    # Read before waiting for the lock: what differs after it was written meanwhile.
    seen = {planned.path: _current(planned.path) for planned in files}
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"{files[0].path}: cannot write ({err.strerror or err})") from None
    with folder_lock(folder):
        _recover(folder)
        pending = []
        for planned in files:
            existing = _current(planned.path)
            if existing == planned.content:
                continue
            if existing is not None and not force:
                if existing != seen[planned.path]:
                    raise OutputError(
                        f"{planned.path}: a different report appeared while this run was"
                        " writing (another run?); nothing was written"
                    )
                raise OutputError(
                    f"{planned.path}: an archived report with different content exists;"
                    " use --force to replace it"
                )
            pending.append(planned)
        temps: list[tuple[str, Path]] = []
        try:
            for planned in pending:
                temps.append((_write_temp(planned), planned.path))
            if len(temps) > 1:
                _write_journal(folder, temps)
        except OSError as err:
            for temp, _ in temps:
                _remove(temp)
            raise OutputError(f"{planned.path}: cannot write ({err.strerror or err})") from None
        for temp, target in temps:
            os.replace(temp, target)
        if len(temps) > 1:
            _sync_folder(folder)
            _remove(str(folder / JOURNAL))
    return [p.path for p in pending]


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (no lock file is left behind); the system
    releases it when the process ends, even by kill -9."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError as err:
        raise OutputError(f"{folder}: cannot open the folder ({err.strerror or err})") from None
    try:
        if fcntl is not None:  # Windows has none: writes there are checked, not locked
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)
            except OSError as err:
                raise OutputError(
                    f"{folder}: cannot lock the folder ({err.strerror or err})"
                ) from None
        yield
    finally:
        os.close(handle)


def recover(folder: Path) -> None:
    """Finish or undo what a killed run left in `folder` (under its lock)."""
    with folder_lock(folder):
        _recover(folder)


def _recover(folder: Path) -> None:
    journal = folder / JOURNAL
    try:
        entries = msgspec.json.decode(journal.read_bytes(), type=list[tuple[str, str]])
    except FileNotFoundError:
        entries = []
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        entries = []  # written whole by a rename, so only tampering damages it
    for temp, target in entries:
        paths = _journal_paths(folder, temp, target)
        if paths is None:
            continue  # not one of ours (a journal can be committed by anyone): never followed
        temp_path, target_path = paths
        if temp_path.is_file() and not temp_path.is_symlink():
            try:
                os.replace(temp_path, target_path)
            except OSError as err:
                raise OutputError(
                    f"{target_path}: cannot finish an interrupted write ({err.strerror or err})"
                ) from None
    if journal.exists():
        _sync_folder(folder)
        _remove(str(journal))
    try:
        names = [name for name in os.listdir(folder) if name.endswith(TEMP_SUFFIX)]
    except OSError:
        return
    for name in names:
        if name.startswith("."):
            _remove(str(folder / name))


def _journal_paths(folder: Path, temp: str, target: str) -> tuple[Path, Path] | None:
    """A journal entry as (temporary, target) inside `folder`, or None unless both are bare
    names and the temporary is named as this module names the target's temporaries: a
    journal is data, and must not move a file anywhere else."""
    try:
        temp_name = os.fsdecode(bytes.fromhex(temp))
        target_name = os.fsdecode(bytes.fromhex(target))
    except ValueError:
        return None
    for name in (temp_name, target_name):
        if name in ("", ".", "..") or "/" in name or "\\" in name or "\0" in name:
            return None
    if not (temp_name.startswith(f".{target_name}.") and temp_name.endswith(TEMP_SUFFIX)):
        return None
    return folder / temp_name, folder / target_name


def _write_journal(folder: Path, temps: list[tuple[str, Path]]) -> None:
    # Hex of the names' bytes: any file name survives, whatever its encoding.
    entries = [(os.fsencode(Path(t).name).hex(), os.fsencode(p.name).hex()) for t, p in temps]
    temp = _write_temp(PlannedFile(folder / JOURNAL, msgspec.json.encode(entries)))
    os.replace(temp, folder / JOURNAL)
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    """Make the folder's renames durable (a no-op where folders cannot be opened)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _write_temp(planned: PlannedFile) -> str:
    """The new content in a temporary file beside the target (same file system)."""
    fd, temp = tempfile.mkstemp(
        prefix=f".{planned.path.name}.", suffix=TEMP_SUFFIX, dir=planned.path.parent
    )
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
