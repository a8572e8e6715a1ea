"""Read LCOV tracefiles (`coverage lcov`, jest/c8/nyc, Node's test runner, llvm-cov, gcov).

A record runs from `SF:` to `end_of_record`. Lines come from `DA:<line>,<count>`: every `DA`
line is a statement, missed when its count is 0, so line figures are exact. Branches are counted
as LCOV counts them: each `BRDA:<line>,<block>,<branch>,<taken>` is one branch, covered when
taken is a number above 0 ("-" is a branch whose line never ran). Functions come from `FN`
(`FN:<start>[,<end>],<name>`) or LCOV 2.2's `FNL`/`FNA` records, whose indices count within
their record. Other keys are skipped. A file in several records (one per test, or tracefiles
concatenated) is merged as `lcov --add-tracefile` adds counts: a line or branch is covered
when any record ran it.
The file is read line by line: memory holds the model, not the text.
"""

from __future__ import annotations

import os
import posixpath
import re
from bisect import bisect_right
from typing import BinaryIO

import msgspec

from reportgen.analysis.models import CoverageSnapshot, FileCoverage, Region
from reportgen.analysis.numbers import Numbers
from reportgen.errors import InputError, one_line, quote
from reportgen.inputs.coverage_json import MAX_DIGITS, _CountedLines, _JsonLines

_ENCODE = msgspec.json.encode
_BOM = "\ufeff"
# Byte order marks and white space of any kind opening a line, in one regex pass.
_LEADING_MARKS = re.compile(r"^[\ufeff\s]+")
MAX_LINE_BYTES = 1 << 20  # a longer line is not LCOV (a function name this long is garbage)


class _Record:
    __slots__ = ("branches", "functions", "hits", "indexed", "names")

    def __init__(self) -> None:
        self.hits: dict[int, bool] = {}  # line -> ran
        self.branches: dict[tuple[int, str, str], bool] = {}  # (line, block, branch) -> taken
        self.functions: dict[str, tuple[int, int | None]] = {}  # name -> (start, end)
        # The current section's FNL index -> (start, end) and FNA index -> name.
        self.indexed: dict[str, tuple[int, int | None]] = {}
        self.names: dict[str, str] = {}


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.number = 0  # the line being read, for messages
        self.records: dict[str, _Record] = {}
        self.current: _Record | None = None
        self.current_path = ""

    def error(self, problem: str) -> InputError:
        return InputError(f"{self.source}: not LCOV ({problem} at line {self.number})")

    def count(self, text: str, what: str) -> int:
        text = text.strip()
        if not text.isdigit() or not text.isascii() or len(text) > MAX_DIGITS:
            raise self.error(f"{what} {quote(text, 24)} is not a whole number")
        return int(text)

    def ran(self, text: str) -> bool:
        """An execution count: gcov writes large ones, some tools floats ("2.0")."""
        text = text.strip()
        whole, dot, fraction = text.partition(".")
        if not (whole.isdigit() and whole.isascii() and len(whole) <= 30) or (
            dot and fraction and not (fraction.isdigit() and fraction.isascii())
        ):
            raise self.error(f"execution count {quote(text, 24)} is not a count")
        return text.strip("0.") != ""

    def after_bom(self, text: str) -> None:
        """A line opened by byte order marks inside the file (`cat a.info b.info` keeps b's),
        read without them. Looked for only where a line is not understood, not on each line."""
        # One pass over any mix of marks and spaces (a line may hold a million of them).
        rest = _LEADING_MARKS.sub("", text).strip()
        if rest:
            self.line(rest)

    def line(self, text: str) -> None:
        key, colon, value = text.partition(":")
        if not colon:
            if text == "end_of_record":
                if self.current is None:
                    raise self.error("end_of_record outside a record")
                _name_indexed(self.current)
                self.current = None
                return
            if text[:1] == _BOM:
                return self.after_bom(text)
            raise self.error(f"{quote(text, 30)} is not a KEY:VALUE record line")
        if key == "SF":
            if self.current is not None:
                raise self.error(f"SF inside the record of {quote(self.current_path)}")
            if not value.strip():
                raise self.error("SF without a path")
            self.current_path = value.strip()
            self.current = self.records.setdefault(self.current_path, _Record())
            return
        if key in ("TN", "VER"):
            return
        record = self.current
        if record is None:
            if key[:1] == _BOM:
                return self.after_bom(text)
            if key in _RECORD_KEYS:
                raise self.error(f"{key} outside a record (no SF before it)")
            return
        if key == "DA":
            parts = value.split(",")
            if len(parts) < 2:
                raise self.error("DA is not 'line,count'")
            number = self.count(parts[0], "line number")
            record.hits[number] = self.ran(parts[1]) or record.hits.get(number, False)
        elif key == "BRDA":
            parts = value.split(",")
            if len(parts) != 4:
                raise self.error("BRDA is not 'line,block,branch,taken'")
            number = self.count(parts[0], "line number")
            taken = parts[3].strip()
            ran = taken != "-" and self.ran(taken)
            branch = (number, parts[1].strip(), parts[2].strip())
            record.branches[branch] = ran or record.branches.get(branch, False)
        elif key == "FN":
            parts = value.split(",", 2)
            if len(parts) < 2:
                raise self.error("FN is not 'line[,end],name'")
            start = self.count(parts[0], "line number")
            end = self.count(parts[1], "line number") if len(parts) == 3 else None
            name = (parts[2] if len(parts) == 3 else parts[1]).strip()
            if name:
                record.functions.setdefault(name, (start, end))
        elif key == "FNL":
            parts = value.split(",")
            if len(parts) not in (2, 3):
                raise self.error("FNL is not 'index,start[,end]'")
            start = self.count(parts[1], "line number")
            end = self.count(parts[2], "line number") if len(parts) == 3 else None
            record.indexed[parts[0].strip()] = (start, end)
        elif key == "FNA":
            parts = value.split(",", 2)
            if len(parts) != 3:
                raise self.error("FNA is not 'index,count,name'")
            self.ran(parts[1])
            record.names[parts[0].strip()] = parts[2].strip()
        elif key == "FNDA":
            parts = value.split(",", 1)
            if len(parts) != 2:
                raise self.error("FNDA is not 'count,name'")
            self.ran(parts[0])
        elif key[:1] == _BOM:
            self.after_bom(text)
        # LF/LH/BRF/BRH/FNF/FNH are the tool's own sums of the records above; other keys
        # (checksums, MC/DC) say nothing reportgen shows.


