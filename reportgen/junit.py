"""Test results from JUnit XML, NUnit 2/3, xUnit.net v1/v2 and Visual Studio TRX files.

`parse_junit` streams one file into a `TestRun`; `combine_test_runs` merges shards and
`select_tests` keeps the tests a glob names. The format is told by the root element:

    <testsuites>, <testsuite>             JUnit (pytest, Surefire, Gradle, Jest, Mocha, ...)
    <test-run>, <test-results>, <test-suite>   NUnit 3, NUnit 2
    <assemblies>, <assembly>              xUnit.net v2, v1
    <TestRun>                             Visual Studio TRX

A test is a unique id, `classname::name` (`name` when the classname is empty). Its outcome
is the worst of its runs and result elements: error > failed > passed > skipped; a test that
failed and then passed on a rerun is passed and flaky. Counts come from the cases, never
from the suites' count attributes.

The model is compact because a monorepo run has 500,000 cases: one dict maps each id to a
small packed int (outcome, flaky, runs) that CPython shares between tests, and times and
files live in arrays beside it. Only failures keep their messages.
"""

from __future__ import annotations

import fnmatch
import heapq
import math
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import BinaryIO
from xml.sax import SAXException, SAXParseException
from xml.sax.handler import ContentHandler

from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.expatreader import DefusedExpatParser

from reportgen.errors import InputError

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"

# Severities: the worst outcome is the largest number.
_SKIPPED, _PASSED, _FAILED, _ERROR = 0, 1, 2, 3
_OUTCOMES = (SKIPPED, PASSED, FAILED, ERROR)
_SEVERITY = {name: sev for sev, name in enumerate(_OUTCOMES)}

# A test's packed state: severity in bits 0-1, flaky in bit 2, runs above. Ints up to 256
# are shared objects in CPython, so a test with fewer than 32 runs costs no int object.
_FLAKY = 4
_RUNS_SHIFT = 3

TEXT_LIMIT = 4096  # characters kept of a failure's message and text
SLOWEST = 10
_MAX_SECONDS = 1e9  # a larger time is not a measurement
_MAX_US = 2**62  # keeps summed times inside the int64 array
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class Failure:
    """A failing test: its outcome ("failed" or "error"), one-line-ish message and full text.

    `message` is the result element's `message` attribute, else the first non-empty line of
    its text; `text` is the element's text. Both are capped at 4,096 characters.
    """

    id: str
    outcome: str
    message: str
    text: str


@dataclass(frozen=True, slots=True)
class TestRecord:
    """One test of a run: outcome, whether it passed only on a rerun, and executions."""

    __test__ = False  # not a pytest test class

    id: str
    outcome: str
    flaky: bool
    runs: int


@dataclass(frozen=True, slots=True)
class _Table:
    """Per-test storage. `state` keeps storage order; `times` and `files` follow it."""

    state: Mapping[str, int]  # id -> packed severity | flaky | runs
    times: bytes  # int64 microseconds per test
    files: bytes  # uint32 index into file_names per test (0: no file attribute)
    file_names: tuple[str, ...]
    time_us: int  # the run's execution time
    ids: tuple[str, ...]  # sorted

    def rows(self) -> Iterator[tuple[str, int, int, str]]:
        """(id, packed state, microseconds, file) per test, in storage order."""
        times = memoryview(self.times).cast("q")
        files = memoryview(self.files).cast("I")
        names = self.file_names
        for (test_id, packed), us, index in zip(self.state.items(), times, files, strict=True):
            yield test_id, packed, us, names[index]


