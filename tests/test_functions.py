"""Function-level coverage: figures equal coverage.py's own function summaries, functions
matched by name across a move, the sections, the fallback from the source, hostile names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.analysis.functions import FunctionSide, diff_functions, function_sides
from reportgen.analysis.numbers import Numbers
from reportgen.cli import main
from reportgen.inputs.coverage_json import parse_coverage_json
from reportgen.inputs.function_regions import function_regions_from_source

DATA = Path(__file__).parent / "data" / "coverage"

# Release 1 and release 2 of a small library. Between them `Store.load` moves down (a new
# function lands above it) and loses coverage, `helper` moves and gains, `parse` keeps its
# two overload stubs and real body, `gone` is removed, `fresh` is added half covered, and
# `outer.inner` stays nested.
LIB_1 = """\
import typing


class Store:
    def __init__(self, items):
        self.items = items

    def load(self, key):
        if key in self.items:
            return self.items[key]
        return None


def helper(x):
    if x > 0:
        return x
    return -x


@typing.overload
def parse(value: str) -> int: ...
@typing.overload
def parse(value: bytes) -> int: ...
def parse(value):
    return int(value)


def gone():
    return 0


def outer(n):
    def inner(m):
        return m * 2
    return inner(n)
"""

LIB_2 = """\
import typing


def fresh(flag):
    if flag:
        return "yes"
    return "no"


class Store:
    def __init__(self, items):
        self.items = items

    def size(self):
        return len(self.items)

    def load(self, key):
        if key in self.items:
            return self.items[key]
        return None


def helper(x):
    if x > 0:
        return x
    return -x


@typing.overload
def parse(value: str) -> int: ...
@typing.overload
def parse(value: bytes) -> int: ...
def parse(value):
    return int(value)


def outer(n):
    def inner(m):
        return m * 2
    return inner(n)
"""

TESTS_1 = """\
from lib import Store, helper, outer, parse


def test_all():
    s = Store({"a": 1})
    assert s.load("a") == 1
    assert s.load("b") is None
    assert helper(2) == 2
    assert parse("3") == 3
    assert outer(2) == 4
"""

TESTS_2 = """\
from lib import Store, fresh, helper, outer, parse


def test_all():
    s = Store({"a": 1})
    assert s.load("a") == 1
    assert helper(2) == 2
    assert helper(-2) == 2
    assert fresh(True) == "yes"
    assert parse("3") == 3
    assert outer(2) == 4
"""


def measure(folder: Path, lib: str, tests: str) -> Path:
    """Run the release's suite under coverage.py with branch coverage; its JSON report."""
    folder.mkdir()
    (folder / "lib.py").write_text(lib)
    (folder / "test_lib.py").write_text(tests)
    env = {**os.environ, "COVERAGE_FILE": str(folder / ".coverage")}
    for args in (
        ["run", "--branch", "--include=lib.py", "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        ["json", "-o", "coverage.json"],
    ):
        subprocess.run(
            [sys.executable, "-m", "coverage", *args],
            cwd=folder,
            env=env,
            check=True,
            capture_output=True,
        )
    return folder / "coverage.json"


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("releases")
    return root, measure(root / "r1", LIB_1, TESTS_1), measure(root / "r2", LIB_2, TESTS_2)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"SOURCE_DATE_EPOCH": ""})
    return result.exit_code, result.stdout, result.stderr


def own_summaries(report: Path) -> dict[str, dict]:
    return {
        name: region["summary"]
        for name, region in json.loads(report.read_text())["files"]["lib.py"]["functions"].items()
        if name
    }


def figures(entry: dict | None) -> tuple | None:
    if entry is None:
        return None
    return (
        entry["statements"],
        entry["missing"],
        entry["branches"],
        entry["partial_branches"],
        entry["covered_branches"],
        entry["display"],
    )


def coverage_figures(summary: dict) -> tuple:
    return (
        summary["num_statements"],
        summary["missing_lines"],
        summary.get("num_branches", 0),
        summary.get("num_partial_branches", 0),
        summary.get("covered_branches", 0),
        summary["percent_covered_display"],
    )


def step_json(before: Path, after: Path, *more: str) -> dict:
    status, out, err = run(
        "step", "--before", str(before), "--after", str(after), "--format", "json", *more
    )
    assert status == 0, err
    return json.loads(out)


