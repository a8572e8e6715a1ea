"""The after side of a diff read with the before side at hand (`parse_coverage_json(checked=)`).

Lists that are the same text on both sides are checked once and shared; everything that
depends on the after side's own summary is still checked, with the same messages.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.cli import main
from reportgen.errors import InputError
from reportgen.inputs.coverage_json import parse_coverage_json


def _entry(executed: list[int], missing: list[int], arcs: list | None = None, **summary) -> dict:
    entry: dict = {
        "executed_lines": executed,
        "missing_lines": missing,
        "summary": {"num_statements": len(executed) + len(missing), "missing_lines": len(missing)},
    }
    if arcs is not None:
        entry["missing_branches"] = arcs
        entry["summary"].update(num_branches=2 * len(arcs), missing_branches=len(arcs))
    entry["summary"].update(summary)
    return entry


def _report(files: dict[str, dict]) -> bytes:
    return json.dumps({"files": files}).encode()


BEFORE = {
    "pkg/same.py": _entry([1, 2, 3], [4, 5], [[3, 5]]),
    "pkg/moved.py": _entry([1, 2], [3]),
    "pkg/full.py": _entry([1, 2, 3], []),
}


def _parse(files: dict[str, dict], checked=None, source: str = "after.json"):
    return parse_coverage_json(_report(files), source, checked=checked)


def _outcome(files: dict[str, dict], checked=None):
    """The snapshot's files, or the error message."""
    try:
        return dict(_parse(files, checked).files)
    except InputError as err:
        return str(err)


def test_unchanged_lists_are_shared_with_the_other_side() -> None:
    before = _parse(BEFORE, source="before.json")
    after = _parse(
        {**BEFORE, "pkg/moved.py": _entry([1, 3], [2])}, checked=before.files, source="after.json"
    )
    for path in ("pkg/same.py", "pkg/full.py"):
        old, new = before.files[path].lines, after.files[path].lines
        assert new.executed_json is old.executed_json
        assert new.missing_json is old.missing_json
        assert new.arcs_json is old.arcs_json
    moved = after.files["pkg/moved.py"]
    assert moved.lines.executed_json is not before.files["pkg/moved.py"].lines.executed_json
    assert (moved.executed_lines, moved.missing_lines) == ([1, 3], [2])
    assert after == _parse({**BEFORE, "pkg/moved.py": _entry([1, 3], [2])})


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        ({"missing_lines": 1}, "summary.missing_lines is 1 but 2 missing lines are listed"),
        ({"num_statements": 1}, "more missing than measured in its summary"),
        ({"covered_lines": 2}, "summary.covered_lines is 2 but num_statements less"),
        ({"missing_branches": 3, "num_branches": 4}, "summary.missing_branches is 3 but 1"),
        ({"missing_branches": 3, "num_branches": 2}, "more missing than measured"),
        ({"covered_branches": 5}, "summary.covered_branches is 5 but num_branches less"),
    ],
)
def test_same_lists_are_still_checked_against_this_sides_summary(
    summary: dict, message: str
) -> None:
    before = _parse(BEFORE, source="before.json")
    changed = json.loads(json.dumps(BEFORE))
    changed["pkg/same.py"]["summary"].update(summary)
    alone = _outcome(changed)
    assert isinstance(alone, str) and message in alone, alone
    assert _outcome(changed, before.files) == alone


def test_a_contradiction_in_a_file_unchanged_on_both_sides_is_refused(tmp_path: Path) -> None:
    """The line listed both executed and missed is found in the before side, where the
    after side's identical text is not looked at again."""
    bad = {"pkg/a.py": _entry([1, 2, 3], [2]), "pkg/b.py": _entry([1], [2])}
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_bytes(_report(bad))
    after.write_bytes(_report({**bad, "pkg/b.py": _entry([1, 2], [])}))
    out = tmp_path / "r.md"
    result = CliRunner().invoke(
        main,
        ["step", "--before", str(before), "--after", str(after), "--out", str(out)],
        env={"SOURCE_DATE_EPOCH": ""},
    )
    assert result.exit_code == 2, result.stderr
    assert result.stderr == (
        f"Error: {before}: file 'pkg/a.py': line 2 is listed in both executed_lines"
        " and missing_lines\n"
    )
    assert not out.exists()


_lines = st.lists(st.integers(0, 30), max_size=6)
_file = st.builds(
    lambda executed, missing, arcs, extra: _entry(executed, missing, arcs, **extra),
    _lines,
    _lines,
    st.one_of(st.none(), st.lists(st.tuples(st.integers(-2, 30), st.integers(-2, 30)))),
    st.dictionaries(
        st.sampled_from(["missing_lines", "num_statements", "covered_lines", "missing_branches"]),
        st.integers(0, 8),
        max_size=2,
    ),
)


@settings(max_examples=300, deadline=None)
@given(before=_file, after=_file, same_lists=st.booleans())
def test_after_side_reads_as_it_does_alone(before: dict, after: dict, same_lists: bool) -> None:
    """Whatever the two sides hold, the after side reads (or is refused) exactly as alone."""
    try:
        checked = _parse({"a.py": before}, source="before.json").files
    except InputError:
        return  # the before side is refused first
    if same_lists:
        after = {**before, "summary": after["summary"]}
    assert _outcome({"a.py": after}, checked) == _outcome({"a.py": after})
