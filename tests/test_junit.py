"""Reading JUnit, NUnit, xUnit.net and TRX files; combining shards; selecting a step's tests."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from unittest.mock import patch

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.analysis import test_run
from reportgen.analysis.test_run import Failure, TestRecord, TestRun, combine_test_runs
from reportgen.analysis.test_selection import select_tests
from reportgen.errors import InputError
from reportgen.inputs.test_results import parse_junit
from reportgen.inputs.xml_reader import TEXT_LIMIT

DATA = Path(__file__).parent / "data" / "junit"
HOSTILE = DATA / "hostile"


def read(name: str) -> TestRun:
    """Parse a file of tests/data/junit under its own name."""
    with (DATA / name).open("rb") as stream:
        return parse_junit(stream, name)


def parse(text: str | bytes, source: str = "results.xml") -> TestRun:
    data = text.encode() if isinstance(text, str) else text
    return parse_junit(io.BytesIO(data), source)


def suite(*cases: str, time: str = "") -> str:
    """A pytest-like JUnit document around some testcase elements."""
    timed = f' time="{time}"' if time else ""
    return f'<testsuites><testsuite name="pytest"{timed}>{"".join(cases)}</testsuite></testsuites>'


def outcomes(run: TestRun) -> dict[str, str | None]:
    return {test_id: run.outcome(test_id) for test_id in run.ids()}


# --- Structure and counting -------------------------------------------------------------


def test_nested_suites_count_every_case_and_time_the_top_level() -> None:
    """Cases at any depth count; the time is the top-level suites' sum, not the root's."""
    run = read("nested-suites.xml")
    assert run.stats() == {
        "tests": 4,
        "passed": 2,
        "failed": 1,
        "errors": 0,
        "skipped": 1,
        "runs": 4,
        "time": 5.75,
    }
    assert outcomes(run) == {
        "pkg.inner::test_b": "passed",
        "pkg.innermost::test_c": "failed",
        "pkg.outer::test_a": "passed",
        "pkg.second::test_d": "skipped",
    }


def test_bare_testsuite_root_gives_its_own_time() -> None:
    """A `<testsuite>` root is the one top-level suite: its time is the run's time."""
    run = read("bare-testsuite.xml")
    assert (run.tests, run.passed, run.errors, run.time) == (3, 2, 1, 3.5)
    assert run.ids() == ("a.b::one", "a.b::three", "a.c::two")


def test_count_attributes_are_ignored() -> None:
    """Suite and root count attributes that contradict the cases change nothing; only a
    top-level suite without any case is counted from its totals (12 tests, 4 failed)."""
    run = read("inconsistent-counts.xml")
    assert run.stats() == {
        "tests": 2 + 12,
        "passed": 1 + 8,
        "failed": 1 + 4,
        "errors": 0,
        "skipped": 0,
        "runs": 14,
        "time": 0.75,
    }
    assert [(s.name, s.tests, s.failed) for s in run.unlisted] == [("empty", 12, 4)]


def test_without_suite_times_the_case_times_add_up() -> None:
    """With no suite time the run's time is the case times' sum, each read leniently."""
    run = read("times.xml")
    assert run.time == 0.25 + 1234.5 + 1234 + 0.288
    times = dict(run.slowest)
    assert times == {
        "t::surefire_grouped_decimal": 1234.5,
        "t::surefire_grouped": 1234.0,
        "t::decimal_comma": 0.288,
        "t::plain": 0.25,
    }


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2.5", 2.5),
        ("  2.5 ", 2.5),
        ("1,234.5", 1234.5),  # Surefire groups thousands
        ("123,456.5", 123456.5),
        ("1,234", 1234.0),
        ("0,288", 0.288),  # .NET in a decimal-comma locale
        ("35,5236617", 35.5236617),
        ("12,5", 12.5),
        ("1e3", 1000.0),
        ("nan", 0.0),
        ("inf", 0.0),
        ("-0.5", 0.0),
        ("1,2,3", 0.0),
        ("999638317", 0.0),  # nanoseconds: above 10^6 s is not a measurement
        ("", 0.0),
    ],
)
def test_time_attribute_values(value: str, seconds: float) -> None:
    """A case's `time` reads as seconds; unreadable, negative or absurd values count 0."""
    run = parse(suite(f'<testcase classname="c" name="t" time="{value}"/>'))
    assert run.time == seconds


def test_bom_properties_and_output_are_read_through() -> None:
    """A BOM, properties and system-out/err do not disturb the count; names keep Unicode."""
    run = read("bom-properties.xml")
    assert run.ids() == ("com.acme.ÜberTest::handles ünïcödé ✓",)
    assert (run.passed, run.time) == (1, 1234.5)


