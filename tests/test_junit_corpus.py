"""Conformance with a public corpus of JUnit-family files and another tool's results.

The corpus (`../shared/corpus/junit`, see its README) holds files from many producers with
the figures publish-unit-test-result-action computes from them (`.results.json`), and the
files it refuses (`.exception`). We count distinct tests the same way, so `tests`, passed,
failed, errors and skipped must match; `duration` is `int(time)`. Where we decide otherwise
on purpose, DIFFERENT says so and pins our figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reportgen.analysis.test_run import TestRun
from reportgen.errors import InputError
from reportgen.inputs.test_results import parse_junit

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "junit"
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared JUnit corpus is absent")

Figures = tuple[int, int, int, int, int, int]  # tests, passed, failed, errors, skipped, duration

# Our figures where they differ from upstream's on purpose.
# - Duration: we take the top-level suites' time, the producer's own wall time, and the case
#   times only when no top-level suite has one. Upstream sums the cases for some of these
#   files (and gets 0 for others): NUnit's suite durations include fixture set-up.
# - Decimal comma: "0,288" with no other separator is 0.288 s, not 288 s (upstream drops the
#   comma as a thousands separator; "1,234.5" and "1,234" are thousands for us too).
# - NUnit 3 `result="Failed" label="Error"` is an error (NUnit's own summary lists these as
#   errors); upstream counts a failure.
# - xUnit.net theory cases are tests of their own (`Type::Method(x: 1)`), as xUnit.net's own
#   assembly totals count them; upstream merges them by method.
# - A TRX `Aborted` result is an error (the run died during the test); upstream skips it.
DIFFERENT: dict[str, Figures] = {
    "junit-xml/xunit/xunit.xml": (2, 2, 0, 0, 0, 2),  # suite time 2.407; upstream 0
    "xunit/mstest/fixie.junit-xml": (5, 1, 3, 0, 1, 1),  # assembly 1.234 s; upstream 8
    "xunit/mstest/fixie.xml": (7, 3, 3, 0, 1, 1),  # 3 theory cases; upstream (5, 1, 3, 0, 1, 8)
    "xunit/mstest/pickles.xml": (4, 3, 1, 0, 0, 0),  # 2 theory cases; upstream (3, 2, 1, 0, 0, 0)
    "xunit/mstest/jenkinsci/testcase3.junit-xml": (3, 1, 1, 0, 1, 0),  # "0,288"; upstream 288
    "xunit/mstest/jenkinsci/testcase3.xml": (3, 1, 1, 0, 1, 0),  # "0,288"; upstream 288
    # The assembly has no time (normalised: time=""), so the case times count: 36.78 s.
    "xunit/mstest/jenkinsci/testcase6.junit-xml": (1, 0, 1, 0, 0, 36),
    "xunit/mstest/jenkinsci/testcase6.xml": (1, 0, 1, 0, 0, 36),
    "nunit/mstest/clicketyclackety.xml": (23, 13, 1, 9, 0, 0),  # label=Error; upstream 10 failed
    "nunit/mstest/timewarpinc.xml": (1, 0, 0, 1, 0, 2),  # label=Error; upstream 1 failed
    "nunit/nunit3/jenkins/NUnit-correct2.junit-xml": (183, 183, 0, 0, 0, 1),  # 1.392 s; 0
    "nunit/nunit3/jenkins/NUnit-correct2.xml": (183, 183, 0, 0, 0, 1),
    "nunit/nunit3/jenkins/NUnit-correct3.junit-xml": (22, 22, 0, 0, 0, 294),  # cases: 264
    "nunit/nunit3/jenkins/NUnit-correct3.xml": (22, 22, 0, 0, 0, 294),
    "nunit/nunit3/jenkins/NUnit-healthReport.junit-xml": (10, 9, 1, 0, 0, 0),  # 0.404 s; 1
    "nunit/nunit3/jenkins/NUnit-healthReport.xml": (10, 9, 1, 0, 0, 0),
    "nunit/nunit3/jenkins/NUnit-issue33493.junit-xml": (2, 1, 0, 0, 1, 7),  # 7.19 s; 6
    "nunit/nunit3/jenkins/NUnit-issue33493.xml": (2, 1, 0, 0, 1, 7),
    "nunit/nunit3/jenkins/NUnit-issue44527.junit-xml": (150, 6, 144, 0, 0, 971),  # cases: 851
    "nunit/nunit3/jenkins/NUnit-issue44527.xml": (150, 6, 11, 133, 0, 971),  # and label=Error
    "nunit/nunit3/jenkins/NUnit-issue6353.junit-xml": (3, 1, 1, 0, 1, 119),  # cases: 3
    "nunit/nunit3/jenkins/NUnit-issue6353.xml": (3, 1, 1, 0, 1, 119),
    "trx/yami_YAMILEX_2015-10-24_04_18_59.trx": (25, 2, 2, 1, 20, 26),  # Aborted: an error
}

# Their normalised JUnit files and results are stale: an old parser resolved the XXE probe
# and wrote the file's text ("abc") into them. Only the native inputs are tested (refused).
STALE = {
    "nunit/nunit3/jenkins/NUnit-sec1752-file.junit-xml",
    "nunit/nunit3/jenkins/NUnit-sec1752-https.junit-xml",
}


def relative(path: Path) -> str:
    return path.relative_to(CORPUS).as_posix()


def inputs() -> list[str]:
    """Every input file: JUnit XML, native NUnit/xUnit/TRX, and their normalised JUnit."""
    if not CORPUS.is_dir():
        return []
    found = [*CORPUS.glob("junit-xml/**/*.xml"), *CORPUS.glob("xml/*.xml")]
    for folder in ("xunit", "nunit", "trx"):
        found += [p for p in (CORPUS / folder).rglob("*") if p.suffix in (".xml", ".trx")]
        found += (CORPUS / folder).rglob("*.junit-xml")
    return sorted(relative(p) for p in found if relative(p) not in STALE)


def sibling(name: str, suffix: str) -> Path:
    stem = name.rsplit(".", 1)[0]
    return CORPUS / f"{stem}{suffix}"


def read(name: str) -> TestRun:
    with (CORPUS / name).open("rb") as stream:
        return parse_junit(stream, name)


def figures(run: TestRun) -> Figures:
    return (run.tests, run.passed, run.failed, run.errors, run.skipped, int(run.time))


def expected(name: str) -> Figures:
    stats = json.loads(sibling(name, ".results.json").read_text(encoding="utf-8"))["stats"]
    keys = ("tests", "tests_succ", "tests_fail", "tests_error", "tests_skip", "duration")
    return tuple(stats[k] for k in keys)  # type: ignore[return-value]


REFUSED = [
    n for n in inputs() if sibling(n, ".exception").exists() and n.endswith((".xml", ".trx"))
]
COUNTED = [n for n in inputs() if n not in REFUSED and sibling(n, ".results.json").exists()]


@pytest.mark.parametrize("name", COUNTED)
def test_counts_match_the_corpus(name: str) -> None:
    """Distinct-test counts and whole seconds equal upstream's, or our documented figures."""
    run = read(name)
    assert figures(run) == DIFFERENT.get(name, expected(name))
    assert run.tests == len(run.ids()) + sum(suite.tests for suite in run.unlisted)


