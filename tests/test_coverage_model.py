"""Laws of the coverage core: combine, diff, targets and region names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.coverage_json import combine_snapshots, parse_coverage_json
from reportgen.diff import Target, diff_coverage, evaluate_target
from reportgen.errors import InputError, SpecError
from reportgen.numbers import total
from reportgen.source_regions import regions_from_source

DATA = Path(__file__).parent / "data" / "coverage"


@st.composite
def reports(draw):
    """A coverage JSON report of one run: random files, statements, executed subsets, arcs."""
    files = {}
    for index in range(draw(st.integers(1, 4))):
        statements = sorted(draw(st.sets(st.integers(1, 60), min_size=0, max_size=25)))
        executed = sorted(draw(st.sets(st.sampled_from(statements))) if statements else [])
        missing = [s for s in statements if s not in executed]
        arcs = sorted(
            draw(st.sets(st.tuples(st.sampled_from(statements), st.integers(-1, 60)), max_size=6))
            if statements
            else []
        )
        files[f"pkg/m{index}.py"] = {
            "executed_lines": executed,
            "missing_lines": missing,
            "excluded_lines": [],
            "executed_branches": [],
            "missing_branches": [list(a) for a in arcs],
            "summary": {
                "num_statements": len(statements),
                "missing_lines": len(missing),
                "num_branches": len(arcs),
                "missing_branches": len(arcs),
                "num_partial_branches": sum(1 for a in arcs if a[0] not in missing),
            },
        }
    return json.dumps({"meta": {"branch_coverage": True}, "files": files}).encode()


@settings(max_examples=60)
@given(reports())
def test_diff_of_a_snapshot_with_itself_shows_no_change(data: bytes) -> None:
    """diff(a, a): every file unchanged, totals equal."""
    snap = parse_coverage_json(data, "a.json")
    diff = diff_coverage(snap, snap)
    assert {f.state for f in diff.files} <= {"unchanged"}
    assert diff.before == diff.after


@settings(max_examples=60)
@given(reports())
def test_totals_equal_sum_of_files(data: bytes) -> None:
    """The total is the sum of the files' counts."""
    snap = parse_coverage_json(data, "a.json")
    assert snap.totals == total(f.numbers for f in snap.files.values())


@settings(max_examples=60)
@given(reports(), reports())
def test_combine_is_order_independent_and_idempotent(a: bytes, b: bytes) -> None:
    """Combining shards gives the same result in any order, and a shard with itself is itself."""
    first, second = parse_coverage_json(a, "a.json"), parse_coverage_json(b, "b.json")
    ab = combine_snapshots([first, second])
    ba = combine_snapshots([second, first])
    assert ab.files == ba.files
    again = combine_snapshots([first, first])
    assert {p: f.numbers for p, f in again.files.items()} == {
        p: f.numbers for p, f in first.files.items()
    }


@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_input_error(data: bytes) -> None:
    """Whatever the bytes, the parser returns a snapshot or raises InputError."""
    try:
        parse_coverage_json(data, "x.json")
    except InputError as err:
        assert str(err).startswith("x.json: ")
        assert "\n" not in str(err)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "x.json: empty file, expected a coverage.py JSON report"),
        (b"[]", "x.json: not a coverage.py JSON report (Expected `object`, got `array`)"),
        (b'{"meta": {}}', "x.json: not a coverage.py JSON report (missing key `files`)"),
        (
            b'{"files": []}',
            "x.json: not a coverage.py JSON report (Expected `object`, got `array` - at `$.files`)",
        ),
        (
            b"<?xml version='1.0'?><testsuites/>",
            "x.json: looks like XML or HTML, expected a coverage.py JSON report",
        ),
        (
            b"SQLite format 3\x00",
            "x.json: a coverage.py data file, not a report; run `coverage json` on it first",
        ),
        (b"[" * 100_000, "x.json: not a coverage.py JSON report (Expected `object`, got `array`)"),
        (b'{"files":' + b'{"a":' * 100_000, "x.json: invalid JSON (nested too deeply)"),
        (b"\xff\xfe{}", "x.json: invalid JSON (JSON is malformed: invalid character (byte 0))"),
        (
            b'{"files": {"a.py": {"executed_lines": [-1], "missing_lines": [], "summary": {"num_statements": 1, "missing_lines": 0}}}}',
            "x.json: not a coverage.py JSON report (Expected `int` >= 0 - at `$.files[...].executed_lines[0]`)",
        ),
    ],
)
def test_wrong_shapes_are_named(data: bytes, message: str) -> None:
    """Each wrong shape gives one line naming the file and what is wrong."""
    with pytest.raises(InputError) as caught:
        parse_coverage_json(data, "x.json")
    assert str(caught.value).startswith(message)


def test_target_glob_and_uncovered_functions() -> None:
    """A target names its uncovered ranges with their functions, in the Missing column's order."""
    snap = parse_coverage_json((DATA / "7.17.4" / "branch.json").read_bytes(), "b.json")
    diff = diff_coverage(None, snap)
    result = evaluate_target(Target("core.py", min=80), diff, 0)
    assert result.paths == ("sample/core.py",)
    assert ", ".join(u.lines for u in result.uncovered) == snap.files["sample/core.py"].missing_text
    named = {u.lines: u.function for u in result.uncovered}
    assert named["53->58"] == "countdown"
    assert named["78"] == "make_counter.reset"
    assert named["132"] == "Shape.Meta.label"
    assert named["145"] is None  # module level
    with pytest.raises(SpecError, match="matches no measured file"):
        evaluate_target(Target("nothing.py", min=1), diff, 0)


def test_regions_from_source_match_coverage_names() -> None:
    """For old JSON, names read from the source equal those coverage 7.6+ writes."""
    source = (DATA / "sample" / "sample" / "core.py").read_text()
    from_source = regions_from_source(source)
    snap = parse_coverage_json((DATA / "7.17.4" / "branch.json").read_bytes(), "b.json")
    item = snap.files["sample/core.py"]
    from dataclasses import replace

    old_style = replace(item, regions=from_source)
    for line in item.missing_lines:
        assert old_style.enclosing(line) == item.enclosing(line), line


def test_pathological_source_gives_no_names_not_a_crash() -> None:
    """Source too deeply nested to parse, or not Python, leaves the lines unnamed."""
    assert regions_from_source("x = 'a' + " + "'.b' + " * 300_000 + "'c'\n") is None
    assert regions_from_source("def (:\n") is None
