"""JUnit XML (pytest, Surefire, Gradle, Jest, ...): `<testsuites>` or `<testsuite>` at the root,
suites nested at any depth, `<testcase>` inside with its result elements."""

from __future__ import annotations

from typing import Any

from reportgen.analysis.test_run import (
    PASSED_ONCE,
    SEV_ERROR,
    SEV_FAILED,
    SEV_PASSED,
    SEV_SKIPPED,
    UnlistedSuite,
)
from reportgen.inputs.xml_reader import Attrs, Reader, clean, clip, first_line, parse_seconds


class JUnitReader(Reader):
    """`<testsuites>` or `<testsuite>`, suites nested at any depth, `<testcase>` inside."""

    TOP = "testsuite"
    # Result elements of a testcase: (severity or None, extra runs, keeps its text).
    # flakyFailure/flakyError (Surefire) are failed runs before the pass; rerunFailure and
    # rerunError are further failed runs of a test that never passed.
    RESULTS = {
        "failure": (SEV_FAILED, 0, True),
        "error": (SEV_ERROR, 0, True),
        "skipped": (SEV_SKIPPED, 0, False),
        "rerunFailure": (SEV_FAILED, 1, True),
        "rerunError": (SEV_ERROR, 1, True),
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
        self.cases = 0  # testcase elements seen
        # Open suites: [attributes, cases seen before it opened, whether it holds a suite].
        self.suites: list[list[Any]] = []

    def start(self, name: str, attrs: Attrs) -> None:
        depth = self.depth = self.depth + 1
        if self.case_depth:
            if depth == self.case_depth + 1 and name in self.RESULTS:
                self._result(name, attrs)
        elif name == "testcase":
            self.case_depth = depth
            self.case = attrs
            self.outcome = None
            self.cases += 1
        elif name in _SUITES:
            if self.suites:
                self.suites[-1][2] = True
            self.suites.append([attrs, self.cases, False])
            self._pytest_suite()
            if name == "testsuite" and depth <= self.top:
                self.add_suite_time(attrs.get("time"))

    def _pytest_suite(self) -> None:
        """Inside a suite pytest wrote (named "pytest", its default), a test case repeated
        after a pass is a rerun: pytest-rerunfailures leaves each failed attempt as an empty
        case (a pass, as read) before the final one."""
        self.builder.repeat_is_rerun = any(s[0].get("name") == "pytest" for s in self.suites)

    def end(self, name: str) -> None:
        depth = self.depth
        self.depth = depth - 1
        if depth != self.case_depth:
            if depth == self.text_depth and self.outcome is not None:
                self.outcome.text = self.captured()
            elif not self.case_depth and name in _SUITES and self.suites:
                attrs, cases_before, has_suites = self.suites.pop()
                self._pytest_suite()
                # A top-level suite with no case anywhere inside (or a root holding nothing)
                # is known by its totals only. An empty suite nested beside cases is not:
                # its parent's cases are its tests (NUnit's converters write those).
                if self.cases == cases_before and (
                    depth == self.top or (depth < self.top and not has_suites)
                ):
                    self._declared(attrs)
            return
        self.case_depth = 0
        case = self.case
        # Producers round times (pytest: milliseconds), so few distinct values exist: a
        # dict lookup per case is much cheaper than float().
        time = case.get("time") or ""
        seconds = self.times.get(time)
        if seconds is None:
            seconds = parse_seconds(time)
            if len(self.times) < 4096:
                self.times[time] = seconds
        if self.outcome is not None or "status" in case:
            self._end_case(seconds)
            return
        # A plain pass: most cases of every file. The next new test of the current class
        # is stored right here (`RunBuilder.add`'s common case, without the call).
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
            tests.tests[name] = PASSED_ONCE
            tests.times.append(seconds)
            return
        builder.add(classname, name or self.name_or_number(""), seconds, case.get("file", ""))

    def _declared(self, attrs: Attrs) -> None:
        """A top-level suite without test cases: its declared counts, if any, are its tests
        (producers that write only totals), so a failure there is not lost."""
        failed, errors, skipped = (
            _count(attrs.get(key)) for key in ("failures", "errors", "skipped")
        )
        tests = max(_count(attrs.get("tests")), failed + errors + skipped)
        if tests:
            name = clip(clean(attrs.get("name") or "")) or f"(unnamed suite in {self.source})"
            self.builder.unlisted.append(UnlistedSuite(name, tests, failed, errors, skipped))

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
            sev = SEV_SKIPPED if status and status.lower() in self.SKIP_STATUS else SEV_PASSED
            self.builder.occurrence(classname, name, sev, False, 1, seconds, case.get("file", ""))
            return
        sev = outcome.sev
        if sev < 0:
            status = (case.get("status") or "").lower()
            sev = SEV_SKIPPED if status in self.SKIP_STATUS else SEV_PASSED
        flaky = outcome.flaky and sev == SEV_PASSED
        file = case.get("file") or ""
        self.builder.occurrence(classname, name, sev, flaky, outcome.runs, seconds, file)
        if sev >= SEV_FAILED:
            message = clean(outcome.message) or clip(first_line(outcome.text))
            self.builder.failure(classname, name, sev, message, outcome.text)


_SUITES = frozenset({"testsuite", "testsuites"})
# A declared count above this is not a count of tests (the largest real runs hold ~10^6).
_MAX_DECLARED = 10**8


def _count(text: str | None) -> int:
    """A declared count attribute: a non-negative whole number, else 0."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return 0
    value = int(text)
    return value if value <= _MAX_DECLARED else 0


class _Outcome:
    """The result elements seen in one testcase."""

    __slots__ = ("sev", "runs", "flaky", "message", "text")

    def __init__(self) -> None:
        self.sev = -1  # no failure, error or skipped element yet
        self.runs = 1
        self.flaky = False
        self.message = ""
        self.text = ""