def test_utf16_with_byte_order_mark() -> None:
    """A UTF-16 file with its byte order mark reads like UTF-8."""
    text = suite('<testcase classname="c" name="é"/>', time="1.5")
    run = parse(text.encode("utf-16"))
    assert (run.ids(), run.time) == (("c::é",), 1.5)


def test_declared_single_byte_encoding() -> None:
    """A declared windows-1252 file decodes by its declaration."""
    text = '<?xml version="1.0" encoding="windows-1252"?>' + suite(
        '<testcase classname="c" name="café “q”"/>'
    )
    assert text.encode("cp1252")[-50:].count(b"\x93") == 1
    assert parse(text.encode("cp1252")).ids() == ("c::café “q”",)


def test_namespaced_junit_root() -> None:
    """A default namespace on a JUnit root changes nothing."""
    run = parse(
        '<testsuites xmlns="urn:x"><testsuite time="2"><testcase classname="c" name="t">'
        "<failure/></testcase></testsuite></testsuites>"
    )
    assert (outcomes(run), run.time) == ({"c::t": "failed"}, 2.0)


def test_testcase_directly_under_testsuites() -> None:
    """A testcase outside any suite still counts."""
    run = parse('<testsuites><testcase classname="c" name="t" time="0.5"/></testsuites>')
    assert (run.ids(), run.time) == (("c::t",), 0.5)


def test_name_without_classname_is_the_id() -> None:
    """An empty or missing classname leaves the name alone as the id."""
    run = parse(suite('<testcase name="adds numbers"/>', '<testcase classname="" name="x"/>'))
    assert run.ids() == ("adds numbers", "x")


def test_unnamed_cases_are_tests_of_their_own() -> None:
    """Testcases without a name are distinct tests with stable, file-specific ids."""
    run = read("unnamed.xml")
    assert outcomes(run) == {
        "<unnamed #3 in unnamed.xml>": "passed",
        "<unnamed #4 in unnamed.xml>": "skipped",
        "pkg.Mod::<unnamed #1 in unnamed.xml>": "passed",
        "pkg.Mod::<unnamed #2 in unnamed.xml>": "failed",
    }
    assert read("unnamed.xml").ids() == run.ids()


def test_unnamed_cases_of_two_shards_never_merge() -> None:
    """Two shards' nameless cases stay two tests each when combined."""
    text = suite("<testcase/>", "<testcase/>")
    combined = combine_test_runs([parse(text, "shard-1.xml"), parse(text, "shard-2.xml")])
    assert combined.tests == 4


# --- Outcomes ---------------------------------------------------------------------------


def test_worst_result_element_wins() -> None:
    """Several result elements in one case: error > failure > skipped."""
    run = read("multi-result.xml")
    assert outcomes(run) == {
        "c::error_then_failure": "error",
        "c::skip": "skipped",
        "c::skip_fail": "failed",
        "c::skip_fail_error": "error",
    }
    messages = {f.id: f.message for f in run.failures}
    assert messages == {
        "c::error_then_failure": "first error",
        "c::skip_fail": "f2",
        "c::skip_fail_error": "e",
    }


def test_repeated_testcases_are_reruns() -> None:
    """Fail-then-pass is passed and flaky; a final failure keeps the worst outcome."""
    run = read("reruns.xml")
    assert run.record("tests.test_net::test_fails_then_passes") == TestRecord(
        "tests.test_net::test_fails_then_passes", "passed", True, 2
    )
    assert run.record("tests.test_net::test_passes_then_fails") == TestRecord(
        "tests.test_net::test_passes_then_fails", "failed", False, 2
    )
    assert run.record("tests.test_net::test_always_fails") == TestRecord(
        "tests.test_net::test_always_fails", "error", False, 3
    )
    assert run.flaky == (
        "tests.test_net::test_error_then_pass",
        "tests.test_net::test_fails_then_passes",
    )
    assert (run.tests, run.passed, run.failed, run.errors, run.runs) == (4, 2, 1, 1, 9)
    assert [(f.id, f.message) for f in run.failures] == [
        ("tests.test_net::test_always_fails", "third: error"),
        ("tests.test_net::test_passes_then_fails", "late failure"),
    ]