@dataclass(frozen=True, slots=True, eq=False)
class TestRun:
    """The tests of one run (one file or several combined), immutable.

    Compare runs by `stats()`, `ids()` and `outcome()`: storage order depends on input order,
    so runs do not define `==`.
    """

    __test__ = False  # not a pytest test class

    tests: int
    passed: int
    failed: int
    errors: int
    skipped: int
    runs: int
    time: float  # seconds
    failures: tuple[Failure, ...]  # sorted by module, then id
    flaky: tuple[str, ...]  # sorted ids of tests that passed only on a rerun
    slowest: tuple[tuple[str, float], ...]  # up to 10 (id, seconds), slowest first
    _table: _Table = field(repr=False)

    def stats(self) -> dict[str, int | float]:
        """The JSON summary's counts: `{tests, passed, failed, errors, skipped, runs, time}`."""
        return {
            "tests": self.tests,
            "passed": self.passed,
            "failed": self.failed,
            "errors": self.errors,
            "skipped": self.skipped,
            "runs": self.runs,
            "time": self.time,
        }

    def outcome(self, test_id: str) -> str | None:
        """The test's outcome ("passed", "failed", "error", "skipped"); None if not in this run."""
        packed = self._table.state.get(test_id)
        return None if packed is None else _OUTCOMES[packed & 3]

    def record(self, test_id: str) -> TestRecord | None:
        """Outcome, flakiness and executions of one test; None when it is not in this run."""
        packed = self._table.state.get(test_id)
        if packed is None:
            return None
        return TestRecord(test_id, _OUTCOMES[packed & 3], bool(packed & _FLAKY), packed >> 3)

    def ids(self) -> tuple[str, ...]:
        """Every test id, sorted."""
        return self._table.ids


# --- Public functions -------------------------------------------------------------------


def parse_junit(stream: BinaryIO, source: str) -> TestRun:
    """Read one JUnit/NUnit/xUnit/TRX file; `source` names it in error messages.

    Raises InputError (one line) for anything that is not a well-formed result file of a
    known format, and for DTDs and entity declarations, which are never expanded.
    """
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    start = _Start(source, parser)
    parser.setContentHandler(start)
    size = 0
    try:
        while chunk := _read(stream, source):
            size += len(chunk)
            parser.feed(chunk)
        if size == 0:
            raise InputError(f"{source}: empty file")
        start.closing = True
        parser.close()
    except SAXParseException as err:
        raise InputError(_syntax_message(source, err, start)) from None
    except (DTDForbidden, EntitiesForbidden) as err:
        raise InputError(_declaration_message(source, err)) from None
    except (DefusedXmlException, SAXException) as err:
        raise InputError(f"{source}: unsafe or unreadable XML ({type(err).__name__})") from None
    if start.reader is None:  # expat reports a missing root itself; this keeps types exact
        raise InputError(f"{source}: no XML element found")
    return start.reader.finish()


def combine_test_runs(runs: Sequence[TestRun]) -> TestRun:
    """Merge shards: the same id in two shards takes the worst outcome and sums runs and time.

    Order-independent: a test's file is the smallest of its file attributes and a failure's
    message comes from the worst shard, ties going to the smallest message.
    """
    if len(runs) == 1:
        return runs[0]
    builder = _Builder()
    failures: dict[str, Failure] = {}
    for run in runs:
        for test_id, packed, us, file in run._table.rows():
            builder.merge(test_id, packed, us, file)
        for failure in run.failures:
            failures[failure.id] = _worse_failure(failures.get(failure.id), failure)
    return builder.build(sum(run._table.time_us for run in runs), failures)


def select_tests(run: TestRun, pattern: str) -> TestRun:
    """The tests whose file or classname matches a glob, e.g. `tests/soak/test_x.py`.

    A path glob also matches the dotted classname pytest writes without a `file` attribute:
    `tests/soak/test_x.py` selects classname `tests.soak.test_x` and `tests.soak.test_x.TestY`.
    The selection's time is the sum of its tests' times.
    """
    matches = _selector(pattern)
    builder = _Builder()
    time_us = 0
    for test_id, packed, us, file in run._table.rows():
        if matches(test_id, file):
            builder.merge(test_id, packed, us, file)
            time_us += us
    failures = {f.id: f for f in run.failures if f.id in builder.state}
    return builder.build(time_us, failures)


def module_of(test_id: str) -> str:
    """The module a test belongs to, for grouping failures; "" when the id has no classname.

    `tests.soak.test_x.TestY::test_z[1]` -> `tests.soak.test_x`; `com.acme.FooTest::bar`
    -> `com.acme`; a classname with no lower-case part (`Acme.Tests.Foo`) is its own module.
    """
    classname = split_test_id(test_id)[0]
    parts = classname.split(".")
    for last in range(len(parts) - 1, -1, -1):
        if parts[last][:1].islower() or parts[last][:1] == "_":
            return ".".join(parts[: last + 1])
    return classname


def split_test_id(test_id: str) -> tuple[str, str]:
    """(classname, name) of an id; a `::` inside a trailing `[...]` or `(...)` is the name's."""
    bracket = _parameter_start(test_id)
    head = test_id if bracket < 0 else test_id[:bracket]
    classname, sep, _ = head.rpartition("::")
    if not sep:
        return "", test_id
    return classname, test_id[len(classname) + 2 :]