def test_every_function_figure_equals_coverage_py(releases: tuple[Path, Path, Path]) -> None:
    _, before, after = releases
    summary = step_json(before, after)
    (lib,) = [f for f in summary["coverage"]["files"] if f["path"] == "lib.py"]
    old, new = own_summaries(before), own_summaries(after)
    by_name = {f["name"]: f for f in lib["functions"]}
    # Every function of either release is listed once, under coverage.py's own key (the
    # after release's; a moved `name@line` also gives its key before).
    assert set(by_name) == set(new) | {"gone"}
    assert {f.get("before_name", f["name"]) for f in lib["functions"] if f["before"]} == set(old)
    assert by_name["parse@30"]["before_name"] == "parse@21"
    assert by_name["parse@32"]["before_name"] == "parse@23"
    for name, entry in by_name.items():
        was = entry.get("before_name", name)
        assert figures(entry["before"]) == (coverage_figures(old[was]) if was in old else None)
        assert figures(entry["after"]) == (coverage_figures(new[name]) if name in new else None)
    assert len(by_name) == 11
    states = {name: entry["state"] for name, entry in by_name.items()}
    assert states == {
        "fresh": "added",
        "Store.__init__": "unchanged",
        "Store.size": "added",
        "Store.load": "changed",
        "helper": "changed",
        "parse@30": "unchanged",
        "parse@32": "unchanged",
        "parse": "unchanged",
        "gone": "removed",
        "outer": "unchanged",
        "outer.inner": "unchanged",
    }
    # The moved `Store.load` is one changed function: 100% before, 60% after (3 of 5).
    load = by_name["Store.load"]
    assert (load["before"]["display"], load["after"]["display"], load["delta"]) == (
        "100",
        "60",
        -40.0,
    )
    assert load["missing"] == "20"
    assert by_name["fresh"]["missing"] == "7"
    assert by_name["gone"]["missing"] is None


def test_sections_name_the_functions(releases: tuple[Path, Path, Path]) -> None:
    _, before, after = releases
    status, out, err = run(
        "step", "--before", str(before), "--after", str(after), "--target", "lib.py=50"
    )
    assert status == 0, err
    lost = out.split("### Functions that lost coverage")[1].split("###")[0]
    assert "| `Store.load` | `lib.py` | 100% | 60% | -40% | 20 |" in lost
    assert "`helper`" not in lost  # it gained
    new = out.split("### New functions not fully covered")[1].split("###")[0]
    assert "| `fresh` | `lib.py` | 3 | 1 | 60% | 7 |" in new
    assert "`Store.size`" in new
    table = out.split("### Functions of `lib.py`")[1].split("\n---\n")[0]
    assert "| `gone` | removed | 0% | — | — |  |" in table
    assert "| `helper` | changed | 60% | 100% | +40% |  |" in table
    status, comment, err = run(
        "step", "--before", str(before), "--after", str(after), "--format", "github"
    )
    assert "<summary>Functions: 1 lost coverage, 2 new not fully covered</summary>" in comment
    assert "<summary>Functions of <code>lib.py</code></summary>" not in comment  # no target
    status, comment, err = run(
        "step",
        "--before",
        str(before),
        "--after",
        str(after),
        "--target",
        "lib.py=50",
        "--format",
        "github",
    )
    assert "<summary>Functions of <code>lib.py</code></summary>" in comment
    assert "| `Store.load` | changed | 100% | 60% | -40% |" in comment
    status, page, err = run(
        "step", "--before", str(before), "--after", str(after), "--format", "html"
    )
    assert '<section id="functions">' in page and "Functions that lost coverage" in page


def without_functions(report: Path, out: Path) -> Path:
    """The report as coverage.py before 7.6 wrote it: no `functions`, no `classes`."""
    data = json.loads(report.read_text())
    for item in data["files"].values():
        item.pop("functions", None)
        item.pop("classes", None)
    out.write_text(json.dumps(data))
    return out


