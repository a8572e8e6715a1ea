"""Regenerate the example milestone's data from the sample project.

Run it with the Python of a virtualenv that has pytest and coverage installed:

    python reports/example/make_data.py

For each state of the sample project (0: before step 1, 1: after step 1, 2: after
step 2) the project is copied to a temporary directory and its suite runs there
under coverage, so that pytest's rootdir is the project itself: JUnit classnames
read ``tests.soak.test_config_manager`` and coverage paths
``tools/soak/config_manager.py``. The outputs go to ``reports/m3/data/``. The
clock and the machine's name are then replaced by fixed values, so that a rerun
changes nothing but the measured test times.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE / "project"
DATA = HERE.parent / "m3" / "data"
STATE_VARIABLE = "EXAMPLE_STATE"
HOSTNAME = "example-ci"
# pytest exits 1 when tests fail; the sample suite has failures on purpose.
PYTEST_OK = (0, 1)

_COVERAGE_TIMESTAMP = re.compile(r'("timestamp": )"[^"]*"')
_SUITE_TIMESTAMP = re.compile(r'(<testsuite\b[^>]*\btimestamp=)"[^"]*"')
_SUITE_HOSTNAME = re.compile(r'(<testsuite\b[^>]*\bhostname=)"[^"]*"')


@dataclass(frozen=True, slots=True)
class State:
    """One state of the sample suite and the moment its run is dated."""

    number: int
    when: str  # ISO 8601, seconds precision, UTC

    @property
    def coverage_timestamp(self) -> str:
        # coverage.py writes datetime.now().isoformat(): local time, no offset.
        return self.when

    @property
    def junit_timestamp(self) -> str:
        # pytest writes the suite start as an aware UTC datetime.
        return f"{self.when}+00:00"


STATES = (
    State(0, "2025-10-27T09:30:00"),
    State(1, "2025-10-27T11:45:00"),
    State(2, "2025-11-03T10:15:00"),
)


def fail(message: str) -> None:
    """Stop with one line on stderr."""
    sys.exit(f"make_data: {message}")


def environment(state: State) -> dict[str, str]:
    """The caller's environment without settings that would change the measurement."""
    dropped = ("COVERAGE_", "PYTEST_", "PYTHON", "SOAK_", STATE_VARIABLE)
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    env.update(
        {
            STATE_VARIABLE: str(state.number),
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            # Only the plugins named here: an installed pytest-cov or xdist
            # would change what is measured and reported.
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        }
    )
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], ok: tuple[int, ...] = (0,)) -> str:
    """Run ``python args...`` in ``cwd`` and return its stdout."""
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode not in ok:
        sys.stderr.write(done.stdout + done.stderr)
        fail(f"'python {' '.join(args)}' exited {done.returncode}")
    return done.stdout


def fix_coverage_json(text: str, state: State) -> str:
    """Replace meta.timestamp, keeping coverage's own key order and formatting."""
    fixed, count = _COVERAGE_TIMESTAMP.subn(rf'\1"{state.coverage_timestamp}"', text, count=1)
    if count != 1 or json.loads(fixed)["meta"]["timestamp"] != state.coverage_timestamp:
        fail("coverage JSON has no meta.timestamp to fix")
    return fixed


def fix_junit(text: str, state: State, project: Path) -> str:
    """Fix each suite's timestamp and hostname, and make paths relative to the project.

    Test times stay as measured. pytest names the file of a skipped test by its
    absolute path, which would differ between any two checkouts.
    """
    fixed = text.replace(f"{project}{os.sep}", "")
    fixed, stamps = _SUITE_TIMESTAMP.subn(rf'\1"{state.junit_timestamp}"', fixed)
    fixed, hosts = _SUITE_HOSTNAME.subn(rf'\1"{HOSTNAME}"', fixed)
    suites = ET.fromstring(fixed).iter("testsuite")
    if stamps == 0 or stamps != hosts or stamps != sum(1 for _ in suites):
        fail("JUnit XML: expected a timestamp and a hostname on every testsuite")
    return fixed


def check_paths(coverage_json: str, junit: str) -> None:
    """Coverage paths relative to the project, classnames rooted at its tests/."""
    files = json.loads(coverage_json)["files"]
    if not files or not all(path.startswith("tools/") for path in files):
        fail(f"coverage paths are not relative to the project: {sorted(files)[:3]}")
    names = {case.get("classname", "") for case in ET.fromstring(junit).iter("testcase")}
    if not names or not all(name.startswith("tests.") for name in names):
        fail(f"JUnit classnames are not rooted at tests/: {sorted(names)[:3]}")


def check_no_leaks(texts: list[str], scratch: Path) -> None:
    """No output names the temporary directory or where this checkout lives."""
    for text in texts:
        for place in (str(scratch), str(HERE.parents[1])):
            if place in text:
                fail(f"output names a local path: {place!r}")


def measure(state: State, scratch: Path) -> dict[str, str]:
    """Run the suite of one state; returns output file name -> text."""
    project = scratch / f"state{state.number}" / "project"
    shutil.copytree(PROJECT, project, ignore=shutil.ignore_patterns("__pycache__", ".coverage*"))
    env = environment(state)
    junit_path = project.parent / "junit.xml"
    json_path = project.parent / "coverage.json"
    pytest_args = ["-p", "no:cacheprovider", f"--junitxml={junit_path}"]
    run(
        ["-m", "coverage", "run", "--branch", "-m", "pytest", *pytest_args], project, env, PYTEST_OK
    )
    run(["-m", "coverage", "json", "--pretty-print", "-q", "-o", str(json_path)], project, env)
    report = run(["-m", "coverage", "report", "-m"], project, env)
    coverage_json = fix_coverage_json(json_path.read_text(encoding="utf-8"), state)
    junit = fix_junit(junit_path.read_text(encoding="utf-8"), state, project)
    check_paths(coverage_json, junit)
    check_no_leaks([coverage_json, junit, report], scratch)
    return {
        f"state{state.number}.json": coverage_json,
        f"junit-state{state.number}.xml": junit,
        f"report-state{state.number}.txt": report,
    }


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` in one step, so an interrupted run leaves the old file whole."""
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    os.replace(tmp, path)


def summary_line(outputs: dict[str, str], state: State) -> str:
    """``state N: TOTAL ... | tests ...`` for the console."""
    report = outputs[f"report-state{state.number}.txt"]
    total = next(line for line in report.splitlines() if line.startswith("TOTAL"))
    root = ET.fromstring(outputs[f"junit-state{state.number}.xml"])
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    counts = {key: suite.get(key) for key in ("tests", "failures", "errors", "skipped")}
    return f"state {state.number}: {' '.join(total.split())} | junit {counts}"


def versions() -> str:
    """The versions that made the data, for the README."""
    code = (
        "import coverage, platform, pytest; "
        "print(platform.python_version(), coverage.__version__, pytest.__version__)"
    )
    python, coverage_version, pytest_version = run(
        ["-c", code], HERE, environment(STATES[-1])
    ).split()
    return f"Python {python}, coverage.py {coverage_version}, pytest {pytest_version}"


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="reportgen-example-") as scratch:
        for state in STATES:
            results[state] = measure(state, Path(scratch))
    # Written only once every state has run: a failure leaves the old data whole.
    for outputs in results.values():
        for name, text in outputs.items():
            write_atomic(DATA / name, text)
    print(versions())
    for state, outputs in results.items():
        print(summary_line(outputs, state))


if __name__ == "__main__":
    main()
