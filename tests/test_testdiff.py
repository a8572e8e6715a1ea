"""Comparing a before run with an after run; test ids read as modules and functions."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.analysis.test_diff import TestGroup, diff_tests, group_parametrized
from reportgen.analysis.test_ids import module_of, split_parameters, split_test_id
from reportgen.analysis.test_run import TestRun
from reportgen.inputs.test_results import parse_junit


def run_of(*cases: str) -> TestRun:
    """A run from testcase elements."""
    body = "".join(cases)
    return parse_junit(io.BytesIO(f"<testsuite>{body}</testsuite>".encode()), "results.xml")


def case(name: str, result: str = "", classname: str = "tests.test_m") -> str:
    return f'<testcase classname="{classname}" name="{name}">{result}</testcase>'


FAIL, ERROR, SKIP = "<failure/>", "<error/>", "<skipped/>"

BEFORE = run_of(
    case("test_kept"),
    case("test_regresses"),
    case("test_errs_now"),
    case("test_fixed", FAIL),
    case("test_fixed_error", ERROR),
    case("test_still", FAIL),
    case("test_still_error", ERROR),
    case("test_removed"),
    case("test_skipped_then_failing", SKIP),
    case("test_gone", classname="tests.test_old"),
)
AFTER = run_of(
    case("test_kept"),
    case("test_regresses", FAIL),
    case("test_errs_now", ERROR),
    case("test_fixed"),
    case("test_fixed_error", "<error/>") + case("test_fixed_error"),  # passed on a rerun
    case("test_still", ERROR),
    case("test_still_error", ERROR),
    case("test_skipped_then_failing", FAIL),
    case("test_merge[defaults-only]"),
    case("test_merge[full-chain]", FAIL),
    case("test_new"),
)


def test_diff_sorts_tests_into_their_lists() -> None:
    """Added, removed, regressions, fixed and still failing, each sorted."""
    diff = diff_tests(BEFORE, AFTER)
    assert diff.added == (
        "tests.test_m::test_merge[defaults-only]",
        "tests.test_m::test_merge[full-chain]",
        "tests.test_m::test_new",
    )
    assert diff.removed == ("tests.test_m::test_removed", "tests.test_old::test_gone")
    assert diff.regressions == ("tests.test_m::test_errs_now", "tests.test_m::test_regresses")
    assert diff.fixed == ("tests.test_m::test_fixed", "tests.test_m::test_fixed_error")
    assert diff.still_failing == ("tests.test_m::test_still", "tests.test_m::test_still_error")
    assert diff.flaky == ("tests.test_m::test_fixed_error",)


def test_diff_groups_added_cases_under_their_function() -> None:
    """Parametrised added cases form one group with each case's outcome."""
    diff = diff_tests(BEFORE, AFTER)
    assert diff.added_groups == (
        TestGroup(
            "tests.test_m::test_merge", (("defaults-only", "passed"), ("full-chain", "failed"))
        ),
        TestGroup("tests.test_m::test_new", (("", "passed"),)),
    )
    assert [(g.count, g.outcome) for g in diff.added_groups] == [(2, "failed"), (1, "passed")]
    assert diff.removed_groups == (
        TestGroup("tests.test_m::test_removed", (("", "passed"),)),
        TestGroup("tests.test_old::test_gone", (("", "passed"),)),
    )


def test_diff_without_a_before_run() -> None:
    """Without a before run nothing is added or regressed; flaky tests still show."""
    diff = diff_tests(None, AFTER)
    assert (diff.added, diff.removed, diff.regressions, diff.fixed) == ((), (), (), ())
    assert diff.flaky == ("tests.test_m::test_fixed_error",)


@pytest.mark.parametrize(
    ("ids", "groups"),
    [
        (
            ["m::test_merge[full-chain]", "m::test_merge[defaults-only]", "m::test_a"],
            [
                ("m::test_a", [""]),
                ("m::test_merge", ["defaults-only", "full-chain"]),
            ],
        ),
        # Plain string order, as archived reports show it.
        (["m::t[2]", "m::t[10]"], [("m::t", ["10", "2"])]),
        # NUnit and xUnit.net write parameters in parentheses.
        (["C::Divides(1,0)", "C::Divides(4,2)"], [("C::Divides", ["1,0", "4,2"])]),
        # A sentence with a parenthesis is not a call; nested brackets stay whole.
        (["renders (dark mode)", "t[a[1]]"], [("renders (dark mode)", [""]), ("t", ["a[1]"])]),
    ],
)
def test_group_parametrized(ids: list[str], groups: list[tuple[str, list[str]]]) -> None:
    """Cases group under their function, sorted; plain tests are groups of one."""
    run = run_of(*(_testcase(i) for i in ids))
    found = group_parametrized(run, ids)
    assert [(g.function_id, [p for p, _ in g.cases]) for g in found] == groups