def test_surefire_flaky_and_rerun_elements() -> None:
    """flakyFailure/flakyError mark a pass flaky; rerunFailure/rerunError are failed runs."""
    run = read("surefire-flaky.xml")
    records = {i: run.record(i) for i in run.ids()}
    assert {i: (r.outcome, r.flaky, r.runs) for i, r in records.items() if r} == {
        "com.acme.NetTest::closes": ("error", False, 2),
        "com.acme.NetTest::connects": ("passed", True, 2),
        "com.acme.NetTest::reads": ("passed", True, 3),
        "com.acme.NetTest::writes": ("failed", False, 3),
    }
    assert run.flaky == ("com.acme.NetTest::connects", "com.acme.NetTest::reads")
    assert (run.runs, run.time) == (10, 2.5)
    writes = run.failures[1]
    assert (writes.id, writes.message) == ("com.acme.NetTest::writes", "expected 2 but was 3")
    assert writes.text.splitlines()[1] == "\tat com.acme.NetTest.writes(NetTest.java:40)"


@pytest.mark.parametrize(
    ("case", "outcome"),
    [
        (
            '<testcase name="t"><skipped type="pytest.xfail" message="bug 12"/></testcase>',
            "skipped",
        ),
        ('<testcase name="t" status="disabled"/>', "skipped"),
        ('<testcase name="t" status="notrun"/>', "skipped"),
        ('<testcase name="t" status="disabled"><failure/></testcase>', "failed"),
        ('<testcase name="t" status="run"/>', "passed"),
        ('<testcase name="t"><system-out>x</system-out></testcase>', "passed"),
        ('<testcase name="t"><flakyFailure/><skipped/></testcase>', "skipped"),
    ],
)
def test_case_outcomes(case: str, outcome: str) -> None:
    """Skip markers, disabled status and plain cases map to the four outcomes."""
    assert parse(suite(case)).outcome("t") == outcome


def test_result_elements_count_only_as_children_of_the_case() -> None:
    """A failure element nested deeper than the case's children is not a result."""
    run = parse(suite('<testcase name="t"><system-out><failure/></system-out></testcase>'))
    assert run.outcome("t") == "passed"


def test_outcome_of_unknown_test_is_none() -> None:
    """Asking about a test the run does not have gives None, for records too."""
    run = read("nested-suites.xml")
    assert run.outcome("pkg.outer::nope") is None
    assert run.record("nowhere") is None


# --- Messages ---------------------------------------------------------------------------


def test_failure_messages_and_texts() -> None:
    """The message attribute, else the first non-empty line; CDATA and CR LF read plainly."""
    run = read("messages.xml")
    assert run.failures == (
        Failure("msg::attribute", "failed", "assert 1 == 2", "Traceback line 1\nline 2"),
        Failure("msg::cdata", "error", "<b>not markup</b> & raw", "<b>not markup</b> & raw\nnext"),
        Failure("msg::crlf", "failed", "a\nb", "x\ny"),
        Failure("msg::empty", "failed", "", ""),
        Failure(
            "msg::empty_attribute", "failed", "first real line", "first real line\n    second line"
        ),
        Failure("msg::multiline_attribute", "failed", "line one\nline two", ""),
    )


def test_long_texts_are_capped() -> None:
    """A megabyte of failure text keeps 4,096 characters, ending in an ellipsis."""
    body = "x" * 1_000_000
    run = parse(
        suite(f'<testcase name="t"><failure message="{"m" * 10_000}">{body}</failure></testcase>')
    )
    (failure,) = run.failures
    assert (len(failure.message), len(failure.text)) == (TEXT_LIMIT, TEXT_LIMIT)
    assert failure.text.endswith("x…")


def test_failures_sort_by_module_then_id() -> None:
    """Failures come grouped by module (dotted classname without its class), then by id."""
    run = parse(
        suite(
            '<testcase classname="tests.b.test_y" name="z"><failure/></testcase>',
            '<testcase classname="tests.a.test_x.TestK" name="b"><failure/></testcase>',
            '<testcase classname="tests.a.test_x" name="c"><error/></testcase>',
            '<testcase name="bare"><failure/></testcase>',
        )
    )
    assert [f.id for f in run.failures] == [
        "bare",
        "tests.a.test_x.TestK::b",
        "tests.a.test_x::c",
        "tests.b.test_y::z",
    ]


def test_slowest_are_ten_with_ties_in_id_order() -> None:
    """The ten slowest tests above zero, equal times broken by id."""
    cases = [f'<testcase classname="c" name="t{i:02d}" time="{i % 4}"/>' for i in range(30)]
    run = parse(suite(*cases))
    assert run.slowest == (
        ("c::t03", 3.0),
        ("c::t07", 3.0),
        ("c::t11", 3.0),
        ("c::t15", 3.0),
        ("c::t19", 3.0),
        ("c::t23", 3.0),
        ("c::t27", 3.0),
        ("c::t02", 2.0),
        ("c::t06", 2.0),
        ("c::t10", 2.0),
    )


