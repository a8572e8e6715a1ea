"""The tests of one run, as an immutable model over a compact store, and shards merged.

The readers of `reportgen.inputs` fill a `RunBuilder`; `combine_test_runs` merges shards. One
module over 500 lines because the store, its builder and the run over it share the packed
layout below and nothing else should know it.

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
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import accumulate, chain
from operator import add
from typing import Annotated, Any

import msgspec

from reportgen.analysis.test_ids import module_of
from reportgen.errors import quote

PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"

# Severities: the worst outcome is the largest number.
SEV_SKIPPED, SEV_PASSED, SEV_FAILED, SEV_ERROR = 0, 1, 2, 3
OUTCOMES = (SKIPPED, PASSED, FAILED, ERROR)
SEVERITY = {name: sev for sev, name in enumerate(OUTCOMES)}

# A test's packed state: severity in bits 0-1, flaky in bit 2, runs from bit 3. While a class
# is open its states are ints, which CPython shares up to 256 (fewer than 32 runs).
_FLAKY = 4
_RUNS = 3
PASSED_ONCE = SEV_PASSED | 1 << _RUNS

SLOWEST = 10


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


class UnlistedSuite(msgspec.Struct, frozen=True):
    """A suite that declares its counts but lists no test case (some producers write only
    totals): its tests count in the run's figures, though none has an id."""

    name: str
    tests: int
    failed: int
    errors: int
    skipped: int

    @property
    def passed(self) -> int:
        return self.tests - self.failed - self.errors - self.skipped


class TestRecord(msgspec.Struct, frozen=True):
    """One test of a run: outcome, whether it passed only on a rerun, and executions."""

    __test__ = False  # not a pytest test class

    id: str
    outcome: str
    flaky: bool
    runs: int


# (names, first, count, offsets): see TestStore.
_Block = tuple[str, int, int, "array[int] | None"]
# A class with more tests than this is sorted by name once, for a binary search; a smaller
# one stays in reading order and is searched by one scan of its names, in C.
_SORTED_BLOCK = 512


class TestStore:
    """Every test of a run, compact: per classname, blocks of tests.

    A block `(names, first, count, offsets)` holds `count` tests: `names` is their names,
    each ended by NUL (XML text never holds one), and positions first..first+count-1 of the
    arrays are theirs in the same order. Blocks keep reading order; a block of more than
    `_SORTED_BLOCK` tests is sorted by name instead, with `offsets` where each name starts.
    A test costs its name's characters and 17 bytes, where a dict entry and a str object
    would cost over 100. Filled by `RunBuilder`, never changed once a `TestRun` holds it.
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

    def seal(self, classname: str, tests: OpenClass) -> None:
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


class OpenClass:
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
    _store: TestStore
    # Suites counted from their declared totals, their tests not listed one by one.
    unlisted: tuple[UnlistedSuite, ...] = ()

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
        return None if packed is None else OUTCOMES[packed & 3]

    def record(self, test_id: str) -> TestRecord | None:
        """Outcome, flakiness and executions of one test; None when it is not in this run."""
        packed = self._store.packed(test_id)
        if packed is None:
            return None
        return TestRecord(test_id, OUTCOMES[packed & 3], bool(packed & _FLAKY), packed >> _RUNS)

    def file(self, test_id: str) -> str:
        """The test's `file` attribute ("" when it has none or is not in this run)."""
        position = self._store.find(*_split_key(test_id))
        return "" if position < 0 else self._store.file_of(position)

    def ids(self) -> tuple[str, ...]:
        """Every test id, sorted. Builds one string per test: prefer `changes()` on big runs."""
        return tuple(sorted(full_id(row[0], row[1]) for row in self._store.rows()))

    def classnames(self) -> Iterator[str]:
        """Every classname of the run, in storage order."""
        return iter(self._store.blocks)

    def class_results(self, classname: str) -> dict[str, tuple[int, bool, float, int]]:
        """name -> (severity, passed only on a rerun, seconds, executions) of one class's
        tests: a run's tests a class at a time, so comparing many runs keeps one class in
        memory. A test run more than once has the sum of its executions' times."""
        store = self._store
        states, times = store.states, store.times
        return {
            name: (states[p] & 3, bool(states[p] & _FLAKY), times[p], states[p] >> _RUNS)
            for name, p in store.tests(classname)
        }

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
                    yield full_id(classname, name), None, OUTCOMES[packed & 3]
                elif (old ^ packed) & 3 or packed & 3 >= SEV_FAILED:
                    yield full_id(classname, name), OUTCOMES[old & 3], OUTCOMES[packed & 3]
            for name, old in was.items():
                if name not in now:
                    yield full_id(classname, name), OUTCOMES[old & 3], None


