"""Our copies of coverage.py's arithmetic equal coverage.py's own, value for value."""

from __future__ import annotations

import pytest
from coverage.results import Numbers as CoverageNumbers
from coverage.results import display_covered as coverage_display
from coverage.results import format_lines as coverage_format_lines
from coverage.results import should_fail_under
from hypothesis import given
from hypothesis import strategies as st

from reportgen.analysis.numbers import (
    Numbers,
    display_covered,
    format_lines,
    meets_threshold,
    missing_items_sorted,
)

percents = st.one_of(
    st.floats(min_value=0, max_value=100, allow_nan=False),
    st.sampled_from([0.0, 100.0, 99.5, 0.5, 89.67, 99.999, 0.001, 12.5, 2.5]),
)


@given(percents, st.integers(min_value=0, max_value=6))
def test_display_covered_equals_coverage(pc: float, precision: int) -> None:
    """display_covered prints exactly what coverage.py prints for any percent and precision."""
    assert display_covered(pc, precision) == coverage_display(pc, precision)


@st.composite
def line_sets(draw):
    """Statements, a subset of them missing, and exits from some statements."""
    statements = draw(st.lists(st.integers(1, 400), unique=True, min_size=1, max_size=60))
    missing = draw(st.lists(st.sampled_from(statements), unique=True))
    exits = st.lists(st.integers(-3, 410).filter(bool), min_size=1, max_size=3, unique=True)
    sources = draw(st.lists(st.sampled_from(statements), unique=True, max_size=8))
    return statements, missing, {src: draw(exits) for src in sources}


@given(line_sets())
def test_format_lines_equals_coverage(data) -> None:
    """The Missing column text is identical to coverage.py's for any statements, lines and arcs."""
    statements, missing, arcs = data
    ours = format_lines(statements, missing, sorted(arcs.items()))
    theirs = coverage_format_lines(statements, missing, sorted(arcs.items()))
    assert ours == theirs
    assert format_lines(statements, missing) == coverage_format_lines(statements, missing)


@given(
    st.integers(0, 5000),
    st.integers(0, 5000),
    st.integers(0, 800),
    st.integers(0, 800),
    st.integers(0, 4),
)
def test_numbers_percent_equals_coverage(stmts, miss, branches, missing_br, precision) -> None:
    """Percent and display of any counts equal coverage.py's Numbers."""
    miss = min(miss, stmts)
    missing_br = min(missing_br, branches)
    ours = Numbers(stmts, miss, branches, 0, missing_br)
    theirs = CoverageNumbers(
        precision=precision,
        n_files=1,
        n_statements=stmts,
        n_missing=miss,
        n_branches=branches,
        n_missing_branches=missing_br,
    )
    assert ours.percent == theirs.pc_covered
    assert ours.display(precision) == theirs.pc_covered_str


@given(percents, st.sampled_from([0, 1, 50, 80, 89.5, 90, 99, 99.9, 100, 12.25]), st.integers(0, 3))
def test_threshold_equals_fail_under(pc: float, threshold: float, precision: int) -> None:
    """A threshold holds exactly when `coverage report --fail-under` would pass."""
    assert meets_threshold(pc, threshold, precision) == (
        not should_fail_under(pc, threshold, precision)
    )


@pytest.mark.parametrize(
    ("pc", "threshold", "precision", "holds"),
    [
        (89.67, 90, 0, True),  # shows as 90%, as coverage's own gate says
        (89.67, 90, 1, False),  # 89.7 at one decimal
        (89.67, 89.7, 0, True),  # the threshold's own decimals count
        (99.99, 100, 2, False),  # 100 must really be 100
        (100.0, 100, 0, True),
    ],
)
def test_threshold_examples(pc, threshold, precision, holds) -> None:
    """The SPEC's threshold examples hold or fail as documented."""
    assert meets_threshold(pc, threshold, precision) is holds


@given(line_sets())
def test_fast_missing_items_equal_coverage(data) -> None:
    """The bisecting Missing formatter used on real files equals coverage.py's format_lines."""
    statements, missing, arcs = data
    executed = sorted(set(statements) - set(missing))
    fast = ", ".join(
        t for _, t in missing_items_sorted(executed, sorted(missing), sorted(arcs.items()))
    )
    assert fast == coverage_format_lines(statements, missing, sorted(arcs.items()))


@given(st.lists(st.text(alphabet="aAm_01239./", max_size=8), max_size=12))
def test_human_key_sorts_as_coverage_report(names: list[str]) -> None:
    """`coverage report` lists files by coverage.py's human sort; ours is the same order."""
    from coverage.misc import human_sorted

    from reportgen.analysis.numbers import human_key

    assert sorted(names, key=human_key) == human_sorted(names)
