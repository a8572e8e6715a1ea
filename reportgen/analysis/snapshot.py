"""A stored snapshot of one run (a baseline): its wire model, packed and unpacked.

The snapshot holds what a report needs of one side and nothing else: per file the counts,
the executed and missed lines, the missed arcs, functions and classes, and (format 2) the
functions' figures as a before side needs them; per test its packed state (outcome, flaky,
runs), time, file, and the failures' messages. Line lists are stored as the differences
between consecutive lines (little-endian uint32, uint64 when a line needs it), which zlib
shrinks to a small fraction of their decimal text; tests as per-class blocks, the layout of
`reportgen.analysis.test_run`'s store. On disk: `MAGIC`, the format number as one byte, then
the model as zlib-compressed MessagePack (reportgen.inputs.snapshot reads it back and checks
every part; reportgen.outputs.snapshot writes it).
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterable, Sequence
from itertools import accumulate

import msgspec

from reportgen.analysis.numbers import Count
from reportgen.analysis.test_run import (
    _FLAKY,
    OUTCOMES,
    Failure,
    RunBuilder,
    TestRun,
    UnlistedSuite,
)
from reportgen.errors import quote

MAGIC = b"reportgen-snapshot\n"
# 2: files carry their functions' figures (format 1 is still read, without them).
FORMAT = 2
# Snapshot files are named by the full commit id they measured.
SUFFIX = ".snapshot"


class SnapshotError(ValueError):
    """The snapshot's content contradicts itself (the reader names the file)."""


class ClassBlock(msgspec.Struct, array_like=True, frozen=True):
    """One classname's tests, sorted by name: names NUL-ended, states as little-endian
    uint32, times as little-endian float64, files as uint32 indexes (empty: none has one)."""

    classname: str
    names: str
    states: bytes
    times: bytes
    files: bytes = b""


class StoredFailure(msgspec.Struct, array_like=True, frozen=True):
    id: str
    outcome: str
    message: str
    text: str


class StoredSuite(msgspec.Struct, array_like=True, frozen=True):
    name: str
    tests: int
    failed: int
    errors: int
    skipped: int


