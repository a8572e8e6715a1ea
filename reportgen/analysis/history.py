"""Test history over the stored runs of the main line: flaky and slowing tests (pure).

A run is one stored measurement (a baseline snapshot, or a step archived with its reports),
oldest first. A test is flaky when, within the runs read, it passed only on a rerun, passed
and failed in two runs of one commit, or flipped between passing and failing at least twice
between consecutive runs it ran in: a single flip is a change of state (a break, or its fix),
which the before/after comparison already reports; a failure that comes and goes is not.
A test is slowing when its time (per execution) in the run a report is about, or else in
the newest stored run, exceeds the median of its times in the stored runs before it by more
than both a share and a number of seconds.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

import msgspec

from reportgen.analysis.test_run import SEV_FAILED, SEV_SKIPPED, full_id

if TYPE_CHECKING:
    from reportgen.analysis.test_run import TestRun

DEFAULT_RUNS = 20
MAX_HISTORY_RUNS = 1000
_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# Slowing needs this many earlier times, so one slow machine is not taken for a trend.
MIN_EARLIER = 3


class HistoryRun(msgspec.Struct, frozen=True):
    """One stored run: what it is called in a report, the commit it measured ("" when the
    store does not say), and its tests."""

    label: str
    commit: str
    tests: TestRun


class HistoryRules(msgspec.Struct, frozen=True):
    """How many runs are read, and what counts as slowing (`[history]` in the spec)."""

    runs: int = DEFAULT_RUNS
    slower_percent: float = 50.0
    slower_seconds: float = 0.5


class FlakyTest(msgspec.Struct, frozen=True):
    """`failed` of the `runs` it ran in (a pass on a rerun counts: it failed first); how
    often it flipped between passing and failing from one run to the next; `why` in words;
    the newest failure's message ("" when it only ever passed on a rerun)."""

    id: str
    failed: int
    runs: int
    flips: int
    why: str
    last_message: str


class SlowingTest(msgspec.Struct, frozen=True):
    """Its time in the newest run, and the median of its `earlier` times."""

    id: str
    time: float
    median: float
    earlier: int


class History(msgspec.Struct, frozen=True):
    """What the stored runs say: flaky tests (most failures first), slowing tests (largest
    slow-down first); ties in id order, so the same runs give the same lists."""

    runs: int
    rules: HistoryRules
    flaky: tuple[FlakyTest, ...]
    slowing: tuple[SlowingTest, ...]
    left_out: tuple[str, ...] = ()  # stored runs that could not be read, and why

    def known_flaky(self) -> dict[str, FlakyTest]:
        return {test.id: test for test in self.flaky}


def flaky_note(test: FlakyTest, where: str) -> str:
    """The words a report puts beside a failing test that is known flaky, `where` being
    "on main" (the stored runs' branch) or "in earlier steps"; its figures are the history
    table's (the runs it ran in)."""
    return f"flaky {where}: failed {test.failed} of the last {test.runs} runs"


def where_text(base: str) -> str:
    """Where stored runs come from, as a report says it: "on main" for runs of a branch,
    "on the base branch" when only its commit is known (GitLab gives the merge base's),
    "in earlier steps" for a milestone's archived steps."""
    if not base:
        return "in earlier steps"
    if _COMMIT_ID.fullmatch(base):
        return "on the base branch"
    return f"on {base}"


def known_flaky_notes(history: History, base: str) -> dict[str, str]:
    """Test id -> the note beside a failing test known flaky in the stored runs."""
    where = where_text(base)
    return {t.id: flaky_note(t, where) for t in history.flaky}


