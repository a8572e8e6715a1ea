"""coverage.py as the oracle: run it on a tiny package and read back its `report -m` table.

The conformance tests compare reportgen's figures with what `coverage report -m` prints for the
very same data, so this module only runs coverage and parses its text; it never computes a figure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

_NUMBER = r"\d+"
_PERCENT = r"(?P<cover>\d+(?:\.\d+)?)%"
# Footers `coverage report` prints under the table when it leaves rows out.
_FOOTER = re.compile(r"^\d+ (empty )?files? skipped")


def parse_report_text(text: str) -> dict:
    """Parse a `coverage report -m` table into the shape of the fixtures' expected.json.

    `Name  Stmts  Miss  Branch  BrPart  Cover  Missing` becomes
    `{"files": {name: {"stmts", "miss", "branch", "brpart", "cover", "missing"}}, "total": {...}}`
    with the cover string as printed less its `%` ("99", "99.5"); branch and brpart are None
    when the table has no branch columns, and the total's missing is "".
    """
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    header = _find_header(lines)
    row = _row_pattern(has_branches="Branch" in header.split())
    files: dict[str, dict] = {}
    total: dict | None = None
    for line in lines[lines.index(header) + 1 :]:
        if set(line) <= {"-", " "} or _FOOTER.match(line):
            continue
        figures = _parse_row(row, line)
        if figures["name"] == "TOTAL":
            total = _without_name(figures)
        else:
            files[figures["name"]] = _without_name(figures)
    if total is None:
        raise ValueError("coverage report text has no TOTAL row")
    return {"files": files, "total": total}


def _find_header(lines: list[str]) -> str:
    for line in lines:
        if line.split()[:3] == ["Name", "Stmts", "Miss"]:
            return line
    raise ValueError("coverage report text has no 'Name Stmts Miss' header")


def _row_pattern(*, has_branches: bool) -> re.Pattern[str]:
    branch = rf"\s+(?P<branch>{_NUMBER})\s+(?P<brpart>{_NUMBER})" if has_branches else ""
    return re.compile(
        rf"^(?P<name>.+?)\s+(?P<stmts>{_NUMBER})\s+(?P<miss>{_NUMBER}){branch}"
        rf"\s+{_PERCENT}(?:\s+(?P<missing>\S.*))?$"
    )


def _parse_row(row: re.Pattern[str], line: str) -> dict:
    match = row.match(line)
    if match is None:
        raise ValueError(f"not a coverage report row: {line!r}")
    found = match.groupdict()
    return {
        "name": found["name"],
        "stmts": int(found["stmts"]),
        "miss": int(found["miss"]),
        "branch": _int_or_none(found.get("branch")),
        "brpart": _int_or_none(found.get("brpart")),
        "cover": found["cover"],
        "missing": found["missing"] or "",
    }


def _int_or_none(text: str | None) -> int | None:
    return None if text is None else int(text)


def _without_name(figures: dict) -> dict:
    return {key: value for key, value in figures.items() if key != "name"}


def merge_precisions(report_p0: dict, report_p1: dict) -> dict:
    """Join the parsed precision-0 and precision-1 reports of the same data into expected.json.

    Each row keeps the precision-0 `cover` and gains `cover_p1`; every other figure must agree.
    """
    if report_p0["files"].keys() != report_p1["files"].keys():
        raise ValueError("the two reports list different files")
    files = {
        name: _merge_row(row, report_p1["files"][name]) for name, row in report_p0["files"].items()
    }
    return {"files": files, "total": _merge_row(report_p0["total"], report_p1["total"])}


def _merge_row(row_p0: dict, row_p1: dict) -> dict:
    if {**row_p0, "cover": None} != {**row_p1, "cover": None}:
        raise ValueError(f"reports disagree beyond the percentage: {row_p0} vs {row_p1}")
    return {**row_p0, "cover_p1": row_p1["cover"]}


def run_coverage(
    tmp_path: Path, files: dict[str, str], tests: dict[str, str], branch: bool
) -> tuple[bytes, str, str]:
    """Write a tiny package and its tests into tmp_path, run them under the installed coverage.

    `files` and `tests` map paths relative to tmp_path to their text; the top folders (or
    modules) of `files` are the measured source, so a file no test imports still shows at 0%.
    Returns the `coverage json` bytes and the `coverage report -m` text at precision 0 and 1.
    """
    for relative, text in {**files, **tests}.items():
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    env = _clean_environment(tmp_path / ".coverage")
    source = ",".join(sorted({_source_name(relative) for relative in files}))
    run = ["run", *(["--branch"] if branch else []), f"--source={source}"]
    _coverage(tmp_path, env, *run, "-m", "pytest", "-q", "-p", "no:cacheprovider", *sorted(tests))
    _coverage(tmp_path, env, "json", "-o", "coverage.json")
    report = _coverage(tmp_path, env, "report", "-m")
    report_p1 = _coverage(tmp_path, env, "report", "-m", "--precision", "1")
    return (tmp_path / "coverage.json").read_bytes(), report, report_p1


def _source_name(relative: str) -> str:
    top = Path(relative).parts[0]
    return top.removesuffix(".py")


def _clean_environment(data_file: Path) -> dict[str, str]:
    # An outer coverage or pytest run must not leak its settings into the measured one.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("COVERAGE_", "PYTEST_"))
    }
    env["COVERAGE_FILE"] = str(data_file)
    return env


def _coverage(cwd: Path, env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "coverage", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"coverage {' '.join(args)} exited {completed.returncode}:\n"
            f"{completed.stdout}{completed.stderr}"
        )
    return completed.stdout
