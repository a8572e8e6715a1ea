"""The JSON summary's writer and its per-file entries."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.inputs.coverage_json import parse_coverage_json
from reportgen.outputs.summary import FileEntry, as_json

DATA = Path(__file__).parent / "data" / "coverage" / "7.17.4"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400)
@given(json_values)
def test_as_json_writes_the_bytes_of_json_dumps_indented(value) -> None:
    """Re-indenting the compact text gives exactly what `json.dumps(indent=2)` writes:
    exponents (1e-06), non-ASCII, control characters and empty containers included."""
    assert as_json(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def test_file_entry_makes_missing_on_first_read_only() -> None:
    """A report that never reads a file's Missing column never decodes its lines; the JSON
    output reads it, in its place after the other keys."""
    snapshot = parse_coverage_json((DATA / "branch.json").read_bytes(), "branch.json")
    item = next(f for f in snapshot.files.values() if f.numbers.num_missing)
    reads = []

    class Counted:
        @property
        def missing_text(self) -> str:
            reads.append(1)
            return item.missing_text

    entry = FileEntry({"path": item.path, "state": "added"}, Counted(), None)
    assert reads == []
    assert list(entry) == ["path", "state", "missing"] and len(entry) == 3
    assert entry["missing"] == entry["missing"] == item.missing_text
    assert reads == [1]
    assert json.loads(as_json({"files": [entry]})) == {
        "files": [{"path": item.path, "state": "added", "missing": item.missing_text}]
    }
    assert FileEntry({"path": "gone.py"}, None, None)["missing"] is None
