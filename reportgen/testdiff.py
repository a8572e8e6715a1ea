"""Before/after comparison of two test runs, and test ids read as names (pure).

Ids are `classname::name`, `name` alone without a classname. A parametrised case ends in
`[...]` (pytest, tst) or `(...)` (NUnit, xUnit.net): `m::test_merge[full-chain]` is a case of
the function `m::test_merge` with parameters `full-chain`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    from reportgen.junit import TestRun

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


def module_of(test_id: str) -> str:
    """The module a test belongs to, for grouping failures; "" when the id has no classname.

    `tests.soak.test_x.TestY::test_z[1]` -> `tests.soak.test_x`; `com.acme.FooTest::bar` ->
    `com.acme`; a classname without a lower-case part (`Acme.Tests.Foo`) is its own module.
    """
    return _module_of_classname(split_test_id(test_id)[0])


@functools.lru_cache(maxsize=4096)  # many failures share a classname
def _module_of_classname(classname: str) -> str:
    parts = classname.split(".")
    for last in range(len(parts) - 1, -1, -1):
        if parts[last][:1].islower() or parts[last][:1] == "_":
            return ".".join(parts[: last + 1])
    return classname


def split_test_id(test_id: str) -> tuple[str, str]:
    """(classname, name) for display: the last `::` before any trailing parameters splits.

    `a.b::test_x[p::q]` -> (`a.b`, `test_x[p::q]`); Rust's `crate::mod::test` ->
    (`crate::mod`, `test`); an id without `::` has no classname.
    """
    bracket = _parameter_start(test_id)
    head = test_id if bracket < 0 else test_id[:bracket]
    classname, sep, _ = head.rpartition("::")
    if not sep:
        return "", test_id
    return classname, test_id[len(classname) + 2 :]


def split_parameters(test_id: str) -> tuple[str, str | None]:
    """(function id, parameters) of a parametrised id, else (id, None).

    `m::test_merge[full-chain]` -> (`m::test_merge`, `full-chain`); `C::Method(1, 2)` ->
    (`C::Method`, `1, 2`). A name with white space before the bracket is a sentence
    ("renders (dark mode)"), not a call.
    """
    start = _parameter_start(test_id)
    if start <= 0:
        return test_id, None
    function = test_id[:start]
    name = function.rpartition("::")[2]
    if not name or any(c.isspace() for c in name):
        return test_id, None
    return function, test_id[start + 1 : -1]


def _parameter_start(test_id: str) -> int:
    """Index of the bracket opening a trailing, balanced `[...]` or `(...)`, else -1."""
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