def test_slowest_leaves_out_zero_times() -> None:
    """Tests without a time never show as slow."""
    run = parse(suite('<testcase name="a" time="0"/>', '<testcase name="b" time="0.001"/>'))
    assert run.slowest == (("b", 0.001),)


def test_many_equal_slowest_times_keep_the_first_ids() -> None:
    """Thousands of tests sharing the tenth time: the ten smallest ids are kept."""
    cases = [f'<testcase classname="c" name="t{i:04d}" time="0.001"/>' for i in range(2000)]
    run = parse(suite(*reversed(cases)))
    assert [i for i, _ in run.slowest] == [f"c::t{i:04d}" for i in range(10)]


# --- Other formats ----------------------------------------------------------------------


def test_nunit3() -> None:
    """NUnit 3: label Error is an error; Ignored and Inconclusive skip; Warning passes."""
    run = read("nunit3.xml")
    assert outcomes(run) == {
        "Acme.Tests.MathTests::Adds": "passed",
        "Acme.Tests.MathTests::Divides(1,0)": "error",
        "Acme.Tests.MathTests::Divides(4,2)": "passed",
        "Acme.Tests.MathTests::Later": "skipped",
        "Acme.Tests.MathTests::Maybe": "skipped",
        "Acme.Tests.MathTests::Subtracts": "failed",
        "Acme.Tests.MathTests::Warns": "passed",
    }
    assert run.time == 3.25
    assert run.failures[0] == Failure(
        "Acme.Tests.MathTests::Divides(1,0)",
        "error",
        "System.DivideByZeroException : Attempted to divide by zero.",
        "System.DivideByZeroException : Attempted to divide by zero.\n"
        "at Acme.Math.Divide(Int32 a, Int32 b)",
    )


def test_nunit2() -> None:
    """NUnit 2: result values, and executed/success with a failure element and no result."""
    run = read("nunit2.xml")
    assert outcomes(run) == {
        "Acme.Tests.Broken": "failed",
        "Acme.Tests.Crashes": "error",
        "Acme.Tests.Ignored": "skipped",
        "Acme.Tests.Ok": "passed",
        "Acme.Tests.OldStyleFail": "failed",
        "Acme.Tests.OldStylePass": "passed",
    }
    assert (run.time, run.failures[0].message) == (2.5, "Expected 3")


def test_xunit2() -> None:
    """xUnit.net v2: the type is the classname, each theory case is a test, NotRun skips."""
    run = read("xunit2.xml")
    assert outcomes(run) == {
        "Acme.Tests.Calc::Adds": "passed",
        "Acme.Tests.Calc::Custom display name": "skipped",
        "Acme.Tests.Calc::IsEven(value: 2)": "passed",
        "Acme.Tests.Calc::IsEven(value: 3)": "failed",
        "Acme.Tests.Calc::Later": "skipped",
        "Other::Works": "passed",
    }
    assert run.time == 2.0  # 1.5 + "0,5": the second assembly's decimal comma
    assert run.failures[0].message == "Assert.True() Failure"


def test_trx() -> None:
    """TRX: classnames from definitions that follow the results; Timeout fails, Aborted errs."""
    run = read("results.trx")
    assert outcomes(run) == {
        "Acme.Tests.Calc::Adds": "passed",
        "Acme.Tests.Calc::Crashes": "error",
        "Acme.Tests.Calc::Divides": "failed",
        "Acme.Tests.Calc::Hangs": "failed",
        "Acme.Tests.Calc::Should be even(i: 3)": "passed",
        "Acme.Tests.Calc::Skipped": "skipped",
    }
    assert run.time == 1.5 + 0.25 + 0.125 + 60 + 2
    divides = next(f for f in run.failures if f.id == "Acme.Tests.Calc::Divides")
    assert divides.message == "Assert.AreEqual failed. Expected:<2>. Actual:<3>."


