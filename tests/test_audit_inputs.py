"""Paths of the LCOV and Cobertura readers and of stored snapshots that an audit found untested:
how a file split over several records is merged, other producers' layouts, every malformed
LCOV record (exit 2, one line naming the file and the line, nothing written, hostile text
quoted bounded and escaped), and hostile function data in a snapshot."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from reportgen.errors import InputError, one_line, quote
from reportgen.inputs import snapshot as reader
from reportgen.inputs.cobertura import parse_cobertura
from reportgen.inputs.coverage_kind import LCOV, coverage_kind
from reportgen.inputs.lcov import MAX_LINE_BYTES, parse_lcov
from tests.test_hostile import run
from tests.test_snapshot import coverage_json, valid
from tests.test_snapshot_functions import NESTED_SNAPSHOT, body_of, framed


def _figures(item) -> tuple[int, int, int, int, int]:
    n = item.numbers
    return (
        n.num_statements,
        n.num_missing,
        n.num_branches,
        n.num_partial_branches,
        n.num_missing_branches,
    )


def _refused(path: Path, tmp_path: Path) -> str:
    """Run a step on the file: exit 2, nothing on stdout, nothing written, one stderr line."""
    out = tmp_path / "out"
    result = run("--after", str(path), "--out", f"{out}/", "--format", "md")
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert not out.exists()
    (line,) = result.stderr.splitlines()
    return line


# --- Cobertura: one file over several classes; gcovr's layout -------------------------------


def test_cobertura_a_file_over_several_classes_is_merged() -> None:
    """Inner or partial classes of one file (JaCoCo-converted, cobertura-maven, gcovr with
    several objects) each list some of its lines: a line ran when it ran in any class, a
    branch line keeps the better of its counts, and lines of other files stay apart."""
    text = (
        '<?xml version="1.0" ?><coverage><packages>'
        '<package name="a"><classes>'
        '<class name="Outer" filename="src/Outer.java"><methods/><lines>'
        '<line number="1" hits="4"/>'
        '<line number="2" hits="1" branch="true" condition-coverage="100% (2/2)"/>'
        '<line number="3" hits="0"/>'
        "</lines></class>"
        '<class name="Other" filename="src/Other.java"><lines>'
        '<line number="1" hits="0"/></lines></class>'
        '<class name="Outer$Inner" filename="src/Outer.java"><lines>'
        '<line number="1" hits="0"/>'
        '<line number="2" hits="2" branch="true" condition-coverage="50% (1/2)"/>'
        '<line number="7" hits="0" branch="true" condition-coverage="0% (0/4)"/>'
        "</lines></class>"
        "</classes></package>"
        '<package name="b"><classes>'  # the same file again, in another package
        '<class name="Outer$1" filename="src/Outer.java"><lines>'
        '<line number="3" hits="2"/><line number="9" hits="0"/>'
        "</lines></class></classes></package>"
        "</packages></coverage>"
    )
    snapshot = parse_cobertura(io.BytesIO(text.encode()), "split.xml")
    assert sorted(snapshot.files) == ["src/Other.java", "src/Outer.java"]
    outer = snapshot.files["src/Outer.java"]
    # Lines 1, 2, 3, 7, 9 (1 ran in the first class only, 3 in the last only); 7 and 9 never
    # ran; line 2 keeps its better count, 2/2; line 7's 0/4 are missed on a line that did not
    # run: not partial.
    assert _figures(outer) == (5, 2, 6, 0, 4)
    assert list(outer.missing_lines) == [7, 9]
    assert outer.missing_text == "7-9"  # no statement between them
    assert _figures(snapshot.files["src/Other.java"]) == (1, 1, 0, 0, 0)


# gcovr before 5.0 wrote its XML through minidom, which sorted every element's attributes.
GCOVR_SORTED = """<?xml version="1.0" ?>
<!-- gcovr 4.2 -->
<coverage branch-rate="0.5" branches-covered="2" branches-valid="4" complexity="0.0"
 line-rate="0.75" lines-covered="3" lines-valid="4" timestamp="1700000000" version="gcovr 4.2">
 <sources><source>{source}</source></sources>
 <packages><package branch-rate="0.5" complexity="0.0" line-rate="0.75" name="src">
  <classes><class branch-rate="0.5" complexity="0.0" filename="{filename}" line-rate="0.75"
   name="calc_c">
   <methods/>
   <lines>
    <line branch="false" hits="7" number="1"/>
    <line branch="true" condition-coverage="50% (2/4)" hits="3" number="2">
     <conditions><condition coverage="50%" number="0" type="jump"/></conditions>
    </line>
    <line branch="false" hits="12345678901234567890" number="3"/>
    <line branch="false" hits="0" number="5"/>
   </lines>
  </class></classes>
 </package></packages>
