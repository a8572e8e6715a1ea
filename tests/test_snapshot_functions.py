"""Function figures in snapshots: a report from a snapshot has the two-run report's function
figures; hostile function data is refused in one line; an older snapshot reads without them."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.analysis.snapshot import FORMAT, MAGIC, BaselineNote
from reportgen.commands.baseline import BaselineSide, load_whole_coverage
from reportgen.commands.gather import gather
from reportgen.errors import InputError
from reportgen.inputs import snapshot as reader
from reportgen.inputs.function_json import function_sides_from_json
from reportgen.outputs.snapshot import encode_snapshot
from tests.baseline_project import reportgen

COMMIT = "0123456789abcdef0123456789abcdef01234567"
REAL = Path(__file__).parent / "data" / "real"


def saved(path: Path) -> bytes:
    """The snapshot `reportgen baseline save --after PATH` writes."""
    coverage, version, functions = load_whole_coverage([str(path)])
    return encode_snapshot(COMMIT, coverage, None, version, functions)


def summary(options: dict[str, Any], snapshot: bytes | None = None) -> dict[str, Any]:
    """The JSON summary of a step; with `snapshot`, its before side is that snapshot."""
    from reportgen.analysis.step import build_step
    from reportgen.outputs.summary import as_json, build_summary

    def stored_before(*_: Any) -> BaselineSide:
        assert snapshot is not None
        found = reader.read_snapshot(snapshot, "s.snapshot", lambda path: False)
        note = BaselineNote(store="s", text="from a snapshot")
        return BaselineSide(found.coverage, found.tests, note, found.functions)

    if snapshot is not None:
        options = {**options, "baseline": "s"}
    step = build_step(gather({"date": "2026-01-01", **options}, {}, stored_before=stored_before))
    result = json.loads(as_json(build_summary(step)))
    result.pop("baseline", None)  # only a report with a before side from a store has it
    return result


def function_entries(result: dict[str, Any]) -> dict[str, Any]:
    return {f["path"]: f["functions"] for f in result["coverage"]["files"] if "functions" in f}


@pytest.mark.parametrize("kind", ["branch", "nobranch", "cov65"])
def test_real_reports_from_a_snapshot_equal_the_two_run_reports(kind: str) -> None:
    before, after = REAL / "toolz-1.0.0" / f"{kind}.json", REAL / "toolz-1.1.0" / f"{kind}.json"
    data = saved(before)
    assert saved(before) == data  # equal runs, equal bytes
    assert len(data) <= before.stat().st_size / 10, (len(data), before.stat().st_size)
    two_runs = summary({"before": [str(before)], "after": [str(after)]})
    from_snapshot = summary({"after": [str(after)]}, data)
    assert from_snapshot == two_runs
    functions = function_entries(two_runs)
    if kind == "cov65":  # no function data, no source at hand: none either way
        assert functions == {}
        return
    # toolz 1.1.0 changed these files' measured lines; each has its functions compared.
    assert len(functions) == 15
    core = {f["name"]: f for f in functions["toolz/sandbox/core.py"]}
    init = core["EqualityHashKey.__init__"]
    assert init["state"] == "changed"
    own = json.loads(before.read_bytes())["files"]["toolz/sandbox/core.py"]["functions"]
    assert (
        init["before"]["statements"] == own["EqualityHashKey.__init__"]["summary"]["num_statements"]
    )


def test_function_figures_round_trip() -> None:
    """Every file's functions read back as coverage.py summarised them: key, `def` line,
    counts and missed lines."""
    path = REAL / "toolz-1.0.0" / "branch.json"
    found = reader.read_snapshot(saved(path), "s", lambda p: False)
    assert found.functions is not None
    files = json.loads(path.read_bytes())["files"]
    compared = 0
    for name, entry in files.items():
        expected = function_sides_from_json(json.dumps(entry["functions"]).encode(), "j", name)
        back = found.functions.sides(name)
        assert back is not None and back is not False
        assert [(s.name, s.start_line, s.numbers, list(s.missing_lines)) for s in back] == [
            (s.name, s.start_line, s.numbers, list(s.missing_lines)) for s in expected or ()
        ]
        compared += len(back)
    assert compared > 200


NESTED = {
    "meta": {"version": "7.17.4", "branch_coverage": False},
    "files": {
        "m.py": {
            "executed_lines": [1, 3, 7, 20, 30],
            "missing_lines": [2, 4, 8, 21, 31],
            "excluded_lines": [],
            "summary": {
                "num_statements": 10,
                "missing_lines": 5,
                "num_branches": 0,
                "num_partial_branches": 0,
                "missing_branches": 0,
            },
            "functions": {
                "outer": {
                    "executed_lines": [1, 7],
                    "missing_lines": [2, 8],
                    "start_line": 1,
                    "summary": {
                        "num_statements": 4,
                        "missing_lines": 2,
                        "num_branches": 0,
                        "num_partial_branches": 0,
                        "missing_branches": 0,
                    },
                },
                "outer.inner": {
                    "executed_lines": [3],
                    "missing_lines": [4],
                    "start_line": 3,
                    "summary": {
                        "num_statements": 2,
                        "missing_lines": 1,
                        "num_branches": 0,
                        "num_partial_branches": 0,
                        "missing_branches": 0,
                    },
                },
                "f": {
                    "executed_lines": [20],
                    "missing_lines": [21],
                    "start_line": 20,
                    "summary": {
                        "num_statements": 2,
                        "missing_lines": 1,
                        "num_branches": 0,
                        "num_partial_branches": 0,
                        "missing_branches": 0,
                    },
                },
                "f@30": {
                    "executed_lines": [30],
                    "missing_lines": [31],
                    "start_line": 30,
                    "summary": {
                        "num_statements": 2,
                        "missing_lines": 1,
                        "num_branches": 0,
                        "num_partial_branches": 0,
                        "missing_branches": 0,
                    },
                },
            },
            "classes": {},
        }
    },
}


def body_of(data: bytes) -> Any:
    return msgspec.msgpack.decode(zlib.decompress(data[len(MAGIC) + 1 :]))


def framed(body: Any, version: int = FORMAT) -> bytes:
    return MAGIC + bytes([version]) + zlib.compress(msgspec.msgpack.encode(body))


def nested_snapshot(tmp_path: Path) -> bytes:
    path = tmp_path / "nested.json"
    path.write_text(json.dumps(NESTED))
    return saved(path)


def _nested_snapshot() -> bytes:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return nested_snapshot(Path(folder))


NESTED_SNAPSHOT = _nested_snapshot()


def test_nested_and_namesake_functions_round_trip(tmp_path: Path) -> None:
    data = nested_snapshot(tmp_path)
    stored = body_of(data)["coverage"]["files"][0][6]
    # outer's missed lines 2 and 8 are not a run of the file's (inner's 4 lies between):
    # packed; the others are runs, stored as where they start. Names the regions beside
    # them hold are left out; `f@30` is coverage.py's key, not its region's name.
    assert stored == [
        ["", 1, [4, 2, 0, 0, 0], b"\x02\0\0\0\x06\0\0\0"],
        ["", 3, [2, 1, 0, 0, 0], 1],
        ["", 20, [2, 1, 0, 0, 0], 3],
        ["f@30", 30, [2, 1, 0, 0, 0], 4],
    ]
    sides = reader.read_snapshot(data, "s").functions.sides("m.py")
    assert [(s.name, s.start_line, s.numbers.num_statements, s.missing_lines) for s in sides] == [
        ("outer", 1, 4, [2, 8]),
        ("outer.inner", 3, 2, [4]),
        ("f", 20, 2, [21]),
        ("f@30", 30, 2, [31]),
    ]


def with_functions(data: bytes, functions: Any, commit: str = COMMIT) -> bytes:
    body = body_of(data)
    body["commit"] = commit
    body["coverage"]["files"][0][6] = functions
    return framed(body)


HOSTILE = {
    "true": (True, "file 'm.py': its functions are `true`"),
    "not a list": ({"f": 1}, "file 'm.py': Expected `bool | array | null`, got `object`"),
    "counts lie": (
        [["g", 1, [4, 3, 0, 0, 0], b"\x02\0\0\0\x06\0\0\0"]],
        "file 'm.py': function 'g': its counts contradict its lines",
    ),
    "more missed than statements": (
        [["g", 1, [1, 2, 0, 0, 0], 0]],
        "file 'm.py': function 'g': its counts contradict its lines",
    ),
    "run past the file's": (
        [["g", 1, [9, 3, 0, 0, 0], 3]],
        "file 'm.py': function 'g': its missed lines run past the file's",
    ),
    "name twice": (
        [["g", 1, [1, 0, 0, 0, 0], 0], ["g", 2, [1, 0, 0, 0, 0], 0]],
        "file 'm.py': function name 'g' empty or twice",
    ),
    "no region named": (
        [["", 2, [1, 0, 0, 0, 0], 0]],
        "file 'm.py': no one function starts on line 2",
    ),
    "negative": ([["g", -1, [1, 0, 0, 0, 0], 0]], "Expected `int` >= 0"),
    "line twice": (
        [["g", 1, [2, 2, 0, 0, 0], b"\x02\0\0\0\0\0\0\0"]],
        "a line is listed twice",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_function_data_is_refused_in_one_line(name: str, tmp_path: Path) -> None:
    functions, message = HOSTILE[name]
    data = with_functions(nested_snapshot(tmp_path), functions)
    found = reader.read_snapshot(data, "s.snapshot")  # decoded only when a report needs it
    with pytest.raises(InputError) as caught:
        found.functions.sides("m.py")
    text = str(caught.value)
    assert text.startswith("s.snapshot: corrupt snapshot (")
    assert message in text
    assert "\n" not in text


def test_cli_refuses_hostile_function_data_with_exit_2(tmp_path: Path) -> None:
    from tests.patch_project import git

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "one")
    sha = git(repo, "rev-parse", "HEAD").strip()
    store = tmp_path / "store"
    store.mkdir()
    data = with_functions(nested_snapshot(tmp_path), [["g", 1, [4, 3, 0, 0, 0], b""]], sha)
    (store / f"{sha}.snapshot").write_bytes(data)
    changed = json.loads(json.dumps(NESTED))
    changed["files"]["m.py"]["executed_lines"].append(40)
    changed["files"]["m.py"]["summary"]["num_statements"] = 11
    after = tmp_path / "after.json"
    after.write_text(json.dumps(changed))
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
        "json",
    )
    assert done.returncode == 2
    assert done.stderr == (
        f"Error: {store}/{sha}.snapshot: corrupt snapshot (file 'm.py': function 'g':"
        " its counts contradict its lines)\n"
    )
    assert done.stdout == ""


def as_format_1(data: bytes) -> bytes:
    """The snapshot as reportgen wrote it before function figures: no seventh file field."""
    body = body_of(data)
    body["coverage"]["files"] = [entry[:6] for entry in body["coverage"]["files"]]
    return framed(body, version=1)


def test_a_format_1_snapshot_reads_without_function_figures() -> None:
    before, after = REAL / "toolz-1.0.0" / "branch.json", REAL / "toolz-1.1.0" / "branch.json"
    old = as_format_1(saved(before))
    found = reader.read_snapshot(old, "s")
    assert found.functions is not None
    assert found.functions.sides("toolz/dicttoolz.py") is False
    two_runs = summary({"before": [str(before)], "after": [str(after)]})
    from_old = summary({"after": [str(after)]}, old)
    # No function figures: the files' own figures are the same, their functions unavailable
    # but for the files the after side added (they have no before side to know).
    added = {f["path"] for f in two_runs["coverage"]["files"] if f["state"] == "added"}
    assert set(function_entries(from_old)) == added
    assert len(function_entries(two_runs)) == 15
    for result in (from_old, two_runs):
        for entry in result["coverage"]["files"]:
            entry.pop("functions", None)
    assert from_old == two_runs


def test_format_1_function_targets_say_unavailable(tmp_path: Path) -> None:
    before, after = REAL / "toolz-1.0.0" / "branch.json", REAL / "toolz-1.1.0" / "branch.json"
    from reportgen.errors import SpecError

    with pytest.raises(
        SpecError, match="function figures are unavailable for 'toolz/dicttoolz.py'"
    ):
        summary(
            {"after": [str(after)], "targets": ["toolz/dicttoolz.py::merge=50"]},
            as_format_1(saved(before)),
        )


DATA = Path(__file__).parent / "data" / "coverage"
SAMPLE_TARGETS = [f"sample/{name}.py=0" for name in ("full", "limits", "core")]


def saved_from(*paths: Path) -> bytes:
    coverage, version, functions = load_whole_coverage([str(p) for p in paths])
    return encode_snapshot(COMMIT, coverage, None, version, functions)


@pytest.mark.parametrize(
    ("version", "available"),
    [
        ("5.5", ["sample/limits.py"]),
        ("7.5.4", ["sample/full.py", "sample/limits.py"]),
    ],
)
def test_old_json_from_a_snapshot_gets_the_source_figures_of_two_runs(
    version: str, available: list[str]
) -> None:
    """JSON before coverage.py 7.6 has no function data: the snapshot keeps the branch arcs
    that ran, so the source at hand gives the before side the figures two runs give it."""
    report = DATA / version / "branch.json"
    options = {"targets": SAMPLE_TARGETS, "source_root": str(DATA / "sample")}
    two_runs = summary({**options, "before": [str(report)], "after": [str(report)]})
    from_snapshot = summary({**options, "after": [str(report)]}, saved_from(report))
    assert from_snapshot == two_runs
    own = json.loads((DATA / "7.17.4" / "branch.json").read_text())["files"]
    listed = function_entries(from_snapshot)
    assert sorted(listed) == available
    for path, functions in listed.items():
        for f in functions:
            expected = own[path]["functions"][f["name"]]["summary"]
            assert f["before"]["statements"] == expected["num_statements"]
            assert f["before"]["covered_branches"] == expected["covered_branches"]


def test_shards_saved_together_give_the_combined_runs_figures() -> None:
    shards = [DATA / "7.17.4" / f"shard_{x}.json" for x in "ab"]
    options = {"targets": ["sample/core.py=0"]}
    names = [str(s) for s in shards]
    two_runs = summary({**options, "before": names, "after": names})
    from_snapshot = summary({**options, "after": names}, saved_from(*shards))
    assert from_snapshot == two_runs
    combined = json.loads((DATA / "7.17.4" / "combined.json").read_text())["files"]
    own = combined["sample/core.py"]["functions"]
    core = function_entries(from_snapshot)["sample/core.py"]
    assert {f["name"] for f in core} == {name for name in own if name}
    for f in core:
        assert f["before"]["covered_branches"] == own[f["name"]]["summary"]["covered_branches"]


def test_cut_executed_arcs_are_refused_in_one_line() -> None:
    body = body_of(saved_from(DATA / "7.5.4" / "branch.json"))
    stored = next(f for f in body["coverage"]["files"] if f[7])
    stored[7] = stored[7][:-3]
    with pytest.raises(InputError, match=r"^s: corrupt snapshot \(an array is cut short\)$"):
        reader.read_snapshot(framed(body), "s")


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_mutated_function_data_is_read_or_refused_never_crashes(data: st.DataObject) -> None:
    body = bytearray(zlib.decompress(NESTED_SNAPSHOT[len(MAGIC) + 1 :]))
    for _ in range(data.draw(st.integers(1, 4))):
        body[data.draw(st.integers(0, len(body) - 1))] = data.draw(st.integers(0, 255))
    try:
        found = reader.read_snapshot(MAGIC + bytes([FORMAT]) + zlib.compress(body), "s")
        for path in found.coverage.files if found.coverage else ():
            found.functions.sides(path)
    except InputError as err:
        assert "\n" not in str(err) and str(err).startswith("s: ")