# --- Bad and hostile input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "results.xml: empty file"),
        (b"  \n\t ", "results.xml: no XML element found"),
        (b"<!-- only a comment -->", "results.xml: no XML element found"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "results.xml: not well-formed XML (not well-formed (invalid token) at line 1, column 0)",
        ),
        (
            "<testsuites><testsuite name='é'/></testsuites>".encode("latin-1"),
            "results.xml: not well-formed XML (not well-formed (invalid token) at line 1, column 29)",
        ),
        (
            b"<testsuites><testcase name='a\x00'/></testsuites>",
            "results.xml: not well-formed XML (not well-formed (invalid token) at line 1, column 29)",
        ),
        (
            b"<testsuites><testcase name='&#0;'/></testsuites>",
            "results.xml: not well-formed XML (reference to invalid character number"
            " at line 1, column 28)",
        ),
        (b"<suites><suite/></suites>", "results.xml: not JUnit XML (root element <suites>)"),
        (
            b"<html><body>Bad gateway</body></html>",
            "results.xml: not JUnit XML (root element <html>)",
        ),
        (
            b"<testsuites><testsuite></testsuites>",
            "results.xml: not well-formed XML (mismatched tag at line 1, column 25)",
        ),
        (b"<testsuites>", "results.xml: truncated XML (no element found at line 1, column 12)"),
        (
            b"<testsuites><testcase name='x'>&xxe;</testcase></testsuites>",
            "results.xml: not well-formed XML (undefined entity at line 1, column 31)",
        ),
        (
            b'<?xml version="1.0" encoding="utf-32"?><testsuites/>',
            "results.xml: unsupported encoding (multi-byte encodings are not supported)",
        ),
        (
            b'<?xml version="1.0" encoding="no-such-codec"?><testsuites/>',
            "results.xml: unsupported encoding (unknown encoding: no-such-codec)",
        ),
    ],
)
def test_bad_input_is_one_line_input_error(data: bytes, message: str) -> None:
    """Every kind of unusable file gives one InputError line naming the file."""
    with pytest.raises(InputError) as caught:
        parse(data)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("billion-laughs.xml", "DTDs are not accepted in test results (<!DOCTYPE testsuites>)"),
        ("xxe-local-file.xml", "DTDs are not accepted in test results (<!DOCTYPE testsuites>)"),
        ("external-dtd.xml", "DTDs are not accepted in test results (<!DOCTYPE testsuites>)"),
        ("parameter-entity.xml", "DTDs are not accepted in test results (<!DOCTYPE testsuites>)"),
        ("page.html", "not JUnit XML (an HTML page)"),
        ("truncated.xml", "truncated XML (unclosed token at line 6, column 6)"),
    ],
)
def test_hostile_files_are_refused(name: str, message: str) -> None:
    """Entity bombs, external entities and DTDs, HTML and cut-off files: one clear line."""
    with (HOSTILE / name).open("rb") as stream, pytest.raises(InputError) as caught:
        parse_junit(stream, name)
    assert str(caught.value) == f"{name}: {message}"
    assert "TOP-SECRET" not in str(caught.value)


def test_external_entity_never_reads_a_local_file(tmp_path: Path) -> None:
    """An entity naming a local file by absolute path is refused; its text appears nowhere."""
    secret = tmp_path / "secret.txt"
    secret.write_text("LEAKED-a91c\n")
    probe = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<testsuites><testcase name="t"><failure message="&x;">&x;</failure></testcase>'
        "</testsuites>"
    )
    with pytest.raises(InputError) as caught:
        parse(probe)
    assert "LEAKED" not in str(caught.value)
    assert "\n" not in str(caught.value)


def test_quadratic_blowup_is_refused() -> None:
    """One large entity repeated many times (no nesting) is refused before expansion."""
    entity = "x" * 100_000
    refs = "&a;" * 10_000
    probe = (
        f'<!DOCTYPE t [<!ENTITY a "{entity}">]><testsuites><testcase name="{refs}"/></testsuites>'
    )
    with pytest.raises(InputError, match=r"^results\.xml: DTDs are not accepted"):
        parse(probe)


def test_unreadable_stream_is_input_error() -> None:
    """A stream that fails to read gives InputError naming the file."""

    class Broken(io.RawIOBase):
        def read(self, size: int = -1) -> bytes:
            raise OSError(5, "Input/output error")

    with pytest.raises(InputError, match=r"^results\.xml: cannot read \(Input/output error\)$"):
        parse_junit(Broken(), "results.xml")  # type: ignore[arg-type]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_input_error(data: bytes) -> None:
    """Any bytes either parse or raise InputError with one line naming the file."""
    try:
        run = parse(data)
    except InputError as err:
        assert str(err).startswith("results.xml: ")
        assert "\n" not in str(err)
    else:
        assert run.tests == len(run.ids())