</coverage>
"""


@pytest.mark.parametrize(
    ("source", "filename"),
    [
        ("{root}", "src/calc.c"),  # gcovr's default: --root, filenames relative to it
        ("{root}/src", "calc.c"),  # a source folder inside the project
        ("/home/ci/build/project", "src/calc.c"),  # another machine's checkout
        ("C:\\ci\\project", "src/calc.c"),  # a Windows runner's
    ],
)
def test_cobertura_from_gcovr_with_sorted_attributes(
    tmp_path: Path, source: str, filename: str
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "calc.c").write_text("int f(void);\n")
    text = GCOVR_SORTED.format(source=source.format(root=tmp_path), filename=filename)
    snapshot = parse_cobertura(io.BytesIO(text.encode()), "gcovr.xml", str(tmp_path))
    assert list(snapshot.files) == ["src/calc.c"]
    item = snapshot.files["src/calc.c"]
    assert snapshot.has_branches
    assert _figures(item) == (4, 1, 4, 2, 2)  # the root's totals: 3 of 4 lines, 2 of 4 branches
    assert item.missing_text == "5"
    assert item.missing_branches is None  # gcovr names no arc destinations


def test_cobertura_from_gcovr_through_the_command(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "calc.c").write_text("int f(void);\n")
    path = tmp_path / "coverage.xml"
    path.write_text(GCOVR_SORTED.format(source=tmp_path, filename="src/calc.c"))
    out = tmp_path / "out"
    result = run(
        "--after", str(path), "--source-root", str(tmp_path), "--out", f"{out}/",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (written,) = out.glob("*.json")
    (entry,) = json.loads(written.read_text())["coverage"]["files"]
    assert (entry["path"], entry["missing"]) == ("src/calc.c", "5")
    # (3 lines + 2 branches) of (4 + 4): the root's line-rate and branch-rate agree.
    assert entry["after"] == {
        "statements": 4, "missing": 1, "branches": 4, "covered_branches": 2,
        "partial_branches": 2, "percent": 62.5, "display": "62",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("lines", "words"),
    [
        ('<line number="x" hits="1"/><line number="1" hits="1"/>', "is not a line number"),
        ('<line number="1" hits="1"/><line number="2" hits="lots"/>', "is not a count"),
    ],
)
def test_cobertura_errors_quote_a_long_filename_bounded(
    tmp_path: Path, lines: str, words: str
) -> None:
    """A filename attribute of 5,000 characters with a bidi override is named in at most 80,
    escaped."""
    hostile = "d/\u202e" + "p" * 5000 + ".py"
    path = tmp_path / "coverage.xml"
    path.write_text(
        f'<coverage><packages><package><classes><class filename="{hostile}">'
        f"<lines>{lines}</lines></class></classes></package></packages></coverage>"
    )
    line = _refused(path, tmp_path)
    assert words in line and "'d/\\u202eppp" in line
    assert len(line) < len(str(path)) + 160, len(line)
    assert line.isprintable()


def test_cobertura_a_long_filename_listed_twice_is_quoted_bounded(tmp_path: Path) -> None:
    hostile = "d/" + "p" * 5000 + ".py"
    one = '<class filename="{}"><lines><line number="1" hits="1"/></lines></class>'
    path = tmp_path / "coverage.xml"
    path.write_text(
        "<coverage><packages><package><classes>"
        + one.format(hostile)
        + one.format("./" + hostile)
        + "</classes></package></packages></coverage>"
    )
    line = _refused(path, tmp_path)
    assert "is listed under two names" in line and "'d/ppp" in line
    assert len(line) < len(str(path)) + 160, len(line)


# --- LCOV: records merged, counts, BOM --------------------------------------------------------

SPLIT_LCOV = """TN:unit
SF:src/a.c
FN:1,main
FNDA:0,main
DA:1,0
DA:2,0
DA:3,5
BRDA:2,0,0,-
BRDA:2,0,1,1
BRDA:2,0,2,-
LF:3
LH:1
end_of_record
TN:integration
SF:src/a.c
FN:1,main
FNDA:3,main
DA:1,2
DA:2,1
DA:3,0
DA:4,0
BRDA:2,0,0,1
BRDA:2,0,1,0
BRDA:2,0,2,0
LF:4
LH:2
end_of_record
SF:src/b.c
DA:1,1
end_of_record
"""


def test_lcov_records_of_one_file_are_merged_as_lcov_adds_them() -> None:
    """`lcov --add-tracefile` adds the counts of the records of one file (a "-" branch, never
    reached, adds as 0); reportgen shows whether each count is above zero, so a line or branch
    is covered when any record ran it. LF/LH are the tool's sums and are not added up."""
    snapshot = parse_lcov(io.BytesIO(SPLIT_LCOV.encode()), "split.info")
    assert sorted(snapshot.files) == ["src/a.c", "src/b.c"]
    item = snapshot.files["src/a.c"]
    # Lines 1 (0+2), 2 (0+1), 3 (5+0), 4 (0): one missed. Branches of line 2: 0 (- + 1) and
    # 1 (1 + 0) taken, 2 (- + 0) missed on a line that ran: partial.
    assert _figures(item) == (4, 1, 3, 1, 1)
    assert item.missing_text == "4"
    assert [r.name for r in item.regions or ()] == ["main"]
    assert _figures(snapshot.files["src/b.c"]) == (1, 0, 0, 0, 0)


def test_lcov_function_indices_count_within_their_section() -> None:
    """lcov 2.2 numbers FNL/FNA functions within each section: a header's section from one
    test binary and its section from another (tracefiles concatenated) each start at index 0,
    for the functions each binary instantiated. Each keeps its own name and lines."""
    text = (
        "TN:one\nSF:a.h\nFNL:0,1,4\nFNA:0,1,main\nDA:1,1\nDA:2,1\nDA:6,0\nend_of_record\n"
        "TN:two\nSF:a.h\nFNL:0,6,7\nFNA:0,0,helper\nDA:6,0\nDA:7,0\nend_of_record\n"
    )
    item = parse_lcov(io.BytesIO(text.encode()), "t.info").files["a.h"]
    assert [(r.name, r.start_line, sorted(r.lines)) for r in item.regions or ()] == [
        ("main", 1, [1, 2]),
        ("helper", 6, [6, 7]),
    ]
    assert (item.enclosing(2), item.enclosing(7)) == ("main", "helper")


@pytest.mark.parametrize(
    ("count", "ran"),
    [("0.0", False), ("0.", False), ("000", False), ("2.0", True), ("0.5", True), ("1.", True)],
)
def test_lcov_counts_written_as_decimals(count: str, ran: bool) -> None:
    text = f"SF:a.py\nDA:1,1\nDA:3,{count}\nBRDA:1,0,0,{count}\nend_of_record\n"
    item = parse_lcov(io.BytesIO(text.encode()), "f.info").files["a.py"]
    assert list(item.missing_lines) == ([] if ran else [3])
    assert item.numbers.num_missing_branches == (0 if ran else 1)


