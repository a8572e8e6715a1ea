"""Test results from JUnit XML, NUnit 2/3, xUnit.net v1/v2 and Visual Studio TRX files.

`parse_junit` streams one file into a `TestRun`; `combine_test_runs` merges shards and
`select_tests` keeps the tests a glob names. The root element tells the format:

    <testsuites>, <testsuite>                   JUnit (pytest, Surefire, Gradle, Jest, ...)
    <test-run>, <test-suite>, <test-results>    NUnit 3, NUnit 2
    <assemblies>, <assembly>                    xUnit.net v2, v1
    <TestRun>                                   Visual Studio TRX

A test is a unique id, `classname::name` (`name` when the classname is empty). Its outcome is
the worst of its runs and result elements: error > failed > passed > skipped; a test that
failed and then passed on a rerun is passed and flaky. Counts come from the cases, never from
the suites' count attributes.

A monorepo run has 500,000 cases, so the model is compact: per classname, blocks of tests,
each block one string of names beside arrays of packed states (outcome, flaky, runs) and
times; about 40 bytes a test. Only failures keep their messages.
"""

from __future__ import annotations

import heapq
import itertools
import math
import re
from abc import ABC, abstractmethod
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fnmatch import translate
from itertools import accumulate, chain
from operator import add
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ErrorString

import msgspec
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from reportgen.errors import InputError
from reportgen.testdiff import module_of

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"

# Severities: the worst outcome is the largest number.
_SKIPPED, _PASSED, _FAILED, _ERROR = 0, 1, 2, 3
_OUTCOMES = (SKIPPED, PASSED, FAILED, ERROR)
_SEVERITY = {name: sev for sev, name in enumerate(_OUTCOMES)}

# A test's packed state: severity in bits 0-1, flaky in bit 2, runs from bit 3. While a class
# is open its states are ints, which CPython shares up to 256 (fewer than 32 runs).
_FLAKY = 4
_RUNS = 3
_PASSED_ONCE = _PASSED | 1 << _RUNS

TEXT_LIMIT = 4096  # characters kept of a failure's message and of its text
SLOWEST = 10
_MAX_SECONDS = 1e6  # 11.6 days: a larger "time" is nanoseconds or garbage, not seconds
_CHUNK = 1 << 16

Attrs = Mapping[str, str]


class Failure(msgspec.Struct, frozen=True):
    """A failing test: outcome "failed" or "error", a short message and the full text.

    `message` is the result's `message` attribute (NUnit, xUnit.net, TRX: the message
    element), else the first non-empty line of its text; `text` is the element's text.
    Both are capped at 4,096 characters.
    """

    id: str
    outcome: str
    message: str
    text: str


class TestRecord(msgspec.Struct, frozen=True):
    """One test of a run: outcome, whether it passed only on a rerun, and executions."""

    __test__ = False  # not a pytest test class

    id: str
    outcome: str
    flaky: bool
    runs: int


# (names, first, count, offsets): see _Store.
_Block = tuple[str, int, int, "array[int] | None"]
# A class with more tests than this is sorted by name once, for a binary search; a smaller
# one stays in reading order and is searched by one scan of its names, in C.
_SORTED_BLOCK = 512


class _Store:
    """Every test of a run, compact: per classname, blocks of tests.

    A block `(names, first, count, offsets)` holds `count` tests: `names` is their names,
    each ended by NUL (XML text never holds one), and positions first..first+count-1 of the
    arrays are theirs in the same order. Blocks keep reading order; a block of more than
    `_SORTED_BLOCK` tests is sorted by name instead, with `offsets` where each name starts.
    A test costs its name's characters and 17 bytes, where a dict entry and a str object
    would cost over 100. Filled by `_Builder`, never changed once a `TestRun` holds it.
    """

    __slots__ = ("blocks", "states", "times", "files", "file_names", "file_index")

    def __init__(self) -> None:
        self.blocks: dict[str, tuple[_Block, ...]] = {}
        self.states = array("I")  # packed state
        self.times = array("d")  # seconds
        # Made at the first file attribute: an index per test into file_names.
        self.files: array[int] | None = None
        self.file_names: list[str] = [""]
        self.file_index: dict[str, int] = {"": 0}

    def find(self, classname: str, name: str) -> int:
        """A test's position, -1 when absent."""
        for names, first, _, offsets in self.blocks.get(classname, ()):
            found = _scan(names, name) if offsets is None else _bisect(names, offsets, name)
            if found >= 0:
                return first + found
        return -1

    def packed(self, test_id: str) -> int | None:
        position = self.find(*_split_key(test_id))
        return None if position < 0 else self.states[position]

    def tests(self, classname: str) -> Iterator[tuple[str, int]]:
        """(name, position) of each test of a class."""
        for names, first, count, _ in self.blocks.get(classname, ()):
            yield from zip(names.split("\0")[:-1], range(first, first + count), strict=True)

    def rows(self) -> Iterator[tuple[str, str, int, float, str]]:
        """(classname, name, packed state, seconds, file) of every test."""
        states, times = self.states, self.times
        for classname in self.blocks:
            for name, position in self.tests(classname):
                yield classname, name, states[position], times[position], self.file_of(position)

    def file_of(self, position: int) -> str:
        return "" if self.files is None else self.file_names[self.files[position]]

    def seal(self, classname: str, tests: _Open) -> None:
        """Append a class's open tests as a block (sorted by name when it is large)."""
        keys = list(tests.tests)
        if not keys:
            return
        first = len(self.states)
        # Whole-class operations in C: this runs for every class of a 500,000-case file.
        if len(keys) <= _SORTED_BLOCK:
            names, offsets = keys, None
            self.states.extend(tests.tests.values())
            self.times.extend(tests.times)
            numbers: Iterable[int] | None = tests.files
        else:
            order = sorted(range(len(keys)), key=keys.__getitem__)
            names = list(map(keys.__getitem__, order))
            # Name i starts after the names before it and their NULs.
            ends = accumulate(map(len, names[:-1]), initial=0)
            offsets = array("I", map(add, ends, itertools.count()))
            self.states.extend(map(tests.tests.__getitem__, names))
            self.times.extend(map(tests.times.__getitem__, order))
            numbers = None if tests.files is None else map(tests.files.__getitem__, order)
        if numbers is not None or self.files is not None:
            self.file_numbers(first).extend(numbers or array("I", [0]) * len(keys))
        block = ("\0".join(names) + "\0", first, len(names), offsets)
        self.blocks[classname] = self.blocks.get(classname, ()) + (block,)

    def file_number(self, file: str) -> int:
        """The index of a file name, added on first sight; 0 for none."""
        number = self.file_index.get(file)
        if number is None:
            number = self.file_index[file] = len(self.file_names)
            self.file_names.append(file)
        return number

    def file_numbers(self, count: int) -> array[int]:
        """The file numbers, made on the first file: the `count` tests before have none."""
        if self.files is None:
            self.files = array("I", [0]) * count
        return self.files