# --- Public functions -------------------------------------------------------------------


def combine_test_runs(runs: Sequence[TestRun]) -> TestRun:
    """Merge shards: the same id in two shards takes the worst outcome, runs and time summed.

    Order-independent: times add up exactly (`math.fsum`), a test's file is the smallest of
    its file attributes, and a failure's message comes from its worst shard, ties going to
    the smallest message.
    """
    if len(runs) == 1:
        return runs[0]
    builder = RunBuilder()
    # Class by class, so a class's tests from every shard meet in one small dict.
    for classname in dict.fromkeys(c for run in runs for c in run._store.blocks):
        builder.seal_class(classname, _merge_class(classname, runs))
    failures: dict[str, Failure] = {}
    for failure in chain.from_iterable(run.failures for run in runs):
        failures[failure.id] = _worse_failure(failures.get(failure.id), failure)
    flaky = {test_id for run in runs for test_id in run.flaky}
    builder.unlisted = [suite for run in runs for suite in run.unlisted]
    return builder.build(math.fsum(run.time for run in runs), failures.values(), flaky)


# --- Building runs ----------------------------------------------------------------------


def full_id(classname: str, name: str) -> str:
    return f"{classname}::{name}" if classname else name


def _split_key(test_id: str) -> tuple[str, str]:
    """Storage key of an id: split at its first `::`. Every store goes through here (or
    `_key`), so equal ids are one test however a file split them into classname and name."""
    classname, sep, name = test_id.partition("::")
    return (classname, name) if sep else ("", test_id)


_OPEN_CLASSES = 64  # classnames kept as dicts while reading; older ones are sealed
_MAX_RUNS = (1 << 29) - 1  # runs fit the packed state's 32 bits