def test_lcov_with_a_byte_order_mark(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbfSF:a.py\nDA:1,1\nDA:2,0\nend_of_record\n"
    assert coverage_kind(data) == LCOV
    item = parse_lcov(io.BytesIO(data), "bom.info").files["a.py"]
    assert _figures(item) == (2, 1, 0, 0, 0)
    path = tmp_path / "bom.info"
    path.write_bytes(data)
    out = tmp_path / "out"
    result = run("--after", str(path), "--out", f"{out}/", "--format", "json")
    assert result.exit_code == 0, result.stderr


# --- LCOV: malformed records ------------------------------------------------------------------

MALFORMED = {
    "end-of-record-outside": (
        "SF:a.py\nDA:1,1\nend_of_record\nend_of_record\n",
        "end_of_record outside a record at line 4",
    ),
    "empty-sf": ("TN:\nSF:\nDA:1,1\nend_of_record\n", "SF without a path at line 2"),
    "blank-sf": ("SF:   \nend_of_record\n", "SF without a path at line 1"),
    "da-without-count": ("SF:a.py\nDA:1\nend_of_record\n", "DA is not 'line,count' at line 2"),
    "fn-without-name": ("SF:a.py\nFN:1\nend_of_record\n", "FN is not 'line[,end],name' at line 2"),
    "fnl-without-start": (
        "SF:a.py\nFNL:1\nend_of_record\n",
        "FNL is not 'index,start[,end]' at line 2",
    ),
    "fna-without-name": (
        "SF:a.py\nFNA:1,2\nend_of_record\n",
        "FNA is not 'index,count,name' at line 2",
    ),
    "fnda-without-name": ("SF:a.py\nFNDA:1\nend_of_record\n", "FNDA is not 'count,name' at line 2"),
    "fn-bad-end": (
        "SF:a.py\nFN:1,x2,f\nend_of_record\n",
        "line number 'x2' is not a whole number at line 2",
    ),
    "fna-bad-count": (
        "SF:a.py\nFNA:0,-1,f\nend_of_record\n",
        "execution count '-1' is not a count at line 2",
    ),
    "fnda-bad-count": (
        "SF:a.py\nFNDA:many,f\nend_of_record\n",
        "execution count 'many' is not a count at line 2",
    ),
    "brda-bad-taken": (
        "SF:a.py\nBRDA:1,0,0,1e3\nend_of_record\n",
        "execution count '1e3' is not a count at line 2",
    ),
    "record-key-outside": ("TN:\nFN:1,f\n", "FN outside a record (no SF before it) at line 2"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_lcov_is_one_line_naming_the_file_and_line(case: str, tmp_path: Path) -> None:
    text, problem = MALFORMED[case]
    path = tmp_path / "lcov.info"
    path.write_text(text)
    assert _refused(path, tmp_path) == f"Error: {path}: not LCOV ({problem})"


def test_an_lcov_line_over_one_mebibyte_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lcov.info"
    path.write_bytes(b"SF:a.py\nFN:1," + b"n" * MAX_LINE_BYTES + b"\nend_of_record\n")
    line = _refused(path, tmp_path)
    assert line == f"Error: {path}: not LCOV (a line of more than 1048576 bytes at line 2)"


def test_a_line_of_exactly_one_mebibyte_is_read(tmp_path: Path) -> None:
    name = "n" * (MAX_LINE_BYTES - len(b"FN:1,\n"))
    data = f"SF:a.py\nFN:1,{name}\nDA:1,1\nend_of_record\n".encode()
    item = parse_lcov(io.BytesIO(data), "big.info").files["a.py"]
    assert [r.name for r in item.regions or ()] == [name]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        # A terminal escape, a bidi override, a bell: quoted escaped, and cut.
        ("SF:a.py\nDA:\x1b[31m" + "9" * 300 + ",1\n", r"(line number '\x1b[31m999", "…' is not a"),
        ("SF:a.py\nDA:1,\u202e" + "7" * 300 + "\n", r"(execution count '\u202e777", "…' is not a"),
        ("SF:a.py\n\x07" + "z" * 300 + "\n", r"('\x07zzz", "…' is not a KEY:VALUE"),
    ],
)
def test_lcov_errors_quote_hostile_text_bounded_and_escaped(
    tmp_path: Path, text: str, start: str, end: str
) -> None:
    path = tmp_path / "lcov.info"
    path.write_text(text + "end_of_record\n")
    line = _refused(path, tmp_path)
    assert start in line and end in line
    assert line.index(end) - line.index(start) <= 60  # the value is cut to a few dozen
    assert line.isprintable()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("SF:{p}\nSF:b.py\nend_of_record\n", "SF inside the record of"),
        ("SF:{p}\nDA:1,1\n", "truncated LCOV (the record of"),
        ("SF:{p}\nend_of_record\nSF:./{p}\nend_of_record\n", "is listed under two names"),
    ],
)
def test_lcov_errors_quote_a_long_path_bounded(tmp_path: Path, text: str, words: str) -> None:
    """A path of 5,000 characters with a control character is named in at most 80, escaped."""
    hostile = "d/\x1b[2J" + "p" * 5000 + ".py"
    path = tmp_path / "lcov.info"
    path.write_text(text.format(p=hostile))
    line = _refused(path, tmp_path)
    assert words in line and "'d/\\x1b[2Jppp" in line
    assert len(line) < len(str(path)) + 160, len(line)
    assert line.isprintable()


# --- snapshots: stored function data ----------------------------------------------------------


def _with(functions: object, regions: object = None) -> reader.StoredFunctions:
    body = body_of(NESTED_SNAPSHOT)
    item = body["coverage"]["files"][0]
    item[6] = functions
    if regions is not None:
        item[5] = regions
    found = reader.read_snapshot(framed(body), "s.snapshot")
    assert found.functions is not None
    return found.functions


