"""The benchmark's input generator: deterministic, consistent, and one data set in every format."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from coverage.results import Numbers

from tests.benchmark import generate
from tests.benchmark.cobertura import human_key

FILES = 300
CASES = 3000
SEED = 3
RESULT_TAGS = (("failures", "failure"), ("errors", "error"), ("skipped", "skipped"))
SUMMARY_FROM_NUMBERS = {
    "covered_lines": "n_executed",
    "num_statements": "n_statements",
    "percent_covered": "pc_covered",
    "percent_covered_display": "pc_covered_str",
    "missing_lines": "n_missing",
    "excluded_lines": "n_excluded",
    "percent_statements_covered": "pc_statements",
    "percent_statements_covered_display": "pc_statements_str",
    "num_branches": "n_branches",
    "num_partial_branches": "n_partial_branches",
    "covered_branches": "n_executed_branches",
    "missing_branches": "n_missing_branches",
    "percent_branches_covered": "pc_branches",
    "percent_branches_covered_display": "pc_branches_str",
}


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("inputs")
    generate.write_coverage(out, FILES, SEED)
    generate.write_junit(out, CASES, SEED)
    return out


@pytest.fixture(scope="module")
def reports(out_dir: Path) -> dict[str, dict[str, Any]]:
    return {side: _load_json(out_dir / f"{side}.json") for side in ("before", "after")}


def _load_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        return json.load(stream)


def _numbers(entry: dict[str, Any]) -> Numbers:
    """What coverage.py counts from an entry's line and arc lists."""
    executed = set(entry["executed_lines"])
    missing_arcs = entry["missing_branches"]
    return Numbers(
        precision=0,
        n_files=1,
        n_statements=len(executed) + len(entry["missing_lines"]),
        n_excluded=len(entry["excluded_lines"]),
        n_missing=len(entry["missing_lines"]),
        n_branches=len(entry["executed_branches"]) + len(missing_arcs),
        n_partial_branches=sum(1 for source, _ in missing_arcs if source in executed),
        n_missing_branches=len(missing_arcs),
    )


def _summary(numbers: Numbers) -> dict[str, Any]:
    return {key: getattr(numbers, name) for key, name in SUMMARY_FROM_NUMBERS.items()}