def _name_indexed(record: _Record) -> None:
    """Name the record's FNL functions by their FNA aliases, as its section ends: an index
    counts within one section, and a file's next section (another test's) numbers anew."""
    for index, name in record.names.items():
        if index in record.indexed and name:
            record.functions.setdefault(name, record.indexed[index])
    record.indexed.clear()
    record.names.clear()


_RECORD_KEYS = frozenset({"DA", "BRDA", "FN", "FNDA", "FNL", "FNA", "LF", "LH", "BRF", "BRH"})


def parse_lcov(stream: BinaryIO, source: str, source_root: str = ".") -> CoverageSnapshot:
    """Read one LCOV tracefile; `source` names it in error messages.

    Absolute `SF` paths inside `source_root` become relative to it; others are kept.
    """
    parser = _Parser(source)
    seen = False
    try:
        for raw in stream:
            parser.number += 1
            if len(raw) > MAX_LINE_BYTES:
                raise parser.error(f"a line of more than {MAX_LINE_BYTES} bytes")
            if parser.number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError as err:
                raise InputError(
                    f"{source}: not UTF-8 text (line {parser.number}, byte {err.start + 1})"
                ) from None
            if text:
                seen = True
                parser.line(text)
    except OSError as err:
        raise InputError(f"{source}: cannot read ({one_line(str(err.strerror or err))})") from None
    if not seen:
        raise InputError(f"{source}: empty file, expected a coverage report")
    if parser.current is not None:
        raise InputError(
            f"{source}: truncated LCOV (the record of {quote(parser.current_path)}"
            " has no end_of_record)"
        )
    if not parser.records:
        raise InputError(f"{source}: not LCOV (no SF record)")
    return _snapshot(parser.records, source, source_root)


def _snapshot(records: dict[str, _Record], source: str, source_root: str) -> CoverageSnapshot:
    root = os.path.abspath(source_root)
    has_branches = any(record.branches for record in records.values())
    files: dict[str, FileCoverage] = {}
    for name, record in records.items():
        path = _path(name, root)
        if path in files:
            raise InputError(f"{source}: file {quote(path)} is listed under two names")
        files[path] = _file(path, record, has_branches)
    return CoverageSnapshot(
        files=dict(sorted(files.items())), has_branches=has_branches, sources=(source,)
    )


def _path(name: str, root: str) -> str:
    name = name.replace("\\", "/")
    if posixpath.isabs(name):
        full = os.path.normpath(name)
        if os.path.commonpath((root, full)) == root:
            return os.path.relpath(full, root).replace(os.sep, "/")
    return posixpath.normpath(name)


def _file(path: str, record: _Record, has_branches: bool) -> FileCoverage:
    executed = sorted(line for line, ran in record.hits.items() if ran)
    missing = sorted(line for line, ran in record.hits.items() if not ran)
    missed_lines = set(missing)
    missed = partial = 0
    for (line, _, _), taken in record.branches.items():
        if not taken:
            missed += 1
            partial += line not in missed_lines
    numbers = Numbers(len(record.hits), len(missing), len(record.branches), partial, missed)
    # Branch ids name no destination line: the Missing column lists lines only (arcs None).
    lines = _JsonLines(_ENCODE(executed), _ENCODE(missing), b"")
    if has_branches:  # a branch-measured file without branches still counts them
        per_line: dict[int, list[int]] = {}
        for (line, _, _), taken in record.branches.items():
            counted = per_line.setdefault(line, [0, 0])
            counted[0] += 1
            counted[1] += bool(taken)
        counts = _ENCODE(sorted((line, exits, ran) for line, (exits, ran) in per_line.items()))
        lines = _CountedLines(_ENCODE(executed), _ENCODE(missing), b"", b"", counts)
    return FileCoverage(path, numbers, lines, _regions(record))


def _regions(record: _Record) -> tuple[Region, ...] | None:
    spans = record.functions  # each section's FNL/FNA functions are named as it ends
    if not spans:
        return None
    starts = sorted({start for start, _ in spans.values()})
    statements = sorted(record.hits)
    regions = []
    for name, (start, end) in spans.items():
        if end is None or end < start:
            # Without an end line a function runs to the next one's start.
            after = bisect_right(starts, start)
            end = starts[after] - 1 if after < len(starts) else max(statements, default=start)
        lines = frozenset(line for line in statements if start <= line <= end) | {start}
        regions.append(Region(kind="function", name=name, start_line=start, lines=lines))
    return tuple(sorted(regions, key=lambda r: (r.start_line, r.kind, r.name)))