def _outer_regions(*extra: list) -> list:
    regions = body_of(NESTED_SNAPSHOT)["coverage"]["files"][0][5]
    return sorted(regions + list(extra), key=lambda r: (r[2], r[0], r[1]))


OUTER = ["", 1, [4, 2, 0, 0, 0], b"\x02\0\0\0\x06\0\0\0"]  # named by its region, line 1


def test_an_unnamed_function_on_a_line_where_two_start_is_refused() -> None:
    """A function is stored without its name when exactly one function region starts on its
    line; a lambda on the `def` line makes two, and the name is no longer known."""
    lam = ["function", "outer.<lambda>", 1, b"\x01\0\0\0"]
    functions = _with([OUTER], _outer_regions(lam))
    with pytest.raises(InputError) as caught:
        functions.sides("m.py")
    assert str(caught.value) == (
        "s.snapshot: corrupt snapshot (file 'm.py': no one function starts on line 1)"
    )


def test_a_class_starting_on_the_functions_line_does_not_count() -> None:
    """Only function regions name a function: a class region on the line is no second one."""
    klass = ["class", "Outer", 1, b"\x01\0\0\0"]
    (side,) = _with([OUTER], _outer_regions(klass)).sides("m.py") or ()
    assert (side.name, side.start_line, side.missing_lines) == ("outer", 1, [2, 8])


@pytest.mark.parametrize(
    "counts",
    [
        [4, 2, 1, 2, 0],  # two partial branches of one
        [4, 2, 1, 0, 2],  # two missed branches of one
        [4, 2, 0, 1, 0],  # a partial branch where none is
        [4, 2, 0, 0, 1],  # a missed branch where none is
    ],
)
def test_branch_counts_above_the_functions_branches_are_refused(counts: list[int]) -> None:
    functions = _with([["g", 1, counts, b"\x02\0\0\0\x06\0\0\0"]])
    with pytest.raises(InputError) as caught:
        functions.sides("m.py")
    assert str(caught.value) == (
        "s.snapshot: corrupt snapshot (file 'm.py': function 'g': its counts contradict its lines)"
    )


def test_branch_counts_within_the_functions_branches_are_read() -> None:
    """The same function with counts that fit: read, so the refusals above are the checks'."""
    (side,) = _with([["g", 1, [4, 2, 2, 1, 1], b"\x02\0\0\0\x06\0\0\0"]]).sides("m.py") or ()
    n = side.numbers
    assert (n.num_branches, n.num_partial_branches, n.num_missing_branches) == (2, 1, 1)
    assert side.missing_lines == [2, 8]


# --- further error paths no test reached ------------------------------------------------------