def split_parameters(test_id: str) -> tuple[str, str | None]:
    """(function id, parameters) of a parametrised id, else (id, None).

    `m::test_merge[full-chain]` -> (`m::test_merge`, `full-chain`); NUnit and xUnit write
    `Method(1, 2)`. A function part with white space is a sentence, not a parametrised call.
    """
    start = _parameter_start(test_id)
    if start <= 0:
        return test_id, None
    function = test_id[:start]
    name = function.rpartition("::")[2]
    if not name or any(c.isspace() for c in name):
        return test_id, None
    return function, test_id[start + 1 : -1]


# --- Building a run ---------------------------------------------------------------------


class _Builder:
    """Accumulates tests; the only mutable stage, private to this module."""

    def __init__(self) -> None:
        self.state: dict[str, int] = {}
        self.times = array("q")
        self.files = array("I")
        self.file_index: dict[str, int] = {"": 0}  # file name -> position in file_names
        self.file_names: list[str] = [""]
        # A repeated id's extra time and file candidates, folded in by build(): rare, so
        # no per-test position map is kept.
        self.more_time: dict[str, int] = {}
        self.more_file: dict[str, str] = {}
        self.failures: dict[str, tuple[int, str, str]] = {}  # id -> (severity, message, text)
        self.case_us = 0

    def occurrence(
        self, test_id: str, sev: int, flaky: bool, runs: int, us: int, file: str = ""
    ) -> None:
        """One testcase element, in document order: a pass after a failure is a rerun."""
        self.case_us += us
        packed = self.state.get(test_id)
        if packed is None:
            self._insert(test_id, sev | (_FLAKY if flaky else 0) | runs << _RUNS_SHIFT, us, file)
            return
        old = packed & 3
        if sev == _PASSED and old >= _FAILED:
            new, flaky = _PASSED, True
            self.failures.pop(test_id, None)
        else:
            new = max(old, sev)
            flaky = new == _PASSED and (flaky or bool(packed & _FLAKY))
        runs += packed >> _RUNS_SHIFT
        self.state[test_id] = new | (_FLAKY if flaky else 0) | runs << _RUNS_SHIFT
        self._repeat(test_id, us, file)

    def merge(self, test_id: str, packed: int, us: int, file: str) -> None:
        """A test of another run: worst outcome, runs summed, flaky only while passed."""
        old = self.state.get(test_id)
        if old is None:
            self._insert(test_id, packed, us, file)
            return
        sev = max(old & 3, packed & 3)
        flaky = (old | packed) & _FLAKY if sev == _PASSED else 0
        runs = (old >> _RUNS_SHIFT) + (packed >> _RUNS_SHIFT)
        self.state[test_id] = sev | flaky | runs << _RUNS_SHIFT
        self._repeat(test_id, us, file)

    def failure(self, test_id: str, sev: int, message: str, text: str) -> None:
        """Remember a failing occurrence's message: the latest one of the worst severity."""
        kept = self.failures.get(test_id)
        if kept is None or sev >= kept[0]:
            self.failures[test_id] = (sev, message, text)

    def _insert(self, test_id: str, packed: int, us: int, file: str) -> None:
        self.state[test_id] = packed
        self.times.append(min(us, _MAX_US))
        self.files.append(self._file_number(file))

    def _file_number(self, file: str) -> int:
        number = self.file_index.get(file)
        if number is None:
            number = self.file_index[file] = len(self.file_names)
            self.file_names.append(file)
        return number

    def _repeat(self, test_id: str, us: int, file: str) -> None:
        self.more_time[test_id] = self.more_time.get(test_id, 0) + us
        if file:
            self.more_file[test_id] = min(file, self.more_file.get(test_id, file))

    def _fold_repeats(self) -> None:
        if not (self.more_time or self.more_file):
            return
        for position, test_id in enumerate(self.state):
            extra = self.more_time.get(test_id)
            if extra is not None:
                self.times[position] = min(self.times[position] + extra, _MAX_US)
            file = self.more_file.get(test_id)
            current = self.file_names[self.files[position]]
            if file is not None and (not current or file < current):
                self.files[position] = self._file_number(file)

    def build(self, time_us: int, failures: Mapping[str, Failure] | None = None) -> TestRun:
        """The immutable run; `failures` overrides the messages gathered by `failure()`."""
        self._fold_repeats()
        state = self.state
        counts = [0, 0, 0, 0]
        runs = 0
        for packed in state.values():
            counts[packed & 3] += 1
            runs += packed >> _RUNS_SHIFT
        table = _Table(
            state=MappingProxyType(state),
            times=self.times.tobytes(),
            files=self.files.tobytes(),
            file_names=tuple(self.file_names),
            time_us=time_us,
            ids=tuple(sorted(state)),
        )
        return TestRun(
            tests=len(state),
            passed=counts[_PASSED],
            failed=counts[_FAILED],
            errors=counts[_ERROR],
            skipped=counts[_SKIPPED],
            runs=runs,
            time=time_us / 1e6,
            failures=self._failures(failures),
            flaky=tuple(sorted(t for t, packed in state.items() if packed & _FLAKY)),
            slowest=_slowest(table),
            _table=table,
        )

    def _failures(self, given: Mapping[str, Failure] | None) -> tuple[Failure, ...]:
        state = self.state
        if given is None:
            given = {
                test_id: Failure(test_id, _OUTCOMES[sev], message, text)
                for test_id, (sev, message, text) in self.failures.items()
            }
        # Only the outcome decides: a message of a run later passed on a rerun is dropped.
        kept = [f for f in given.values() if _OUTCOMES[state[f.id] & 3] == f.outcome]
        return tuple(sorted(kept, key=lambda f: (module_of(f.id), f.id)))


