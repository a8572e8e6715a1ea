"""Cobertura XML, LCOV and coverage.py data files: hostile and broken input, and property tests.

Every broken file stops the run with exit 2 and one line naming the file, and nothing is
written; the property tests write random measurements in each format and read them back.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reportgen.errors import InputError
from reportgen.inputs.cobertura import parse_cobertura
from reportgen.inputs.coverage_kind import COBERTURA, DATA_FILE, JSON, LCOV, coverage_kind
from reportgen.inputs.lcov import parse_lcov
from tests import coverage_oracle as oracle
from tests.test_hostile import BILLION_LAUGHS, SECRET, assert_clean_failure, run

GOOD_XML = """<?xml version="1.0" ?>
<coverage version="7.18.0" lines-valid="4" lines-covered="3" branches-valid="2">
  <sources><source>/nowhere/project</source></sources>
  <packages><package name="pkg"><classes>
    <class name="m.py" filename="pkg/m.py">
      <methods/>
      <lines>
        <line number="1" hits="1"/>
        <line number="2" hits="1" branch="true" condition-coverage="50% (1/2)" missing-branches="exit"/>
        <line number="3" hits="1"/>
        <line number="5" hits="0"/>
      </lines>
    </class>
  </classes></package></packages>
</coverage>
"""


def _xml(line: str) -> bytes:
    return (
        '<coverage><packages><package name="p"><classes><class filename="a.py"><lines>'
        f"{line}</lines></class></classes></package></packages></coverage>"
    ).encode()


XML_CASES = {
    "truncated": GOOD_XML.encode()[:400],
    "billion-laughs": BILLION_LAUGHS.replace("testsuites", "coverage").encode(),
    "external-dtd": (
        b'<?xml version="1.0"?><!DOCTYPE coverage SYSTEM "file:///etc/passwd"><coverage/>'
    ),
    "entity": b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY e "x">]><coverage>&e;</coverage>',
    "not-utf8": b'<coverage><packages><package><classes><class filename="\xff\xfe.py"/>',
    "wrong-root": b"<testsuites><testsuite/></testsuites>",
    "html": b"<html><body>404</body></html>",
    "huge-line-number": _xml(f'<line number="{"9" * 19}" hits="1"/>'),
    "thousands-of-digits": _xml(f'<line number="{"1" * 5000}" hits="1"/>'),
    "huge-hits": _xml(f'<line number="1" hits="{"9" * 5000}"/>'),
    "negative-hits": _xml('<line number="1" hits="-1"/>'),
    "no-line-number": _xml('<line hits="1"/>'),
    "bad-condition": _xml('<line number="1" hits="1" branch="true" condition-coverage="half"/>'),
    "taken-above-total": _xml(
        '<line number="1" hits="1" branch="true" condition-coverage="100% (3/2)"/>'
    ),
    "arcs-disagree": _xml(
        '<line number="1" hits="1" branch="true" condition-coverage="50% (1/2)"'
        ' missing-branches="4,5"/>'
    ),
    "class-without-file": b"<coverage><packages><package><classes><class/></classes>"
    b"</package></packages></coverage>",
}

LCOV_CASES = {
    "no-end-of-record": b"SF:a.py\nDA:1,1\n",
    "data-outside-record": b"TN:\nDA:1,1\nend_of_record\n",
    "no-source-file": b"TN:t\n",
    "not-utf8": b"SF:\xff\xfe.py\nDA:1,1\nend_of_record\n",
    "huge-line-number": f"SF:a.py\nDA:{'9' * 19},1\nend_of_record\n".encode(),
    "thousands-of-digits": f"SF:a.py\nDA:1,{'1' * 5000}\nend_of_record\n".encode(),
    "negative-count": b"SF:a.py\nDA:1,-1\nend_of_record\n",
    "short-brda": b"SF:a.py\nBRDA:1,0,1\nend_of_record\n",
    "garbage-line": b"SF:a.py\nDA:1,1\nthis is not lcov\nend_of_record\n",
    "nested-record": b"SF:a.py\nSF:b.py\nend_of_record\n",
    "binary-after-key": b"SF:a.py\n" + bytes(range(256)) * 4,
}


@pytest.mark.parametrize("case", sorted(XML_CASES))
@pytest.mark.parametrize("side", ["--before", "--after"])
def test_hostile_cobertura(case: str, side: str, tmp_path: Path) -> None:
    path = tmp_path / "coverage.json"  # the name says JSON: the content decides
    path.write_bytes(XML_CASES[case])
    out = tmp_path / "out"
    assert coverage_kind(XML_CASES[case]) == COBERTURA
    other = "--after" if side == "--before" else "--before"
    good = tmp_path / "good.xml"
    good.write_text(GOOD_XML)
    result = run(side, str(path), other, str(good), "--out", f"{out}/", "--format", "md")
    assert_clean_failure(result, str(path), out)
    assert "passwd" not in result.stderr.replace("file:///etc/passwd", "")


@pytest.mark.parametrize("case", sorted(LCOV_CASES))
def test_hostile_lcov(case: str, tmp_path: Path) -> None:
    path = tmp_path / "lcov.info"
    path.write_bytes(LCOV_CASES[case])
    assert coverage_kind(LCOV_CASES[case]) == LCOV
    out = tmp_path / "out"
    result = run("--after", str(path), "--out", f"{out}/", "--format", "md")
    assert_clean_failure(result, str(path), out)


def test_cobertura_does_not_read_local_files(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    path = tmp_path / "xxe.xml"
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<coverage><packages><package><classes><class filename="&x;"/></classes>'
        "</package></packages></coverage>"
    )
    out = tmp_path / "out"
    result = run("--after", str(path), "--out", f"{out}/", "--format", "md")
    assert_clean_failure(result, str(path), out)
    assert "are not accepted in coverage reports" in result.stderr


def test_cobertura_exit_arcs_and_figures() -> None:
    snapshot = parse_cobertura(io.BytesIO(GOOD_XML.encode()), "good.xml")
    item = snapshot.files["pkg/m.py"]  # the source is elsewhere: the filename as written
    assert snapshot.has_branches
    n = item.numbers
    assert (n.num_statements, n.num_missing, n.num_branches) == (4, 1, 2)
    assert (n.num_partial_branches, n.num_missing_branches) == (1, 1)
    assert item.missing_text == "2->exit, 5"


def test_cobertura_from_other_producers_keeps_counts_without_arcs() -> None:
    # gcovr-style: several classes for one file, hits above 1, no missing-branches.
    text = (
        '<coverage><sources><source>.</source></sources><packages><package name="src">'
        '<classes><class name="a" filename="src/a.c"><methods><method name="f">'
        '<lines><line number="1" hits="7"/></lines></method></methods><lines>'
        '<line number="1" hits="7"/>'
        '<line number="2" hits="3" branch="true" condition-coverage="25% (1/4)"/>'
        '<line number="3" hits="0"/></lines></class>'
        '<class name="b" filename="src/a.c"><lines><line number="9" hits="2"/></lines></class>'
        "</classes></package></packages></coverage>"
    )
    item = parse_cobertura(io.BytesIO(text.encode()), "gcovr.xml").files["src/a.c"]
    n = item.numbers
    assert (n.num_statements, n.num_missing, n.num_branches) == (4, 1, 4)
    assert (n.num_partial_branches, n.num_missing_branches) == (3, 3)
    assert item.missing_branches is None
    assert item.missing_text == "3"


def test_lcov_functions_from_fnl_and_fna() -> None:
    text = (
        "TN:\nSF:/elsewhere/src/a.c\nFNL:0,1,4\nFNA:0,1,main\nFNL:1,6\nFNA:1,0,helper\n"
        "DA:1,1\nDA:2,1\nDA:3,0\nDA:4,1\nDA:6,0\nDA:7,0\n"
        "BRDA:2,0,0,1\nBRDA:2,0,1,0\nBRDA:6,0,0,-\nBRDA:6,0,1,-\nend_of_record\n"
    )
    item = parse_lcov(io.BytesIO(text.encode()), "t.info").files["/elsewhere/src/a.c"]
    n = item.numbers
    assert (n.num_statements, n.num_missing, n.num_branches) == (6, 3, 4)
    assert (n.num_missing_branches, n.num_partial_branches) == (3, 1)
    assert item.missing_text == "3, 6-7"
    assert item.enclosing(3) == "main"
    assert item.enclosing(7) == "helper"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"SQLite format 3\x00rest", DATA_FILE),
        (b'\xef\xbb\xbf  <?xml version="1.0"?><coverage/>', COBERTURA),
        (b"TN:\nSF:a.py\n", LCOV),
        (b"SF:a.py\n", LCOV),
        (b'{"files": {}}', JSON),
        (b"garbage", JSON),
    ],
)
def test_kind_is_told_by_content(head: bytes, kind: str) -> None:
    assert coverage_kind(head) == kind


def _data_file_run(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "m.py").write_text("def f(x):\n    if x:\n        return 1\n    return 2\n")
    (project / "test_m.py").write_text("from m import f\n\ndef test_f():\n    assert f(1) == 1\n")
    env = oracle._clean_environment(project / ".coverage")
    oracle._coverage(
        project, env, "run", "--branch", "-m", "pytest", "-q", "-p", "no:cacheprovider"
    )
    return project


def test_hostile_data_files(tmp_path: Path) -> None:
    project = _data_file_run(tmp_path)
    data = (project / ".coverage").read_bytes()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("create table t (x)")
    cases = {
        "truncated": data[:200],
        "corrupt": data[:100] + b"\x00" * 4000 + data[4100:],
        "another-database": other.read_bytes(),
    }
    for name, content in cases.items():
        path = tmp_path / f"{name}.coverage"
        path.write_bytes(content)
        out = tmp_path / f"out-{name}"
        result = run(
            "--after",
            str(path),
            "--source-root",
            str(project),
            "--out",
            f"{out}/",
            "--format",
            "md",
        )
        assert_clean_failure(result, str(path), out)
        assert path.read_bytes() == content  # never written to, not even by coverage.py


def test_data_file_sources_only_inside_the_source_root(tmp_path: Path) -> None:
    project = _data_file_run(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    data = str(project / ".coverage")
    result = run("--after", data, "--source-root", str(elsewhere), "--out", f"{out}/")
    assert_clean_failure(result, data, out)
    assert "outside the source root" in result.stderr
    # A measured source that is gone: coverage.py's own complaint, on one line.
    (project / "m.py").unlink()
    result = run("--after", data, "--source-root", str(project), "--out", f"{out}/")
    assert_clean_failure(result, data, out)
    assert "m.py" in result.stderr


def test_data_file_plugins_from_the_config_never_run(tmp_path: Path) -> None:
    project = _data_file_run(tmp_path)
    marker = tmp_path / "ran"
    (project / "evil_plugin.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n\ndef coverage_init(reg, options):\n    pass\n"
    )
    (project / ".coveragerc").write_text("[run]\nplugins = evil_plugin\n")
    out = tmp_path / "out"
    result = run(
        "--after", str(project / ".coverage"), "--source-root", str(project), "--out", f"{out}/"
    )
    assert result.exit_code == 0, result.output
    assert not marker.exists()


# --- Property tests: random measurements written in each format, read back ----------------

_files = st.dictionaries(
    st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8}){0,2}\.py", fullmatch=True),
    st.dictionaries(
        st.integers(1, 10**6),
        st.tuples(st.integers(0, 10**20), st.integers(0, 4), st.integers(0, 4)),
        max_size=30,
    ),
    max_size=6,
)


def _expected(lines: dict[int, tuple[int, int, int]]) -> tuple[int, int, int, int, int]:
    missing = {n for n, (hits, _, _) in lines.items() if not hits}
    branches = sum(exits for exits, _ in (_branch(v) for v in lines.values()))
    missed = sum(exits - taken for exits, taken in (_branch(v) for v in lines.values()))
    partial = sum(
        exits - taken for n, v in lines.items() if n not in missing for exits, taken in [_branch(v)]
    )
    return len(lines), len(missing), branches, partial, missed


def _branch(value: tuple[int, int, int]) -> tuple[int, int]:
    _, exits, taken = value
    return exits, min(taken, exits)


@settings(max_examples=60, deadline=None)
@given(_files)
def test_cobertura_round_trip(files: dict[str, dict[int, tuple[int, int, int]]]) -> None:
    parts = ['<?xml version="1.0"?><coverage><packages><package><classes>']
    for path, lines in files.items():
        parts.append(f'<class filename="{path}"><lines>')
        for number, value in lines.items():
            exits, taken = _branch(value)
            branch = (
                f' branch="true" condition-coverage="{100 * taken // exits}% ({taken}/{exits})"'
                if exits
                else ""
            )
            parts.append(f'<line number="{number}" hits="{value[0]}"{branch}/>')
        parts.append("</lines></class>")
    parts.append("</classes></package></packages></coverage>")
    snapshot = parse_cobertura(io.BytesIO("".join(parts).encode()), "p.xml")
    assert set(snapshot.files) == set(files)
    for path, lines in files.items():
        n = snapshot.files[path].numbers
        got = (n.num_statements, n.num_missing, n.num_branches)
        assert got + (n.num_partial_branches, n.num_missing_branches) == _expected(lines)
        missing = [k for k, v in sorted(lines.items()) if not v[0]]
        assert list(snapshot.files[path].missing_lines) == missing


@settings(max_examples=60, deadline=None)
@given(_files)
def test_lcov_round_trip(files: dict[str, dict[int, tuple[int, int, int]]]) -> None:
    assume(files)  # a tracefile without any SF record is refused
    out = ["TN:"]
    for path, lines in files.items():
        out.append(f"SF:{path}")
        for number, value in lines.items():
            exits, taken = _branch(value)
            for index in range(exits):
                count = "-" if not value[0] else ("1" if index < taken else "0")
                out.append(f"BRDA:{number},0,{index},{count}")
            out.append(f"DA:{number},{value[0]}")
        out.append("end_of_record")
    snapshot = parse_lcov(io.BytesIO("\n".join(out).encode()), "p.info")
    assert set(snapshot.files) == set(files)
    for path, lines in files.items():
        # LCOV cannot say a branch of an unrun line was taken: all of them count as missed.
        adjusted = {k: (v if v[0] else (0, v[1], 0)) for k, v in lines.items()}
        n = snapshot.files[path].numbers
        got = (n.num_statements, n.num_missing, n.num_branches)
        assert got + (n.num_partial_branches, n.num_missing_branches) == _expected(adjusted)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_readers(data: bytes) -> None:
    for parse in (parse_cobertura, parse_lcov):
        try:
            parse(io.BytesIO(data), "x")
        except InputError as err:
            assert "\n" not in str(err)


def test_cobertura_paths_through_sources(tmp_path: Path) -> None:
    """Class filenames are placed by `<sources>`: inside the root by their folder there, from
    another machine by the longest tail of the source that holds the file."""
    from reportgen.inputs.cobertura import _resolver

    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "mod.py").write_text("x = 1\n")
    root = str(tmp_path)
    assert _resolver([f"{tmp_path}/src/pkg"], root)("mod.py") == "src/pkg/mod.py"
    assert _resolver(["/ci/checkout/src"], root)("pkg/mod.py") == "src/pkg/mod.py"
    assert _resolver(["C:\\ci\\checkout\\src\\pkg"], root)("mod.py") == "src/pkg/mod.py"
    # Nothing at hand: one source adds nothing, several keep their place below their common one.
    assert _resolver(["/ci/checkout"], root)("lib/a.py") == "lib/a.py"
    assert _resolver(["/ci/x/src", "/ci/x/lib"], root)("a.py") == "src/a.py"
    assert _resolver([], root)(f"{tmp_path}/src/pkg/mod.py") == "src/pkg/mod.py"
    assert _resolver([], root)("/elsewhere/a.py") == "/elsewhere/a.py"


def test_lcov_absolute_paths_inside_the_source_root_become_relative(tmp_path: Path) -> None:
    """jest, c8 and nyc write absolute `SF:` paths: inside --source-root they are named as
    coverage.py names files (relative), outside it they stay as written."""
    import io

    from reportgen.inputs.lcov import parse_lcov

    text = (
        f"SF:{tmp_path}/pkg/a.py\nDA:1,1\nDA:2,0\nend_of_record\n"
        "SF:/elsewhere/b.py\nDA:1,1\nend_of_record\n"
    )
    snapshot = parse_lcov(io.BytesIO(text.encode()), "c.lcov", str(tmp_path))
    assert sorted(snapshot.files) == ["/elsewhere/b.py", "pkg/a.py"]
    assert snapshot.files["pkg/a.py"].numbers.num_missing == 1