def _cobertura(lines: str) -> bytes:
    return (
        '<coverage><packages><package><classes><class filename="a.py"><lines>'
        f"{lines}</lines></class></classes></package></packages></coverage>"
    ).encode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # Another producer's attribute order takes the general path: its hits are checked too.
        (
            _cobertura('<line hits="x" number="1"/>'),
            "not Cobertura XML (line 1: hits 'x' is not a count at line 1)",
        ),
        # A branch line's bad number is refused with the file's other lines.
        (
            _cobertura('<line number="x" hits="1" branch="true" condition-coverage="50% (1/2)"/>'),
            "not Cobertura XML (file 'a.py': line number 'x' is not a line number)",
        ),
        (
            _cobertura(
                '<line number="1" hits="1" branch="true" condition-coverage="5% (1/'
                + "1" * 19
                + ')"/>'
            ),
            "not Cobertura XML (line 1: a branch count of more than 18 digits at line 1)",
        ),
        (
            b'<?xml version="1.0" encoding="klingon"?><coverage/>',
            "unsupported encoding (unknown encoding: klingon)",
        ),
    ],
)
def test_cobertura_refusals(data: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "coverage.xml"
    path.write_bytes(data)
    assert _refused(path, tmp_path) == f"Error: {path}: {message}"


def test_cobertura_a_branch_flag_without_counts_counts_no_branch() -> None:
    data = _cobertura('<line number="1" hits="1" branch="true"/><line number="2" hits="0"/>')
    snapshot = parse_cobertura(io.BytesIO(data), "c.xml")
    assert not snapshot.has_branches
    assert _figures(snapshot.files["a.py"]) == (2, 1, 0, 0, 0)


def test_cobertura_a_line_listed_twice_in_one_class_ran_if_either_ran() -> None:
    data = _cobertura(
        '<line number="1" hits="0"/><line number="1" hits="2"/>'
        '<line number="2" hits="3"/><line number="2" hits="0"/><line number="3" hits="0"/>'
    )
    item = parse_cobertura(io.BytesIO(data), "c.xml").files["a.py"]
    assert _figures(item) == (3, 1, 0, 0, 0)
    assert item.missing_text == "3"


def _coverage_json(lines: dict, summary: dict) -> bytes:
    import json as _json

    full = {
        "covered_lines": max(0, summary["num_statements"] - summary["missing_lines"]),
        "num_branches": 0, "num_partial_branches": 0, "missing_branches": 0,
        "percent_covered": 0.0, **summary,
    }  # fmt: skip
    entry = {"excluded_lines": [], "summary": full, **lines}
    meta = {"version": "7.6.1", "branch_coverage": False}
    return _json.dumps({"meta": meta, "files": {"a.py": entry}, "totals": full}).encode()


@pytest.mark.parametrize(
    ("lines", "summary", "message"),
    [
        (
            {"executed_lines": [], "missing_lines": [1, 2]},
            {"num_statements": 1, "missing_lines": 2},
            "file 'a.py': more missing than measured in its summary",
        ),
        (
            {"executed_lines": [1, 1], "missing_lines": [2]},
            {"num_statements": 3, "missing_lines": 1},
            "file 'a.py': executed_lines lists a line twice",
        ),
        (
            {"executed_lines": [1], "missing_lines": [2, 2]},
            {"num_statements": 3, "missing_lines": 2},
            "file 'a.py': missing_lines lists a line twice",
        ),
    ],
)
def test_coverage_json_refusals(lines: dict, summary: dict, message: str, tmp_path: Path) -> None:
    path = tmp_path / "coverage.json"
    path.write_bytes(_coverage_json(lines, summary))
    assert _refused(path, tmp_path) == f"Error: {path}: {message}"


def test_coverage_json_with_a_byte_order_mark(tmp_path: Path) -> None:
    from reportgen.inputs.coverage_json import parse_coverage_json

    data = _coverage_json(
        {"executed_lines": [1], "missing_lines": [2]}, {"num_statements": 2, "missing_lines": 1}
    )
    snapshot = parse_coverage_json(b"\xef\xbb\xbf" + data, "bom.json")
    assert _figures(snapshot.files["a.py"]) == (2, 1, 0, 0, 0)


def test_bad_function_lines_in_coverage_json_are_one_line() -> None:
    from reportgen.inputs.function_json import function_regions_from_json

    with pytest.raises(InputError) as caught:
        function_regions_from_json(b'{"f": {"executed_lines": "x"}}', "c.json", "a.py")
    assert str(caught.value) == (
        "c.json: file 'a.py': bad functions (Expected `array`, got `str` - at"
        " `$[...].executed_lines`)"
    )


def test_a_snapshots_regions_unreadable_when_a_function_needs_its_name() -> None:
    """Regions are decoded for a function's name only when a report compares that file."""
    body = body_of(NESTED_SNAPSHOT)
    body["coverage"]["files"][0][5] = "nope"
    body["coverage"]["files"][0][6] = [OUTER]
    found = reader.read_snapshot(framed(body), "s.snapshot", lambda path: False)
    assert found.functions is not None
    assert found.functions.sides("other.py") is False  # a file the snapshot does not hold
    with pytest.raises(InputError) as caught:
        found.functions.sides("m.py")
    assert str(caught.value) == (
        "s.snapshot: corrupt snapshot (file 'm.py': Expected `array | null`, got `str`)"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+x\n",
            "not a valid unified diff (a file header names no path)",
        ),
        (
            b"--- a/x.py\n+++ b/x.py\n@@ -1 +1,99999999999999999999 @@\n+x\n",
            "not a valid unified diff (Hunk is shorter than expected)",
        ),
        (
            b"--- a/x.py\n+++ b/x.py\n@@ -1 +" + b"9" * 5000 + b" @@\n+x\n",
            "not a valid unified diff (Exceeds the limit (4300 digits) for integer string"
            " conversion)",
        ),
    ],
)
def test_unified_diff_refusals(data: bytes, message: str) -> None:
    from reportgen.inputs.unified_diff import parse_unified_diff

    with pytest.raises(InputError) as caught:
        parse_unified_diff(io.BytesIO(data), "d.diff")
    assert str(caught.value) == f"d.diff: {message}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("precision = 11", "precision: must be 0 to 10, not 11"),
        (
            'next = ["a"]\n[[criteria]]\ntext = "t"\nnext = ["b"]',
            "next: given twice (at the top and inside a table)",
        ),
        ("precision = 1.5", "precision: must be a whole number, not 1.5"),
        ("precision = true", "precision: must be a whole number, not True"),
        ("date = 2025-10-27T10:00:00", None),  # a date-time gives its date
        ('target = "x.py"', "target: must be an array of tables ([[target]]), not 'x.py'"),
        ("[[target]]\nmin = 80", "target[0].path: missing (the file or glob the target is about)"),
        ('scope = "tools/"', "scope: must be a table ([scope]), not 'tools/'"),
        ("[scope]\ntarget = 80", 'scope.prefix: missing (the path prefix, e.g. "tools/")'),
        ('[scope]\nprefix = "t/"\ntarget = [1, 2, 3]', "scope.target: must be a number or [min, max], not [1, 2, 3]"),
        ("[[criteria]]\ndone = true", "criteria[0]: needs `check` (automatic) or `text` (manual)"),
        ('[[criteria]]\ncheck = "max-time"', "criteria[0].seconds: max-time needs `seconds`, a number >= 0"),
        ("patch = 80", "patch: must be a table ([patch]), not 80"),
        ("[patch]", "patch.min: missing (the least share of changed lines covered)"),
        ('inputs = "a.json"', "inputs: must be a table ([inputs]), not 'a.json'"),
    ],
)  # fmt: skip
def test_spec_refusals(text: str, message: str | None) -> None:
    from pathlib import PurePath

    from reportgen.errors import SpecError
    from reportgen.inputs.spec import parse_spec

    if message is None:
        assert parse_spec(text.encode(), "s.toml", PurePath(".")).date == "2025-10-27"
        return
    with pytest.raises(SpecError) as caught:
        parse_spec(text.encode(), "s.toml", PurePath("."))
    assert str(caught.value) == f"s.toml: {message}"


def test_a_scope_target_of_one_number_is_a_minimum() -> None:
    from pathlib import PurePath

    from reportgen.inputs.spec import parse_spec

    spec = parse_spec(b'[scope]\nprefix = "t/"\ntarget = 80', "s.toml", PurePath("."))
    assert spec.scope is not None and (spec.scope.min, spec.scope.max) == (80.0, None)
    spec = parse_spec(b'[scope]\nprefix = "t/"', "s.toml", PurePath("."))
    assert spec.scope is not None and (spec.scope.min, spec.scope.max) == (None, None)