def _slowest(table: _Table) -> tuple[tuple[str, float], ...]:
    """The ten slowest tests with a time above zero; equal times in id order."""
    times = memoryview(table.times).cast("q")
    timed = ((test_id, us) for test_id, us in zip(table.state, times, strict=True) if us > 0)
    top = heapq.nsmallest(SLOWEST, timed, key=lambda pair: (-pair[1], pair[0]))
    return tuple((test_id, us / 1e6) for test_id, us in top)


def _worse_failure(kept: Failure | None, new: Failure) -> Failure:
    if kept is None:
        return new
    rank_kept = (-_SEVERITY[kept.outcome], kept.message, kept.text)
    rank_new = (-_SEVERITY[new.outcome], new.message, new.text)
    return new if rank_new < rank_kept else kept


# --- Values found in result files -------------------------------------------------------

# Surefire writes long times with grouping commas ("1,234.5", "1,234"); .NET in a
# decimal-comma locale writes "0,288". Commas followed by groups of three digits, with no
# leading zero group, are thousands separators; any other single comma is a decimal comma.
_GROUPED = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d*)?)")


def _seconds_us(text: str | None) -> int:
    """Microseconds of a `time` attribute; 0 when absent, unreadable, negative or absurd."""
    if not text:
        return 0
    text = text.strip()
    if "," in text:
        if _GROUPED.fullmatch(text):
            text = text.replace(",", "")
        elif text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
    try:
        seconds = float(text)
    except ValueError:
        return 0
    if not (math.isfinite(seconds) and 0 <= seconds < _MAX_SECONDS):
        return 0
    return round(seconds * 1_000_000)


def _timespan_us(text: str | None) -> int:
    """Microseconds of a TRX duration, `[d.]hh:mm:ss[.fffffff]`; 0 when unreadable."""
    match = _TIMESPAN.fullmatch((text or "").strip())
    if match is None:
        return 0
    days, hours, minutes, seconds = match.groups()
    total = ((int(days or 0) * 24 + int(hours)) * 60 + int(minutes)) * 60 + float(seconds)
    return round(total * 1_000_000) if total < _MAX_SECONDS else 0


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _clean(text: str) -> str:
    """Unix newlines, outer white space stripped, capped."""
    return _clip(text.replace("\r\n", "\n").replace("\r", "\n").strip())


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _message(attribute: str | None, text: str) -> str:
    """The message attribute, else the first non-empty line of the text."""
    return _clean(attribute or "") or _clip(_first_line(text))


def _one_line(text: str, limit: int = 120) -> str:
    """Text from a hostile file made safe for a one-line error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class _Text:
    """Collects the character data of one element, keeping at most TEXT_LIMIT characters."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, data: str) -> None:
        if self.size > TEXT_LIMIT or (not self.parts and data.isspace()):
            return
        self.parts.append(data)
        self.size += len(data)

    def value(self) -> str:
        return _clean("".join(self.parts))