XML_CHUNKS = st.sampled_from(
    [
        "<testsuites>",
        "</testsuites>",
        '<testsuite time="1,5">',
        "</testsuite>",
        '<testcase classname="c" name="t" time="0.1">',
        "<testcase>",
        "</testcase>",
        "<testcase/>",
        '<failure message="m">',
        "</failure>",
        "<flakyError/>",
        "<skipped/>",
        "<![CDATA[x]]>",
        "&amp;",
        "&lt;",
        "text",
        "<!DOCTYPE x>",
        '<test-run><test-case name="n" result="Failed">',
        "</test-case></test-run>",
        '<assemblies><test name="a" result="Fail">',
        '<TestRun><UnitTestResult testName="x" outcome="Passed"/>',
    ]
)


@settings(max_examples=300)
@given(st.lists(XML_CHUNKS, max_size=12))
def test_arbitrary_tag_soup_raises_only_input_error(chunks: list[str]) -> None:
    """Near-miss documents built from real tags either parse or raise InputError."""
    try:
        run = parse("".join(chunks))
    except InputError as err:
        assert str(err).startswith("results.xml: ") and "\n" not in str(err)
    else:
        assert run.passed + run.failed + run.errors + run.skipped == run.tests


# --- Combining shards -------------------------------------------------------------------


def test_combine_takes_the_worst_outcome_and_sums_runs_and_time() -> None:
    """The same id in two shards: worst outcome, runs and time summed, failure message kept."""
    one = parse(
        suite(
            '<testcase classname="m" name="a" time="1"/>',
            '<testcase classname="m" name="b" time="1"><failure message="one"/></testcase>',
            time="2",
        ),
        "one.xml",
    )
    two = parse(
        suite(
            '<testcase classname="m" name="a" time="2"><error message="two"/></testcase>',
            '<testcase classname="m" name="c" time="0.5"/>',
            time="3",
        ),
        "two.xml",
    )
    run = combine_test_runs([one, two])
    assert outcomes(run) == {"m::a": "error", "m::b": "failed", "m::c": "passed"}
    assert (run.runs, run.time, run.slowest[0]) == (4, 5.0, ("m::a", 3.0))
    assert [(f.id, f.message) for f in run.failures] == [("m::a", "two"), ("m::b", "one")]


def test_combine_flaky_survives_only_a_pass() -> None:
    """A flaky pass in one shard and a pass in another stays flaky; a failure ends it."""
    flaky = parse(suite('<testcase name="t"><flakyFailure/></testcase>'))
    passed = parse(suite('<testcase name="t"/>'))
    failed = parse(suite('<testcase name="t"><failure/></testcase>'))
    assert combine_test_runs([flaky, passed]).flaky == ("t",)
    assert combine_test_runs([flaky, failed]).flaky == ()


def test_combine_of_nothing_and_of_one() -> None:
    """No shards make an empty run; one shard is returned as is."""
    empty = combine_test_runs([])
    assert empty.stats() == {
        "tests": 0,
        "passed": 0,
        "failed": 0,
        "errors": 0,
        "skipped": 0,
        "runs": 0,
        "time": 0.0,
    }
    run = read("reruns.xml")
    assert combine_test_runs([run]) is run


def test_combine_keeps_the_smallest_file() -> None:
    """A test seen in two shards with different file attributes is selected by the smaller."""
    one = parse(suite('<testcase classname="m" name="t" file="b/test_m.py"/>'))
    two = parse(suite('<testcase classname="m" name="t" file="a/test_m.py"/>'))
    for run in (combine_test_runs([one, two]), combine_test_runs([two, one])):
        assert select_tests(run, "a/test_m.py").ids() == ("m::t",)
        assert select_tests(run, "b/test_m.py").ids() == ()


CASE = st.tuples(
    st.sampled_from(["", "pkg.mod", "pkg.mod.TestK", "other"]),
    st.sampled_from(["t1", "t2", "t3[a]", "t3[b]"]),
    st.sampled_from(
        ["", "<failure message='f'/>", "<error message='e'/>", "<skipped/>", "<flakyFailure/>"]
    ),
    st.sampled_from(["0", "0.5", "1.25", "3"]),
)


def shard(cases: list[tuple[str, str, str, str]], number: int) -> TestRun:
    body = [
        f'<testcase classname="{c}" name="{n}" time="{t}">{r}</testcase>' for c, n, r, t in cases
    ]
    return parse(suite(*body), f"shard-{number}.xml")


def observed(run: TestRun) -> tuple[object, ...]:
    """Everything a report can see of a run."""
    records = tuple(run.record(i) for i in run.ids())
    return (run.stats(), records, run.failures, run.flaky, run.slowest)