def _docs(root: Path, cases: str, ids: list[str]) -> dict[str, str]:
    from reportgen.inputs.test_results import parse_junit
    from reportgen.inputs.test_sources import docstrings_of

    run_ = parse_junit(io.BytesIO(f"<testsuite>{cases}</testsuite>".encode()), "j.xml")
    return docstrings_of(run_, ids, root)


def test_test_docstrings_are_read_only_inside_the_source_root(tmp_path: Path) -> None:
    """A JUnit `file` attribute naming a module outside the root (absolute, or `..`) is not
    read, though it exists and parses; the same module inside the root is."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    module = 'def test_a():\n    """Outside secret."""\n'
    (outside / "t.py").write_text(module)
    (root / "t.py").write_text(module.replace("Outside secret", "Inside"))
    for file in (str(outside / "t.py"), "../outside/t.py"):
        case = f'<testcase classname="X" name="test_a" file="{file}"/>'
        assert _docs(root, case, ["X::test_a"]) == {}
    case = '<testcase classname="X" name="test_a" file="t.py"/>'
    assert _docs(root, case, ["X::test_a"]) == {"X::test_a": "Inside."}


def test_test_docstrings_of_modules_that_do_not_parse_or_are_too_large(tmp_path: Path) -> None:
    from reportgen.inputs.test_sources import MAX_BYTES

    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_bad.py").write_text('def test_a(:\n    """Never read."""\n')
    big = 'def test_a():\n    """Too far."""\n' + "#" * MAX_BYTES + "\n"
    (tmp_path / "tests" / "test_big.py").write_text(big)
    cases = (
        '<testcase classname="tests.test_bad" name="test_a"/>'
        '<testcase classname="tests.test_big" name="test_a"/>'
    )
    assert _docs(tmp_path, cases, ["tests.test_bad::test_a", "tests.test_big::test_a"]) == {}
    (tmp_path / "tests" / "test_big.py").write_text(big[: -MAX_BYTES // 2])
    assert _docs(tmp_path, cases, ["tests.test_big::test_a"]) == {
        "tests.test_big::test_a": "Too far."
    }


def test_source_regions_of_text_that_is_not_python() -> None:
    from reportgen.inputs.function_regions import docstring_lines, function_regions_from_source

    for text in ("def f(:\n    pass\n", "x = 1\x00\n", "(" * 300 + ")" * 300):
        assert function_regions_from_source(text) is None
        assert docstring_lines(text) == frozenset()
    assert docstring_lines('"""Doc\nmore."""\ndef f():\n    """One."""\n') == {1, 2, 4}


def test_cobertura_sources_alone_and_sources_from_elsewhere(tmp_path: Path) -> None:
    """A report of no class holds no file; several sources from another machine, none of
    them here, keep their place below their common folder; absolute and relative sources
    mixed have none; sources written last, after the packages, still place the files."""
    from reportgen.inputs.cobertura import _resolver

    empty = b"<coverage><sources><source>/ci/x/src</source></sources></coverage>"
    assert parse_cobertura(io.BytesIO(empty), "c.xml").files == {}
    root = str(tmp_path)
    assert _resolver(["/ci/x/src", "/ci/x/lib"], root)("a.py") == "src/a.py"
    assert _resolver(["/ci/x/src", "../other/lib"], root)("a.py") == "a.py"
    # Sources written after the packages, the last element of the report: still used.
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    late = (
        '<coverage><packages><package><classes><class filename="mod.py"><lines>'
        '<line number="1" hits="1"/></lines></class></classes></package></packages>'
        f"<sources><source>{tmp_path}/src/pkg</source></sources></coverage>"
    )
    assert list(parse_cobertura(io.BytesIO(late.encode()), "c.xml", str(tmp_path)).files) == [
        "src/pkg/mod.py"
    ]


def test_coverage_py_version_of_what_is_not_a_report() -> None:
    assert reader.coverage_py_version(b"not json") is None
    assert reader.coverage_py_version(b'{"meta": {"version": 7}}') is None
    assert reader.coverage_py_version(b'{"meta": {"version": "7.6.1"}}') == "7.6.1"


def test_a_spec_target_written_as_one_inline_table() -> None:
    from pathlib import PurePath

    from reportgen.inputs.spec import parse_spec

    spec = parse_spec(b'target = {path = "a.py", min = 80}', "s.toml", PurePath("."))
    assert [(t.pattern, t.min, t.delta) for t in spec.targets] == [("a.py", 80.0, None)]


def test_function_summaries_absent_or_without_a_start_line() -> None:
    from reportgen.inputs.function_json import function_sides_from_json

    # coverage.py 7.6's regions before summaries were added: figures come from the lines.
    assert function_sides_from_json(b'{"f": {"executed_lines": [2]}}', "c.json", "a.py") is None
    summary = (
        '"summary": {"num_statements": 2, "missing_lines": 1, "num_branches": 0,'
        ' "num_partial_branches": 0, "missing_branches": 0}'
    )
    blob = f'{{"f": {{"executed_lines": [5], "missing_lines": [3], {summary}}}}}'.encode()
    (side,) = function_sides_from_json(blob, "c.json", "a.py") or ()
    assert (side.name, side.start_line, side.missing_lines) == ("f", 3, [3])


# --- Hostile text where an error quotes it: every reader's refusal stays one short line -------

# 100,000 characters: each thousand starts with terminal escapes, bidi controls, a bell, NUL
# and line separators. The readers' formats each allow some of them (below).
_BAD = "\x1b[2J\u202e\x07\u2066\x00\u2028\x85\u200f"
HOSTILE = (_BAD + "p" * (1000 - len(_BAD))) * 100
# XML forbids most control characters even as references; bidi controls, NEL, the line
# separator and newlines written as references it takes.
HOSTILE_XML = ("\u202e\u2066&#10;&#9;\x85\u2028" + "p" * 994) * 100
# LCOV and diffs are read line by line: everything but the newline.
HOSTILE_LINE = HOSTILE.replace("\u2028", "\u2029")


def _toml(text: str) -> str:
    """`text` as a TOML basic string, unprintable characters written as escapes."""
    return (
        '"'
        + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text)
        + '"'
    )


def _json_report(path: str) -> bytes:
    summary = {"covered_lines": 1, "num_statements": 1, "percent_covered": 100.0,
               "missing_lines": 1, "excluded_lines": 0}  # fmt: skip
    files = {path: {"executed_lines": [1], "missing_lines": [], "excluded_lines": [],
                    "summary": summary}}  # fmt: skip
    return json.dumps({"meta": {"version": "7.6.1"}, "files": files, "totals": summary}).encode()


def _cobertura_class(filename: str, lines: str) -> bytes:
    return (
        f'<coverage><packages><package><classes><class filename="{filename}">'
        f"<lines>{lines}</lines></class></classes></package></packages></coverage>"
    ).encode()


def _snapshot_with(change) -> bytes:
    body = body_of(valid())
    change(body)
    return framed(body)


def _path_contradicting_its_counts(body: dict) -> None:
    body["coverage"]["files"][0][0] = HOSTILE
    body["coverage"]["files"][0][1][1] = 2  # two lines missed, one listed


def _class_stored_twice(body: dict) -> None:
    block = body["tests"]["classes"][0]
    block[0] = HOSTILE
    body["tests"]["classes"].append(list(block))


# (the option that reads it, the file's name, its bytes, the start of the quoted value as the
# line shows it (None where the reader quotes none of the file's text)).
HOSTILE_INPUTS = {
    "coverage-json-path": (
        "--after", "coverage.json", _json_report(HOSTILE), r"file '\x1b[2J\u202e\x07\u2066\x00",
    ),
    "cobertura-filename": (
        "--after",
        "coverage.xml",
        _cobertura_class(HOSTILE_XML, '<line number="1" hits="x"/>'),
        r"file '\u202e\u2066 ppp",  # a run of white space is one space in a path
    ),
    "cobertura-hits": (
        "--after",
        "coverage.xml",
        _cobertura_class("a.py", f'<line number="1" hits="{HOSTILE_XML}"/>'),
        r"hits '\u202e\u2066\n\t…' is not",
    ),
    "lcov-path": (
        "--after",
        "coverage.info",
        f"SF:{HOSTILE_LINE}\nSF:b.py\nend_of_record\n".encode(),
        r"record of '\x1b[2J\u202e\x07\u2066\x00",
    ),
    "lcov-record-line": (
        "--after",
        "coverage.info",
        f"SF:a.py\n{HOSTILE_LINE}\nend_of_record\n".encode(),
        r"('\x1b[2J\u202e\x07\u2066\x00",
    ),
    "junit-root": (  # XML names hold neither control nor bidi characters: length alone
        "--junit", "results.xml", f"<{'ü' * 100_000}/>".encode(), "root element <üüü",
    ),
    "spec-path": (
        "--spec",
        "spec.toml",
        f"[[target]]\npath = {_toml(HOSTILE)}\n".encode(),
        r"target '\x1b[2J\u202e\x07\u2066\x00",
    ),
    "spec-key": (
        "--spec",
        "spec.toml",
        f"{_toml(HOSTILE)} = 1\n".encode(),
        r"spec.toml: \x1b[2J\u202e\x07\u2066\x00",
    ),
    "spec-list": (
        "--spec",
        "spec.toml",
        f"title = [{_toml(HOSTILE)}]\n".encode(),
        r"not ['\x1b[2J\u202e\x07\u2066\x00",
    ),
    "spec-number": ("--spec", "spec.toml", f"precision = {'9' * 4000}\n".encode(), "not 9999"),
    "diff-path": (
        "--diff",
        "change.diff",
        f"--- a/{HOSTILE_LINE}\n+++ b/{HOSTILE_LINE}\n@@ -1,2 +1,2 @@\n-x\n".encode(),
        None,
    ),
    "snapshot-path": (
        "--baseline", "store", _snapshot_with(_path_contradicting_its_counts),
        r"file '\x1b[2J\u202e\x07\u2066\x00",
    ),
    "snapshot-classname": (
        "--baseline", "store", _snapshot_with(_class_stored_twice),
        r"class '\x1b[2J\u202e\x07\u2066\x00",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(HOSTILE_INPUTS))
def test_hostile_text_is_quoted_short_and_escaped(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a file holds where an error quotes it, the error is one line of fewer than
    400 characters, naming the file, without control, bidi or separator characters: the
    quoted value is escaped, then cut."""
    option, name, data, shown = HOSTILE_INPUTS[case]
    args = ["--after", str(tmp_path / "after.json")] if option != "--after" else []
    (tmp_path / "after.json").write_bytes(coverage_json({"a.py": ([1, 2], [3])}, True))
    if option == "--baseline":
        from tests.patch_project import git

        git(tmp_path, "init", "-q", "-b", "main")
        git(tmp_path, "commit", "-q", "--allow-empty", "-m", "one")
        commit = git(tmp_path, "rev-parse", "HEAD").strip()
        (tmp_path / name).mkdir()
        path = tmp_path / name / f"{commit}.snapshot"
        body = body_of(data)
        body["commit"] = commit
        path.write_bytes(framed(body))
        args += ["--baseline", str(tmp_path / name), "--baseline-ref", "main"]
        monkeypatch.chdir(tmp_path)
    else:
        path = tmp_path / name
        path.write_bytes(data)
        args += [option, str(path)]
    out = tmp_path / "out"
    result = run(*args, "--out", f"{out}/", "--format", "md")
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr[:500])
    assert not out.exists()
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {path}: "), line[:500]
    assert len(line) < 400, (len(line), line[:500])
    assert line.isprintable(), line  # no control, bidi (format) or separator character
    if shown is not None:
        assert shown in line, line


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        ("a.py", 80, "'a.py'"),  # short values read as before
        ("it's", 80, '"it\'s"'),
        ("p" * 80, 80, "'" + "p" * 80 + "'"),
        ("p" * 81, 80, "'" + "p" * 79 + "…'"),
        # Escapes count towards the bound, and none is cut in two.
        ("\u202e" * 200, 80, "'" + "\\u202e" * 13 + "…'"),
        ("ab\x1b" + "c" * 30, 8, "'ab\\x1bc…'"),
        ("\ud800x", 80, "'\\ud800x'"),  # a lone surrogate (from JSON) stays printable
        ([1, "a"], 80, "[1, 'a']"),
        (list(range(100_000)), 40, "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, …"),
        (10**200, 20, "10000000...000000000"),  # a number's digits, its middle left out
    ],
    ids=[
        "short",
        "quotes",
        "at-bound",
        "past-bound",
        "bidi",
        "escape",
        "surrogate",
        "list",
        "long-list",
        "long-number",
    ],  # fmt: skip
)
def test_quote_bounds_after_escaping(value: object, limit: int, expected: str) -> None:
    assert quote(value, limit) == expected