class RunBuilder:
    """Accumulates tests into a `TestStore`; private and mutable.

    The classnames seen last stay open, as dicts that find a rerun fast; the least recently
    seen one is sealed into the store's compact form when too many are open. Producers
    write a class's cases together, so sealed classes rarely come back; when one does, its
    tests are found by binary search.
    """

    def __init__(self) -> None:
        self.store = TestStore()
        self.open: dict[str, OpenClass] = {}  # least recently used first
        self.current_name: str | None = None
        self.current = OpenClass(False)
        self.flaky: set[tuple[str, str]] = set()
        self.failures: dict[tuple[str, str], tuple[int, str, str]] = {}
        # Times and files of tests seen more than once, applied by build(): few tests rerun,
        # so no position is kept per test.
        self.more_time: dict[tuple[str, str], list[float]] = {}
        self.more_files: dict[tuple[str, str], str] = {}
        self.unlisted: list[UnlistedSuite] = []
        # Whether a case repeated after a pass is a rerun of a failed attempt (set by a
        # reader for producers that write failed attempts as empty cases).
        self.repeat_is_rerun = False

    def add(self, classname: str, name: str, seconds: float, file: str) -> None:
        """A test element without result elements: a pass. The common case, kept short."""
        tests = self.current
        if classname != self.current_name or tests.sealed or name in tests.tests or "::" in name:
            self.occurrence(classname, name, SEV_PASSED, False, 1, seconds, file)
            return
        tests.tests[name] = PASSED_ONCE
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
        sealed = OpenClass(sealed=False)
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
                Failure(full_id(*key), OUTCOMES[sev], message, text)
                for key, (sev, message, text) in self.failures.items()
            ]
        if flaky is None:
            flaky = [full_id(*key) for key in self.flaky]
        return _run(store, time, failures, flaky, tuple(self.unlisted))

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
        self, tests: OpenClass, classname: str, name: str, packed: int, seconds: float, file: str
    ) -> None:
        tests.tests[name] = packed
        tests.times.append(seconds)
        if file or tests.files is not None:
            _append_file(self.store, tests, file)
        if packed & _FLAKY:
            self.flaky.add((classname, name))

    def _fold(self, classname: str, name: str, old: int, new: int, rerun: bool) -> int:
        """A test seen again: a pass after a failure is a rerun (within a file, `rerun`),
        and so is a pass after a pass where `repeat_is_rerun`; otherwise the worst outcome
        counts; runs add up; flaky only while passed."""
        key = (classname, name)
        was, sev = old & 3, new & 3
        failed_before = was >= SEV_FAILED or (self.repeat_is_rerun and was == SEV_PASSED)
        if rerun and sev == SEV_PASSED and failed_before:
            self.failures.pop(key, None)
            packed = SEV_PASSED | _FLAKY | _runs(old, new) << _RUNS
        else:
            packed = _worst(old, new)
        if packed & _FLAKY:
            self.flaky.add(key)
        else:
            self.flaky.discard(key)
        return packed

    def _switch(self, classname: str) -> OpenClass:
        """Make a classname the current one, sealing the least recently used if needed."""
        tests = self.open.pop(classname, None)
        if tests is None:
            tests = OpenClass(sealed=classname in self.store.blocks)
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
    flaky = (old | new) & _FLAKY if sev == SEV_PASSED else 0
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


def _append_file(store: TestStore, tests: OpenClass, file: str) -> None:
    """The file of the test just added to an open class (its last one)."""
    if tests.files is None:
        tests.files = array("I", [0]) * (len(tests.times) - 1)
    tests.files.append(store.file_number(file))


def _key(classname: str, name: str) -> tuple[str, str]:
    """(classname, name) as stored: split at the first `::` of the full id, so that equal
    ids are one test however the file split them."""
    if "::" in classname or (not classname and "::" in name):
        return _split_key(full_id(classname, name))
    return classname, name


def _run(
    store: TestStore,
    time: float,
    failures: Iterable[Failure],
    flaky: Iterable[str],
    unlisted: tuple[UnlistedSuite, ...] = (),
) -> TestRun:
    """The immutable run over a store; failures and flaky ids whose outcome there differs
    are dropped. Unlisted suites add their declared counts."""
    counts = [0, 0, 0, 0]
    runs = 0
    for suite in unlisted:
        counts[SEV_PASSED] += suite.passed
        counts[SEV_FAILED] += suite.failed
        counts[SEV_ERROR] += suite.errors
        counts[SEV_SKIPPED] += suite.skipped
        runs += suite.tests
    # Few distinct packed states exist, so count those (in C) rather than every test.
    for packed, number in Counter(store.states).items():
        counts[packed & 3] += number
        runs += (packed >> _RUNS) * number
    kept = [f for f in failures if (store.packed(f.id) or 0) & 3 == SEVERITY[f.outcome]]
    return TestRun(
        tests=sum(counts),
        passed=counts[SEV_PASSED],
        failed=counts[SEV_FAILED],
        errors=counts[SEV_ERROR],
        skipped=counts[SEV_SKIPPED],
        runs=runs,
        time=time,
        failures=tuple(sorted(kept, key=lambda f: (module_of(f.id), f.id))),
        flaky=tuple(sorted(t for t in flaky if (store.packed(t) or 0) & _FLAKY)),
        slowest=_slowest(store),
        _store=store,
        unlisted=unlisted,
    )