def test_without_functions_the_source_gives_the_same_figures(
    releases: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    root, before, after = releases
    # The same run on both sides: the after tree's source delimits both.
    old = without_functions(after, tmp_path / "old.json")
    summary = step_json(old, old, "--target", "lib.py=0", "--source-root", str(root / "r2"))
    (lib,) = summary["coverage"]["files"]
    own = own_summaries(after)
    assert {f["name"] for f in lib["functions"]} == set(own)
    for entry in lib["functions"]:
        assert figures(entry["after"]) == coverage_figures(own[entry["name"]])
        assert entry["state"] == "unchanged"
    # Across the releases the before side's lines differ from the source at hand: the
    # figures are unavailable, and said so once.
    old_before = without_functions(before, tmp_path / "before.json")
    status, out, err = run(
        "step", "--before", str(old_before), "--after", str(old), "--source-root", str(root / "r2")
    )
    assert status == 0, err
    assert out.count("Function figures unavailable for 1 file") == 1
    assert "### Functions that lost coverage" not in out
    # Without the source at all, the same.
    status, out, err = run(
        "step",
        "--before",
        str(old),
        "--after",
        str(old),
        "--target",
        "lib.py=0",
        "--source-root",
        str(tmp_path),
    )
    assert out.count("Function figures unavailable for 1 file") == 1


@pytest.mark.parametrize("kind", ["branch", "nobranch", "combined", "shard_a", "shard_b"])
def test_source_regions_give_coverage_py_figures_on_its_own_data(kind: str) -> None:
    """coverage.py 7.17's lists narrowed to the regions found in the source equal its own
    function summaries, for every function of the sample project (overloads, closures,
    nested classes, excluded code)."""
    text = (DATA / "7.17.4" / f"{kind}.json").read_bytes()
    snapshot = parse_coverage_json(text, kind, lambda p: False, lambda p: True)
    own = json.loads(text)["files"]
    compared = 0
    for path, item in snapshot.files.items():
        regions = function_regions_from_source((DATA / "sample" / path).read_text())
        assert regions is not None
        sides = {s.name: s for s in function_sides(item, regions)}
        expected = {name: f["summary"] for name, f in own[path]["functions"].items() if name}
        assert set(sides) == set(expected)
        for name, side in sides.items():
            n = side.numbers
            s = expected[name]
            assert (n.num_statements, n.num_missing) == (s["num_statements"], s["missing_lines"])
            assert (n.num_branches, n.num_partial_branches, n.num_missing_branches) == (
                s.get("num_branches", 0),
                s.get("num_partial_branches", 0),
                s.get("missing_branches", 0),
            )
            assert n.display(0) == s["percent_covered_display"]
            compared += 1
    assert compared == 23


# Small programs of defs and classes nested in each other and in compound statements.
_names = st.sampled_from(["a", "b", "f", "C", "D"])


@st.composite
def _blocks(draw: st.DrawFn, depth: int = 0) -> list[str]:
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["def", "class", "if", "stmt", "async"] if depth < 3 else ["stmt"])
        )
        if kind == "stmt":
            lines.append("x = 1")
            continue
        header = {
            "def": f"def {draw(_names)}():",
            "async": f"async def {draw(_names)}():",
            "class": f"class {draw(_names)}:",
            "if": "if x:",
        }[kind]
        lines.append(header)
        lines.extend("    " + line for line in draw(_blocks(depth + 1)))
    return lines


@settings(max_examples=200, deadline=None)
@given(_blocks())
def test_source_regions_equal_coverage_py_regions(lines: list[str]) -> None:
    """The regions read from the source are coverage.py's own `code_regions` (functions)."""
    from coverage.regions import code_regions

    text = "\n".join(lines) + "\n"
    ours = function_regions_from_source(text)
    assert ours is not None
    theirs = sorted(
        (r.start, r.name, frozenset(r.lines)) for r in code_regions(text) if r.kind == "function"
    )
    assert sorted((r.start_line, r.name, r.lines) for r in ours) == theirs


def side(name: str, line: int, missed: int, statements: int = 4) -> FunctionSide:
    numbers = Numbers(statements, missed, 0, 0, 0)
    lines = tuple(range(line + 1, line + 1 + missed))
    return FunctionSide(name, line, numbers, lines)