# --- Reading ----------------------------------------------------------------------------


def _read(stream: BinaryIO, source: str) -> bytes:
    try:
        return stream.read(_CHUNK)
    except OSError as err:
        raise InputError(f"{source}: cannot read ({_one_line(str(err.strerror or err))})") from None


def _syntax_message(source: str, err: SAXParseException, start: _Start) -> str:
    what = _one_line(err.getMessage())
    where = f"line {err.getLineNumber()}, column {err.getColumnNumber()}"
    if start.closing and start.reader is not None:
        return f"{source}: truncated XML ({what} at {where})"
    if start.closing:
        return f"{source}: no XML element found"
    return f"{source}: not well-formed XML ({what} at {where})"


def _declaration_message(source: str, err: DTDForbidden | EntitiesForbidden) -> str:
    name = _one_line(str(err.name or ""), 40)
    if isinstance(err, DTDForbidden) and name.lower() == "html":
        return f"{source}: not JUnit XML (an HTML page)"
    if isinstance(err, DTDForbidden):
        return f"{source}: DTDs are not accepted in test results (<!DOCTYPE {name}>)"
    return f"{source}: entity declarations are not accepted in test results ('{name}')"


class _Start(ContentHandler):
    """Tells the format by the root element and hands the parse to its reader."""

    def __init__(self, source: str, parser: DefusedExpatParser) -> None:
        super().__init__()
        self.source = source
        self.parser = parser
        self.reader: _Reader | None = None
        self.closing = False  # set before the final feed: errors then mean truncation

    def startElement(self, name: str, attrs: Mapping[str, str]) -> None:  # noqa: N802
        reader_class = _READERS.get(name)
        if reader_class is None:
            raise InputError(f"{self.source}: not JUnit XML (root element <{_one_line(name, 60)}>)")
        self.reader = reader_class(self.source, name)
        self.parser.setContentHandler(self.reader)
        self.reader.startElement(name, attrs)


class _Reader(ContentHandler):
    """Common state of the format readers: element depth, captured text, the builder."""

    def __init__(self, source: str, root: str) -> None:
        super().__init__()
        self.source = source
        self.builder = _Builder()
        self.depth = 0
        self.text: _Text | None = None
        self.suite_us = 0
        self.suite_timed = False
        self.unnamed = 0

    def characters(self, content: str) -> None:
        if self.text is not None:
            self.text.add(content)

    def add_suite_time(self, value: str | None) -> None:
        """A top-level suite's time: the run's time is their sum when any suite has one."""
        if value is not None and value.strip():
            self.suite_timed = True
            self.suite_us += _seconds_us(value)

    def test_id(self, classname: str, name: str) -> str:
        """`classname::name`, `name` alone without a classname; a nameless test gets its own
        id, numbered in document order and naming the file so shards never merge it."""
        if not name:
            self.unnamed += 1
            name = f"<unnamed #{self.unnamed} in {self.source}>"
        return f"{classname}::{name}" if classname else name

    def finish(self) -> TestRun:
        builder = self.builder
        return builder.build(self.suite_us if self.suite_timed else builder.case_us)