def _scan(names: str, name: str) -> int:
    """The index of `name` among NUL-ended `names`, -1 when absent."""
    if names.startswith(name + "\0"):
        return 0
    at = names.find("\0" + name + "\0")
    return -1 if at < 0 else names.count("\0", 0, at + 1)


def _bisect(names: str, offsets: array[int], name: str) -> int:
    """The index of `name` among sorted NUL-ended `names` starting at `offsets`, else -1."""
    low, high = 0, len(offsets)
    while low < high:
        middle = (low + high) // 2
        start = offsets[middle]
        if names[start : names.index("\0", start)] < name:
            low = middle + 1
        else:
            high = middle
    if low < len(offsets):
        start = offsets[low]
        if names[start : names.index("\0", start)] == name:
            return low
    return -1


class _Open:
    """A classname's tests while a file is read: name -> packed state, times in dict order."""

    __slots__ = ("tests", "times", "files", "sealed")

    def __init__(self, sealed: bool) -> None:
        self.tests: dict[str, int] = {}
        self.times = array("d")
        self.files: array[int] | None = None  # file numbers, once a test has a file
        self.sealed = sealed  # whether earlier tests of the class are sealed in the store


class TestRun(msgspec.Struct, frozen=True, eq=False):
    """The tests of one run (a file, or shards combined); immutable.

    Storage order depends on input order, so runs do not define `==`: compare `stats()`,
    `ids()` and `outcome()`.
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
    _store: _Store

    def stats(self) -> dict[str, Any]:
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
        """The test's outcome ("passed", "failed", "error", "skipped"); None if not in the run."""
        packed = self._store.packed(test_id)
        return None if packed is None else _OUTCOMES[packed & 3]

    def record(self, test_id: str) -> TestRecord | None:
        """Outcome, flakiness and executions of one test; None when it is not in this run."""
        packed = self._store.packed(test_id)
        if packed is None:
            return None
        return TestRecord(test_id, _OUTCOMES[packed & 3], bool(packed & _FLAKY), packed >> _RUNS)

    def ids(self) -> tuple[str, ...]:
        """Every test id, sorted. Builds one string per test: prefer `changes()` on big runs."""
        return tuple(sorted(_full_id(row[0], row[1]) for row in self._store.rows()))

    def changes(self, before: TestRun) -> Iterator[tuple[str, str | None, str | None]]:
        """(id, outcome before, outcome after) of each test added, removed, whose outcome
        changed, or that fails in both runs; unsorted. The input of `diff_tests`."""
        mine, theirs = self._store, before._store
        for classname in mine.blocks.keys() | theirs.blocks.keys():
            now = {name: mine.states[p] for name, p in mine.tests(classname)}
            was = {name: theirs.states[p] for name, p in theirs.tests(classname)}
            for name, packed in now.items():
                old = was.get(name)
                if old is None:
                    yield _full_id(classname, name), None, _OUTCOMES[packed & 3]
                elif (old ^ packed) & 3 or packed & 3 >= _FAILED:
                    yield _full_id(classname, name), _OUTCOMES[old & 3], _OUTCOMES[packed & 3]
            for name, old in was.items():
                if name not in now:
                    yield _full_id(classname, name), _OUTCOMES[old & 3], None


# --- Public functions -------------------------------------------------------------------


def parse_junit(stream: BinaryIO, source: str) -> TestRun:
    """Read one JUnit, NUnit, xUnit.net or TRX file; `source` names it in error messages.

    Raises InputError (one line) for anything else: another root element, XML that is not
    well-formed or is truncated, an empty file, a DTD or entity declaration (never expanded).
    """
    # defusedxml's parser forbids DTDs and entities on its expat object; the element
    # callbacks are then set on that same object directly, since the per-element Python
    # layers of ElementTree or SAX double the time of a 500,000-case file.
    # A bare target: ElementTree installs none of its own callbacks (no tree, no text kept).
    xml = DefusedXMLParser(target=object(), forbid_dtd=True)
    start = _Start(source, xml.parser)
    size = 0
    try:
        while chunk := _read(stream, source):
            size += len(chunk)
            xml.feed(chunk)
        if not size:
            raise InputError(f"{source}: empty file")
        start.closing = True
        xml.close()
    except ParseError as err:
        raise InputError(_syntax_message(source, err, start)) from None
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as err:
        raise InputError(_declaration_message(source, err)) from None
    except (LookupError, ValueError) as err:
        if start.reader is not None:  # past the XML declaration: a bug, not bad input
            raise
        raise InputError(f"{source}: unsupported encoding ({_one_line(str(err))})") from None
    if start.reader is None:  # expat reports a missing root itself; this keeps types exact
        raise InputError(f"{source}: no XML element found")
    return start.reader.finish()