def test_every_difference_is_still_a_difference() -> None:
    """Each documented difference names a counted file whose upstream figures differ."""
    for name, ours in DIFFERENT.items():
        assert name in COUNTED
        assert expected(name) != ours


@pytest.mark.parametrize("name", REFUSED)
def test_refused_files_raise_input_error(name: str) -> None:
    """Files upstream cannot read (corrupt, empty, NUL, XXE, wrong root) raise InputError."""
    with pytest.raises(InputError) as caught:
        read(name)
    message = str(caught.value)
    assert message.startswith(f"{name}: ") and "\n" not in message


@pytest.mark.parametrize("probe", ["NUnit-sec1752-file.xml", "NUnit-sec1752-https.xml"])
def test_xxe_probes_leak_nothing(probe: str) -> None:
    """The XXE probes are refused at their DTD; the target file's text "abc" appears nowhere."""
    name = f"nunit/nunit3/jenkins/{probe}"
    assert (CORPUS / "nunit/nunit3/jenkins/NUnit-sec1752-file.txt").read_text().strip() == "abc"
    with pytest.raises(InputError) as caught:
        read(name)
    assert str(caught.value) == f"{name}: DTDs are not accepted in test results (<!DOCTYPE test>)"


def test_whole_corpus_is_covered() -> None:
    """Every input is either counted or refused, and the numbers stay what we measured."""
    # 27 JUnit files, 37 native NUnit/xUnit.net/TRX files and their 37 normalised JUnit files.
    assert (len(COUNTED), len(REFUSED), len(DIFFERENT)) == (101, 8, 23)
    assert set(inputs()) == set(COUNTED) | set(REFUSED)