class StoredTests(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    time: float
    classes: list[ClassBlock]
    file_names: list[str]
    failures: list[StoredFailure]
    flaky: list[str]
    unlisted: list[StoredSuite] = []


class StoredRegion(msgspec.Struct, array_like=True, frozen=True):
    kind: str  # "function" or "class"
    name: str
    start_line: Count
    lines: bytes  # packed lines


class StoredFunction(msgspec.Struct, array_like=True, frozen=True):
    """One function's figures as a before side is compared with them: its coverage.py key
    (`f`, `f@18`; empty: the name of the file's one function region starting on its line,
    stored beside it), its `def` line, its five counts and its missed lines: packed, or (an
    int) where they start as a run of the file's missed lines. Its executed lines and missed
    arcs only make the after side's Missing column, so they are not kept."""

    name: str
    start_line: Count
    counts: tuple[Count, Count, Count, Count, Count]
    missing: Count | bytes


# A file's stored functions: absent from format 1, which says nothing of them.
NO_FUNCTION_FIGURES = msgspec.Raw(msgspec.msgpack.encode(False))


class StoredFile(msgspec.Struct, array_like=True, frozen=True):
    """One measured file: coverage.py's five counts, packed executed and missed lines, the
    missed arcs as little-endian int64 pairs (None: the input had no per-arc list)."""

    path: str
    counts: tuple[
        Count, Count, Count, Count, Count
    ]  # statements, missing, branches, partial, missing branches
    executed: bytes
    missing: bytes
    arcs: bytes | None
    # A MessagePack list of StoredRegion, or nil: decoded only for the files that need them.
    regions: msgspec.Raw
    # Format 2: a MessagePack list of StoredFunction in the order the side's figures were
    # found; nil when the input had no function data (the report's source then delimits
    # them, as for a --before JSON); false when they could not be found.
    functions: msgspec.Raw = NO_FUNCTION_FIGURES
    # Format 2: the executed arcs (`pack_arc_steps`) of a file measured with branches whose
    # input had no function data: figures from the source need them.
    executed_arcs: bytes | None = None


class StoredCoverage(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    branches: bool  # measured with --branch
    files: list[StoredFile]  # sorted by path
    # Bytes per packed line difference: 4, or 8 when a difference does not fit 32 bits.
    width: int = 4


class Snapshot(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What is stored of one run."""

    commit: str  # the full commit id measured; empty for a step archived beside its reports
    coverage_version: str | None
    coverage: StoredCoverage | None
    tests: StoredTests | None


_TYPECODES = {4: "I", 8: "Q"}


def line_width(lists: Iterable[Sequence[int]]) -> int:
    """4 when every line number fits 32 bits (then so does every difference), else 8."""
    return 8 if any(lines and lines[-1] >= 1 << 32 for lines in lists) else 4


def pack_lines(lines: Sequence[int], width: int = 4) -> bytes:
    """Sorted, distinct, non-negative line numbers as the differences between neighbours."""
    deltas = array(_TYPECODES[width], [lines[0]] if lines else [])
    deltas.extend(map(int.__sub__, lines[1:], lines[:-1]))
    return _little(deltas)


def unpack_lines(data: bytes, width: int = 4) -> list[int]:
    """The line numbers back; SnapshotError when they are not a sorted list of distinct lines."""
    typecode = _TYPECODES.get(width)
    if typecode is None:
        raise SnapshotError(f"line width {width}")
    deltas = _from_little(typecode, data)
    if 0 in deltas[1:]:
        raise SnapshotError("a line is listed twice")
    lines = list(accumulate(deltas))
    if lines and lines[-1] >= 10**18:
        raise SnapshotError(f"line {lines[-1]} is not a line number")
    return lines


def pack_arcs(arcs: Iterable[tuple[int, int]]) -> bytes:
    return _little(array("q", [line for arc in arcs for line in arc]))


def unpack_arcs(data: bytes) -> list[tuple[int, int]]:
    flat = _from_little("q", data)
    if len(flat) % 2:
        raise SnapshotError("an arc is cut short")
    pairs = iter(flat)
    return list(zip(pairs, pairs, strict=True))


def pack_arc_steps(arcs: Sequence[tuple[int, int]]) -> bytes:
    """Sorted arcs as (source minus the previous source, destination minus source) pairs:
    small numbers, which zlib shrinks far better than the lines themselves."""
    steps = array("q")
    previous = 0
    for source, destination in arcs:
        steps.extend((source - previous, destination - source))
        previous = source
    return _little(steps)


def unpack_arc_steps(data: bytes) -> list[tuple[int, int]]:
    arcs = []
    source = 0
    for step, offset in unpack_arcs(data):
        source += step
        arcs.append((source, source + offset))
    return arcs


def _little(values: array) -> bytes:
    if sys.byteorder == "big":
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


def _from_little(typecode: str, data: bytes) -> array:
    values = array(typecode)
    if len(data) % values.itemsize:
        raise SnapshotError("an array is cut short")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return values


def pack_tests(run: TestRun) -> StoredTests:
    """A run's tests as stored: classes and tests in name order, so equal runs give equal bytes."""
    store = run._store  # the packed layout is this module's to mirror
    file_names: dict[str, int] = {"": 0}
    classes = []
    for classname in sorted(store.blocks):
        rows = sorted(
            (name, store.states[p], store.times[p], store.file_of(p))
            for name, p in store.tests(classname)
        )
        files = array("I", (file_names.setdefault(f, len(file_names)) for *_, f in rows))
        classes.append(
            ClassBlock(
                classname,
                "".join(name + "\0" for name, *_ in rows),
                _little(array("I", (r[1] for r in rows))),
                _little(array("d", (r[2] for r in rows))),
                _little(files) if any(files) else b"",
            )
        )
    return StoredTests(
        time=run.time,
        classes=classes,
        file_names=list(file_names)[1:],
        failures=[StoredFailure(f.id, f.outcome, f.message, f.text) for f in run.failures],
        flaky=list(run.flaky),
        unlisted=[
            StoredSuite(s.name, s.tests, s.failed, s.errors, s.skipped) for s in run.unlisted
        ],
    )


def unpack_tests(stored: StoredTests) -> TestRun:
    """The run back from its stored form; SnapshotError when the blocks contradict themselves."""
    if not math.isfinite(stored.time) or stored.time < 0:
        raise SnapshotError(f"the run's time {stored.time!r} is not a duration")
    names_of_files = ["", *stored.file_names]
    builder = RunBuilder()
    seen: set[str] = set()
    for block in stored.classes:
        if block.classname in seen:
            raise SnapshotError(f"class {quote(block.classname)} is stored twice")
        seen.add(block.classname)
        names = block.names.split("\0")
        if names.pop() != "":
            raise SnapshotError(f"class {quote(block.classname)}: its names are cut short")
        states = _from_little("I", block.states)
        times = _from_little("d", block.times)
        files = _from_little("I", block.files) if block.files else array("I", [0]) * len(names)
        if not len(names) == len(states) == len(times) == len(files) or len(set(names)) != len(
            names
        ):
            raise SnapshotError(f"class {quote(block.classname)}: its names and arrays disagree")
        tests = {}
        for name, packed, seconds, file in zip(names, states, times, files, strict=True):
            if packed & _FLAKY and packed & 3 != 1:  # flaky means passed on a rerun
                raise SnapshotError(f"test {quote(name)}: impossible state {packed}")
            if not math.isfinite(seconds) or seconds < 0:
                raise SnapshotError(f"test {quote(name)}: time {seconds!r} is not a duration")
            if file >= len(names_of_files):
                raise SnapshotError(f"test {quote(name)}: file number {file} is not listed")
            tests[name] = (packed, seconds, names_of_files[file])
        if tests:
            builder.seal_class(block.classname, tests)
    failures = []
    for failure in stored.failures:
        if failure.outcome not in OUTCOMES[2:]:
            raise SnapshotError(
                f"failure {quote(failure.id)}: outcome {quote(failure.outcome, 40)}"
            )
        failures.append(Failure(failure.id, failure.outcome, failure.message, failure.text))
    builder.unlisted = [_suite(s) for s in stored.unlisted]
    return builder.build(stored.time, failures, stored.flaky)


def _suite(stored: StoredSuite) -> UnlistedSuite:
    counts = (stored.tests, stored.failed, stored.errors, stored.skipped)
    if min(counts) < 0 or sum(counts[1:]) > stored.tests:
        raise SnapshotError(f"suite {quote(stored.name)}: counts {counts} do not add up")
    return UnlistedSuite(stored.name, *counts)


def ancestors_text(distance: int) -> str:
    return "1 commit" if distance == 1 else f"{distance} commits"


def first_stored(history: Iterable[str], stored: set[str]) -> tuple[str, int] | None:
    """The first commit of `history` (newest first) that has a snapshot, and how many
    commits before the first one it is."""
    for distance, commit in enumerate(history):
        if commit in stored:
            return commit, distance
    return None


class BaselineNote(msgspec.Struct, frozen=True):
    """Where a report's before side came from, or why it has none: the report's one line."""

    store: str
    text: str
    commit: str | None = None  # the snapshot's commit; None when no snapshot was usable
    merge_base: str | None = None
    distance: int = 0  # first-parent commits from the merge base back to `commit`
    base: str = ""  # the branch the merge base was taken with ("": the archive's steps)