def combine_test_runs(runs: Sequence[TestRun]) -> TestRun:
    """Merge shards: the same id in two shards takes the worst outcome, runs and time summed.

    Order-independent: times add up exactly (`math.fsum`), a test's file is the smallest of
    its file attributes, and a failure's message comes from its worst shard, ties going to
    the smallest message.
    """
    if len(runs) == 1:
        return runs[0]
    builder = _Builder()
    # Class by class, so a class's tests from every shard meet in one small dict.
    for classname in dict.fromkeys(c for run in runs for c in run._store.blocks):
        builder.seal_class(classname, _merge_class(classname, runs))
    failures: dict[str, Failure] = {}
    for failure in chain.from_iterable(run.failures for run in runs):
        failures[failure.id] = _worse_failure(failures.get(failure.id), failure)
    flaky = {test_id for run in runs for test_id in run.flaky}
    return builder.build(math.fsum(run.time for run in runs), failures.values(), flaky)


def select_tests(run: TestRun, pattern: str) -> TestRun:
    """The tests whose file or classname matches a glob, e.g. `tests/soak/test_x.py`.

    A path glob also matches the dotted classname pytest writes without a `file` attribute:
    `tests/soak/test_x.py` selects classnames `tests.soak.test_x` and `tests.soak.test_x.T`;
    without a classname, a dotted name (NUnit 2's `Ns.Class.Test`) is matched the same way.
    The selection's time is the sum of its tests' times.
    """
    by_class, by_file = _selector(pattern)
    classes: dict[str, bool] = {}  # many tests share a classname: match each once
    builder = _Builder()
    times = []
    for classname, name, packed, seconds, file in run._store.rows():
        chosen = classes.get(classname)
        if chosen is None:
            chosen = classes[classname] = bool(classname) and by_class(classname)
        if chosen or (not classname and by_class(name)) or (file and by_file(file)):
            builder.merge(classname, name, packed, seconds, file)
            times.append(seconds)
    return builder.build(math.fsum(times), run.failures, run.flaky)


# --- Building runs ----------------------------------------------------------------------


def _full_id(classname: str, name: str) -> str:
    return f"{classname}::{name}" if classname else name


def _split_key(test_id: str) -> tuple[str, str]:
    """Storage key of an id: split at its first `::`. Every store goes through here (or
    `_key`), so equal ids are one test however a file split them into classname and name."""
    classname, sep, name = test_id.partition("::")
    return (classname, name) if sep else ("", test_id)


_OPEN_CLASSES = 64  # classnames kept as dicts while reading; older ones are sealed
_MAX_RUNS = (1 << 29) - 1  # runs fit the packed state's 32 bits