def test_matching_by_name_not_line() -> None:
    before = [side("f", 10, 1), side("g@20", 20, 0, 0), side("g", 30, 2), side("h", 40, 0)]
    after = [side("new", 5, 0), side("g@25", 25, 0, 0), side("g", 35, 2), side("f", 50, 1)]
    result = {
        d.name: (d.state, d.before and d.before.start_line) for d in diff_functions(before, after)
    }
    assert result == {
        "new": ("added", None),
        "g@25": ("unchanged", 20),  # the stub, moved: matched with the stub
        "g": ("unchanged", 30),  # moved by 5 lines, same misses relative to its def
        "f": ("unchanged", 10),
        "h": ("removed", 40),
    }
    # The same figures but a different missed line relative to the def: changed.
    moved = [FunctionSide("f", 50, Numbers(4, 1, 0, 0, 0), (53,))]
    assert diff_functions([side("f", 10, 1)], moved)[0].state == "changed"


def test_hostile_function_names_stay_text(tmp_path: Path) -> None:
    """Names come from the JSON: they cannot break a table or inject HTML."""
    name = "x|<script>alert(1)</script>`\n| y"
    files = {}
    for label, missed in (("before", []), ("after", [3])):
        files[label] = {
            "meta": {"branch_coverage": False},
            "files": {
                "m.py": {
                    "executed_lines": [1, 2] if missed else [1, 2, 3],
                    "missing_lines": missed,
                    "summary": {"num_statements": 3, "missing_lines": len(missed)},
                    "functions": {
                        name: {
                            "executed_lines": [2] if missed else [2, 3],
                            "missing_lines": missed,
                            "excluded_lines": [],
                            "start_line": 1,
                            "summary": {"num_statements": 2, "missing_lines": len(missed)},
                        }
                    },
                }
            },
        }
        (tmp_path / f"{label}.json").write_text(json.dumps(files[label]))
    args = [
        "step",
        "--before",
        str(tmp_path / "before.json"),
        "--after",
        str(tmp_path / "after.json"),
    ]
    status, md, err = run(*args)
    assert status == 0, err
    (row,) = [line for line in md.splitlines() if "alert" in line]
    # One code span, its bars escaped: six cells, none split by the name; markup stays text.
    assert row.startswith("| ``x\\|<script>alert(1)</script>` \\| y`` | `m.py` |")
    assert row.count(" | ") == 5
    status, page, err = run(*args, "--format", "html")
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_a_function_summary_contradicting_its_lines_is_refused(tmp_path: Path) -> None:
    bad = {
        "files": {
            "m.py": {
                "executed_lines": [1],
                "missing_lines": [2],
                "summary": {"num_statements": 2, "missing_lines": 1},
                "functions": {
                    "f": {
                        "executed_lines": [],
                        "missing_lines": [2],
                        "start_line": 1,
                        "summary": {"num_statements": 1, "missing_lines": 0},
                    }
                },
            }
        }
    }
    good = json.loads(json.dumps(bad))
    good["files"]["m.py"]["missing_lines"] = []
    good["files"]["m.py"]["executed_lines"] = [1, 2]
    good["files"]["m.py"]["summary"]["missing_lines"] = 0
    good["files"]["m.py"]["functions"]["f"]["missing_lines"] = []
    good["files"]["m.py"]["functions"]["f"]["executed_lines"] = [2]
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    (tmp_path / "good.json").write_text(json.dumps(good))
    out = tmp_path / "r.md"
    status, _, err = run(
        "step",
        "--before",
        str(tmp_path / "good.json"),
        "--after",
        str(tmp_path / "bad.json"),
        "--out",
        str(out),
    )
    assert status == 2
    assert err.strip().splitlines() == [
        f"Error: {tmp_path / 'bad.json'}: file 'm.py': function 'f': its summary disagrees"
        " with its lines"
    ]
    assert not out.exists()


def spec_file(tmp_path: Path, before: Path, after: Path, body: str) -> Path:
    spec = tmp_path / "step.toml"
    spec.write_text(
        f'milestone = "M"\nstep = "S"\n{body}\n[inputs]\nbefore = "{before}"\nafter = "{after}"\n'
    )
    return spec