class _JUnitReader(_Reader):
    """`<testsuites>`/`<testsuite>` at any depth with `<testcase>` elements."""

    # Result elements of a testcase: (severity or None, extra runs, keeps text, flaky).
    RESULTS = {
        "failure": (_FAILED, 0, True, False),
        "error": (_ERROR, 0, True, False),
        "skipped": (_SKIPPED, 0, False, False),
        "rerunFailure": (_FAILED, 1, True, False),
        "rerunError": (_ERROR, 1, True, False),
        "flakyFailure": (None, 1, False, True),
        "flakyError": (None, 1, False, True),
    }
    SKIP_STATUS = frozenset({"disabled", "skipped", "skip", "ignored", "notrun", "not run"})

    def __init__(self, source: str, root: str) -> None:
        super().__init__(source, root)
        self.top = 1 if root == "testsuite" else 2  # depth of the top-level suites
        self.case_depth = 0  # 0: outside a testcase
        self.result_depth = 0  # 0: not inside a result element whose text is kept

    def startElement(self, name: str, attrs: Mapping[str, str]) -> None:  # noqa: N802
        self.depth += 1
        if self.case_depth:
            if self.depth == self.case_depth + 1:
                self._result(name, attrs)
        elif name == "testcase":
            self._start_case(attrs)
        elif name == "testsuite" and self.depth <= self.top:
            self.add_suite_time(attrs.get("time"))

    def endElement(self, name: str) -> None:  # noqa: N802
        depth = self.depth
        self.depth -= 1
        if depth == self.case_depth:
            self._end_case()
        elif depth == self.result_depth:
            self._end_result()

    def _start_case(self, attrs: Mapping[str, str]) -> None:
        self.case_depth = self.depth
        self.result_depth = 0
        self.case_id = self.test_id(attrs.get("classname") or "", attrs.get("name") or "")
        self.case_us = _seconds_us(attrs.get("time"))
        self.case_file = attrs.get("file") or ""
        status = (attrs.get("status") or "").lower()
        self.sev = _SKIPPED if status in self.SKIP_STATUS else -1
        self.runs = 1
        self.flaky = False
        self.kept: tuple[int, str, str] | None = None  # (severity, message, text)

    def _result(self, name: str, attrs: Mapping[str, str]) -> None:
        spec = self.RESULTS.get(name)
        if spec is None:
            return
        sev, runs, keeps_text, flaky = spec
        self.runs += runs
        self.flaky = self.flaky or flaky
        if sev is None:
            return
        self.sev = max(self.sev, sev)
        if keeps_text and (self.kept is None or sev > self.kept[0]):
            self.kept = (sev, attrs.get("message") or "", "")
            self.result_depth = self.depth
            self.text = _Text()

    def _end_result(self) -> None:
        assert self.kept is not None and self.text is not None
        sev, attribute, _ = self.kept
        text = self.text.value()
        self.kept = (sev, _message(attribute, text), text)
        self.text = None
        self.result_depth = 0

    def _end_case(self) -> None:
        self.case_depth = 0
        sev = _PASSED if self.sev < 0 else self.sev
        flaky = self.flaky and sev == _PASSED
        builder = self.builder
        builder.occurrence(self.case_id, sev, flaky, self.runs, self.case_us, self.case_file)
        if sev >= _FAILED:
            _, message, text = self.kept or (sev, "", "")
            builder.failure(self.case_id, sev, message, text)


class _NestedReader(_Reader):
    """Formats whose test elements carry their result as an attribute and nest their
    failure message and stack trace in child elements (NUnit, xUnit.net, TRX)."""

    CASE = ""  # the test element
    MESSAGE = frozenset[str]()  # elements holding the failure message
    TRACE = frozenset[str]()  # elements holding the stack trace

    def __init__(self, source: str, root: str) -> None:
        super().__init__(source, root)
        self.case_depth = 0
        self.message = ""
        self.trace = ""
        self.capture = ""

    def startElement(self, name: str, attrs: Mapping[str, str]) -> None:  # noqa: N802
        self.depth += 1
        if self.case_depth:
            if name in self.MESSAGE or name in self.TRACE:
                self.capture = name
                self.text = _Text()
        elif name == self.CASE:
            self.case_depth = self.depth
            self.message = self.trace = ""
            self.start_case(attrs)
        else:
            self.start_other(name, attrs)

    def endElement(self, name: str) -> None:  # noqa: N802
        depth = self.depth
        self.depth -= 1
        if depth == self.case_depth:
            self.case_depth = 0
            self.end_case()
        elif self.text is not None and name == self.capture:
            value = self.text.value()
            if name in self.MESSAGE:
                self.message = self.message or value
            else:
                self.trace = self.trace or value
            self.text = None

    def failure_text(self) -> tuple[str, str]:
        """(message, text) of the current test: the message, else the trace's first line."""
        text = "\n".join(part for part in (self.message, self.trace) if part)
        return _clip(self.message) or _clip(_first_line(text)), _clip(text)

    def add(self, test_id: str, sev: int, us: int) -> None:
        self.builder.occurrence(test_id, sev, False, 1, us)
        if sev >= _FAILED:
            self.builder.failure(test_id, sev, *self.failure_text())

    def start_case(self, attrs: Mapping[str, str]) -> None:
        raise NotImplementedError

    def end_case(self) -> None:
        raise NotImplementedError

    def start_other(self, name: str, attrs: Mapping[str, str]) -> None:
        """Top-level suites carry the run's time."""