class _Builder:
    """Accumulates tests into a `_Store`; private and mutable.

    The classnames seen last stay open, as dicts that find a rerun fast; the least recently
    seen one is sealed into the store's compact form when too many are open. Producers
    write a class's cases together, so sealed classes rarely come back; when one does, its
    tests are found by binary search.
    """

    def __init__(self) -> None:
        self.store = _Store()
        self.open: dict[str, _Open] = {}  # least recently used first
        self.current_name: str | None = None
        self.current = _Open(False)
        self.flaky: set[tuple[str, str]] = set()
        self.failures: dict[tuple[str, str], tuple[int, str, str]] = {}
        # Times and files of tests seen more than once, applied by build(): few tests rerun,
        # so no position is kept per test.
        self.more_time: dict[tuple[str, str], list[float]] = {}
        self.more_files: dict[tuple[str, str], str] = {}

    def add(self, classname: str, name: str, seconds: float, file: str) -> None:
        """A test element without result elements: a pass. The common case, kept short."""
        tests = self.current
        if classname != self.current_name or tests.sealed or name in tests.tests or "::" in name:
            self.occurrence(classname, name, _PASSED, False, 1, seconds, file)
            return
        tests.tests[name] = _PASSED_ONCE
        tests.times.append(seconds)
        if file or tests.files is not None:
            _append_file(self.store, tests, file)

    def occurrence(
        self, classname: str, name: str, sev: int, flaky: bool, runs: int, seconds: float, file: str
    ) -> None:
        """One test element, in document order: a pass after a failure is a rerun."""
        packed = sev | (_FLAKY if flaky else 0) | min(runs, _MAX_RUNS) << _RUNS
        self._put(classname, name, packed, seconds, file)

    def merge(self, classname: str, name: str, packed: int, seconds: float, file: str) -> None:
        """A test of another run: worst outcome, runs summed, flaky only while passed."""
        self._put(classname, name, packed, seconds, file, rerun=False)

    def seal_class(self, classname: str, tests: Mapping[str, tuple[int, float, str]]) -> None:
        """A whole class at once: name -> (packed state, seconds, file)."""
        sealed = _Open(sealed=False)
        for name, (packed, seconds, file) in tests.items():
            self._insert(sealed, classname, name, packed, seconds, file)
        self.store.seal(classname, sealed)

    def failure(self, classname: str, name: str, sev: int, message: str, text: str) -> None:
        """A failing occurrence's message: the latest one of the worst severity is kept."""
        key = _key(classname, name)
        kept = self.failures.get(key)
        if kept is None or sev >= kept[0]:
            self.failures[key] = (sev, message, text)

    def build(
        self,
        time: float | None,
        failures: Iterable[Failure] | None = None,
        flaky: Iterable[str] | None = None,
    ) -> TestRun:
        """The run; without a time, the sum of the test times. Failures and flaky ids given
        for another run count where the outcome here agrees."""
        store = self.store
        for classname, tests in self.open.items():
            store.seal(classname, tests)
        self.open.clear()
        self._apply_repeats()
        if time is None:
            time = math.fsum(store.times)
        if failures is None:
            failures = [
                Failure(_full_id(*key), _OUTCOMES[sev], message, text)
                for key, (sev, message, text) in self.failures.items()
            ]
        if flaky is None:
            flaky = [_full_id(*key) for key in self.flaky]
        return _run(store, time, failures, flaky)

    def _put(
        self, classname: str, name: str, packed: int, seconds: float, file: str, rerun: bool = True
    ) -> None:
        if "::" in classname or (not classname and "::" in name):
            classname, name = _key(classname, name)
        tests = self.current if classname == self.current_name else self._switch(classname)
        old = tests.tests.get(name)
        if old is not None:
            tests.tests[name] = self._fold(classname, name, old, packed, rerun)
        else:
            position = self.store.find(classname, name) if tests.sealed else -1
            if position < 0:
                self._insert(tests, classname, name, packed, seconds, file)
                return
            old = self.store.states[position]
            self.store.states[position] = self._fold(classname, name, old, packed, rerun)
        self.more_time.setdefault((classname, name), []).append(seconds)
        if file:
            self.more_files[classname, name] = min(
                file, self.more_files.get((classname, name), file)
            )

    def _insert(
        self, tests: _Open, classname: str, name: str, packed: int, seconds: float, file: str
    ) -> None:
        tests.tests[name] = packed
        tests.times.append(seconds)
        if file or tests.files is not None:
            _append_file(self.store, tests, file)
        if packed & _FLAKY:
            self.flaky.add((classname, name))

    def _fold(self, classname: str, name: str, old: int, new: int, rerun: bool) -> int:
        """A test seen again: a pass after a failure is a rerun (within a file, `rerun`),
        otherwise the worst outcome counts; runs add up; flaky only while passed."""
        key = (classname, name)
        was, sev = old & 3, new & 3
        if rerun and sev == _PASSED and was >= _FAILED:
            self.failures.pop(key, None)
            packed = _PASSED | _FLAKY | _runs(old, new) << _RUNS
        else:
            packed = _worst(old, new)
        if packed & _FLAKY:
            self.flaky.add(key)
        else:
            self.flaky.discard(key)
        return packed

    def _switch(self, classname: str) -> _Open:
        """Make a classname the current one, sealing the least recently used if needed."""
        tests = self.open.pop(classname, None)
        if tests is None:
            tests = _Open(sealed=classname in self.store.blocks)
        self.open[classname] = tests
        if len(self.open) > _OPEN_CLASSES:
            oldest = next(iter(self.open))
            self.store.seal(oldest, self.open.pop(oldest))
        self.current_name, self.current = classname, tests
        return tests

    def _apply_repeats(self) -> None:
        """Times of tests seen more than once: all their times, summed exactly; and the
        smallest of their files. Kept aside until every test has its final position."""
        store = self.store
        for key in self.more_time.keys() | self.more_files.keys():
            position = store.find(*key)
            extra = self.more_time.get(key)
            if extra:
                store.times[position] = math.fsum([store.times[position], *extra])
            file = self.more_files.get(key)
            current = store.file_of(position)
            if file and (not current or file < current):
                store.file_numbers(len(store.states))[position] = store.file_number(file)


def _worst(old: int, new: int) -> int:
    """Two records of one test: the worst outcome, runs summed, flaky only while passed."""
    sev = max(old & 3, new & 3)
    flaky = (old | new) & _FLAKY if sev == _PASSED else 0
    return sev | flaky | _runs(old, new) << _RUNS


def _runs(old: int, new: int) -> int:
    return min((old >> _RUNS) + (new >> _RUNS), _MAX_RUNS)


def _merge_class(classname: str, runs: Sequence[TestRun]) -> dict[str, tuple[int, float, str]]:
    """One class's tests from every shard: worst outcome, exact sum of times, least file."""
    merged: dict[str, tuple[int, list[float], str]] = {}
    for run in runs:
        store = run._store
        for name, position in store.tests(classname):
            packed, seconds, file = (
                store.states[position],
                store.times[position],
                store.file_of(position),
            )
            kept = merged.get(name)
            if kept is None:
                merged[name] = (packed, [seconds], file)
                continue
            old, times, old_file = kept
            times.append(seconds)
            least = min(f for f in (old_file, file) if f) if old_file or file else ""
            merged[name] = (_worst(old, packed), times, least)
    return {
        name: (packed, math.fsum(times), file) for name, (packed, times, file) in merged.items()
    }


def _append_file(store: _Store, tests: _Open, file: str) -> None:
    """The file of the test just added to an open class (its last one)."""
    if tests.files is None:
        tests.files = array("I", [0]) * (len(tests.times) - 1)
    tests.files.append(store.file_number(file))