def test_function_targets_pass_and_fail_as_file_targets(
    releases: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, before, after = releases
    body = """
[[target]]
path = "lib.py::Store.load"
min = 80
[[target]]
path = "lib.py::helper"
min = 100
delta = 30
"""
    status, out, err = run("step", "--spec", str(spec_file(tmp_path, before, after, body)))
    assert status == 1, err  # Store.load missed its minimum
    assert "| `lib.py::Store.load` | 100% | **60%** | **-40%** | ❌ Target missed |" in out
    assert "| `lib.py::helper` | 60% | **100%** | **+40%** | ✅ Target met |" in out
    assert "- [ ] `lib.py::Store.load` coverage ≥80% (achieved **60%**) ❌" in out
    assert (
        "- [x] `lib.py::helper` coverage ≥100% and gains ≥30 points (achieved **100%, +40%**)"
        in out
    )
    assert "FAILED" in out.splitlines()[0]  # a missed target that fell
    assert "- Line 20: in `Store.load`" in out
    status, out, err = run(
        "step",
        "--spec",
        str(spec_file(tmp_path, before, after, body.replace("80", "60"))),
        "--format",
        "json",
    )
    assert status == 0, err
    targets = json.loads(out)["coverage"]["targets"]
    assert [(t["pattern"], t["paths"], t["holds"]) for t in targets] == [
        ("lib.py::Store.load", ["lib.py::Store.load"], True),
        ("lib.py::helper", ["lib.py::helper"], True),
    ]
    # The --target option takes the same form.
    status, out, err = run(
        "step", "--before", str(before), "--after", str(after), "--target", "lib.py::fresh=61"
    )
    assert status == 1 and "| `lib.py::fresh` | — | **60%** | **—** | ❌ Target missed |" in out


def test_no_function_lost_coverage(releases: tuple[Path, Path, Path], tmp_path: Path) -> None:
    _, before, after = releases
    body = '[[criteria]]\ncheck = "no-function-lost-coverage"\n'
    status, out, err = run("step", "--spec", str(spec_file(tmp_path, before, after, body)))
    assert status == 1, err
    assert (
        "- [ ] No function lost coverage (achieved **1 function lost coverage: Store.load**) ❌"
        in out
    )
    scoped = body + 'path = "other/*.py"\n'
    status, out, err = run("step", "--spec", str(spec_file(tmp_path, before, after, scoped)))
    assert status == 0, err
    assert (
        "- [x] No function lost coverage in `other/*.py` (achieved **0 functions lost coverage**)"
        in out
    )
    # Reversed, `Store.load` gains and `helper` loses.
    status, out, err = run("step", "--spec", str(spec_file(tmp_path, after, before, body)))
    assert status == 1  # `helper` fell from 100% to 60% instead
    assert "(achieved **1 function lost coverage: helper**)" in out


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[target]]\npath = "lib.py::"\nmin = 1', "target[0].path: expected FILE::FUNCTION"),
        (
            '[[target]]\npath = "lib.py::nope"\nmin = 1',
            "target 'lib.py::nope' matches no measured function",
        ),
        (
            '[[criteria]]\ncheck = "all-tests-pass"\npath = "x"',
            "criteria[0].path: only no-function-lost-coverage takes a `path` glob",
        ),
    ],
)
def test_function_spec_errors(
    releases: tuple[Path, Path, Path], tmp_path: Path, body: str, message: str
) -> None:
    _, before, after = releases
    status, out, err = run("step", "--spec", str(spec_file(tmp_path, before, after, body)))
    assert status == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_function_targets_need_both_runs(releases: tuple[Path, Path, Path]) -> None:
    _, _, after = releases
    status, _, err = run("step", "--after", str(after), "--target", "lib.py::helper=50")
    assert status == 2
    assert "a function target needs the coverage of both runs" in err


REAL = Path(__file__).parent / "data" / "real"


