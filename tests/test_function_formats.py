"""Function figures and the criteria on them, for Cobertura and LCOV against coverage JSON.

One small module is measured twice by coverage.py (every function, then one call), each run
written as JSON, Cobertura XML and LCOV. Branch-measured Cobertura and LCOV count branches per
line, not the arcs that ran, so function figures cannot be computed from them: a criterion or
target on functions must then be refused in one line, never pass.
"""

from __future__ import annotations

import json
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


def _measure(folder: Path, module: str, calls: str) -> Path:
    folder.mkdir(exist_ok=True)
    """One branch-measured run of `calls` over `module`, written in the three formats."""
    (folder / "pkg").mkdir()
    (folder / "pkg" / "__init__.py").write_text("")
    (folder / "pkg" / "mod.py").write_text(module)
    (folder / "main.py").write_text(calls)
    env = oracle._clean_environment(folder / ".coverage")
    oracle._coverage(folder, env, "run", "--branch", "--source=pkg", "main.py")
    oracle._coverage(folder, env, "json", "-o", "coverage.json")
    oracle._coverage(folder, env, "xml", "-o", "coverage.xml")
    oracle._coverage(folder, env, "lcov", "-o", "coverage.lcov")
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each run's folder (both measured with --branch), holding the source and its reports."""
    return {name: _measure(tmp_path_factory.mktemp(name), MODULE, c) for name, c in CALLS.items()}


def _step(
    runs: dict[str, Path], name: str, out: Path, *args: str, root: Path | None = None
) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main,
        [
            "step",
            "--before",
            str(runs["before"] / name),
            "--after",
            str(runs["after"] / name),
            "--source-root",
            str(root or runs["after"]),
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


WHY = (
    "the coverage input has no function figures (coverage JSON before coverage.py 7.6,"
    " Cobertura, LCOV) and no matching source is under --source-root"
)
ALL = ["coverage.json", "coverage.xml", "coverage.lcov"]


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
    (elsewhere := tmp_path / "elsewhere").mkdir()  # no source: no function figures
    status, _, err = _step(runs, name, out, "--spec", str(_spec(tmp_path)), root=elsewhere)
    assert status == 2, err
    assert err.strip().splitlines() == [
        "Error: criterion 'no-function-lost-coverage': function figures are unavailable for"
        f" 'pkg/mod.py': {WHY}"
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["elsewhere", "step.toml"]  # none written


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.lcov"])
def test_function_target_without_figures_names_the_reason(
    runs: dict[str, Path], tmp_path: Path, name: str
) -> None:
    out = tmp_path / "report.md"
    (elsewhere := tmp_path / "elsewhere").mkdir()
    status, _, err = _step(runs, name, out, "--target", "pkg/mod.py::g=90", root=elsewhere)
    assert status == 2, err
    assert err.strip().splitlines() == [
        f"Error: target 'pkg/mod.py::g': function figures are unavailable for 'pkg/mod.py': {WHY}"
    ]
    assert [p.name for p in tmp_path.iterdir()] == ["elsewhere"]  # nothing written


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.lcov"])
def test_report_says_why_function_figures_are_missing(
    runs: dict[str, Path], tmp_path: Path, name: str
) -> None:
    (elsewhere := tmp_path / "elsewhere").mkdir()
    status, _, err = _step(runs, name, tmp_path / "report.md", root=elsewhere)
    assert status == 0, err
    report = (tmp_path / "report.md").read_text()
    assert f"Function figures unavailable for 1 file: {WHY}." in report
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


def _function_figures(runs: dict[str, Path], name: str, out: Path) -> dict[str, list | None]:
    """Each file's function figures in the JSON summary of the two runs read from `name`."""
    args = ["step", "--before", str(runs["before"] / name), "--after", str(runs["after"] / name)]
    args += ["--source-root", str(runs["after"]), "--format", "json", "--out", str(out)]
    result = CliRunner().invoke(main, args, env={"SOURCE_DATE_EPOCH": ""})
    assert result.exit_code == 0, result.stderr
    summary = json.loads(out.read_text())
    return {item["path"]: item.get("functions") for item in summary["coverage"]["files"]}


RICH = """\
def pick(v):
    match v:
        case 1:
            return "one"
        case 2:
            return "two"
        case _:
            return "many"


def nested(xs):
    def inner(x):
        return x if x else 0

    return [inner(x) for x in xs if x]


def guarded(n):
    try:
        if n < 0:
            raise ValueError(n)
    except ValueError:
        return None
    while n > 3:
        n -= 1
    return n


class Shape:
    kind = "shape" if __name__ else "none"

    def area(self, w, h=None):
        if h is None and w:
            return w * w
        return w * (h or 0)

    @property
    def name(self):
        return self.kind


def unused(a):
    return a and 1 or 2
"""

RICH_CALLS = {
    "before": "from pkg.mod import *\n\npick(1)\npick(2)\npick(3)\nnested([0, 1])\n"
    "guarded(-1)\nguarded(5)\nShape().area(2)\nShape().area(2, 3)\nShape().name\n",
    "after": "from pkg.mod import *\n\npick(2)\nnested([])\nguarded(2)\nShape().area(0)\n",
}


@pytest.fixture(scope="module")
def rich_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {
        name: _measure(tmp_path_factory.mktemp(f"rich-{name}"), RICH, calls)
        for name, calls in RICH_CALLS.items()
    }


def _figures_only(summary: dict) -> dict:
    """The figures: Cobertura and LCOV name no arcs, so the Missing texts may differ."""
    return json.loads(
        json.dumps(summary),
        object_hook=lambda d: {
            k: v for k, v in d.items() if k != "missing" or not isinstance(v, str)
        },
    )


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.lcov"])
def test_function_figures_from_line_counts_are_coverage_pys(
    rich_runs: dict[str, Path], tmp_path: Path, name: str
) -> None:
    own = _function_figures(rich_runs, "coverage.json", tmp_path / "json.out")
    counted = _function_figures(rich_runs, name, tmp_path / "other.out")
    assert len(own["pkg/mod.py"]) == 7  # coverage.py's own summaries
    assert _figures_only(counted) == _figures_only(own)


SWAP = """\
def f(a):
    x = 0
    if a:
        x = 1
    return x


def g(a):
    x = 0
    if a:
        x = 1
    return x
"""


@pytest.mark.parametrize("name", ALL)
def test_runs_differing_only_in_which_branch_missed(tmp_path: Path, name: str) -> None:
    # The same lines run and the same totals: only the per-line counts tell g lost coverage.
    runs = {
        "before": _measure(tmp_path / "b", SWAP, "from pkg.mod import f, g\n\nf(1)\ng(1)\ng(0)\n"),
        "after": _measure(tmp_path / "a", SWAP, "from pkg.mod import f, g\n\nf(1)\nf(0)\ng(1)\n"),
    }
    (tmp_path / "s").mkdir()
    status, _, err = _step(runs, name, tmp_path / "report.md", "--spec", str(_spec(tmp_path / "s")))
    assert status == 1, err
    assert "(achieved **1 function lost coverage: g**) ❌" in (tmp_path / "report.md").read_text()