def _key(classname: str, name: str) -> tuple[str, str]:
    """(classname, name) as stored: split at the first `::` of the full id, so that equal
    ids are one test however the file split them."""
    if "::" in classname or (not classname and "::" in name):
        return _split_key(_full_id(classname, name))
    return classname, name


def _run(store: _Store, time: float, failures: Iterable[Failure], flaky: Iterable[str]) -> TestRun:
    """The immutable run over a store; failures and flaky ids whose outcome there differs
    are dropped."""
    counts = [0, 0, 0, 0]
    runs = 0
    # Few distinct packed states exist, so count those (in C) rather than every test.
    for packed, number in Counter(store.states).items():
        counts[packed & 3] += number
        runs += (packed >> _RUNS) * number
    kept = [f for f in failures if (store.packed(f.id) or 0) & 3 == _SEVERITY[f.outcome]]
    return TestRun(
        tests=sum(counts),
        passed=counts[_PASSED],
        failed=counts[_FAILED],
        errors=counts[_ERROR],
        skipped=counts[_SKIPPED],
        runs=runs,
        time=time,
        failures=tuple(sorted(kept, key=lambda f: (module_of(f.id), f.id))),
        flaky=tuple(sorted(t for t in flaky if (store.packed(t) or 0) & _FLAKY)),
        slowest=_slowest(store),
        _store=store,
    )


def _slowest(store: _Store) -> tuple[tuple[str, float], ...]:
    """The ten slowest tests with a time above zero; equal times in id order."""
    top = [t for t in heapq.nlargest(SLOWEST, store.times) if t > 0.0]
    if not top:
        return ()
    floor = top[-1]
    above: list[tuple[float, str]] = []
    at_floor: list[str] = []
    for classname, blocks in store.blocks.items():
        for names, first, count, _ in blocks:
            times = store.times[first : first + count]
            if max(times) < floor:
                continue
            for name, seconds in zip(names.split("\0")[:-1], times, strict=True):
                if seconds > floor:
                    above.append((-seconds, _full_id(classname, name)))
                elif seconds == floor:
                    at_floor.append(_full_id(classname, name))
                    if len(at_floor) > 4 * SLOWEST:
                        # Many tests may share the tenth time (1 ms resolution): keep the
                        # first ids only, so memory stays bounded.
                        at_floor = heapq.nsmallest(SLOWEST, at_floor)
    above.sort()
    first_ids = heapq.nsmallest(SLOWEST - len(above), at_floor)
    return tuple((i, -t) for t, i in above) + tuple((i, floor) for i in first_ids)


def _worse_failure(kept: Failure | None, new: Failure) -> Failure:
    if kept is None:
        return new
    rank_kept = (-_SEVERITY[kept.outcome], kept.message, kept.text)
    rank_new = (-_SEVERITY[new.outcome], new.message, new.text)
    return new if rank_new < rank_kept else kept


# --- Values found in result files -------------------------------------------------------

# Surefire writes long times with grouping commas ("1,234.5", "1,234"); .NET in a
# decimal-comma locale writes "0,288" or "35,5236617". Comma-separated groups of three
# digits after a non-zero lead are thousands; any other single comma is a decimal comma.
_GROUPED = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d*)?)")


def _seconds(text: str | None) -> float:
    """Seconds of a `time` attribute; 0 when absent, unreadable, negative or absurd."""
    if not text:
        return 0.0
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_with_commas(text.strip())
    return seconds if 0.0 <= seconds < _MAX_SECONDS else 0.0


def _seconds_with_commas(text: str) -> float:
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    elif text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return 0.0


def _timespan(text: str | None) -> float:
    """Seconds of a TRX duration, `[d.]hh:mm:ss[.fffffff]`; 0 when unreadable."""
    match = _TIMESPAN.fullmatch((text or "").strip())
    if match is None:
        return 0.0
    days, hours, minutes, seconds = match.groups()
    total = ((int(days or 0) * 24 + int(hours)) * 60 + int(minutes)) * 60 + float(seconds)
    return total if total < _MAX_SECONDS else 0.0


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def _clean(text: str) -> str:
    """Unix newlines, outer white space stripped, capped."""
    return _clip(text.replace("\r\n", "\n").replace("\r", "\n").strip())


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _one_line(text: str, limit: int = 80) -> str:
    """Text from a hostile file made safe for a one-line error message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class _Text:
    """Collects an element's character data, keeping at most TEXT_LIMIT characters."""

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


def _syntax_message(source: str, err: ParseError, start: _Start) -> str:
    what = _one_line(ErrorString(err.code) if isinstance(err.code, int) else str(err))
    line, column = err.position
    if start.closing and start.reader is None:
        return f"{source}: no XML element found"
    if start.closing:
        return f"{source}: truncated XML ({what} at line {line}, column {column})"
    return f"{source}: not well-formed XML ({what} at line {line}, column {column})"


def _declaration_message(source: str, err: Exception) -> str:
    name = _one_line(str(getattr(err, "name", "") or ""), 40)
    if isinstance(err, DTDForbidden) and name.lower() == "html":
        return f"{source}: not JUnit XML (an HTML page)"
    if isinstance(err, DTDForbidden):
        return f"{source}: DTDs are not accepted in test results (<!DOCTYPE {name}>)"
    return f"{source}: entity declarations are not accepted in test results"