@pytest.mark.parametrize("variant", ["branch", "nobranch"])
@pytest.mark.parametrize("precision", [0, 1])
def test_real_releases_function_figures_equal_coverage_py(variant: str, precision: int) -> None:
    """toolz 1.0.0 -> 1.1.0 as coverage.py 7.17 measured them: every function figure is the
    one in coverage.py's own function summaries, and every function that moved is one entry."""
    before_json = REAL / "toolz-1.0.0" / f"{variant}.json"
    after_json = REAL / "toolz-1.1.0" / f"{variant}.json"
    summary = step_json(before_json, after_json, "--precision", str(precision))
    old = json.loads(before_json.read_text())["files"]
    new = json.loads(after_json.read_text())["files"]
    compared = moved = 0
    listed = set()
    for entry in summary["coverage"]["files"]:
        path = entry["path"]
        for f in entry.get("functions", []):
            listed.add(path)
            was = f.get("before_name", f["name"])
            for side, report, name in (("before", old, was), ("after", new, f["name"])):
                if f[side] is None:
                    assert name not in report.get(path, {}).get("functions", {})
                    continue
                own = report[path]["functions"][name]["summary"]
                assert figures(f[side])[:5] == coverage_figures(own)[:5]
                assert f[side]["percent"] == own["percent_covered"]
                if precision == 0:
                    assert f[side]["display"] == own["percent_covered_display"]
                compared += 1
            if f["before"] and f["after"]:
                starts = (
                    old[path]["functions"][was]["start_line"],
                    new[path]["functions"][f["name"]]["start_line"],
                )
                moved += starts[0] != starts[1]
    # Every file that differs has its functions listed, the unchanged ones none.
    differing = {e["path"] for e in summary["coverage"]["files"] if e["state"] != "unchanged"}
    assert listed == {
        p for p in differing if (new.get(p) or old[p]).get("functions", {}).keys() - {""}
    }
    assert compared == 318 and moved == 77
    # None of the moved functions became a removed and an added one: only the function of
    # the file that went away is removed.
    removed = [
        (e["path"], f["name"])
        for e in summary["coverage"]["files"]
        for f in e.get("functions", [])
        if f["state"] == "removed"
    ]
    assert removed == REMOVED_IN_TOOLZ


REMOVED_IN_TOOLZ = [("toolz/_version.py", "get_versions")]


def _hostile_file(functions: object) -> dict:
    return {
        "files": {
            "m.py": {
                "executed_lines": [1, 2],
                "missing_lines": [],
                "summary": {"num_statements": 2, "missing_lines": 0},
                "functions": functions,
            }
        }
    }


@pytest.mark.parametrize(
    ("functions", "problem"),
    [
        ([], "bad functions (Expected `object`, got `array`"),
        ({"f": {"summary": {"num_statements": -1, "missing_lines": 0}}}, "bad functions"),
        (
            {"f": {"summary": {"num_statements": 1, "missing_lines": 0}, "start_line": "1"}},
            "bad functions",
        ),
        (
            {
                "f": {
                    "summary": {"num_statements": 1, "missing_lines": 0},
                    "executed_lines": [10**19],
                }
            },
            "bad functions",
        ),
        (
            {
                "f": {
                    "summary": {"num_statements": 1, "missing_lines": 0},
                    "missing_branches": [[1]],
                }
            },
            "bad functions",
        ),
        (
            {"f": {"summary": {"num_statements": 1, "missing_lines": 0, "missing_branches": 1}}},
            "function 'f': its summary disagrees with its lines",
        ),
        ({"f": {"summary": {"num_statements": 1, "missing_lines": 0}}, "g": 5}, "bad functions"),
    ],
)
def test_hostile_functions_are_input_errors(
    tmp_path: Path, functions: object, problem: str
) -> None:
    good = tmp_path / "good.json"
    bad = tmp_path / "bad.json"
    good.write_text(json.dumps(_hostile_file({})))
    bad.write_text(json.dumps(_hostile_file(functions)))
    # The file must differ between the runs for its functions to be read.
    data = json.loads(bad.read_text())
    data["files"]["m.py"]["executed_lines"] = [1]
    data["files"]["m.py"]["missing_lines"] = [2]
    data["files"]["m.py"]["summary"]["missing_lines"] = 1
    bad.write_text(json.dumps(data))
    out = tmp_path / "r.md"
    status, _, err = run("step", "--before", str(good), "--after", str(bad), "--out", str(out))
    assert status == 2, err
    (line,) = err.strip().splitlines()
    assert line.startswith(f"Error: {bad}: file 'm.py': ") and problem in line
    assert not out.exists()


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_any_functions_bytes_give_sides_or_an_input_error(blob: bytes) -> None:
    from reportgen.errors import InputError
    from reportgen.inputs.function_json import function_sides_from_json

    try:
        sides = function_sides_from_json(blob, "x.json", "m.py")
    except InputError as err:
        assert str(err).startswith("x.json: file 'm.py': ")
    else:
        assert sides is None or all(
            s.numbers.num_missing <= s.numbers.num_statements for s in sides
        )