class _NUnitReader(_NestedReader):
    """NUnit 3 `<test-run>` (or a bare `<test-suite>`) and NUnit 2 `<test-results>`."""

    CASE = "test-case"
    MESSAGE = frozenset({"message"})
    TRACE = frozenset({"stack-trace"})
    RESULTS = {
        "passed": _PASSED,
        "success": _PASSED,
        "warning": _PASSED,  # NUnit 3: passed with a warning
        "failed": _FAILED,
        "failure": _FAILED,
        "error": _ERROR,
        "skipped": _SKIPPED,
        "ignored": _SKIPPED,
        "notrunnable": _SKIPPED,
        "inconclusive": _SKIPPED,
        "explicit": _SKIPPED,
        "notrun": _SKIPPED,
        "cancelled": _SKIPPED,
    }

    def __init__(self, source: str, root: str) -> None:
        super().__init__(source, root)
        self.top = 1 if root == "test-suite" else 2

    def start_other(self, name: str, attrs: Mapping[str, str]) -> None:
        if name == "test-suite" and self.depth <= self.top:
            self.add_suite_time(attrs.get("duration") or attrs.get("time"))

    def start_case(self, attrs: Mapping[str, str]) -> None:
        name = attrs.get("name") or attrs.get("fullname") or ""
        self.case_id = self.test_id(attrs.get("classname") or "", name)
        self.case_us = _seconds_us(attrs.get("duration") or attrs.get("time"))
        self.sev = self._severity(attrs)

    def _severity(self, attrs: Mapping[str, str]) -> int:
        result = (attrs.get("result") or "").lower()
        sev = self.RESULTS.get(result)
        # NUnit 3 labels an exception thrown by the test "Error": an error in JUnit terms.
        if sev == _FAILED and (attrs.get("label") or "").lower() == "error":
            return _ERROR
        if sev is not None:
            return sev
        # NUnit 2.0-2.4 wrote no result, only executed="True|False" and success="True|False".
        if (attrs.get("executed") or "").lower() == "false":
            return _SKIPPED
        return _FAILED if (attrs.get("success") or "").lower() == "false" else _PASSED

    def end_case(self) -> None:
        self.add(self.case_id, self.sev, self.case_us)


class _XUnitReader(_NestedReader):
    """xUnit.net v2 `<assemblies>` and v1 `<assembly>`: `<test type method name result>`."""

    CASE = "test"
    MESSAGE = frozenset({"message"})
    TRACE = frozenset({"stack-trace"})
    RESULTS = {"pass": _PASSED, "fail": _FAILED, "skip": _SKIPPED, "notrun": _SKIPPED}

    def __init__(self, source: str, root: str) -> None:
        super().__init__(source, root)
        self.top = 1 if root == "assembly" else 2

    def start_other(self, name: str, attrs: Mapping[str, str]) -> None:
        if name == "assembly" and self.depth <= self.top:
            self.add_suite_time(attrs.get("time"))

    def start_case(self, attrs: Mapping[str, str]) -> None:
        # The name repeats the type: "Ns.Class.Method(x: 1)" -> "Ns.Class::Method(x: 1)",
        # keeping each theory case a test of its own.
        classname = attrs.get("type") or ""
        name = attrs.get("name") or attrs.get("method") or ""
        if classname and name.startswith(classname + "."):
            name = name[len(classname) + 1 :]
        self.case_id = self.test_id(classname, name)
        self.case_us = _seconds_us(attrs.get("time"))
        self.sev = self.RESULTS.get((attrs.get("result") or "").lower(), _PASSED)

    def end_case(self) -> None:
        self.add(self.case_id, self.sev, self.case_us)