class _Start:
    """Tells the format by the root element and hands expat's callbacks to its reader."""

    def __init__(self, source: str, expat: Any) -> None:
        self.source = source
        self.expat = expat
        self.reader: _Reader | None = None
        self.closing = False  # the final feed: an error now means the file ends too soon
        expat.ordered_attributes = False  # attributes as a dict
        expat.StartElementHandler = self.root

    def root(self, name: str, attrs: Attrs) -> None:
        local = name.rpartition("}")[2]  # expat reports namespaced names as "uri}local"
        reader_class = _READERS.get(local)
        if reader_class is None:
            raise InputError(f"{self.source}: not JUnit XML (root element <{_one_line(local)}>)")
        reader = self.reader = reader_class(self.source, local, self.expat)
        if local == name:
            self.expat.StartElementHandler = reader.start
            self.expat.EndElementHandler = reader.end
        else:
            self.expat.StartElementHandler = lambda n, a: reader.start(n.rpartition("}")[2], a)
            self.expat.EndElementHandler = lambda n: reader.end(n.rpartition("}")[2])
        reader.start(local, attrs)


class _Reader(ABC):
    """What the format readers share: depth, text capture, top-level suite times, names."""

    TOP = ""  # the top-level suite element, whose times add up to the run's time

    def __init__(self, source: str, root: str, expat: Any) -> None:
        self.source = source
        self.expat = expat
        self.builder = _Builder()
        self.depth = 0
        self.top = 1 if root == self.TOP else 2  # depth of the top-level suites
        self.suite_time = 0.0
        self.suite_timed = False
        self.unnamed = 0
        self.text: _Text | None = None
        self.text_depth = 0

    @abstractmethod
    def start(self, name: str, attrs: Attrs) -> None:
        """An element opens."""

    @abstractmethod
    def end(self, name: str) -> None:
        """An element closes."""

    def add_suite_time(self, value: str | None) -> None:
        if value is not None and value.strip():
            self.suite_timed = True
            self.suite_time += _seconds(value)

    def name_or_number(self, name: str) -> str:
        """A nameless test is a test of its own: numbered in document order and named after
        the file, so that shards never merge it with another."""
        if name:
            return name
        self.unnamed += 1
        return f"<unnamed #{self.unnamed} in {self.source}>"

    def capture(self) -> None:
        """Keep the character data of the element just started."""
        self.text = _Text()
        self.text_depth = self.depth
        self.expat.CharacterDataHandler = self.text.add

    def captured(self) -> str:
        assert self.text is not None
        value = self.text.value()
        self.text = None
        self.text_depth = 0
        self.expat.CharacterDataHandler = None
        return value

    def finish(self) -> TestRun:
        return self.builder.build(self.suite_time if self.suite_timed else None)


class _JUnitReader(_Reader):
    """`<testsuites>` or `<testsuite>`, suites nested at any depth, `<testcase>` inside."""

    TOP = "testsuite"
    # Result elements of a testcase: (severity or None, extra runs, keeps its text).
    # flakyFailure/flakyError (Surefire) are failed runs before the pass; rerunFailure and
    # rerunError are further failed runs of a test that never passed.
    RESULTS = {
        "failure": (_FAILED, 0, True),
        "error": (_ERROR, 0, True),
        "skipped": (_SKIPPED, 0, False),
        "rerunFailure": (_FAILED, 1, True),
        "rerunError": (_ERROR, 1, True),
        "flakyFailure": (None, 1, False),
        "flakyError": (None, 1, False),
    }
    SKIP_STATUS = frozenset({"disabled", "skipped", "skip", "ignored", "notrun", "not run"})

    def __init__(self, source: str, root: str, expat: Any) -> None:
        super().__init__(source, root, expat)
        self.case_depth = 0  # 0: outside a testcase
        self.case: Attrs = {}
        self.outcome: _Outcome | None = None  # None: no result element yet
        self.times: dict[str, float] = {}  # time attribute -> seconds

    def start(self, name: str, attrs: Attrs) -> None:
        depth = self.depth = self.depth + 1
        if self.case_depth:
            if depth == self.case_depth + 1 and name in self.RESULTS:
                self._result(name, attrs)
        elif name == "testcase":
            self.case_depth = depth
            self.case = attrs
            self.outcome = None
        elif name == "testsuite" and depth <= self.top:
            self.add_suite_time(attrs.get("time"))

    def end(self, name: str) -> None:
        depth = self.depth
        self.depth = depth - 1
        if depth != self.case_depth:
            if depth == self.text_depth and self.outcome is not None:
                self.outcome.text = self.captured()
            return
        self.case_depth = 0
        case = self.case
        # Producers round times (pytest: milliseconds), so few distinct values exist: a
        # dict lookup per case is much cheaper than float().
        time = case.get("time") or ""
        seconds = self.times.get(time)
        if seconds is None:
            seconds = _seconds(time)
            if len(self.times) < 4096:
                self.times[time] = seconds
        if self.outcome is not None or "status" in case:
            self._end_case(seconds)
            return
        # A plain pass: most cases of every file. The next new test of the current class
        # is stored right here (`_Builder.add`'s common case, without the call).
        classname = case.get("classname") or ""
        name = case.get("name")
        builder = self.builder
        tests = builder.current
        if (
            classname == builder.current_name
            and name
            and not tests.sealed
            and tests.files is None
            and "file" not in case
            and name not in tests.tests
            and "::" not in name
        ):
            tests.tests[name] = _PASSED_ONCE
            tests.times.append(seconds)
            return
        builder.add(classname, name or self.name_or_number(""), seconds, case.get("file", ""))

    def _result(self, name: str, attrs: Attrs) -> None:
        sev, runs, keeps_text = self.RESULTS[name]
        outcome = self.outcome
        if outcome is None:
            outcome = self.outcome = _Outcome()
        outcome.runs += runs
        if sev is None:
            outcome.flaky = True
            return
        if keeps_text and sev > outcome.sev:
            outcome.message = attrs.get("message") or ""
            outcome.text = ""
            self.capture()
        outcome.sev = max(outcome.sev, sev)

    def _end_case(self, seconds: float) -> None:
        case = self.case
        classname = case.get("classname") or ""
        name = case.get("name") or self.name_or_number("")
        outcome = self.outcome
        if outcome is None:
            status = case.get("status")
            sev = _SKIPPED if status and status.lower() in self.SKIP_STATUS else _PASSED
            self.builder.occurrence(classname, name, sev, False, 1, seconds, case.get("file", ""))
            return
        sev = outcome.sev
        if sev < 0:
            status = (case.get("status") or "").lower()
            sev = _SKIPPED if status in self.SKIP_STATUS else _PASSED
        flaky = outcome.flaky and sev == _PASSED
        file = case.get("file") or ""
        self.builder.occurrence(classname, name, sev, flaky, outcome.runs, seconds, file)
        if sev >= _FAILED:
            message = _clean(outcome.message) or _clip(_first_line(outcome.text))
            self.builder.failure(classname, name, sev, message, outcome.text)