def _entries(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every file entry and every region entry of a report, with a name for messages."""
    found = []
    for path, entry in report["files"].items():
        found.append((path, entry))
        for kind in ("functions", "classes"):
            found += [(f"{path}:{kind}:{name}", e) for name, e in entry[kind].items()]
    return found


def test_same_arguments_give_identical_bytes(out_dir: Path, tmp_path: Path) -> None:
    """Generating again with the same arguments rewrites every file byte for byte."""
    generate.write_coverage(tmp_path, FILES, SEED)
    generate.write_junit(tmp_path, CASES, SEED)
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 7
    for name in names:
        assert (tmp_path / name).read_bytes() == (out_dir / name).read_bytes(), name


def test_another_seed_gives_another_code_base(out_dir: Path, tmp_path: Path) -> None:
    """The seed, not a constant, decides the data."""
    generate.write_coverage(tmp_path, FILES, SEED + 1)
    assert (tmp_path / "before.json").read_bytes() != (out_dir / "before.json").read_bytes()


def test_meta_is_what_coverage_717_writes(reports: dict[str, dict[str, Any]]) -> None:
    """Both reports carry format 3 meta with branch coverage on and fixed timestamps."""
    assert reports["before"]["meta"] == {
        "format": 3,
        "version": "7.17.4",
        "timestamp": "2025-10-20T09:12:44.318204",
        "branch_coverage": True,
        "show_contexts": False,
    }
    assert reports["after"]["meta"]["timestamp"] == "2025-10-27T09:14:03.512345"


def test_every_summary_equals_coverage_numbers(reports: dict[str, dict[str, Any]]) -> None:
    """Each file and region summary is what coverage.py's Numbers computes from its lists."""
    for report in reports.values():
        for name, entry in _entries(report):
            assert entry["summary"] == _summary(_numbers(entry)), name


def test_totals_are_the_sum_of_the_files(reports: dict[str, dict[str, Any]]) -> None:
    """`totals` equals coverage.py's sum of the per-file Numbers."""
    for report in reports.values():
        total = sum(_numbers(entry) for entry in report["files"].values())
        assert report["totals"] == _summary(total)
        assert report["totals"]["num_statements"] > 100 * len(report["files"]) // 2


def test_regions_partition_each_file(reports: dict[str, dict[str, Any]]) -> None:
    """Functions, and separately classes, split a file's lines and arcs without overlap."""
    keys = ("executed_lines", "missing_lines", "excluded_lines")
    arcs = ("executed_branches", "missing_branches")
    for path, entry in reports["after"]["files"].items():
        for kind in ("functions", "classes"):
            regions = entry[kind].values()
            for key in keys:
                lines = [n for region in regions for n in region[key]]
                assert sorted(lines) == entry[key], (path, kind, key)
            for key in arcs:
                pairs = sorted(arc for region in regions for arc in region[key])
                assert pairs == entry[key], (path, kind, key)
            assert list(entry[kind])[-1] == ""


def test_files_are_listed_in_path_order(reports: dict[str, dict[str, Any]]) -> None:
    """Files appear sorted by path, as coverage.py reports them."""
    paths = list(reports["before"]["files"])
    assert paths == sorted(paths)
    assert len(paths) == FILES


def test_after_side_differs_like_a_real_change(reports: dict[str, dict[str, Any]]) -> None:
    """Most files are unchanged; some gained or lost coverage; a few were added or removed."""
    before, after = reports["before"]["files"], reports["after"]["files"]
    common = before.keys() & after.keys()
    changed = [p for p in common if before[p] != after[p]]
    gained = [p for p in changed if _covered(after[p]) > _covered(before[p])]
    lost = [p for p in changed if _covered(after[p]) < _covered(before[p])]
    assert after.keys() - before.keys()
    assert before.keys() - after.keys()
    assert gained and lost
    assert len(changed) < len(common) // 4


def _covered(entry: dict[str, Any]) -> int:
    return entry["summary"]["covered_lines"] + entry["summary"]["covered_branches"]


def test_cobertura_describes_the_same_lines(
    out_dir: Path, reports: dict[str, dict[str, Any]]
) -> None:
    """Each Cobertura class lists the JSON's statements, hits and branch counts of its file."""
    for side, report in reports.items():
        root = ET.parse(out_dir / f"{side}.xml").getroot()
        classes = {c.get("filename"): c for c in root.iter("class")}
        assert classes.keys() == report["files"].keys()
        for path, entry in report["files"].items():
            assert _cobertura_lines(classes[path]) == _json_lines(entry), path
        totals = report["totals"]
        assert root.get("lines-valid") == str(totals["num_statements"])
        assert root.get("lines-covered") == str(totals["covered_lines"])
        assert root.get("branches-valid") == str(totals["num_branches"])
        assert root.get("branches-covered") == str(totals["covered_branches"])


def _cobertura_lines(element: ET.Element) -> dict[int, tuple[int, int, int]]:
    """Line number -> (hits, branches taken, branches) from a Cobertura class."""
    found = {}
    for line in element.iter("line"):
        taken, total = 0, 0
        if line.get("branch") == "true":
            match = re.search(r"\((\d+)/(\d+)\)", line.get("condition-coverage", ""))
            assert match is not None
            taken, total = int(match[1]), int(match[2])
        found[int(line.get("number", "0"))] = (int(line.get("hits", "0")), taken, total)
    return found


def _json_lines(entry: dict[str, Any]) -> dict[int, tuple[int, int, int]]:
    """The same mapping from a coverage JSON file entry."""
    found = {n: (1, 0, 0) for n in entry["executed_lines"]}
    found |= {n: (0, 0, 0) for n in entry["missing_lines"]}
    for key, hit in (("executed_branches", 1), ("missing_branches", 0)):
        for source, _ in entry[key]:
            hits, taken, total = found[source]
            found[source] = (hits, taken + hit, total + 1)
    return found


def test_cobertura_packages_are_in_coverage_order(out_dir: Path) -> None:
    """Packages and their classes come in coverage.py's human order, one package per folder."""
    root = ET.parse(out_dir / "after.xml").getroot()
    names = [p.get("name", "") for p in root.iter("package")]
    assert names == sorted(names, key=human_key)
    assert len(names) == len(set(names)) > 1
    for package in root.iter("package"):
        files = [c.get("filename", "") for c in package.iter("class")]
        assert files == sorted(files, key=human_key)
        assert {f.rsplit("/", 1)[0].replace("/", ".") for f in files} == {package.get("name")}


def test_source_diff_touches_added_and_edited_files(
    out_dir: Path, reports: dict[str, dict[str, Any]]
) -> None:
    """The diff adds every added file with statements and appends to files that grew."""
    before, after = reports["before"]["files"], reports["after"]["files"]
    text = (out_dir / "source.diff").read_text(encoding="utf-8")
    targets = set(re.findall(r"^\+\+\+ b/(.+)$", text, flags=re.MULTILINE))
    added = {p for p in after.keys() - before.keys() if after[p]["summary"]["num_statements"]}
    grew = {
        p
        for p in after.keys() & before.keys()
        if after[p]["summary"]["num_statements"] > before[p]["summary"]["num_statements"]
    }
    assert added and grew
    assert targets == added | grew


def test_junit_runs_have_the_requested_cases(out_dir: Path) -> None:
    """The after run has exactly the requested cases; each suite's figures match its elements."""
    counts = {}
    for side in ("before", "after"):
        suite = ET.parse(out_dir / f"junit-{side}.xml").getroot().find("testsuite")
        assert suite is not None
        cases = suite.findall("testcase")
        ids = {f"{c.get('classname')}::{c.get('name')}" for c in cases}
        assert len(ids) == len(cases)
        assert suite.get("tests") == str(len(cases))
        for attribute, tag in RESULT_TAGS:
            assert suite.get(attribute) == str(sum(1 for c in cases if c.find(tag) is not None))
        assert int(suite.get("failures", "0")) > 0 and int(suite.get("skipped", "0")) > 0
        counts[side] = ids
    assert len(counts["after"]) == CASES
    assert counts["after"] - counts["before"] and counts["before"] - counts["after"]
    assert any("[" in case_id for case_id in counts["after"])


def test_peer_tools_are_found_by_absolute_path(tmp_path: Path, monkeypatch) -> None:
    """diff-cover runs in a folder of its own: a relative --peers-venv must still lead to it."""
    from tests.benchmark.run import find_tools

    bin_dir = tmp_path / "peers" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("pycobertura", "diff-cover"):
        (bin_dir / name).write_text("#!/bin/sh\n")
    monkeypatch.chdir(tmp_path)
    tools = find_tools(Path("peers"), reportgen="reportgen")
    assert tools.diff_cover == str(bin_dir / "diff-cover")
    assert tools.pycobertura == str(bin_dir / "pycobertura")
