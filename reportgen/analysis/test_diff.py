"""Before/after comparison of two test runs (pure); ids are read as names by `test_ids`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import msgspec

from reportgen.analysis.test_ids import split_parameters

if TYPE_CHECKING:
    from reportgen.analysis.test_run import TestRun

_SEVERITY = {"skipped": 0, "passed": 1, "failed": 2, "error": 3}
_FAILING = frozenset({"failed", "error"})


class TestGroup(msgspec.Struct, frozen=True):
    """A test function and its cases: `(parameters, outcome)`; "" for an unparametrised test."""

    __test__ = False  # not a pytest test class

    function_id: str
    cases: tuple[tuple[str, str], ...]

    @property
    def count(self) -> int:
        return len(self.cases)

    @property
    def outcome(self) -> str:
        """The worst outcome of the cases."""
        return max((o for _, o in self.cases), key=_SEVERITY.__getitem__, default="passed")


class TestsDiff(msgspec.Struct, frozen=True):
    """What changed between two runs; every tuple holds sorted ids."""

    __test__ = False  # not a pytest test class

    added: tuple[str, ...]
    removed: tuple[str, ...]
    regressions: tuple[str, ...]  # passed before, failed or error now
    fixed: tuple[str, ...]  # failed or error before, passed now
    still_failing: tuple[str, ...]  # failed or error in both runs
    flaky: tuple[str, ...]  # passed only on a rerun in the after run
    added_groups: tuple[TestGroup, ...]  # `added` under their functions, with outcomes
    removed_groups: tuple[TestGroup, ...]  # `removed`, with their outcomes before
    # Failed now, passed before, and known flaky on the main line: apart from `regressions`.
    known_flaky: tuple[str, ...] = ()


def diff_tests(before: TestRun | None, after: TestRun) -> TestsDiff:
    """Compare the before run with the after run; without a before run only `flaky` is set."""
    if before is None:
        return TestsDiff((), (), (), (), (), after.flaky, (), ())
    kinds: dict[str, list[str]] = {kind: [] for kind in _KINDS}
    for test_id, was, now in after.changes(before):
        kind = _kind(was, now)
        if kind is not None:
            kinds[kind].append(test_id)
    added, removed, regressions, fixed, still = (tuple(sorted(kinds[k])) for k in _KINDS)
    return TestsDiff(
        added=added,
        removed=removed,
        regressions=regressions,
        fixed=fixed,
        still_failing=still,
        flaky=after.flaky,
        added_groups=group_parametrized(after, added),
        removed_groups=group_parametrized(before, removed),
    )


_KINDS = ("added", "removed", "regressions", "fixed", "still_failing")


def _kind(was: str | None, now: str | None) -> str | None:
    """Which list of TestsDiff a test with these outcomes before and after belongs to."""
    if was is None:
        return "added"
    if now is None:
        return "removed"
    if was == "passed" and now in _FAILING:
        return "regressions"
    if was in _FAILING:
        return "fixed" if now == "passed" else "still_failing" if now in _FAILING else None
    return None


def group_parametrized(run: TestRun, ids: Iterable[str]) -> tuple[TestGroup, ...]:
    """Ids grouped under their test function, each case with its outcome in `run`.

    `m::test_merge[defaults-only]` and `m::test_merge[full-chain]` -> one group `m::test_merge`
    of 2 cases. Groups are sorted by function id, cases by parameters; an id missing from
    `run` is left out.
    """
    groups: dict[str, list[tuple[str, str]]] = {}
    for test_id in ids:
        outcome = run.outcome(test_id)
        if outcome is None:
            continue
        function, params = split_parameters(test_id)
        groups.setdefault(function, []).append((params or "", outcome))
    return tuple(TestGroup(f, tuple(sorted(cases))) for f, cases in sorted(groups.items()))