@settings(max_examples=120)
@given(st.lists(st.lists(CASE, max_size=6), min_size=1, max_size=4))
def test_combine_is_order_independent(shards: list[list[tuple[str, str, str, str]]]) -> None:
    """Combining shards in any order gives the same run, down to failures and times."""
    runs = [shard(cases, n) for n, cases in enumerate(shards)]
    first = observed(combine_test_runs(runs))
    for order in itertools.islice(itertools.permutations(runs), 6):
        assert observed(combine_test_runs(list(order))) == first


@settings(max_examples=120)
@given(st.lists(CASE, max_size=8))
def test_combine_with_itself_keeps_tests_and_outcomes(
    cases: list[tuple[str, str, str, str]],
) -> None:
    """A run combined with itself has the same tests, outcomes and flaky ones, twice the runs."""
    run = shard(cases, 0)
    twice = combine_test_runs([run, run])
    assert outcomes(twice) == outcomes(run)
    assert (twice.tests, twice.flaky, twice.runs) == (run.tests, run.flaky, 2 * run.runs)


# --- Selecting a step's tests -----------------------------------------------------------

SELECTION = suite(
    '<testcase classname="tests.soak.test_config_manager" name="test_a" time="1"/>',
    '<testcase classname="tests.soak.test_config_manager.TestMerge" name="test_b" time="2">'
    "<failure/></testcase>",
    '<testcase classname="tests.soak.test_config_manager_extra" name="test_c" time="4"/>',
    '<testcase classname="tests.other.test_x" name="test_d" time="8"/>',
    '<testcase classname="Jest" name="renders" file="/home/ci/repo/web/App.test.js" time="16"/>',
    '<testcase classname="crate::module" name="works" time="32"/>',
    '<testcase name="Acme.Tests.Calc.Adds" time="64"/>',
    time="999",
)


@pytest.mark.parametrize(
    ("pattern", "ids"),
    [
        (
            "tests/soak/test_config_manager.py",
            [
                "tests.soak.test_config_manager.TestMerge::test_b",
                "tests.soak.test_config_manager::test_a",
            ],
        ),
        (
            "tests.soak.test_config_manager",  # the dotted form itself
            [
                "tests.soak.test_config_manager.TestMerge::test_b",
                "tests.soak.test_config_manager::test_a",
            ],
        ),
        (
            "tests/soak/*.py",
            [
                "tests.soak.test_config_manager.TestMerge::test_b",
                "tests.soak.test_config_manager::test_a",
                "tests.soak.test_config_manager_extra::test_c",
            ],
        ),
        (
            "tests/**/test_x.py",
            ["tests.other.test_x::test_d"],
        ),
        ("tests/other/", ["tests.other.test_x::test_d"]),
        ("web/App.test.js", ["Jest::renders"]),
        ("**/*.test.js", ["Jest::renders"]),
        ("crate", ["crate::module::works"]),
        ("Acme.Tests.Calc", ["Acme.Tests.Calc.Adds"]),
        ("nothing/here.py", []),
    ],
)
def test_select_tests_by_file_or_classname(pattern: str, ids: list[str]) -> None:
    """A path glob matches file attributes and the dotted classname, a class suffix allowed."""
    assert list(select_tests(parse(SELECTION), pattern).ids()) == ids


def test_selection_counts_its_own_tests_and_time() -> None:
    """A selection's stats, failures and time are those of its tests alone."""
    chosen = select_tests(parse(SELECTION), "tests/soak/test_config_manager.py")
    assert chosen.stats() == {
        "tests": 2,
        "passed": 1,
        "failed": 1,
        "errors": 0,
        "skipped": 0,
        "runs": 2,
        "time": 3.0,
    }
    assert [f.id for f in chosen.failures] == ["tests.soak.test_config_manager.TestMerge::test_b"]
    assert chosen.slowest[0] == ("tests.soak.test_config_manager.TestMerge::test_b", 2.0)


# --- Size -------------------------------------------------------------------------------


def test_many_cases_in_many_classes() -> None:
    """20,000 generated cases over 400 classes: every one counted, outcomes kept apart."""
    cases = []
    for i in range(20_000):
        result = "<failure message='m'/>" if i % 97 == 0 else ""
        cases.append(
            f'<testcase classname="tests.pkg{i % 400}.test_m" name="test_{i}[{i % 7}]"'
            f' time="0.001">{result}</testcase>'
        )
    run = parse(suite(*cases, time="12.5"))
    failing = len(range(0, 20_000, 97))
    assert (run.tests, run.failed, run.passed, run.time) == (
        20_000,
        failing,
        20_000 - failing,
        12.5,
    )
    assert run.outcome("tests.pkg97.test_m::test_97[6]") == "failed"
    assert run.outcome("tests.pkg1.test_m::test_1[1]") == "passed"


