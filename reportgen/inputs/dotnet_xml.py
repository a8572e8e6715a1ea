"""Test results of .NET runners: NUnit 3 and 2, xUnit.net v2 and v1, Visual Studio TRX. Their test
element carries its result as an attribute and nests the failure's message and stack trace."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from reportgen.analysis.test_run import SEV_ERROR, SEV_FAILED, SEV_PASSED, SEV_SKIPPED, TestRun
from reportgen.inputs.xml_reader import (
    Attrs,
    Reader,
    clip,
    first_line,
    parse_seconds,
    parse_timespan,
)


class NestedReader(Reader):
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
            self.end_case(sev if sev is not None else SEV_FAILED if self.failed else SEV_PASSED)
        elif depth == self.text_depth:
            self.texts[name] = self.captured()

    def failure_texts(self) -> tuple[str, str]:
        """(message, text): the message element, else the trace's first line; both joined."""
        message, trace = self.texts.get(self.MESSAGE, ""), self.texts.get(self.TRACE, "")
        text = clip("\n".join(part for part in (message, trace) if part))
        return message or clip(first_line(text)), text

    def add(self, classname: str, name: str, sev: int, seconds: float) -> None:
        self.builder.occurrence(classname, name, sev, False, 1, seconds, "")
        if sev >= SEV_FAILED:
            self.builder.failure(classname, name, sev, *self.failure_texts())

    @abstractmethod
    def start_case(self, attrs: Attrs) -> None:
        """A test case (in this format's vocabulary) opens."""

    @abstractmethod
    def end_case(self, sev: int) -> None:
        """A test case closes with its worst result."""

    def start_other(self, name: str, attrs: Attrs) -> None:
        """An element outside the tests."""


class NUnitReader(NestedReader):
    """NUnit 3 `<test-run>` (or a bare `<test-suite>`) and NUnit 2 `<test-results>`."""

    TOP = "test-suite"
    CASE = "test-case"
    FAILURE = "failure"
    MESSAGE = "message"
    TRACE = "stack-trace"
    RESULTS = {
        "passed": SEV_PASSED,
        "success": SEV_PASSED,
        "warning": SEV_PASSED,  # NUnit 3: passed, with a warning
        "failed": SEV_FAILED,
        "failure": SEV_FAILED,
        "error": SEV_ERROR,
        "skipped": SEV_SKIPPED,
        "ignored": SEV_SKIPPED,
        "notrunnable": SEV_SKIPPED,
        "inconclusive": SEV_SKIPPED,
        "explicit": SEV_SKIPPED,
        "notrun": SEV_SKIPPED,
        "cancelled": SEV_SKIPPED,
    }

    def start_other(self, name: str, attrs: Attrs) -> None:
        if name == "test-suite" and self.depth <= self.top:
            self.add_suite_time(attrs.get("duration") or attrs.get("time"))

    def start_case(self, attrs: Attrs) -> None:
        self.classname = attrs.get("classname") or ""
        self.name = self.name_or_number(attrs.get("name") or attrs.get("fullname") or "")
        self.seconds = parse_seconds(attrs.get("duration") or attrs.get("time"))
        self.sev = self._severity(attrs)

    def _severity(self, attrs: Attrs) -> int | None:
        sev = self.RESULTS.get((attrs.get("result") or "").lower())
        # NUnit 3 labels a test that threw "Error": an error, as JUnit counts it.
        if sev == SEV_FAILED and (attrs.get("label") or "").lower() == "error":
            return SEV_ERROR
        if sev is not None:
            return sev
        # NUnit 2.0-2.4 wrote no result, only executed= and success= (or a failure element).
        if (attrs.get("executed") or "").lower() == "false":
            return SEV_SKIPPED
        return SEV_FAILED if (attrs.get("success") or "").lower() == "false" else None

    def end_case(self, sev: int) -> None:
        self.add(self.classname, self.name, sev, self.seconds)


class XUnitReader(NestedReader):
    """xUnit.net v2 `<assemblies>` and v1 `<assembly>`: `<test type method name result>`."""

    TOP = "assembly"
    CASE = "test"
    FAILURE = "failure"
    MESSAGE = "message"
    TRACE = "stack-trace"
    RESULTS = {"pass": SEV_PASSED, "fail": SEV_FAILED, "skip": SEV_SKIPPED, "notrun": SEV_SKIPPED}

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
        self.seconds = parse_seconds(attrs.get("time"))
        self.sev = self.RESULTS.get((attrs.get("result") or "").lower())

    def end_case(self, sev: int) -> None:
        self.add(self.classname, self.name, sev, self.seconds)


class TrxReader(NestedReader):
    """Visual Studio TRX: `<UnitTestResult>`, classnames from `<TestDefinitions>`."""

    CASE = "UnitTestResult"
    FAILURE = "ErrorInfo"
    MESSAGE = "Message"
    TRACE = "StackTrace"
    RESULTS = {
        "passed": SEV_PASSED,
        "passedbutrunaborted": SEV_PASSED,
        "completed": SEV_PASSED,
        "warning": SEV_PASSED,
        "failed": SEV_FAILED,
        "timeout": SEV_FAILED,
        "error": SEV_ERROR,
        # The run stopped while the test ran: not a pass, and counting it as skipped
        # would hide a crash. NotExecuted, NotRunnable, Inconclusive, ... are skipped.
        "aborted": SEV_ERROR,
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
        self.sev = self.RESULTS.get(outcome.lower(), SEV_SKIPPED) if outcome else None
        self.case = (attrs.get("testId") or "", attrs.get("testName") or "")
        self.seconds = parse_timespan(attrs.get("duration"))

    def end_case(self, sev: int) -> None:
        (test_key, name), seconds = self.case, self.seconds
        texts = self.failure_texts() if sev >= SEV_FAILED else ("", "")
        self.results.append((test_key, name, sev, seconds, texts))

    def finish(self) -> TestRun:
        for test_key, name, sev, seconds, texts in self.results:
            classname = self.classes.get(test_key, "")
            if classname:
                name = name.removeprefix(classname + ".")
            name = self.name_or_number(name)
            self.builder.occurrence(classname, name, sev, False, 1, seconds, "")
            if sev >= SEV_FAILED:
                self.builder.failure(classname, name, sev, *texts)
        return super().finish()