@pytest.mark.parametrize(
    ("version", "available"),
    [
        ("5.5", ["sample/limits.py"]),
        ("6.5.0", ["sample/full.py", "sample/limits.py"]),
        ("7.0.5", ["sample/full.py", "sample/limits.py"]),
        ("7.5.4", ["sample/full.py", "sample/limits.py"]),
    ],
)
def test_old_json_figures_from_the_source(version: str, available: list[str]) -> None:
    """JSON older than 7.6 with the sources at hand: where the file's lists hold exactly its
    counted statements and branches (docstrings left out), each function's figures equal
    coverage.py 7.17's own summaries of the same code and tests; elsewhere (sample/core.py,
    where old versions list other lines as run) they are refused, never approximated."""
    report = DATA / version / "branch.json"
    targets = [f"--target=sample/{name}.py=0" for name in ("full", "limits", "core")]
    summary = step_json(report, report, *targets, "--source-root", str(DATA / "sample"))
    own = json.loads((DATA / "7.17.4" / "branch.json").read_text())["files"]
    listed = [f for f in summary["coverage"]["files"] if "functions" in f]
    assert [f["path"] for f in listed] == available
    for entry in listed:
        assert entry["functions"]
        for f in entry["functions"]:
            expected = own[entry["path"]]["functions"][f["name"]]["summary"]
            assert figures(f["after"]) == coverage_figures(expected)
    status, out, _ = run(
        "step",
        "--before",
        str(report),
        "--after",
        str(report),
        *targets,
        "--source-root",
        str(DATA / "sample"),
    )
    unavailable = 3 - len(available)
    assert f"Function figures unavailable for {unavailable} file" in out


def test_shards_figures_equal_the_combined_runs_own() -> None:
    """Two shards of one run: each function's figures are computed over the merged lists
    (one shard's summaries are not the run's) and equal those coverage.py wrote for the
    `coverage combine`d data."""
    shards = [str(DATA / "7.17.4" / f"shard_{x}.json") for x in "ab"]
    args = ["step", "--format", "json", "--target", "sample/core.py=0"]
    for shard in shards:
        args += ["--before", shard, "--after", shard]
    status, out, err = run(*args)
    assert status == 0, err
    (core,) = [f for f in json.loads(out)["coverage"]["files"] if "functions" in f]
    own = json.loads((DATA / "7.17.4" / "combined.json").read_text())["files"]["sample/core.py"]
    expected = {name: f["summary"] for name, f in own["functions"].items() if name}
    assert {f["name"] for f in core["functions"]} == set(expected)
    differs_from_a_shard = 0
    shard_a = json.loads(Path(shards[0]).read_text())["files"]["sample/core.py"]["functions"]
    for f in core["functions"]:
        assert figures(f["after"]) == coverage_figures(expected[f["name"]])
        differs_from_a_shard += figures(f["after"]) != coverage_figures(
            shard_a[f["name"]]["summary"]
        )
    assert differs_from_a_shard  # `classify` is covered both ways only when combined


def test_a_new_function_fully_covered_is_not_listed_as_not_covered() -> None:
    from reportgen.analysis.functions import (
        ADDED,
        FileFunctions,
        FunctionDiff,
        FunctionSide,
        FunctionsResult,
        new_not_covered,
    )
    from reportgen.analysis.numbers import Numbers

    def side(name: str, statements: int, missing: int) -> FunctionSide:
        numbers = Numbers(num_statements=statements, num_missing=missing)
        return FunctionSide(name, 1, numbers, list(range(2, 2 + missing)))

    covered = FunctionDiff("covered", ADDED, None, side("covered", 3, 0))
    half = FunctionDiff("half", ADDED, None, side("half", 4, 2))
    result = FunctionsResult({"m.py": FileFunctions("m.py", (covered, half))}, ())
    assert [(path, f.name) for path, f in new_not_covered(result)] == [("m.py", "half")]