# --- The compact store against a plain model --------------------------------------------

SEVERITY = {"skipped": 0, "passed": 1, "failed": 2, "error": 3}
RESULT_ELEMENT = {
    "passed": "",
    "failed": "<failure/>",
    "error": "<error/>",
    "skipped": "<skipped/>",
}
OCCURRENCE = st.tuples(
    st.sampled_from([f"pkg.m{i}" for i in range(6)] + [""]),
    # Names inside one another: a lookup must match whole names only.
    st.sampled_from(["a", "b[1]", "b[2]", "aa", "ba"]),
    st.sampled_from(list(RESULT_ELEMENT)),
    st.sampled_from([0.0, 0.5, 1.0, 2.25]),
    # None: no file attribute at all (the store's fast path), "" an empty one.
    st.sampled_from([None, "", "x/test_a.py", "y/test_b.py"]),
)


def model(
    occurrences: list[tuple[str, str, str, float, str | None]], pytest_suite: bool = False
) -> dict[str, tuple]:
    """The counting rules restated plainly: id -> (outcome, flaky, runs, time, file). In a
    suite pytest wrote, a pass repeated after a pass is a rerun too (pytest-rerunfailures
    writes failed attempts as empty cases)."""
    tests: dict[str, list[object]] = {}
    for classname, name, outcome, seconds, given_file in occurrences:
        file = given_file or ""
        test_id = f"{classname}::{name}" if classname else name
        kept = tests.get(test_id)
        if kept is None:
            tests[test_id] = [outcome, False, 1, [seconds], {file} - {""}]
            continue
        was = kept[0]
        if outcome == "passed" and (
            was in ("failed", "error") or (pytest_suite and was == "passed")
        ):
            kept[0], kept[1] = "passed", True
        else:
            kept[0] = max(was, outcome, key=SEVERITY.__getitem__)
            kept[1] = kept[1] and kept[0] == "passed"
        kept[2] += 1
        kept[3].append(seconds)
        kept[4] |= {file} - {""}
    return {i: (o, f, r, sum(t), min(fs, default="")) for i, (o, f, r, t, fs) in tests.items()}


def file_attribute(file: str | None) -> str:
    return "" if file is None else f' file="{file}"'


@pytest.mark.parametrize("open_classes", [1, 2, 64])
@pytest.mark.parametrize("sorted_block", [0, 2, 512], ids=["sorted", "mixed", "scanned"])
@settings(max_examples=80)
@given(st.lists(OCCURRENCE, max_size=40), st.booleans())
def test_store_agrees_with_the_plain_model(
    open_classes: int,
    sorted_block: int,
    occurrences: list[tuple[str, str, str, float, str | None]],
    pytest_suite: bool,
) -> None:
    """However often classes are sealed and come back, and whether their blocks are sorted
    for a binary search or scanned, the run says what the rules say."""
    body = [
        f'<testcase classname="{c}" name="{n}" time="{t}"{file_attribute(f)}>'
        f"{RESULT_ELEMENT[o]}</testcase>"
        for c, n, o, t, f in occurrences
    ]
    with (
        patch.object(test_run, "_OPEN_CLASSES", open_classes),
        patch.object(test_run, "_SORTED_BLOCK", sorted_block),
    ):
        document = suite(*body)
        if not pytest_suite:
            document = document.replace('name="pytest"', 'name="unit"', 1)
        run = parse(document)
    expected = model(occurrences, pytest_suite)
    assert run.ids() == tuple(sorted(expected))
    for test_id, (outcome, flaky, runs, _, _) in expected.items():
        assert run.record(test_id) == TestRecord(test_id, outcome, flaky, runs)
    for absent in ("pkg.m0::b", "pkg.m0::a[1]", "pkg.m9::a", "b", "zz"):
        assert (absent in expected) or run.outcome(absent) is None
    for file in ("x/test_a.py", "y/test_b.py"):
        chosen = {i for i, e in expected.items() if e[4] == file}
        assert set(select_tests(run, file).ids()) == chosen
    assert run.time == pytest.approx(sum(e[3] for e in expected.values()))
    slow = sorted((-e[3], i) for i, e in expected.items() if e[3] > 0)[:10]
    assert list(run.slowest) == [(i, pytest.approx(-t)) for t, i in slow]