def test_quote_of_deeply_nested_values_stops_early() -> None:
    nested: list = []
    for _ in range(100_000):
        nested = [nested]
    assert quote(nested) == "[[[[[...]]]]]"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("unknown  encoding:\n x", 80, "unknown encoding: x"),
        ("\u202e" * 200, 80, "\\u202e" * 13 + "…"),
        ("a\x07b", 80, "a\\x07b"),
        ("p" * 100, 10, "ppppppppp…"),
    ],
    ids=["white-space", "bidi", "bell", "long"],
)
def test_one_line_flattens_escapes_and_bounds(text: str, limit: int, expected: str) -> None:
    assert one_line(text, limit) == expected


# --- LCOV: a byte order mark inside the file ---------------------------------------------------


def test_lcov_tracefiles_joined_with_cat_keep_the_second_ones_byte_order_mark(
    tmp_path: Path,
) -> None:
    """`cat a.info b.info`, b written with a BOM: the BOM starts b's first line, mid-file, and
    is skipped as at the file's start (else its SF is no SF, and b's DA is outside a record)."""
    first = b"SF:a.py\nDA:1,1\nDA:2,0\nend_of_record\n"
    second = b"\xef\xbb\xbfSF:b.py\nDA:1,0\nDA:5,3\nend_of_record\n"
    snapshot = parse_lcov(io.BytesIO(first + second), "joined.info")
    assert sorted(snapshot.files) == ["a.py", "b.py"]
    assert _figures(snapshot.files["b.py"]) == (2, 1, 0, 0, 0)
    assert list(snapshot.files["b.py"].missing_lines) == [1]
    path = tmp_path / "joined.info"
    path.write_bytes(first + second)
    out = tmp_path / "out"
    result = run("--after", str(path), "--out", f"{out}/", "--format", "json")
    assert result.exit_code == 0, result.stderr
    files = json.loads((out / "report.json").read_text())["coverage"]["files"]
    assert [(f["path"], f["missing"]) for f in files] == [("a.py", "2"), ("b.py", "1")]


