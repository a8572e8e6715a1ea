"""Make the coverage.py fixtures beside this file from real runs of every coverage version in use.

For each version: a virtualenv in a temporary folder, `pip install coverage==V pytest==P`, then
the tests of `sample/` run under that coverage in a fresh copy of `sample/` per variant:

    branch     all tests, --branch              nobranch   all tests, no --branch
    contexts   all tests, --branch, dynamic_context = test_function, json --show-contexts
    shard_a    shard_a only, run -p --branch    shard_b    shard_b only, run -p --branch
    combined   `coverage combine` of the two shard data files

Each variant leaves `<version>/<variant>.json` (meta.timestamp fixed), `.report.txt`
(`coverage report -m`), `.report-p1.txt` (`--precision 1`) and `.expected.json` (both reports
parsed). Reports read the same data file as the JSON through COVERAGE_FILE (5.5 has no
--data-file). Usage, from the repository root with Python 3.11:

    python tests/data/coverage/make_fixtures.py [VERSION ...] [--work DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from coverage_oracle import merge_precisions, parse_report_text  # noqa: E402

# 7.10.7 stands for 7.10.x and 7.17.4 was the newest 7.17.x when the fixtures were made.
VERSIONS = ("5.5", "6.5.0", "7.0.5", "7.5.4", "7.6.1", "7.10.7", "7.17.4")
CONTEXT_VERSIONS = frozenset({"6.5.0", "7.17.4"})
PYTEST = "pytest==8.3.5"
FIXED_TIMESTAMP = "2000-01-01T00:00:00.000000"
PYTEST_ARGS = ("-m", "pytest", "-q", "-p", "no:cacheprovider")
CONTEXTS_RC = "[run]\ndynamic_context = test_function\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("versions", nargs="*", default=list(VERSIONS))
    parser.add_argument("--work", type=Path, help="reuse this folder for venvs (default: temp)")
    args = parser.parse_args()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        return make_all(args.work, args.versions)
    with tempfile.TemporaryDirectory(prefix="covfixtures-") as work:
        return make_all(Path(work), args.versions)


def make_all(work: Path, versions: list[str]) -> int:
    """Make every version's fixtures; a version that fails is reported and skipped."""
    failures = {}
    for version in versions:
        try:
            make_version(work, version)
        except subprocess.CalledProcessError as err:
            failures[version] = f"{' '.join(map(str, err.cmd))}: {err.stderr or err.stdout}"
    for version, reason in failures.items():
        print(f"coverage {version} skipped: {reason}", file=sys.stderr)
    return 1 if failures else 0


def make_version(work: Path, version: str) -> None:
    """Write every variant of one coverage version into HERE/<version>/."""
    python = make_venv(work, version)
    out = HERE / version
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    for branch, variant in ((True, "branch"), (False, "nobranch")):
        run_whole(python, work / f"{version}-{variant}", out / variant, branch=branch)
    if version in CONTEXT_VERSIONS:
        run_contexts(python, work / f"{version}-contexts", out / "contexts")
    run_shards(python, work / f"{version}-shards", out)
    print(f"coverage {version}: {sorted(p.name for p in out.iterdir())}")


def make_venv(work: Path, version: str) -> Path:
    """A virtualenv with this coverage and pytest; kept in `work` and reused when present."""
    venv = work / f"venv-{version}"
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)], work)
        run([python, "-m", "pip", "install", "-q", f"coverage=={version}", PYTEST], work)
    return python


