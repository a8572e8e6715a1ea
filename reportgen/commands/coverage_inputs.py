"""Coverage inputs other than `coverage json` reports: Cobertura XML, LCOV, and coverage.py's
own data files, which are read through coverage.py itself (imported only then)."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator
from typing import IO, Any

from reportgen.analysis.models import CoverageSnapshot
from reportgen.errors import InputError, one_line, quote
from reportgen.inputs.coverage_kind import COBERTURA, DATA_FILE, LCOV


def read_other_coverage(
    kind: str,
    path: str,
    source_root: str,
    opened: Callable[[str], contextlib.AbstractContextManager[IO[bytes]]],
    wanted: Callable[[str], bool] | None = None,
    arcs: Callable[[str], bool] | None = None,
    raw_functions: dict[str, Any] | None = None,
) -> CoverageSnapshot:
    """One coverage input of the given kind (see `reportgen.inputs.coverage_kind`), its file
    opened with `opened` (the caller's, naming why a file cannot be read); `wanted` and
    `arcs` as for `parse_coverage_json` (the other formats have neither regions nor executed
    arcs)."""
    if kind == DATA_FILE:
        return read_data_file(path, source_root, wanted, arcs, raw_functions)
    if kind == COBERTURA:
        from reportgen.inputs.cobertura import parse_cobertura

        with opened(path) as stream:
            return parse_cobertura(stream, path, source_root)
    if kind == LCOV:
        from reportgen.inputs.lcov import parse_lcov

        with opened(path) as stream:
            return parse_lcov(stream, path, source_root)
    raise ValueError(f"unknown coverage kind {kind!r}")


@contextlib.contextmanager
def _inside(folder: str) -> Iterator[None]:
    """coverage.py names files relative to, and finds its config in, the working folder."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def read_data_file(
    path: str,
    source_root: str,
    wanted: Callable[[str], bool] | None = None,
    arcs: Callable[[str], bool] | None = None,
    raw_functions: dict[str, Any] | None = None,
) -> CoverageSnapshot:
    """A `.coverage` data file (or one parallel shard of it), reported as `coverage json` would
    report it from `source_root` with the project's configuration there.

    The measured source files are analysed by coverage.py (parsed, never run); every one must
    lie inside `source_root`, since the data file's paths are data.
    """
    import sqlite3

    import coverage
    from coverage.exceptions import CoverageException
    from coverage.jsonreport import JsonReporter

    from reportgen.inputs.coverage_json import parse_coverage_json

    data_path = os.path.abspath(path)
    root = os.path.realpath(source_root)
    if not os.path.isdir(root):
        raise InputError(f"{source_root}: no such source folder (--source-root)")
    _check_schema(path, data_path)
    out = io.StringIO()
    try:
        with _inside(root):
            cov = coverage.Coverage(data_file=data_path, config_file=True)
            # A plugin named in the configuration is code of the measured project: never run.
            cov.set_option("run:plugins", [])
            cov.set_option("report:ignore_errors", False)
            cov.load()
            measured = cov.get_data().measured_files()
            if not measured:
                raise InputError(f"{path}: the data file holds no measured file")
            for name in sorted(measured):
                found = os.path.realpath(name)
                if os.path.commonpath((root, found)) != root:
                    raise InputError(
                        f"{path}: measured file {quote(name)} lies outside the source root"
                        f" {quote(source_root)} (give --source-root the folder it was measured in)"
                    )
            JsonReporter(cov).report(None, out)
    except InputError:
        raise
    except CoverageException as err:
        raise InputError(f"{path}: {one_line(str(err), 300)}") from None
    except sqlite3.Error as err:
        raise InputError(
            f"{path}: not a readable coverage.py data file ({one_line(str(err), 300)})"
        ) from None
    # With `raw_functions`, each file's `functions` JSON is kept for the function figures, as
    # for a JSON input (views into these bytes, which live as long as the views).
    data = out.getvalue().encode("utf-8")
    return parse_coverage_json(data, path, wanted, arcs, raw_functions)


def _check_schema(path: str, data_path: str) -> None:
    """Refuse an SQLite file that is not coverage.py's, looking read-only: coverage.py would
    otherwise add its tables to any database it is given."""
    import sqlite3
    from urllib.request import pathname2url

    try:
        with contextlib.closing(
            sqlite3.connect(f"file:{pathname2url(data_path)}?mode=ro", uri=True)
        ) as db:
            db.execute("select version from coverage_schema").fetchone()
    except sqlite3.Error as err:
        raise InputError(
            f"{path}: not a coverage.py data file ({one_line(str(err), 300)})"
        ) from None
