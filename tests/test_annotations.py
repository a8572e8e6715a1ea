"""Where a failing test lands on the diff: its file from the JUnit or its id, its line from the
traceback pytest writes into the failure text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportgen.analysis.annotations import _clean_path, _failure_line, _resolve_id
from reportgen.analysis.test_run import Failure

PYTEST_TEXT = """def test_fail():
>       assert f0() == 1
E       assert 0 == 1
E        +  where 0 = f0()

tests/test_big.py:9: AssertionError"""

DEEP_TEXT = """def test_deep():
>       helper()

tests/test_big.py:12:
_ _ _ _

    def helper():
>       raise ValueError("x")
E       ValueError: x

pkg/helpers.py:3: ValueError"""


def _failure(text: str) -> Failure:
    return Failure("tests.test_big::test_fail", "failed", "assert 0 == 1", text)


def test_the_line_is_the_last_entry_in_the_tests_own_file() -> None:
    assert _failure_line(_failure(PYTEST_TEXT), "tests/test_big.py") == 9
    # A deeper frame in another file does not move the test's own line.
    assert _failure_line(_failure(DEEP_TEXT), "tests/test_big.py") == 12
    assert _failure_line(_failure(DEEP_TEXT), "pkg/helpers.py") == 3


def test_no_line_when_the_text_names_none() -> None:
    assert _failure_line(_failure("AssertionError: boom"), "tests/test_big.py") is None
    # Another file that merely ends with the same name is not the test's file.
    assert _failure_line(_failure("xtests/test_big.py:4: E"), "tests/test_big.py") is None
    assert _failure_line(_failure("tests/test_big.py:0: E"), "tests/test_big.py") is None


@given(st.text(), st.integers(1, 10**9 - 1))
def test_any_text_then_a_location(noise: str, line: int) -> None:
    text = f"{noise}\ntests/test_x.py:{line}: AssertionError"
    assert _failure_line(_failure(text), "tests/test_x.py") == line


@given(st.text())
def test_any_text_gives_a_line_or_none(text: str) -> None:
    found = _failure_line(_failure(text), "a.py")
    assert found is None or 1 <= found < 10**9


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_x.py", "tests/test_x.py"),
        ("./tests//test_x.py", "tests/test_x.py"),
        ("tests\\test_x.py", "tests/test_x.py"),
        ("/home/ci/tests/test_x.py", None),
        ("../outside.py", None),
        ("tests/../../outside.py", None),
        ("C:/src/test_x.py", None),
        ("", None),
    ],
)
def test_only_paths_inside_the_repository(path: str, expected: str | None) -> None:
    assert _clean_path(path) == expected


@pytest.mark.parametrize(
    ("test_id", "expected"),
    [
        ("tests.test_big::test_fail", "tests/test_big.py"),
        ("tests.test_big.TestThing::test_fail", "tests/test_big.py"),
        ("test_big::test_fail", "src/tests/test_big.py"),
        ("pkg.sub.test_mod::t", "pkg/sub/test_mod.py"),
        ("tests.test_bigger::t", None),
        ("com.acme.FooTest::testAdd", "src/test/java/com/acme/FooTest.java"),
        ("com.acme.FooTest$Inner::testAdd", "src/test/java/com/acme/FooTest.java"),
        ("com.acme.FooTestx::testAdd", None),
        ("other::t", None),
    ],
)
def test_a_test_id_resolved_against_the_changed_files(test_id: str, expected: str | None) -> None:
    changed = ["README.md", "src/tests/test_big.py", "tests/test_big.py", "pkg/sub/test_mod.py",
               "src/test/java/com/acme/FooTest.java", "Makefile"]  # fmt: skip
    if test_id.startswith("test_big"):
        changed = ["src/tests/test_big.py"]
    assert _resolve_id(test_id, changed) == expected


JAVA_TEXT = """java.lang.AssertionError: expected:<3> but was:<4>
\tat org.junit.Assert.fail(Assert.java:89)
\tat org.junit.Assert.assertEquals(Assert.java:120)
\tat com.acme.FooTest.helper(FooTest.java:31)
\tat com.acme.FooTest.testAdd(FooTest.java:17)"""


def test_a_jvm_stack_trace_gives_the_innermost_frame_in_the_tests_file() -> None:
    assert _failure_line(_failure(JAVA_TEXT), "src/test/java/com/acme/FooTest.java") == 31
    assert _failure_line(_failure(JAVA_TEXT), "src/test/java/com/acme/BarTest.java") is None