def fresh_copy(target: Path) -> Path:
    """A clean copy of the sample project, so no data file or bytecode of another run leaks in."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(HERE / "sample", target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def run_whole(python: Path, workdir: Path, stem: Path, *, branch: bool) -> None:
    """Both shards in one run, with or without branch measurement."""
    cwd = fresh_copy(workdir)
    data = cwd / ".coverage"
    flags = ["--branch"] if branch else []
    coverage(
        python, cwd, data, "run", *flags, "--source=sample", *PYTEST_ARGS, "shard_a", "shard_b"
    )
    export(python, cwd, data, stem)


def run_contexts(python: Path, workdir: Path, stem: Path) -> None:
    """Both shards with the test function recorded as the context of each line and arc."""
    cwd = fresh_copy(workdir)
    (cwd / "contexts.rc").write_text(CONTEXTS_RC, encoding="utf-8")
    data = cwd / ".coverage"
    run_args = ("run", "--rcfile=contexts.rc", "--branch", "--source=sample", *PYTEST_ARGS)
    coverage(python, cwd, data, *run_args, "shard_a", "shard_b")
    export(python, cwd, data, stem, json_flags=("--show-contexts",))


def run_shards(python: Path, workdir: Path, out: Path) -> None:
    """One parallel-mode run per shard, a JSON per shard file, then `coverage combine`."""
    cwd = fresh_copy(workdir)
    data = cwd / ".coverage"
    for shard in ("shard_a", "shard_b"):
        before = set(cwd.glob(".coverage.*"))
        coverage(python, cwd, data, "run", "-p", "--branch", "--source=sample", *PYTEST_ARGS, shard)
        (written,) = set(cwd.glob(".coverage.*")) - before
        export(python, cwd, written, out / shard)
    coverage(python, cwd, data, "combine", "--keep")
    export(python, cwd, data, out / "combined")


def export(
    python: Path, cwd: Path, data: Path, stem: Path, json_flags: tuple[str, ...] = ()
) -> None:
    """Write the JSON, both report texts and expected.json of one data file."""
    json_path = stem.with_suffix(".json")
    coverage(python, cwd, data, "json", "-o", str(json_path), *json_flags)
    json_path.write_text(normalise(json_path.read_text(encoding="utf-8")), encoding="utf-8")
    report = coverage(python, cwd, data, "report", "-m")
    report_p1 = coverage(python, cwd, data, "report", "-m", "--precision", "1")
    stem.with_suffix(".report.txt").write_text(report, encoding="utf-8")
    stem.with_suffix(".report-p1.txt").write_text(report_p1, encoding="utf-8")
    expected = merge_precisions(parse_report_text(report), parse_report_text(report_p1))
    stem.with_suffix(".expected.json").write_text(
        json.dumps(expected, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


def normalise(text: str) -> str:
    """Fix what varies from run to run: meta.timestamp, and the order of contexts."""
    text = fix_timestamp(text)
    if '"show_contexts": true' not in text:
        return text
    report = json.loads(text)
    for item in report["files"].values():
        for region in [
            item,
            *item.get("functions", {}).values(),
            *item.get("classes", {}).values(),
        ]:
            region["contexts"] = _sorted_contexts(region["contexts"])
    # coverage writes with json.dump's defaults too, so only the contexts' order changes.
    return json.dumps(report)


def _sorted_contexts(contexts: dict[str, list[str]]) -> dict[str, list[str]]:
    """Lines in numeric order, each line's context names sorted: coverage's order varies."""
    return {line: sorted(contexts[line]) for line in sorted(contexts, key=int)}


def fix_timestamp(text: str) -> str:
    """Replace meta.timestamp in place, keeping every other byte as coverage wrote it."""
    fixed, count = re.subn(r'"timestamp": "[^"]*"', f'"timestamp": "{FIXED_TIMESTAMP}"', text)
    if count != 1:
        raise ValueError(f"expected one meta.timestamp, found {count}")
    return fixed


def coverage(python: Path, cwd: Path, data: Path, *args: str) -> str:
    """Run this venv's coverage on one data file; the report commands print to stdout."""
    return run([python, "-m", "coverage", *args], cwd, {"COVERAGE_FILE": str(data)})


def run(command: list, cwd: Path, env_extra: dict[str, str] | None = None) -> str:
    """Run a command in cwd and return its stdout; a failure raises CalledProcessError."""
    # Settings of an outer coverage or pytest run must not reach the measured one.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COVERAGE_", "PYTEST_"))}
    env.update(env_extra or {})
    completed = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return completed.stdout


if __name__ == "__main__":
    sys.exit(main())