def _slowest(store: TestStore) -> tuple[tuple[str, float], ...]:
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
                    above.append((-seconds, full_id(classname, name)))
                elif seconds == floor:
                    at_floor.append(full_id(classname, name))
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
    rank_kept = (-SEVERITY[kept.outcome], kept.message, kept.text)
    rank_new = (-SEVERITY[new.outcome], new.message, new.text)
    return new if rank_new < rank_kept else kept


# --- Runs rebuilt from stored records ----------------------------------------------------

# A JSON summary's `tests.records`: per outcome, id -> seconds; `runs`: id -> executions of
# the tests that ran more than once. Seconds are bounded so that a sum of them stays finite
# (a billion seconds is over thirty years).
MAX_SECONDS = 1e9
_Seconds = dict[str, Annotated[float, msgspec.Meta(ge=0, le=MAX_SECONDS)]]


class Records(msgspec.Struct, forbid_unknown_fields=True):
    passed: _Seconds = {}
    failed: _Seconds = {}
    error: _Seconds = {}
    skipped: _Seconds = {}
    runs: dict[str, Annotated[int, msgspec.Meta(ge=2, le=_MAX_RUNS)]] = {}


def records_of(run: TestRun) -> dict[str, dict[str, Any]]:
    """Every test of a run as a summary's `tests.records`, ids sorted within each part."""
    parts: dict[str, list[tuple[str, Any]]] = {name: [] for name in (*OUTCOMES[1:], SKIPPED)}
    runs = []
    for classname in run.classnames():
        for name, (severity, _, seconds, executions) in run.class_results(classname).items():
            test_id = full_id(classname, name)
            parts[OUTCOMES[severity]].append((test_id, round(seconds, 6)))
            if executions > 1:
                runs.append((test_id, executions))
    shaped: dict[str, dict[str, Any]] = {name: dict(sorted(rows)) for name, rows in parts.items()}
    shaped["runs"] = dict(sorted(runs))
    return shaped


def run_from_records(
    records: Any,
    flaky: Iterable[str] = (),
    failures: Iterable[tuple[str, str, str]] = (),
    time: float | None = None,
) -> TestRun:
    """A run rebuilt from a JSON summary's `tests.records` (see `records_of`), its
    `tests.flaky` ids (passed only on a rerun) and `tests.failures` as (id, outcome,
    message); `time` is the run's total (default: the sum of the tests' times).

    The records come from archived files, so their shape is checked: ValueError says where
    they are not outcome parts of `{id: seconds}` with 0 <= seconds <= 1e9, or a test is
    listed under two outcomes.
    """
    try:
        # In C: a summary holds every test of its run, hundreds of thousands in a monorepo.
        checked = msgspec.convert(records, Records)
    except msgspec.ValidationError as err:
        raise ValueError(f"tests.records: {err}") from None
    reruns = set(flaky)
    classes: dict[str, dict[str, tuple[int, float, str]]] = {}
    for outcome in OUTCOMES:
        sev = SEVERITY[outcome]
        for test_id, seconds in getattr(checked, outcome).items():
            executions = checked.runs.get(test_id, 1)
            flag = _FLAKY if sev == SEV_PASSED and test_id in reruns else 0
            # Split as every id is stored, at its first "::", so the run's ids are the records'.
            classname, name = _split_key(test_id)
            tests = classes.setdefault(classname, {})
            if name in tests:
                raise ValueError(f"tests.records: {quote(test_id)} is listed twice")
            tests[name] = (sev | flag | executions << _RUNS, seconds, "")
    builder = RunBuilder()
    for classname, tests in classes.items():
        builder.seal_class(classname, tests)
    kept = [Failure(i, outcome, message, message) for i, outcome, message in failures]
    return builder.build(time, kept)
