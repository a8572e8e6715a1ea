"""The snapshot format: a faithful round trip, deterministic bytes, hostile bytes refused."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reportgen.analysis.snapshot import FORMAT, MAGIC
from reportgen.errors import InputError
from reportgen.inputs import snapshot as reader
from reportgen.inputs.coverage_json import parse_coverage_json
from reportgen.inputs.test_results import parse_junit
from reportgen.outputs.snapshot import encode_snapshot
from tests.baseline_project import reportgen

COMMIT = "0123456789abcdef0123456789abcdef01234567"
DATA = Path(__file__).parent / "data"


def junit(cases: list[tuple[str, str, str, float]]) -> bytes:
    """A JUnit file of (classname, name, outcome, seconds) cases."""
    out = ['<?xml version="1.0"?><testsuites><testsuite name="s">']
    for classname, name, outcome, seconds in cases:
        body = {
            "passed": "",
            "failed": '<failure message="m &lt;1&gt;">trace</failure>',
            "error": '<error message="e">boom</error>',
            "skipped": '<skipped message="later"/>',
        }[outcome]
        out.append(
            f'<testcase classname="{classname}" name="{name}" time="{seconds}">{body}</testcase>'
        )
    out.append("</testsuite></testsuites>")
    return "".join(out).encode()


def coverage_json(files: dict[str, tuple[list[int], list[int]]], branch_arcs: bool) -> bytes:
    report = {"meta": {"version": "7.6.1", "branch_coverage": branch_arcs}, "files": {}}
    for path, (executed, missing) in files.items():
        arcs = [[line, -1] for line in executed[:1]] if branch_arcs else []
        entry = {
            "executed_lines": executed,
            "missing_lines": missing,
            "excluded_lines": [],
            "summary": {
                "num_statements": len(executed) + len(missing),
                "missing_lines": len(missing),
                "num_branches": 2 * len(arcs),
                "num_partial_branches": len(arcs),
                "missing_branches": len(arcs),
            },
            "functions": {
                "f": {"executed_lines": executed, "missing_lines": missing, "start_line": 1}
            },
            "classes": {},
        }
        if branch_arcs:
            entry["missing_branches"] = arcs
        report["files"][path] = entry
    return json.dumps(report).encode()


lines = st.lists(st.integers(1, 400), unique=True, max_size=30).map(sorted)


@st.composite
def coverage_files(draw: st.DrawFn) -> dict[str, tuple[list[int], list[int]]]:
    paths = draw(st.lists(st.text("abc/é_.", min_size=1, max_size=8), unique=True, max_size=6))
    files = {}
    for path in paths:
        both = draw(lines)
        cut = draw(st.integers(0, len(both)))
        files[path] = (both[:cut], both[cut:])
    return files


@settings(max_examples=60, deadline=None)
@given(coverage_files(), st.booleans())
def test_coverage_round_trip(files: dict[str, tuple[list[int], list[int]]], arcs: bool) -> None:
    original = parse_coverage_json(coverage_json(files, arcs), "in.json")
    data = encode_snapshot(COMMIT, original, None, "7.6.1")
    assert encode_snapshot(COMMIT, original, None, "7.6.1") == data  # deterministic
    back = reader.read_snapshot(data, "s").coverage
    assert back is not None
    assert back.has_branches == original.has_branches
    assert list(back.files) == list(original.files)
    for path, item in original.files.items():
        other = back.files[path]
        assert other.numbers == item.numbers
        assert other.missing_text == item.missing_text
        assert other.executed_lines == item.executed_lines
        assert other.missing_branches == item.missing_branches
        assert other.regions == item.regions
        assert other.same_measurement(item)


names = st.text("abcxyz_[]. ", min_size=1, max_size=6)
outcomes = st.sampled_from(["passed", "failed", "error", "skipped"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "a.b", "c"]),
            names,
            outcomes,
            st.sampled_from([0.0, 0.5, 1.25, 3.0]),
        ),
        max_size=40,
    )
)
def test_tests_round_trip(cases: list[tuple[str, str, str, float]]) -> None:
    original = parse_junit(io.BytesIO(junit(cases)), "in.xml")
    data = encode_snapshot(COMMIT, None, original)
    back = reader.read_snapshot(data, "s").tests
    assert back.stats() == original.stats()
    assert back.ids() == original.ids()
    assert back.failures == original.failures
    assert back.flaky == original.flaky
    assert back.slowest == original.slowest
    for test_id in original.ids():
        assert back.record(test_id) == original.record(test_id)
    # Nothing changed between a run and its round trip but the tests failing in both.
    assert sorted(back.changes(original)) == sorted(original.changes(original))


def test_reruns_flaky_files_and_big_classes_survive() -> None:
    many = "".join(f'<testcase classname="big" name="t{i}" time="0.001"/>' for i in range(700))
    text = (
        '<testsuites><testsuite name="s">'
        '<testcase classname="k" name="flaky" file="k.py" time="1"><failure message="x"/></testcase>'
        '<testcase classname="k" name="flaky" file="k.py" time="2"/>'
        f"{many}</testsuite>"
        '<testsuite name="totals" tests="5" failures="1" errors="0" skipped="2"/>'
        "</testsuites>"
    ).encode()
    original = parse_junit(io.BytesIO(text), "in.xml")
    back = reader.read_snapshot(encode_snapshot(COMMIT, None, original), "s").tests
    assert original.flaky == ("k::flaky",) and back.flaky == original.flaky
    assert back.record("k::flaky") == original.record("k::flaky")
    assert back.file("k::flaky") == "k.py"
    assert back.stats() == original.stats()
    assert back.unlisted == original.unlisted
    assert back.tests == 700 + 1 + 5  # the big class, the flaky test, the totals-only suite


def valid() -> bytes:
    cov = parse_coverage_json(coverage_json({"a.py": ([1, 2], [3])}, True), "in.json")
    tests = parse_junit(io.BytesIO(junit([("c", "t", "failed", 1.0)])), "in.xml")
    return encode_snapshot(COMMIT, cov, tests, "7.6.1")


def framed(body: bytes, version: int = FORMAT) -> bytes:
    return MAGIC + bytes([version]) + zlib.compress(body)


def body_of(data: bytes) -> dict:
    return msgspec.msgpack.decode(zlib.decompress(data[len(MAGIC) + 1 :]))


def with_changed(**changes: object) -> bytes:
    body = body_of(valid())
    for key, value in changes.items():
        if "." in key:
            outer, inner = key.split(".")
            body[outer][inner] = value
        else:
            body[key] = value
    return framed(msgspec.msgpack.encode(body))


FILE_FIELDS = ("path", "counts", "executed", "missing", "arcs", "regions")


def with_file(**changes: object) -> bytes:
    """A valid snapshot whose one file has other values."""
    body = body_of(valid())
    stored = body["coverage"]["files"][0]
    for key, value in changes.items():
        stored[FILE_FIELDS.index(key)] = value
    return framed(msgspec.msgpack.encode(body))


def wide_file(**changes: object) -> bytes:
    """As `with_file`, in a snapshot whose lines are stored 8 bytes wide."""
    body = body_of(with_file(**changes))
    body["coverage"]["width"] = 8
    return framed(msgspec.msgpack.encode(body))


HOSTILE = {
    "empty": (b"", "truncated snapshot"),
    "foreign": (b'{"meta": {}, "files": {}}', "not a reportgen snapshot"),
    "magic only": (MAGIC, "truncated snapshot"),
    "future": (
        framed(b"", FORMAT + 1),
        f"snapshot format {FORMAT + 1} is newer than this reportgen reads ({FORMAT});"
        " upgrade reportgen or save the baseline again",
    ),
    "format 0": (framed(b"", 0), "not a reportgen snapshot (format 0)"),
    "truncated": (valid()[:-9], "truncated snapshot"),
    "bad zlib": (
        MAGIC + bytes([FORMAT]) + b"not zlib at all",
        "corrupt snapshot (bad compressed data)",
    ),
    "trailing": (valid() + b"x", "corrupt snapshot (data after its end)"),
    "not msgpack": (framed(b"\xc1\xc1"), "corrupt snapshot ("),
    "wrong shape": (framed(msgspec.msgpack.encode([1, 2])), "corrupt snapshot (Expected `object`"),
    "unknown field": (
        with_changed(extra=1),
        "corrupt snapshot (Object contains unknown field `extra`",
    ),
    "bad commit": (with_changed(commit="../../etc"), "corrupt snapshot (commit '../../etc')"),
    "counts lie": (
        with_file(counts=[2, 2, 0, 0, 0]),
        "corrupt snapshot (file 'a.py': its counts contradict its lines)",
    ),
    "negative count": (with_file(counts=[2, -1, 0, 0, 0]), "corrupt snapshot (Expected `int` >= 0"),
    "line twice": (
        with_file(executed=struct.pack("<II", 1, 0)),
        "corrupt snapshot (a line is listed twice)",
    ),
    "executed and missing": (
        with_file(executed=struct.pack("<II", 1, 2), missing=struct.pack("<I", 3)),  # 1, 3 and 3
        "corrupt snapshot (file 'a.py': a line is both executed and missing)",
    ),
    "huge line": (
        wide_file(executed=struct.pack("<QQ", 1, 10**18), missing=struct.pack("<Q", 3)),
        "corrupt snapshot (line 1000000000000000001 is not a line number)",
    ),
    "cut array": (with_file(executed=b"\1\0\0"), "corrupt snapshot (an array is cut short)"),
    "line width": (
        with_changed(**{"coverage.width": 3}),
        "corrupt snapshot (line width 3)",
    ),
    "arcs lie": (
        with_file(arcs=struct.pack("<qqqq", 1, 2, 1, -1)),
        "corrupt snapshot (file 'a.py': its missing branches contradict their count)",
    ),
    "region kind": (
        with_file(regions=[["module", "m", 1, b""]]),
        "corrupt snapshot (file 'a.py': region kind 'module')",
    ),
    "branches lie": (
        with_changed(**{"coverage.branches": False}),
        "corrupt snapshot (file 'a.py' has branches in a run measured without them)",
    ),
    "files twice": (
        with_changed(**{"coverage.files": body_of(valid())["coverage"]["files"] * 2}),
        "corrupt snapshot (file 'a.py' is out of order or listed twice)",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_snapshots_are_refused_in_one_line(name: str) -> None:
    data, message = HOSTILE[name]
    with pytest.raises(InputError) as caught:
        reader.read_snapshot(data, "s.snapshot")
    text = str(caught.value)
    assert text.startswith("s.snapshot: ")
    assert message in text
    assert "\n" not in text


def test_a_test_block_that_contradicts_itself_is_refused() -> None:
    body = body_of(valid())
    block = body["tests"]["classes"][0]
    block[2] = block[2] + b"\0\0\0\0"  # one state more than names
    with pytest.raises(
        InputError, match=r"^s: corrupt snapshot \(class 'c': its names and arrays disagree\)$"
    ):
        reader.read_snapshot(framed(msgspec.msgpack.encode(body)), "s")
    body = body_of(valid())
    body["tests"]["classes"][0][3] = struct.pack("<d", float("nan"))
    with pytest.raises(
        InputError, match=r"^s: corrupt snapshot \(test 't': time nan is not a duration\)$"
    ):
        reader.read_snapshot(framed(msgspec.msgpack.encode(body)), "s")


def test_a_zlib_bomb_stops_at_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_INFLATED", 1 << 16)
    bomb = MAGIC + bytes([FORMAT]) + zlib.compress(b"\0" * (1 << 20))
    with pytest.raises(InputError, match=r"^s: snapshot inflates beyond 0 MB$"):
        reader.read_snapshot(bomb, "s")


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_mutated_bodies_are_read_or_refused_never_crash(data: st.DataObject) -> None:
    body = bytearray(zlib.decompress(valid()[len(MAGIC) + 1 :]))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(body) - 1))
        body[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(body)))
    try:
        reader.read_snapshot(framed(bytes(body[:cut])), "s")
    except InputError as err:
        assert "\n" not in str(err) and str(err).startswith("s: ")


def test_cli_refuses_a_corrupt_baseline_and_writes_nothing(tmp_path: Path) -> None:
    from tests.patch_project import git

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "one")
    sha = git(repo, "rev-parse", "HEAD").strip()
    store = tmp_path / "store"
    store.mkdir()
    (store / f"{sha}.snapshot").write_bytes(valid()[:40])
    after = tmp_path / "after.json"
    after.write_bytes(coverage_json({"a.py": ([1, 2], [3])}, True))
    out = tmp_path / "out"
    done = reportgen(
        repo,
        "step",
        "--after",
        str(after),
        "--baseline",
        str(store),
        "--baseline-ref",
        "main",
        "--format",
        "md",
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert done.returncode == 2
    assert done.stderr == f"Error: {store}/{sha}.snapshot: truncated snapshot\n"
    assert not out.exists()


REAL = sorted((DATA / "real").glob("toolz-*/*.json"))


@pytest.mark.parametrize("path", REAL, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_real_project_snapshots_are_small_and_report_the_same(path: Path) -> None:
    from reportgen.analysis.milestone import Spec
    from reportgen.analysis.step import StepInputs, build_step
    from reportgen.outputs.summary import build_summary

    report = path.read_bytes()
    whole = parse_coverage_json(report, str(path), None)
    data = encode_snapshot(COMMIT, whole, None, "7.6.1")
    assert len(data) <= len(report) / 10, (len(data), len(report))
    after_path = DATA / "real" / "toolz-1.1.0" / path.name
    if not after_path.exists():
        return
    after = parse_coverage_json(after_path.read_bytes(), "after", lambda p: False)
    from_json = parse_coverage_json(report, "before", lambda p: False)
    from_snapshot = reader.read_snapshot(data, "s", lambda p: False).coverage

    def summary(before: object) -> dict:
        step = build_step(StepInputs(spec=Spec(), precision=1, before=before, after=after))
        return build_summary(step)

    assert summary(from_snapshot) == summary(from_json)


def test_lines_beyond_32_bits_are_stored_wide() -> None:
    big = 5_000_000_000
    original = parse_coverage_json(coverage_json({"a.py": ([1, big], [2])}, False), "in.json")
    data = encode_snapshot(COMMIT, original, None)
    assert body_of(data)["coverage"]["width"] == 8
    back = reader.read_snapshot(data, "s").coverage.files["a.py"]
    assert back.executed_lines == [1, big] and back.missing_lines == [2]
    assert back.regions == original.files["a.py"].regions
    small = encode_snapshot(
        COMMIT, parse_coverage_json(coverage_json({"a.py": ([1, 3], [2])}, False), "i"), None
    )
    assert body_of(small)["coverage"]["width"] == 4
