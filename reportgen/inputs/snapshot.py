"""Read a stored snapshot (a baseline): untrusted bytes, refused in one line unless whole."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Mapping
from typing import Any, Literal

import msgspec

from reportgen.analysis.functions import FunctionSide
from reportgen.analysis.models import Arc, CoverageSnapshot, FileCoverage, Region
from reportgen.analysis.numbers import Numbers
from reportgen.analysis.snapshot import (
    FORMAT,
    MAGIC,
    Snapshot,
    SnapshotError,
    StoredCoverage,
    StoredFunction,
    StoredRegion,
    StoredTests,
    unpack_arc_steps,
    unpack_arcs,
    unpack_lines,
    unpack_tests,
)
from reportgen.errors import InputError, one_line, quote

# A snapshot inflates to at most this: far above the 5,000-file benchmark's few MB, far below
# what a zlib bomb of a few KB would otherwise take.
MAX_INFLATED = 1 << 30
_DECODER = msgspec.msgpack.Decoder(Snapshot)


class _TestsOnly(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A snapshot whose coverage is left undecoded: test history reads many runs' tests."""

    commit: str
    coverage_version: str | None
    coverage: msgspec.Raw
    tests: StoredTests | None


_TESTS_DECODER = msgspec.msgpack.Decoder(_TestsOnly)
# Empty for a snapshot archived beside a step's reports (keyed by step, not by commit).
_COMMIT = re.compile(r"|[0-9a-f]{40}|[0-9a-f]{64}")


class Baseline(msgspec.Struct, frozen=True):
    """A snapshot read back: the run's coverage and tests, as the other readers give them."""

    commit: str
    coverage_version: str | None
    coverage: CoverageSnapshot | None
    tests: Any  # TestRun | None
    functions: StoredFunctions | None = None  # None when the snapshot has no coverage


_FUNCTIONS = msgspec.msgpack.Decoder(list[StoredFunction] | bool | None)


class StoredFunctions:
    """A snapshot's function figures, each file's decoded and checked only when a report
    compares that file (most files of a pull request do not change)."""

    def __init__(
        self,
        raw: Mapping[str, tuple[msgspec.Raw, bytes, msgspec.Raw]],
        width: int,
        source: str,
    ) -> None:
        self._raw = raw
        self._width = width
        self._source = source

    def sides(self, path: str) -> tuple[FunctionSide, ...] | None | Literal[False]:
        """The file's functions as a before side; None when its input had no function data
        (the source at hand may delimit them), False when they are not known (not found
        when saved, or a snapshot older than function figures)."""
        found = self._raw.get(path)
        if found is None:
            return False
        try:
            return self._decode(path, *found)
        except SnapshotError as err:
            raise InputError(f"{self._source}: corrupt snapshot ({err})") from None

    def _decode(
        self, path: str, raw: msgspec.Raw, file_missing: bytes, regions: msgspec.Raw
    ) -> tuple[FunctionSide, ...] | None | Literal[False]:
        try:
            stored = _FUNCTIONS.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as err:
            raise SnapshotError(
                f"file {quote(path)}: {one_line(str(err).splitlines()[0], 200)}"
            ) from None
        if stored is None or stored is False:
            return stored
        if stored is True:
            raise SnapshotError(f"file {quote(path)}: its functions are `true`")
        sides = []
        names: set[str] = set()
        in_file: list[int] | None = None
        starts: dict[int, list[str]] | None = None
        for function in stored:
            name = function.name
            if not name:  # the name of the one function region starting on its line
                if starts is None:
                    starts = _function_starts(path, regions)
                found = starts.get(function.start_line, [])
                if len(found) != 1:
                    raise SnapshotError(
                        f"file {quote(path)}: no one function starts on line {function.start_line}"
                    )
                name = found[0]
            if not name or name in names:
                raise SnapshotError(
                    f"file {quote(path)}: function name {quote(name)} empty or twice"
                )
            names.add(name)
            numbers = Numbers(*function.counts)
            if isinstance(function.missing, int):  # a run of the file's missed lines
                if in_file is None:
                    in_file = unpack_lines(file_missing, self._width)
                start = function.missing
                if start + numbers.num_missing > len(in_file):
                    raise SnapshotError(
                        f"file {quote(path)}: function {quote(name)}: its missed lines run"
                        " past the file's"
                    )
                missing = in_file[start : start + numbers.num_missing]
            else:
                missing = unpack_lines(function.missing, self._width)
            if (
                len(missing) != numbers.num_missing
                or numbers.num_missing > numbers.num_statements
                or numbers.num_missing_branches > numbers.num_branches
                or numbers.num_partial_branches > numbers.num_branches
            ):
                raise SnapshotError(
                    f"file {quote(path)}: function {quote(name)}: its counts contradict its lines"
                )
            sides.append(FunctionSide(name, function.start_line, numbers, missing))
        return tuple(sides)