class _Outcome:
    """The result elements seen in one testcase."""

    __slots__ = ("sev", "runs", "flaky", "message", "text")

    def __init__(self) -> None:
        self.sev = -1  # no failure, error or skipped element yet
        self.runs = 1
        self.flaky = False
        self.message = ""
        self.text = ""


class _NestedReader(_Reader):
    """Formats whose test element carries its result as an attribute and nests the failure
    message and stack trace in child elements: NUnit, xUnit.net, TRX."""

    CASE = ""  # the test element
    FAILURE = ""  # the element that holds a failure's details
    MESSAGE = ""  # the element holding a failure's message
    TRACE = ""  # the element holding its stack trace

    def __init__(self, source: str, root: str, expat: Any) -> None:
        super().__init__(source, root, expat)
        self.case_depth = 0
        self.texts: dict[str, str] = {}
        self.sev: int | None = None  # None: the attributes do not say; the children do
        self.failed = False

    def start(self, name: str, attrs: Attrs) -> None:
        depth = self.depth = self.depth + 1
        if self.case_depth:
            self.failed = self.failed or name == self.FAILURE
            if (name == self.MESSAGE or name == self.TRACE) and name not in self.texts:
                self.texts[name] = ""
                self.capture()
        elif name == self.CASE:
            self.case_depth = depth
            self.texts = {}
            self.failed = False
            self.start_case(attrs)
        else:
            self.start_other(name, attrs)

    def end(self, name: str) -> None:
        depth = self.depth
        self.depth = depth - 1
        if depth == self.case_depth:
            self.case_depth = 0
            sev = self.sev
            self.end_case(sev if sev is not None else _FAILED if self.failed else _PASSED)
        elif depth == self.text_depth:
            self.texts[name] = self.captured()

    def failure_texts(self) -> tuple[str, str]:
        """(message, text): the message element, else the trace's first line; both joined."""
        message, trace = self.texts.get(self.MESSAGE, ""), self.texts.get(self.TRACE, "")
        text = _clip("\n".join(part for part in (message, trace) if part))
        return message or _clip(_first_line(text)), text

    def add(self, classname: str, name: str, sev: int, seconds: float) -> None:
        self.builder.occurrence(classname, name, sev, False, 1, seconds, "")
        if sev >= _FAILED:
            self.builder.failure(classname, name, sev, *self.failure_texts())

    @abstractmethod
    def start_case(self, attrs: Attrs) -> None:
        """A test case (in this format's vocabulary) opens."""

    @abstractmethod
    def end_case(self, sev: int) -> None:
        """A test case closes with its worst result."""

    def start_other(self, name: str, attrs: Attrs) -> None:
        """An element outside the tests."""


