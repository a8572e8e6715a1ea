"""reportgen's coverage figures against `coverage report -m` for the very same data.

The fixtures in tests/data/coverage are real `coverage json` output of coverage.py 5.5 to 7.17
with the report coverage printed beside it (see its README); the live tests run the installed
coverage on a tiny package at test time. Every figure is compared: Stmts, Miss, Branch, BrPart,
Cover at precision 0 and 1, and the Missing column.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reportgen.analysis.models import CoverageSnapshot
from reportgen.analysis.numbers import Numbers
from reportgen.errors import InputError
from reportgen.inputs.coverage_json import combine_snapshots, parse_coverage_json
from tests import coverage_oracle as oracle

FIXTURES = Path(__file__).parent / "data" / "coverage"
VERSION_DIRS = sorted(p for p in FIXTURES.iterdir() if re.fullmatch(r"\d+(\.\d+)+", p.name))
VARIANTS = [
    (folder.name, expected.name.removesuffix(".expected.json"))
    for folder in VERSION_DIRS
    for expected in sorted(folder.glob("*.expected.json"))
]
SHARDED = [folder.name for folder in VERSION_DIRS if (folder / "combined.expected.json").exists()]
# Figures that need per-arc data to combine shards: coverage 5.5's JSON has none.
ARC_FIGURES = ("brpart", "cover", "cover_p1")


def _load(version: str, variant: str) -> tuple[bytes, dict]:
    folder = FIXTURES / version
    data = (folder / f"{variant}.json").read_bytes()
    expected = json.loads((folder / f"{variant}.expected.json").read_text(encoding="utf-8"))
    return data, expected


def _has_arc_lists(data: bytes) -> bool:
    """True when a branch report lists its arcs (coverage 6.5+), or when it is line-only."""
    report = json.loads(data)
    if not report["meta"].get("branch_coverage"):
        return True
    return all("missing_branches" in item for item in report["files"].values())


def _without_arcs(missing: str) -> str:
    """The Missing column less its `a->b` items: all a report without arc lists can rebuild."""
    return ", ".join(item for item in missing.split(", ") if item and "->" not in item)


def _row(numbers: Numbers, has_branches: bool, missing: str) -> dict:
    """Our figures in the shape of an expected.json row."""
    return {
        "stmts": numbers.num_statements,
        "miss": numbers.num_missing,
        "branch": numbers.num_branches if has_branches else None,
        "brpart": numbers.num_partial_branches if has_branches else None,
        "cover": numbers.display(0),
        "cover_p1": numbers.display(1),
        "missing": missing,
    }


def _ours(snapshot: CoverageSnapshot) -> dict:
    """The whole snapshot in the shape of expected.json."""
    files = {
        path: _row(item.numbers, snapshot.has_branches, item.missing_text)
        for path, item in snapshot.files.items()
    }
    return {"files": files, "total": _row(snapshot.totals, snapshot.has_branches, "")}


def _mismatches(ours: dict, expected: dict, skip: tuple[str, ...] = ()) -> list[tuple]:
    """(file, field, ours, coverage's) for every figure that differs; [] when all agree."""
    found: list[tuple] = []
    names = sorted(set(ours["files"]) | set(expected["files"]))
    rows = [(name, ours["files"].get(name), expected["files"].get(name)) for name in names]
    rows.append(("TOTAL", ours["total"], expected["total"]))
    for name, mine, theirs in rows:
        if mine is None or theirs is None:
            found.append((name, "present", mine is not None, theirs is not None))
            continue
        for field, value in theirs.items():
            if field not in skip and mine[field] != value:
                found.append((name, field, mine[field], value))
    return found


def _strip_arcs(expected: dict) -> dict:
    files = {
        name: {**row, "missing": _without_arcs(row["missing"])}
        for name, row in expected["files"].items()
    }
    return {"files": files, "total": expected["total"]}


@pytest.mark.parametrize(("version", "variant"), VARIANTS, ids=[f"{v}-{n}" for v, n in VARIANTS])
def test_fixture_matches_coverage_report(version: str, variant: str) -> None:
    """Every file's figures and the total parsed from a fixture equal coverage's own report."""
    data, expected = _load(version, variant)
    snapshot = parse_coverage_json(data, f"{version}/{variant}.json")
    if not _has_arc_lists(data):
        expected = _strip_arcs(expected)
    assert _mismatches(_ours(snapshot), expected) == []


@pytest.mark.parametrize(("version", "variant"), VARIANTS, ids=[f"{v}-{n}" for v, n in VARIANTS])
def test_fixture_branch_flag_matches_report_columns(version: str, variant: str) -> None:
    """A snapshot has branches exactly when coverage's report shows Branch and BrPart columns."""
    data, expected = _load(version, variant)
    snapshot = parse_coverage_json(data, f"{version}/{variant}.json")
    assert snapshot.has_branches is (expected["total"]["branch"] is not None)


@pytest.mark.parametrize("version", SHARDED)
def test_combined_shards_match_coverage_combine(version: str) -> None:
    """Combining the two shard JSONs gives the report of `coverage combine` on their data files.

    coverage 5.5's JSON has no arc lists, so there only the line figures, the branch count and
    the line part of Missing can be combined exactly; the partial count and percent cannot.
    """
    shards = []
    for shard in ("shard_a", "shard_b"):
        data, _ = _load(version, shard)
        shards.append(parse_coverage_json(data, f"{version}/{shard}.json"))
    _, expected = _load(version, "combined")
    skip: tuple[str, ...] = ()
    if not _has_arc_lists((FIXTURES / version / "shard_a.json").read_bytes()):
        expected, skip = _strip_arcs(expected), ARC_FIGURES
    assert _mismatches(_ours(combine_snapshots(shards)), expected, skip) == []


@pytest.mark.parametrize("version", SHARDED)
def test_combine_order_does_not_matter(version: str) -> None:
    """Shard A then B and shard B then A combine to the same figures and Missing text."""
    a = parse_coverage_json(_load(version, "shard_a")[0], "shard_a.json")
    b = parse_coverage_json(_load(version, "shard_b")[0], "shard_b.json")
    assert _ours(combine_snapshots([a, b])) == _ours(combine_snapshots([b, a]))


def test_fixtures_cover_every_version_and_variant() -> None:
    """The fixture set holds the seven versions with all shard variants and two context runs."""
    assert [p.name for p in VERSION_DIRS] == sorted(
        ["5.5", "6.5.0", "7.0.5", "7.5.4", "7.6.1", "7.10.7", "7.17.4"]
    )
    assert len(SHARDED) == 7
    assert sorted(v for v, n in VARIANTS if n == "contexts") == ["6.5.0", "7.17.4"]


def test_rounding_fixture_shows_99_not_100() -> None:
    """199 of 200 statements is 99.5%: coverage prints 99 at precision 0, and so do we."""
    data, expected = _load("7.17.4", "branch")
    limits = parse_coverage_json(data, "branch.json").files["sample/limits.py"]
    assert expected["files"]["sample/limits.py"]["cover"] == "99"
    assert (limits.numbers.display(0), limits.numbers.display(1)) == ("99", "99.5")


def test_parse_rejects_a_report_table_as_json() -> None:
    """Feeding the text report where JSON is expected is an InputError naming the file."""
    text = (FIXTURES / "7.17.4" / "branch.report.txt").read_bytes()
    with pytest.raises(InputError, match=r"^branch\.report\.txt: "):
        parse_coverage_json(text, "branch.report.txt")


# The live package: partial branches to a line and to the exit, a loop left early, a missing
# range, a multi-line statement, an excluded line, an empty module and a never-imported one.
LIVE_FILES = {
    "pkg/__init__.py": "",
    "pkg/branches.py": '''\
"""Small functions whose tests leave some branches untaken."""


def sign(number):
    if number > 0:
        return 1
    if number < 0:
        return -1
    return 0


def first_even(values):
    for value in values:
        if value % 2 == 0:
            return value
    return None


def clip(x):
    if x > 10:
        x = 10
    return x


def maybe_log(flag, out):
    if flag:
        out.append("logged")


def spread(x):
    total = sum(
        [x, x + 1],
    )
    doubled = total * 2
    if doubled > 1000:  # pragma: no cover
        raise ValueError(doubled)
    return doubled + 1
''',
    "pkg/never.py": """\
def unused(flag):
    if flag:
        return "yes"
    return "no"
""",
}
LIVE_TEST_ONE = """\
from pkg import branches


def test_sign_positive():
    assert branches.sign(3) == 1


def test_first_even():
    assert branches.first_even([1, 4, 5]) == 4
"""
LIVE_TEST_TWO = """\
from pkg import branches


def test_sign_negative():
    assert branches.sign(-2) == -1


def test_maybe_log_and_clip():
    out = []
    branches.maybe_log(True, out)
    assert out == ["logged"]
    assert branches.clip(20) == 10
"""
LIVE_TESTS = {"test_one.py": LIVE_TEST_ONE, "test_two.py": LIVE_TEST_TWO}


def _live_expected(report: str, report_p1: str) -> dict:
    return oracle.merge_precisions(
        oracle.parse_report_text(report), oracle.parse_report_text(report_p1)
    )


@pytest.fixture(scope="module")
def live_branch(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, dict]:
    """The installed coverage's JSON and parsed report for both live tests, with --branch."""
    data, report, report_p1 = oracle.run_coverage(
        tmp_path_factory.mktemp("branch"), LIVE_FILES, LIVE_TESTS, branch=True
    )
    return data, _live_expected(report, report_p1)


@pytest.mark.parametrize("branch", [True, False], ids=["branch", "nobranch"])
def test_live_run_matches_coverage_report(
    branch: bool, live_branch: tuple[bytes, dict], tmp_path: Path
) -> None:
    """Data made now by the installed coverage parses to the figures its report prints."""
    if branch:
        data, expected = live_branch
    else:
        data, report, report_p1 = oracle.run_coverage(
            tmp_path, LIVE_FILES, LIVE_TESTS, branch=False
        )
        expected = _live_expected(report, report_p1)
    snapshot = parse_coverage_json(data, "coverage.json")
    assert _mismatches(_ours(snapshot), expected) == []
    assert set(expected["files"]) == {"pkg/__init__.py", "pkg/branches.py", "pkg/never.py"}


def test_live_shards_combine_to_the_whole_run(
    live_branch: tuple[bytes, dict], tmp_path: Path
) -> None:
    """Each test file run alone, combined, gives the figures of running both together."""
    shards = []
    for name, text in LIVE_TESTS.items():
        data, _, _ = oracle.run_coverage(
            tmp_path / Path(name).stem, LIVE_FILES, {name: text}, branch=True
        )
        shards.append(parse_coverage_json(data, f"{name}.json"))
    _, expected = live_branch
    assert _mismatches(_ours(combine_snapshots(shards)), expected) == []


def test_live_report_has_partial_branches(live_branch: tuple[bytes, dict]) -> None:
    """The live data really exercises partial branches, so the comparisons above mean something."""
    _, expected = live_branch
    row = expected["files"]["pkg/branches.py"]
    assert row["brpart"] >= 2
    assert "->exit" in row["missing"] and "->" in row["missing"].replace("->exit", "")


# The oracle's own parser, on tables as coverage 7.17 prints them.
SKIP_COVERED_TABLE = """\
Name               Stmts   Miss Branch BrPart  Cover   Missing
--------------------------------------------------------------
sample/core.py        70      7     20      6    86%   39, 47, 53->58, 63->exit, 78
sample/unused.py       7      7      2      0     0%   4-15
--------------------------------------------------------------
TOTAL                288     15     28      6    93%

2 files skipped due to complete coverage.
"""
LINE_ONLY_TABLE = """\
Name             Stmts   Miss  Cover   Missing
----------------------------------------------
my dir/a.py          0      0   100%
my dir/b.py        200      1  99.5%   207
----------------------------------------------
TOTAL              200      1  99.5%
"""


def test_oracle_parses_branch_table_with_footer() -> None:
    """Branch columns, partial-branch Missing items and a skipped-files footer are read."""
    parsed = oracle.parse_report_text(SKIP_COVERED_TABLE)
    assert parsed["files"]["sample/core.py"] == {
        "stmts": 70,
        "miss": 7,
        "branch": 20,
        "brpart": 6,
        "cover": "86",
        "missing": "39, 47, 53->58, 63->exit, 78",
    }
    assert list(parsed["files"]) == ["sample/core.py", "sample/unused.py"]
    assert parsed["total"]["stmts"] == 288 and parsed["total"]["missing"] == ""


def test_oracle_parses_line_only_table() -> None:
    """Without branch columns, branch and brpart are None; names may hold spaces."""
    parsed = oracle.parse_report_text(LINE_ONLY_TABLE)
    assert parsed["files"]["my dir/a.py"] == {
        "stmts": 0,
        "miss": 0,
        "branch": None,
        "brpart": None,
        "cover": "100",
        "missing": "",
    }
    assert parsed["files"]["my dir/b.py"]["cover"] == "99.5"
    assert parsed["total"]["brpart"] is None


def test_oracle_refuses_a_table_without_total() -> None:
    """A truncated report is an error, never an empty oracle."""
    with pytest.raises(ValueError, match="no TOTAL row"):
        oracle.parse_report_text(LINE_ONLY_TABLE.split("TOTAL")[0])