def _function_starts(path: str, raw: msgspec.Raw) -> dict[int, list[str]]:
    """The names of the file's stored function regions, by their first line."""
    try:
        regions = _REGIONS.decode(raw) or ()
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        raise SnapshotError(
            f"file {quote(path)}: {one_line(str(err).splitlines()[0], 200)}"
        ) from None
    starts: dict[int, list[str]] = {}
    for region in regions:
        if region.kind == "function":
            starts.setdefault(region.start_line, []).append(region.name)
    return starts


def read_snapshot(
    data: bytes,
    source: str,
    want_regions: Callable[[str], bool] | None = None,
) -> Baseline:
    """A snapshot's coverage and tests; `want_regions(path)` says which files keep their
    functions and classes (all when omitted), as for a coverage JSON report."""
    snapshot = decode_snapshot(data, source)
    try:
        coverage = functions = None
        if snapshot.coverage is not None:
            coverage = _coverage(snapshot.coverage, source, want_regions)
            functions = StoredFunctions(
                {
                    item.path: (item.functions, item.missing, item.regions)
                    for item in snapshot.coverage.files
                },
                snapshot.coverage.width,
                source,
            )
        tests = None if snapshot.tests is None else unpack_tests(snapshot.tests)
    except SnapshotError as err:
        raise InputError(f"{source}: corrupt snapshot ({err})") from None
    return Baseline(snapshot.commit, snapshot.coverage_version, coverage, tests, functions)


class PackedLines(msgspec.Struct, frozen=True, eq=False):
    """A file's line lists as stored (checked when read), unpacked each time they are asked
    for: memory holds only the compact bytes."""

    executed_data: bytes
    missing_data: bytes
    arcs_data: bytes | None
    width: int = 4
    executed_arcs_data: bytes | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PackedLines):
            return NotImplemented
        return (
            self.executed_data == other.executed_data
            and self.missing_data == other.missing_data
            and self.arcs_data == other.arcs_data
        )

    def __hash__(self) -> int:
        return hash((self.executed_data, self.missing_data, self.arcs_data))

    def executed(self) -> list[int]:
        return unpack_lines(self.executed_data, self.width)

    def missing(self) -> list[int]:
        return unpack_lines(self.missing_data, self.width)

    def missing_arcs(self) -> tuple[Arc, ...] | None:
        return None if self.arcs_data is None else tuple(unpack_arcs(self.arcs_data))

    def executed_arcs(self) -> tuple[Arc, ...] | None:
        # Stored only for function figures computed from the source (old JSON).
        if self.executed_arcs_data is None:
            return None
        return tuple(sorted(set(unpack_arc_steps(self.executed_arcs_data))))


def _coverage(
    stored: StoredCoverage, source: str, want_regions: Callable[[str], bool] | None
) -> CoverageSnapshot:
    """The stored coverage with every check the coverage JSON reader makes."""
    files: dict[str, FileCoverage] = {}
    previous = None
    width = stored.width
    for item in stored.files:
        path = item.path
        if previous is not None and path <= previous:
            raise SnapshotError(f"file {quote(path)} is out of order or listed twice")
        previous = path
        numbers = Numbers(*item.counts)
        executed = unpack_lines(item.executed, width)
        missing = unpack_lines(item.missing, width)
        if (
            len(missing) != numbers.num_missing
            or numbers.num_missing > numbers.num_statements
            or numbers.num_missing_branches > numbers.num_branches
            or numbers.num_partial_branches > numbers.num_branches
        ):
            raise SnapshotError(f"file {quote(path)}: its counts contradict its lines")
        if executed and missing and not set(executed).isdisjoint(missing):
            raise SnapshotError(f"file {quote(path)}: a line is both executed and missing")
        if item.arcs is not None and len(unpack_arcs(item.arcs)) != numbers.num_missing_branches:
            raise SnapshotError(f"file {quote(path)}: its missing branches contradict their count")
        if numbers.num_branches and not stored.branches:
            raise SnapshotError(f"file {quote(path)} has branches in a run measured without them")
        regions = None
        if want_regions is None or want_regions(path):
            regions = _regions(path, item.regions, width)
        if item.executed_arcs is not None:
            unpack_arcs(item.executed_arcs)  # its shape; its count is checked where used
        lines = PackedLines(item.executed, item.missing, item.arcs, width, item.executed_arcs)
        files[path] = FileCoverage(path, numbers, lines, regions)
    return CoverageSnapshot(files=files, has_branches=stored.branches, sources=(source,))