class _NUnitReader(_NestedReader):
    """NUnit 3 `<test-run>` (or a bare `<test-suite>`) and NUnit 2 `<test-results>`."""

    TOP = "test-suite"
    CASE = "test-case"
    FAILURE = "failure"
    MESSAGE = "message"
    TRACE = "stack-trace"
    RESULTS = {
        "passed": _PASSED,
        "success": _PASSED,
        "warning": _PASSED,  # NUnit 3: passed, with a warning
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

    def start_other(self, name: str, attrs: Attrs) -> None:
        if name == "test-suite" and self.depth <= self.top:
            self.add_suite_time(attrs.get("duration") or attrs.get("time"))

    def start_case(self, attrs: Attrs) -> None:
        self.classname = attrs.get("classname") or ""
        self.name = self.name_or_number(attrs.get("name") or attrs.get("fullname") or "")
        self.seconds = _seconds(attrs.get("duration") or attrs.get("time"))
        self.sev = self._severity(attrs)

    def _severity(self, attrs: Attrs) -> int | None:
        sev = self.RESULTS.get((attrs.get("result") or "").lower())
        # NUnit 3 labels a test that threw "Error": an error, as JUnit counts it.
        if sev == _FAILED and (attrs.get("label") or "").lower() == "error":
            return _ERROR
        if sev is not None:
            return sev
        # NUnit 2.0-2.4 wrote no result, only executed= and success= (or a failure element).
        if (attrs.get("executed") or "").lower() == "false":
            return _SKIPPED
        return _FAILED if (attrs.get("success") or "").lower() == "false" else None

    def end_case(self, sev: int) -> None:
        self.add(self.classname, self.name, sev, self.seconds)


class _XUnitReader(_NestedReader):
    """xUnit.net v2 `<assemblies>` and v1 `<assembly>`: `<test type method name result>`."""

    TOP = "assembly"
    CASE = "test"
    FAILURE = "failure"
    MESSAGE = "message"
    TRACE = "stack-trace"
    RESULTS = {"pass": _PASSED, "fail": _FAILED, "skip": _SKIPPED, "notrun": _SKIPPED}

    def start_other(self, name: str, attrs: Attrs) -> None:
        if name == "assembly" and self.depth <= self.top:
            self.add_suite_time(attrs.get("time"))

    def start_case(self, attrs: Attrs) -> None:
        # The name repeats the type: "Ns.Class.Method(x: 1)" -> "Ns.Class::Method(x: 1)", so
        # each case of a theory stays a test of its own.
        classname = attrs.get("type") or ""
        name = attrs.get("name") or attrs.get("method") or ""
        self.classname = classname
        self.name = self.name_or_number(name.removeprefix(classname + ".") if classname else name)
        self.seconds = _seconds(attrs.get("time"))
        self.sev = self.RESULTS.get((attrs.get("result") or "").lower())

    def end_case(self, sev: int) -> None:
        self.add(self.classname, self.name, sev, self.seconds)


class _TrxReader(_NestedReader):
    """Visual Studio TRX: `<UnitTestResult>`, classnames from `<TestDefinitions>`."""

    CASE = "UnitTestResult"
    FAILURE = "ErrorInfo"
    MESSAGE = "Message"
    TRACE = "StackTrace"
    RESULTS = {
        "passed": _PASSED,
        "passedbutrunaborted": _PASSED,
        "completed": _PASSED,
        "warning": _PASSED,
        "failed": _FAILED,
        "timeout": _FAILED,
        "error": _ERROR,
        # The run stopped while the test ran: not a pass, and counting it as skipped
        # would hide a crash. NotExecuted, NotRunnable, Inconclusive, ... are skipped.
        "aborted": _ERROR,
    }

    def __init__(self, source: str, root: str, expat: Any) -> None:
        super().__init__(source, root, expat)
        # Definitions may follow the results, so results wait here for the end.
        self.results: list[tuple[str, str, int, float, tuple[str, str]]] = []
        self.classes: dict[str, str] = {}
        self.definition = ""

    def start_other(self, name: str, attrs: Attrs) -> None:
        if name == "UnitTest":
            self.definition = attrs.get("id") or ""
        elif name == "TestMethod" and self.definition:
            # Old MSTest writes "Ns.Class, Assembly, Version=..., Culture=...".
            self.classes[self.definition] = (attrs.get("className") or "").split(",")[0].strip()

    def start_case(self, attrs: Attrs) -> None:
        outcome = attrs.get("outcome")
        self.sev = self.RESULTS.get(outcome.lower(), _SKIPPED) if outcome else None
        self.case = (attrs.get("testId") or "", attrs.get("testName") or "")
        self.seconds = _timespan(attrs.get("duration"))

    def end_case(self, sev: int) -> None:
        (test_key, name), seconds = self.case, self.seconds
        texts = self.failure_texts() if sev >= _FAILED else ("", "")
        self.results.append((test_key, name, sev, seconds, texts))

    def finish(self) -> TestRun:
        for test_key, name, sev, seconds, texts in self.results:
            classname = self.classes.get(test_key, "")
            if classname:
                name = name.removeprefix(classname + ".")
            name = self.name_or_number(name)
            self.builder.occurrence(classname, name, sev, False, 1, seconds, "")
            if sev >= _FAILED:
                self.builder.failure(classname, name, sev, *texts)
        return super().finish()


_READERS: dict[str, Callable[[str, str, Any], _Reader]] = {
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


def _selector(pattern: str) -> tuple[Callable[[str], bool], Callable[[str], bool]]:
    """Predicates on a classname and on a file for a glob on files or classnames."""
    glob = pattern.strip().replace("\\", "/")
    globs = {glob, glob.replace("**/", "")}
    if glob.endswith("/"):  # a folder: everything under it
        globs = {g + "*" for g in globs}
    dotted = {g.removesuffix(".py").strip("/").replace("/", ".") for g in globs}
    file_re = _compile(globs)
    class_re = _compile(globs | dotted | {d + ".*" for d in dotted})

    def by_class(classname: str) -> bool:
        # Every prefix ending before a `::` is a candidate (Rust: `crate::module`).
        return any(class_re.match(c) for c in _prefixes(classname))

    def by_file(file: str) -> bool:
        return any(file_re.match(path) for path in _path_tails(file))

    return by_class, by_file


def _compile(globs: set[str]) -> re.Pattern[str]:
    return re.compile("|".join(translate(g) for g in sorted(globs) if g) or "(?!)")


def _prefixes(classname: str) -> Iterator[str]:
    start = 0
    while (found := classname.find("::", start)) >= 0:
        yield classname[:found]
        start = found + 2
    yield classname


def _path_tails(file: str) -> Iterator[str]:
    """A path and its tails after each `/`, so a relative glob matches an absolute path."""
    path = file.replace("\\", "/")
    yield path
    for index, char in enumerate(path[:-1]):
        if char == "/":
            yield path[index + 1 :]
