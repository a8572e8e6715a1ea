"""Generate realistic large benchmark inputs: coverage snapshots, Cobertura twins, JUnit runs.

    python -m tests.benchmark.generate OUT_DIR --files 5000 --cases 500000 [--seed 1]

writes into OUT_DIR (`--files 0` or `--cases 0` skips that half):

    before.json, after.json            coverage.py JSON reports (format 3, coverage 7.17)
    before.xml, after.xml              the same data as `coverage xml` writes it (Cobertura)
    source.diff                        the source changes between the runs (`git diff -U0`)
    junit-before.xml, junit-after.xml  pytest JUnit XML of the two runs

The same arguments always give byte-identical files: nothing reads the clock or the machine.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.benchmark.cobertura import write_cobertura, xml_order
from tests.benchmark.codebase import (
    ADDED,
    EDITED,
    REMOVED,
    FilePlan,
    Module,
    Run,
    plan_codebase,
    side_of,
)
from tests.benchmark.covjson import write_coverage_json
from tests.benchmark.junitxml import write_junit_pair
from tests.benchmark.patch import write_diff

# Fixed dates: the before run a week ahead of the after run.
JSON_TIMESTAMPS = ("2025-10-20T09:12:44.318204", "2025-10-27T09:14:03.512345")
XML_TIMESTAMPS_MS = (1760951564318, 1761556443512)
JUNIT_TIMESTAMPS = ("2025-10-20T09:10:02.114233+00:00", "2025-10-27T09:11:19.902117+00:00")


@dataclass(frozen=True, slots=True)
class CoverageInputs:
    """The coverage files of one generated code base and their headline figures."""

    before_json: Path
    after_json: Path
    before_xml: Path
    after_xml: Path
    diff: Path
    files: tuple[int, int]  # files measured before, after
    statements: tuple[int, int]
    diff_files: int


@dataclass(frozen=True, slots=True)
class JunitInputs:
    """The JUnit files of the before and the after run and their case counts."""

    before: Path
    after: Path
    cases: tuple[int, int]


def write_coverage(out_dir: Path, files: int, seed: int = 1) -> CoverageInputs:
    """Write a code base of `files` files (before side) as JSON, Cobertura and a source diff."""
    plans = plan_codebase(files, seed)
    by_xml = {p.path: p for p in plans}
    xml_plans = [by_xml[path] for path in xml_order(by_xml)]
    names = ("before.json", "after.json", "before.xml", "after.xml", "source.diff")
    paths = tuple(out_dir / name for name in names)
    totals = [
        write_coverage_json(paths[after], _side(plans, seed, after), JSON_TIMESTAMPS[after])
        for after in (False, True)
    ]
    for after in (False, True):
        write_cobertura(paths[2 + after], _side(xml_plans, seed, after), XML_TIMESTAMPS_MS[after])
    touched = write_diff(paths[4], _source_changes(plans, seed))
    return CoverageInputs(
        before_json=paths[0],
        after_json=paths[1],
        before_xml=paths[2],
        after_xml=paths[3],
        diff=paths[4],
        files=(totals[0].files, totals[1].files),
        statements=(totals[0].statements, totals[1].statements),
        diff_files=touched,
    )


def write_junit(out_dir: Path, cases: int, seed: int = 1) -> JunitInputs:
    """Write the before and after JUnit files; the after run has exactly `cases` cases."""
    before, after = out_dir / "junit-before.xml", out_dir / "junit-after.xml"
    counts = write_junit_pair(before, after, cases, seed, JUNIT_TIMESTAMPS)
    return JunitInputs(before, after, (counts[0].tests, counts[1].tests))


def _side(plans: Iterable[FilePlan], seed: int, after: bool) -> Iterator[tuple[Module, Run]]:
    for plan in plans:
        side = side_of(plan, seed, after)
        if side is not None:
            yield side


def _source_changes(
    plans: Iterable[FilePlan], seed: int
) -> Iterator[tuple[Module | None, Module | None]]:
    """(before, after) modules of the files whose source changed: edited, added, removed."""
    for plan in plans:
        if plan.change in (EDITED, ADDED, REMOVED):
            yield _module(side_of(plan, seed, False)), _module(side_of(plan, seed, True))


def _module(side: tuple[Module, Run] | None) -> Module | None:
    return side[0] if side else None


def main(argv: list[str] | None = None) -> int:
    """Generate the inputs the command line asks for and print what was written."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmark.generate")
    parser.add_argument("out_dir", type=Path, help="folder to write into (created)")
    parser.add_argument("--files", type=int, default=5000, help="files on the before side")
    parser.add_argument("--cases", type=int, default=0, help="test cases of the after run")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    if args.files > 0:
        made = write_coverage(args.out_dir, args.files, args.seed)
        print(f"coverage: {made.files[0]} -> {made.files[1]} files, "
              f"{made.statements[0]} -> {made.statements[1]} statements, "
              f"{made.diff_files} files in {made.diff.name}")  # fmt: skip
    if args.cases > 0:
        runs = write_junit(args.out_dir, args.cases, args.seed)
        print(f"junit: {runs.cases[0]} -> {runs.cases[1]} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