_REGIONS = msgspec.msgpack.Decoder(list[StoredRegion] | None)


def _regions(path: str, raw: msgspec.Raw, width: int) -> tuple[Region, ...] | None:
    try:
        stored = _REGIONS.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        raise SnapshotError(
            f"file {quote(path)}: {one_line(str(err).splitlines()[0], 200)}"
        ) from None
    if stored is None:
        return None
    regions = []
    for region in stored:
        if region.kind not in ("function", "class"):
            raise SnapshotError(f"file {quote(path)}: region kind {quote(region.kind, 40)}")
        lines = frozenset(unpack_lines(region.lines, width))
        regions.append(Region(region.kind, region.name, region.start_line, lines))
    return tuple(sorted(regions, key=lambda r: (r.start_line, r.kind, r.name)))


def read_snapshot_tests(data: bytes, source: str) -> tuple[str, Any]:
    """A snapshot's commit and its tests (a TestRun, None when it stored none), without
    decoding its coverage."""
    snapshot = decode_snapshot(data, source, _TESTS_DECODER)
    if snapshot.tests is None:
        return snapshot.commit, None
    try:
        return snapshot.commit, unpack_tests(snapshot.tests)
    except SnapshotError as err:
        raise InputError(f"{source}: corrupt snapshot ({err})") from None


def decode_snapshot(data: bytes, source: str, decoder: Any = _DECODER) -> Any:
    """The snapshot's model (a `Snapshot`, unless another decoder is given), its framing and
    types checked (not yet its content)."""
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data):
            raise InputError(f"{source}: truncated snapshot")
        raise InputError(f"{source}: not a reportgen snapshot")
    if len(data) == len(MAGIC):
        raise InputError(f"{source}: truncated snapshot")
    version = data[len(MAGIC)]
    if version > FORMAT:
        raise InputError(
            f"{source}: snapshot format {version} is newer than this reportgen reads"
            f" ({FORMAT}); upgrade reportgen or save the baseline again"
        )
    if version < 1:
        raise InputError(f"{source}: not a reportgen snapshot (format {version})")
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(data[len(MAGIC) + 1 :], MAX_INFLATED)
    except zlib.error:
        raise InputError(f"{source}: corrupt snapshot (bad compressed data)") from None
    if inflater.unconsumed_tail:
        raise InputError(f"{source}: snapshot inflates beyond {MAX_INFLATED >> 20} MB")
    if not inflater.eof:
        raise InputError(f"{source}: truncated snapshot")
    if inflater.unused_data:
        raise InputError(f"{source}: corrupt snapshot (data after its end)")
    try:
        snapshot = decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        raise InputError(
            f"{source}: corrupt snapshot ({one_line(str(err).splitlines()[0], 200)})"
        ) from None
    if not _COMMIT.fullmatch(snapshot.commit):
        raise InputError(f"{source}: corrupt snapshot (commit {quote(snapshot.commit)})")
    return snapshot


class _Meta(msgspec.Struct):
    version: str | None = None


class _Versioned(msgspec.Struct):
    meta: _Meta | None = None


_META_DECODER = msgspec.json.Decoder(_Versioned)


def coverage_py_version(data: bytes | memoryview) -> str | None:
    """The coverage.py version a JSON report names (None when it names none or is not JSON:
    the report itself is checked by its reader)."""
    try:
        meta = _META_DECODER.decode(data).meta
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return meta.version if meta and isinstance(meta.version, str) else None