def test_lcov_a_byte_order_mark_opening_a_line_inside_a_record_is_skipped() -> None:
    data = b"SF:a.py\nDA:1,1\n\xef\xbb\xbfDA:2,0\n\xef\xbb\xbfFN:1,f\nend_of_record\n"
    item = parse_lcov(io.BytesIO(data), "bom.info").files["a.py"]
    assert list(item.missing_lines) == [2]
    assert [r.name for r in item.regions or ()] == ["f"]


@pytest.mark.parametrize(
    "line",
    [
        "\ufeff",  # an empty tracefile written with a BOM, joined to another
        "\ufeff \ufeff\t\ufeff",
        "\ufeff \u2029" * 100_000,  # not one level of recursion per mark
    ],
)
def test_lcov_lines_of_byte_order_marks_alone_are_blank(line: str) -> None:
    data = f"SF:a.py\nDA:1,0\nend_of_record\n{line}\nSF:b.py\n{line}\nDA:1,1\nend_of_record\n"
    snapshot = parse_lcov(io.BytesIO(data.encode()), "bom.info")
    assert [_figures(snapshot.files[p])[:2] for p in ("a.py", "b.py")] == [(1, 1), (1, 0)]


def test_gits_complaint_quoting_a_hostile_name_is_bounded_and_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git repeats the name it was given (a base branch from the environment, a commit): its
    complaint is cut after escaping, as a quoted value is."""
    from reportgen.commands.baseline import GitError, git
    from tests.patch_project import git as git_in

    git_in(tmp_path, "init", "-q")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(GitError) as caught:
        git("cat-file", "-t", "\u202e" * 5000)
    message = str(caught.value)
    assert message.startswith("git cat-file: fatal: Not a valid object name \\u202e\\u202e")
    assert message.endswith("…") and len(message) <= len("git cat-file: ") + 300
    assert message.isprintable()


def test_a_huge_target_pattern_is_quoted_briefly(tmp_path: Path) -> None:
    """A spec's target that matches nothing is named in the error, cut short and escaped."""
    from click.testing import CliRunner

    from reportgen.cli import main

    spec = tmp_path / "big.toml"
    spec.write_text(
        '[[target]]\npath = "' + "x\\u202e" * 100_000 + '"\nmin = 80\n', encoding="utf-8"
    )
    after = Path(__file__).resolve().parents[1] / "reports" / "m3" / "data" / "state1.json"
    done = CliRunner().invoke(main, ["step", "--spec", str(spec), "--after", str(after)])
    assert done.exit_code == 2
    line = done.stderr.strip()
    assert len(line) < 300 and line.isprintable(), line[:200]
    assert "matches no measured file" in line and "\\u202e" in line