def read_history(
    runs: Sequence[HistoryRun],
    rules: HistoryRules,
    left_out: Sequence[str] = (),
    current: TestRun | None = None,
) -> History:
    """Flaky and slowing tests of `runs` (oldest first), class by class: memory holds one
    class of every run at a time. With `current` (the run a report is about), slowing
    compares its times with the stored runs'; without, the newest stored run's with the
    earlier ones'."""
    flaky: list[FlakyTest] = []
    slowing: list[SlowingTest] = []
    messages = [_Messages(run.tests) for run in runs]
    newest = len(runs) - 1
    for classname in _classnames(runs, current):
        per_run = [run.tests.class_results(classname) for run in runs]
        now = current.class_results(classname) if current is not None else {}
        for name in sorted(set(now).union(*per_run)):
            # (run, severity, passed on a rerun, seconds an execution) of every run the test
            # ran in: a rerun test's time is its executions' sum, and one slow pass is not
            # a slow-down.
            ran = [
                (i, found[0], found[1], found[2] / max(found[3], 1))
                for i, results in enumerate(per_run)
                if (found := results.get(name)) is not None and found[0] != SEV_SKIPPED
            ]
            test_id = full_id(classname, name)
            if current is not None:
                found = now.get(name)
                if found is not None and found[0] != SEV_SKIPPED:
                    this = (len(runs), found[0], found[1], found[2] / max(found[3], 1))
                    slow = _slowing(test_id, [*ran, this], rules)
                    if slow is not None:
                        slowing.append(slow)
            if not ran:
                continue
            flips = _flips(ran)
            why = _flaky_why(ran, runs, flips)
            if why:
                failed = [i for i, sev, rerun, _ in ran if sev >= SEV_FAILED or rerun]
                last = next((m for i in reversed(failed) if (m := messages[i].get(test_id))), "")
                flaky.append(FlakyTest(test_id, len(failed), len(ran), flips, why, last))
            if current is None and ran[-1][0] == newest:
                slow = _slowing(test_id, ran, rules)
                if slow is not None:
                    slowing.append(slow)
    flaky.sort(key=lambda t: (-t.failed, t.id))
    slowing.sort(key=lambda t: (t.median - t.time, t.id))
    return History(len(runs), rules, tuple(flaky), tuple(slowing), tuple(left_out))


def _classnames(runs: Sequence[HistoryRun], current: TestRun | None) -> Iterator[str]:
    names = {c for run in runs for c in run.tests.classnames()}
    if current is not None:
        names.update(current.classnames())
    return iter(sorted(names))


def _flips(ran: list[tuple[int, int, bool, float]]) -> int:
    return sum(1 for a, b in pairwise(ran) if (a[1] >= SEV_FAILED) != (b[1] >= SEV_FAILED))


def _flaky_why(
    ran: list[tuple[int, int, bool, float]], runs: Sequence[HistoryRun], flips: int
) -> str:
    reruns = sum(1 for _, _, rerun, _ in ran if rerun)
    if reruns:
        return f"passed on a rerun in {reruns} run{'s' * (reruns != 1)}"
    by_commit: dict[str, set[bool]] = {}
    for i, sev, _, _ in ran:
        if runs[i].commit:
            by_commit.setdefault(runs[i].commit, set()).add(sev >= SEV_FAILED)
    split = sorted(c for c, states in by_commit.items() if len(states) == 2)
    if split:
        return f"passed and failed on {split[0][:7]}"
    if flips >= 2:
        return f"flipped {flips} times"
    return ""


def _slowing(
    test_id: str, ran: list[tuple[int, int, bool, float]], rules: HistoryRules
) -> SlowingTest | None:
    earlier = [seconds for _, _, _, seconds in ran[:-1]]
    if len(earlier) < MIN_EARLIER:
        return None
    time = ran[-1][3]
    median = statistics.median(earlier)
    if time > median * (1 + rules.slower_percent / 100) and time - median > rules.slower_seconds:
        return SlowingTest(test_id, time, median, len(earlier))
    return None


class _Messages:
    """A run's failure messages by id, made on first use (most runs are never asked)."""

    def __init__(self, run: TestRun) -> None:
        self.run = run
        self.by_id: dict[str, str] | None = None

    def get(self, test_id: str) -> str:
        if self.by_id is None:
            self.by_id = {f.id: f.message for f in self.run.failures}
        return self.by_id.get(test_id, "")