class _TrxReader(_NestedReader):
    """Visual Studio TRX: `<UnitTestResult>` elements, classnames from `<TestDefinitions>`."""

    CASE = "UnitTestResult"
    MESSAGE = frozenset({"Message"})
    TRACE = frozenset({"StackTrace"})
    RESULTS = {
        "passed": _PASSED,
        "passedbutrunaborted": _PASSED,
        "completed": _PASSED,
        "warning": _PASSED,
        "failed": _FAILED,
        "timeout": _FAILED,
        "error": _ERROR,
        # The run stopped while the test ran: not a pass, and hiding it as skipped would
        # hide the crash.
        "aborted": _ERROR,
    }

    def __init__(self, source: str, root: str) -> None:
        super().__init__(source, root)
        # Definitions may follow the results, so results wait here until the end.
        self.results: list[tuple[str, str, int, int, tuple[str, str]]] = []
        self.classes: dict[str, str] = {}
        self.definition = ""

    def start_other(self, name: str, attrs: Mapping[str, str]) -> None:
        if name == "UnitTest":
            self.definition = attrs.get("id") or ""
        elif name == "TestMethod" and self.definition:
            # Old MSTest writes "Ns.Class, Assembly, Version=..., Culture=...".
            classname = (attrs.get("className") or "").split(",")[0].strip()
            self.classes[self.definition] = classname

    def start_case(self, attrs: Mapping[str, str]) -> None:
        self.case_attrs = (
            attrs.get("testId") or "",
            attrs.get("testName") or "",
            self.RESULTS.get((attrs.get("outcome") or "").lower(), _SKIPPED),
            _timespan_us(attrs.get("duration")),
        )

    def end_case(self) -> None:
        test_key, name, sev, us = self.case_attrs
        texts = self.failure_text() if sev >= _FAILED else ("", "")
        self.results.append((test_key, name, sev, us, texts))

    def finish(self) -> TestRun:
        for test_key, name, sev, us, texts in self.results:
            classname = self.classes.get(test_key, "")
            if classname and name.startswith(classname + "."):
                name = name[len(classname) + 1 :]
            test_id = self.test_id(classname, name)
            self.builder.occurrence(test_id, sev, False, 1, us)
            if sev >= _FAILED:
                self.builder.failure(test_id, sev, *texts)
        return super().finish()


_READERS: dict[str, type[_Reader]] = {
    "testsuites": _JUnitReader,
    "testsuite": _JUnitReader,
    "test-run": _NUnitReader,
    "test-results": _NUnitReader,
    "test-suite": _NUnitReader,
    "assemblies": _XUnitReader,
    "assembly": _XUnitReader,
    "TestRun": _TrxReader,
}


# --- Selection --------------------------------------------------------------------------


def _selector(pattern: str) -> Callable[[str, str], bool]:
    """A predicate on (test id, file) for a glob on files or classnames."""
    glob = pattern.strip().replace("\\", "/")
    globs = {glob, glob.replace("**/", "")}
    if glob.endswith("/"):  # a folder: everything under it
        globs = {g + "*" for g in globs}
    file_re = _compile(globs)
    dotted = {g.removesuffix(".py").strip("/").replace("/", ".") for g in globs}
    class_re = _compile(globs | dotted | {d + ".*" for d in dotted})
    class_cache: dict[str, bool] = {}
    file_cache: dict[str, bool] = {}

    def by_class(head: str) -> bool:
        hit = class_cache.get(head)
        if hit is None:
            hit = class_cache[head] = any(class_re.match(c) for c in _classnames(head))
        return hit

    def by_file(file: str) -> bool:
        hit = file_cache.get(file)
        if hit is None:
            hit = file_cache[file] = any(file_re.match(p) for p in _path_suffixes(file))
        return hit

    def matches(test_id: str, file: str) -> bool:
        if file and by_file(file):
            return True
        head = test_id.rpartition("::")[0]
        # Without a classname the id itself is tried (NUnit 2 writes "Ns.Class.Method"),
        # uncached: such ids are all distinct.
        return by_class(head) if head else bool(class_re.match(test_id))

    return matches


def _compile(globs: Iterable[str]) -> re.Pattern[str]:
    return re.compile("|".join(fnmatch.translate(g) for g in sorted(globs) if g))


def _classnames(head: str) -> Iterator[str]:
    """Candidate classnames of an id's head: every prefix ending before a `::`, and itself."""
    start = 0
    while (found := head.find("::", start)) >= 0:
        yield head[:found]
        start = found + 2
    yield head


def _path_suffixes(file: str) -> Iterator[str]:
    """A path and its tails after each `/`, so a relative glob matches an absolute path."""
    path = file.replace("\\", "/")
    yield path
    for index, char in enumerate(path):
        if char == "/" and index + 1 < len(path):
            yield path[index + 1 :]


def _parameter_start(test_id: str) -> int:
    """Index of the bracket opening a trailing `[...]` or `(...)`, else -1."""
    if not test_id or test_id[-1] not in "])":
        return -1
    close = test_id[-1]
    opening = "[" if close == "]" else "("
    depth = 0
    for index in range(len(test_id) - 1, -1, -1):
        char = test_id[index]
        if char == close:
            depth += 1
        elif char == opening:
            depth -= 1
            if depth == 0:
                return index
    return -1
