"""Function figures and the criteria on them, for Cobertura and LCOV against coverage JSON.

One small module is measured twice by coverage.py (every function, then one call), each run
written as JSON, Cobertura XML and LCOV. Branch-measured Cobertura and LCOV count branches per
line, not the arcs that ran, so function figures cannot be computed from them: a criterion or
target on functions must then be refused in one line, never pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from tests import coverage_oracle as oracle

MODULE = """\
def f(a, b):
    if a:
        return 1
    if b:
        return 2
    return 0


def g(x):
    if x > 1:
        return x
    return -x


class K:
    def m(self, y):
        while y:
            y -= 1
        return y
"""

CALLS = {
    "before": "from pkg.mod import K, f, g\n\nf(1, 0)\nf(0, 1)\nf(0, 0)\ng(2)\ng(0)\nK().m(2)\n",
    "after": "from pkg.mod import f\n\nf(0, 0)\n",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each run's folder (both measured with --branch), holding the source and its reports."""
    found = {}
    for name, calls in CALLS.items():
        folder = tmp_path_factory.mktemp(name)
        (folder / "pkg").mkdir()
        (folder / "pkg" / "__init__.py").write_text("")
        (folder / "pkg" / "mod.py").write_text(MODULE)
        (folder / "main.py").write_text(calls)
        env = oracle._clean_environment(folder / ".coverage")
        oracle._coverage(folder, env, "run", "--branch", "--source=pkg", "main.py")
        oracle._coverage(folder, env, "json", "-o", "coverage.json")
        oracle._coverage(folder, env, "xml", "-o", "coverage.xml")
        oracle._coverage(folder, env, "lcov", "-o", "coverage.lcov")
        found[name] = folder
    return found


def _step(runs: dict[str, Path], name: str, out: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main,
        [
            "step",
            "--before",
            str(runs["before"] / name),
            "--after",
            str(runs["after"] / name),
            "--source-root",
            str(runs["after"]),
            "--format",
            "md",
            "--out",
            str(out),
            *args,
        ],
        env={"SOURCE_DATE_EPOCH": ""},
    )
    return result.exit_code, result.stdout, result.stderr


def _spec(tmp_path: Path) -> Path:
    spec = tmp_path / "step.toml"
    spec.write_text(
        'milestone = "M"\nstep = "S"\n[[criteria]]\ncheck = "no-function-lost-coverage"\n'
    )
    return spec


WHY_ARCS = (
    "Cobertura and LCOV inputs count branches per line, not the branch arcs that ran,"
    " which function figures from the source need (coverage JSON has them)"
)


def test_json_judges_lost_functions(runs: dict[str, Path], tmp_path: Path) -> None:
    status, _, err = _step(
        runs, "coverage.json", tmp_path / "report.md", "--spec", str(_spec(tmp_path))
    )
    assert status == 1, err
    report = (tmp_path / "report.md").read_text()
    assert "(achieved **3 functions lost coverage: g, K.m, f**) ❌" in report


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.lcov"])
def test_criterion_without_function_figures_is_refused(
    runs: dict[str, Path], tmp_path: Path, name: str
) -> None:
    out = tmp_path / "report.md"
    status, _, err = _step(runs, name, out, "--spec", str(_spec(tmp_path)))
    assert status == 2, err
    assert err.strip().splitlines() == [
        "Error: criterion 'no-function-lost-coverage': function figures are unavailable for"
        f" 'pkg/mod.py': {WHY_ARCS}"
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["step.toml"]  # nothing written


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.lcov"])
def test_function_target_without_figures_names_the_reason(
    runs: dict[str, Path], tmp_path: Path, name: str
) -> None:
    out = tmp_path / "report.md"
    status, _, err = _step(runs, name, out, "--target", "pkg/mod.py::g=90")
    assert status == 2, err
    assert err.strip().splitlines() == [
        "Error: target 'pkg/mod.py::g': function figures are unavailable for"
        f" 'pkg/mod.py': {WHY_ARCS}"
    ]
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.lcov"])
def test_report_says_why_function_figures_are_missing(
    runs: dict[str, Path], tmp_path: Path, name: str
) -> None:
    status, _, err = _step(runs, name, tmp_path / "report.md")
    assert status == 0, err
    report = (tmp_path / "report.md").read_text()
    assert f"Function figures unavailable for 1 file: {WHY_ARCS}." in report
    assert "predates" not in report


def test_criterion_scope_leaves_out_files_without_figures(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    spec = _spec(tmp_path)
    spec.write_text(spec.read_text() + 'path = "other/*.py"\n')
    status, _, err = _step(runs, "coverage.xml", tmp_path / "report.md", "--spec", str(spec))
    assert status == 0, err
    report = (tmp_path / "report.md").read_text()
    assert "(achieved **0 functions lost coverage**)" in report