EXTRA = CORPUS / "extra"
EXTRAS = sorted(relative(p) for p in EXTRA.rglob("*.xml")) if EXTRA.is_dir() else []
# Not well-formed on purpose: a truncated Surefire report, and test templates whose
# attributes hold a literal "<<computed>>".
EXTRA_REFUSED = {
    "extra/mikepenz-action-junit-report/corrupt-junit/e2e-tests/corrupt/target/sf-reports/"
    "TEST-test.CorruptTest.xml",
    "extra/mikepenz-action-junit-report/junit-web-test/expected.xml",
    "extra/mikepenz-action-junit-report/junit-web-test/expectedRetries.xml",
}


@pytest.mark.parametrize("name", EXTRAS)
def test_extra_fixtures_read_or_refuse_cleanly(name: str) -> None:
    """The other tools' fixtures all parse, except the malformed ones, which raise InputError."""
    if name in EXTRA_REFUSED:
        with pytest.raises(InputError):
            read(name)
    else:
        run = read(name)
        assert run.passed + run.failed + run.errors + run.skipped == run.tests == len(run.ids())


MIKEPENZ = "extra/mikepenz-action-junit-report"


@pytest.mark.parametrize(
    ("name", "stats", "flaky"),
    [
        # Surefire's flakyFailure inside a passing case: passed, flaky, two executions.
        (f"{MIKEPENZ}/maven_surefire_flaky/surefire-report.xml", (1, 1, 0, 0, 0, 2), 1),
        # mikepenz: 3 tests, 3 passed; the flaky one is marked.
        (f"{MIKEPENZ}/junit_flaky_failure/mixed_flaky_and_passed.xml", (3, 3, 0, 0, 0, 4), 1),
        # failure, error, then a pass: passed and flaky; a same-named test in another class
        # stays a test of its own.
        (f"{MIKEPENZ}/flaky_retries/flaky_with_classname_file.xml", (3, 3, 0, 0, 0, 5), 1),
        # Never passed: the worst run, an error.
        (f"{MIKEPENZ}/flaky_retries/flaky_all_failures.xml", (1, 0, 0, 1, 0, 3), 0),
        # Passed first, then failed and errored: the last runs failed, so the worst outcome
        # stands (mikepenz counts any pass as a pass; we follow the worst-outcome rule).
        (f"{MIKEPENZ}/flaky_retries/flaky_success_first.xml", (1, 0, 0, 1, 0, 3), 0),
        # dorny: the suite declares tests="15" but holds 10 testcases.
        ("extra/dorny-test-reporter/fixtures/python-xunit-pytest.xml", (10, 6, 2, 0, 2, 10), 0),
    ],
)
def test_extra_fixtures_with_known_figures(name: str, stats: tuple[int, ...], flaky: int) -> None:
    """Reruns, flaky tests and miscounted suites from the other tools' fixtures."""
    run = read(name)
    assert (run.tests, run.passed, run.failed, run.errors, run.skipped, run.runs) == stats
    assert len(run.flaky) == flaky