def _testcase(test_id: str) -> str:
    classname, sep, name = test_id.partition("::")
    return f'<testcase classname="{classname}" name="{name}"/>' if sep else case(test_id, "", "")


def test_group_parametrized_skips_unknown_ids() -> None:
    """An id the run does not have is left out of the groups."""
    assert group_parametrized(AFTER, ["tests.test_m::nope[1]"]) == ()


@pytest.mark.parametrize(
    ("test_id", "module"),
    [
        ("tests.soak.test_config_manager::test_x", "tests.soak.test_config_manager"),
        ("tests.soak.test_config_manager.TestMerge::test_x[1]", "tests.soak.test_config_manager"),
        ("tests.soak.test_x.TestA.TestB::test_y", "tests.soak.test_x"),
        ("com.acme.FooTest::bar", "com.acme"),
        ("Acme.Tests.Calc::Adds", "Acme.Tests.Calc"),
        ("crate::module::works", "crate::module"),
        ("_private.mod::t", "_private.mod"),
        ("plain name", ""),
        ("m::test[a::b]", "m"),
    ],
)
def test_module_of(test_id: str, module: str) -> None:
    """The module is the classname up to its last lower-case part."""
    assert module_of(test_id) == module


@pytest.mark.parametrize(
    ("test_id", "parts"),
    [
        ("a.b::test_x", ("a.b", "test_x")),
        ("a.b::test_x[p::q]", ("a.b", "test_x[p::q]")),
        ("crate::mod::test", ("crate::mod", "test")),
        ("no classname", ("", "no classname")),
        ("C::M(a::b)", ("C", "M(a::b)")),
    ],
)
def test_split_test_id(test_id: str, parts: tuple[str, str]) -> None:
    """The classname ends at the last `::` before any trailing parameters."""
    assert split_test_id(test_id) == parts


@pytest.mark.parametrize(
    ("test_id", "parts"),
    [
        ("m::test_merge[full-chain]", ("m::test_merge", "full-chain")),
        ("m::test[]", ("m::test", "")),
        ("C::Method(1, 2)", ("C::Method", "1, 2")),
        ("C::Generic<Int32>(2,4)", ("C::Generic<Int32>", "2,4")),
        ("m::test_plain", ("m::test_plain", None)),
        ("m::renders (dark)", ("m::renders (dark)", None)),
        ("m::[odd]", ("m::[odd]", None)),
        ("m::unbalanced]", ("m::unbalanced]", None)),
        ("[only]", ("[only]", None)),
    ],
)
def test_split_parameters(test_id: str, parts: tuple[str, str | None]) -> None:
    """A trailing balanced bracket after a name without spaces holds the parameters."""
    assert split_parameters(test_id) == parts


OUTCOME = st.sampled_from(["", FAIL, ERROR, SKIP, "<flakyError/>"])
CASES = st.lists(
    st.tuples(st.sampled_from(["", "a.m", "b.m::x"]), st.sampled_from(["t1", "t2[x]"]), OUTCOME),
    max_size=8,
)


@settings(max_examples=150)
@given(CASES)
def test_diff_of_a_run_with_itself_is_empty(cases: list[tuple[str, str, str]]) -> None:
    """Comparing a run with itself adds, removes, regresses and fixes nothing."""
    run = run_of(*(case(n, r, c) for c, n, r in cases))
    diff = diff_tests(run, run)
    assert (diff.added, diff.removed, diff.regressions, diff.fixed) == ((), (), (), ())
    failing = tuple(i for i in run.ids() if run.outcome(i) in ("failed", "error"))
    assert diff.still_failing == failing


@settings(max_examples=150)
@given(CASES, CASES)
def test_diff_lists_partition_the_changes(
    before: list[tuple[str, str, str]], after: list[tuple[str, str, str]]
) -> None:
    """Added and removed are the id set differences; no id is in two lists."""
    old = run_of(*(case(n, r, c) for c, n, r in before))
    new = run_of(*(case(n, r, c) for c, n, r in after))
    diff = diff_tests(old, new)
    assert set(diff.added) == set(new.ids()) - set(old.ids())
    assert set(diff.removed) == set(old.ids()) - set(new.ids())
    lists = (diff.added, diff.removed, diff.regressions, diff.fixed, diff.still_failing)
    assert sum(map(len, lists)) == len(set().union(*lists))
