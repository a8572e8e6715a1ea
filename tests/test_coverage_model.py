"""Laws of the coverage core: combine, diff, targets and region names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.analysis.coverage_diff import Target, diff_coverage, evaluate_target
from reportgen.analysis.numbers import total
from reportgen.errors import InputError, SpecError
from reportgen.inputs.coverage_json import combine_snapshots, parse_coverage_json
from reportgen.inputs.source_regions import regions_from_source

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
def test_same_data_written_differently_is_unchanged(data: bytes) -> None:
    """Line lists are compared as text first; other spacing of the same data is no change."""
    pretty = json.dumps(json.loads(data), indent=4).encode()
    before, after = parse_coverage_json(data, "a.json"), parse_coverage_json(pretty, "b.json")
    assert {f.state for f in diff_coverage(before, after).files} <= {"unchanged"}
    for path, item in before.files.items():
        assert item.executed_lines == after.files[path].executed_lines
        assert item.missing_branches == after.files[path].missing_branches


def test_a_changed_executed_line_is_a_change() -> None:
    """Equal counts but another line executed: the file changed (its Missing column moved)."""

    def report(executed: list[int], missing: list[int]) -> bytes:
        entry = {"executed_lines": executed, "missing_lines": missing}
        entry["summary"] = {"num_statements": 3, "missing_lines": 1}
        return json.dumps({"files": {"a.py": entry}}).encode()

    before = parse_coverage_json(report([1, 2], [3]), "a.json")
    after = parse_coverage_json(report([1, 3], [2]), "b.json")
    assert [f.state for f in diff_coverage(before, after).files] == ["changed"]
    assert after.files["a.py"].missing_text == "2"


@pytest.mark.parametrize(
    ("entry", "missing"),
    [
        ('"executed_lines": [1, 99999999999], "missing_lines": []', ""),
        ('"executed_lines": [], "missing_lines": [4294967296]', "4294967296"),
        (
            '"executed_lines": [1], "missing_lines": [], "missing_branches": [[1, -99999999999]]',
            "1->exit",
        ),
    ],
)
def test_lists_decoded_late_cannot_fail(entry: str, missing: str) -> None:
    """Lists are decoded only for the files a report shows, so that decoding must not be able
    to fail: otherwise one output format would refuse an input that another accepts. Their
    shape is checked while parsing (below) and any size of number is a line number."""
    listed = "1" if missing.isdigit() else "0"
    branches = '"num_branches": 2, "missing_branches": 1' if "->" in missing else ""
    summary = '"summary": {"num_statements": 2, "missing_lines": ' + listed
    summary += (", " + branches if branches else "") + "}"
    data = '{"files": {"a.py": {' + entry + ", " + summary + "}}}"
    snapshot = parse_coverage_json(data.encode(), "x.json")
    assert snapshot.files["a.py"].missing_text == missing


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
            "x.json: not a coverage.py JSON report (file 'a.py': executed_lines is not a list of line numbers)",
        ),
        (
            b'{"files": {"a.py": {"executed_lines": [[1]], "missing_lines": [], "summary": {"num_statements": 1, "missing_lines": 0}}}}',
            "x.json: not a coverage.py JSON report (file 'a.py': executed_lines is not a list of line numbers)",
        ),
        (
            b'{"files": {"a.py": {"executed_lines": [], "missing_lines": [1, 2], "summary": {"num_statements": 3, "missing_lines": 1}}}}',
            "x.json: file 'a.py': summary.missing_lines is 1 but 2 missing lines are listed",
        ),
        (
            b'{"files": {"a.py": {"executed_lines": [1], "missing_lines": [], "missing_branches": [[1, 2], [1, -1]], "summary": {"num_statements": 1, "missing_lines": 0, "num_branches": 2, "missing_branches": 1}}}}',
            "x.json: file 'a.py': summary.missing_branches is 1 but 2 missing branches are listed",
        ),
        (
            b'{"files": {"a.py": {"executed_lines": [], "missing_lines": [-1], "summary": {"num_statements": 1, "missing_lines": 1}}}}',
            "x.json: not a coverage.py JSON report (file 'a.py': missing_lines is not a list of line numbers)",
        ),
        (
            b'{"files": {"a.py": {"executed_lines": [1], "missing_lines": [], "missing_branches": [[1, 2, 3]], "summary": {"num_statements": 1, "missing_lines": 0}}}}',
            "x.json: not a coverage.py JSON report (file 'a.py': missing_branches is not a list of line pairs)",
        ),
        (
            b'{"files": {"a.py": {"executed_lines": [1], "missing_lines": [], "missing_branches": [[1], [2, 3, 4]], "summary": {"num_statements": 1, "missing_lines": 0}}}}',
            "x.json: not a coverage.py JSON report (file 'a.py': missing_branches is not a list of line pairs)",
        ),
        (
            b'{"files": {"a.py": {"executed_lines": [1], "missing_lines": [], "missing_branches": {"1": 2}, "summary": {"num_statements": 1, "missing_lines": 0}}}}',
            "x.json: not a coverage.py JSON report (file 'a.py': missing_branches is not a list of line pairs)",
        ),
        (
            b'{"files": {"a.py": {"executed_lines": [1.5], "missing_lines": [], "summary": {"num_statements": 1, "missing_lines": 0}}}}',
            "x.json: not a coverage.py JSON report (file 'a.py': executed_lines is not a list of line numbers)",
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
    from msgspec.structs import replace

    old_style = replace(item, regions=from_source)
    for line in item.missing_lines:
        assert old_style.enclosing(line) == item.enclosing(line), line


def test_pathological_source_gives_no_names_not_a_crash() -> None:
    """Source too deeply nested to parse, or not Python, leaves the lines unnamed."""
    assert regions_from_source("x = 'a' + " + "'.b' + " * 300_000 + "'c'\n") is None
    assert regions_from_source("def (:\n") is None


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 2**31 - 1)
    | st.floats(-10, 10)
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=400)
@given(json_values, st.sampled_from([", ", ",", ",\n    "]))
def test_shape_checks_agree_with_a_full_decode(value, separator: str) -> None:
    """The text checks used while parsing accept exactly what decoding as lines/arcs accepts,
    and count the items of a list."""
    import msgspec

    from reportgen.inputs.coverage_json import _arc_pairs, _count_items, _is_line_list

    text = json.dumps(value, separators=(separator, ": ")).encode()
    lines_ok = arcs_ok = True
    try:
        msgspec.json.decode(text, type=list[int])
        lines_ok = all(v >= 0 for v in json.loads(text))
    except msgspec.ValidationError:
        lines_ok = False
    try:
        msgspec.json.decode(text, type=list[tuple[int, int]])
    except msgspec.ValidationError:
        arcs_ok = False
    assert _is_line_list(text) == lines_ok
    assert (_arc_pairs(text) is not None) == arcs_ok
    if lines_ok:  # the counts checked against the summary, without decoding
        assert _count_items(text) == len(value)
    if arcs_ok:
        assert _arc_pairs(text) == len(value)
