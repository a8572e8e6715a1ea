"""Cobertura XML and coverage.py data files against the JSON path, on data coverage.py writes.

Two releases of a small package are measured once each by the installed coverage.py (with a
configuration file that omits a file and excludes lines), which then writes the same data as
JSON, Cobertura XML, LCOV and its `.coverage` data file. Every report reportgen makes from the
XML or the data file must be byte for byte the one it makes from the JSON, whose figures
test_coverage_conformance.py proves equal to `coverage report -m`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from tests import coverage_oracle as oracle

CONFIG = """\
[run]
source = pkg
omit = pkg/generated_*.py

[report]
exclude_lines =
    pragma: no cover
    raise NotImplementedError
"""

RELEASE_1 = {
    "pkg/__init__.py": "",
    "pkg/shapes.py": """\
def area(kind, size):
    if kind == "square":
        return size * size
    elif kind == "circle":
        return 3 * size * size
    raise NotImplementedError(kind)


def first_positive(items):
    for item in items:
        if item > 0:
            return item
    return None


def maybe(flag):
    if flag:
        print("flag")


class Box:
    def __init__(self, items):
        self.items = list(items)

    def total(self):
        while self.items:
            if self.items[-1] < 0:
                break
            self.items.pop()
        return len(self.items)

    def debug(self):  # pragma: no cover
        return repr(self.items)
""",
    "pkg/unused.py": "def never():\n    a = 1\n    b = 2\n    return a + b\n",
    "pkg/generated_table.py": "TABLE = [1, 2, 3]\n",
}

RELEASE_2 = {
    **RELEASE_1,
    "pkg/shapes.py": RELEASE_1["pkg/shapes.py"]
    + """

def grade(score):
    if score >= 90:
        return "A"
    if score >= 50:
        return "B"
    return "C"
""",
    "pkg/extra.py": "def double(x):\n    return [y * 2 for y in x if y]\n",
}

TESTS_1 = {
    "test_one.py": """\
from pkg.shapes import Box, area, first_positive, maybe


def test_area():
    assert area("square", 2) == 4


def test_first():
    assert first_positive([0, 3]) == 3
    maybe(True)
    assert Box([1, 2]).total() == 0
"""
}

TESTS_2 = {
    **TESTS_1,
    "test_two.py": """\
from pkg.extra import double
from pkg.shapes import area, grade


def test_more():
    assert area("circle", 1) == 3
    assert grade(95) == "A"
    assert grade(10) == "C"
    assert double([1, 0]) == [2]
""",
}


def _measure(folder: Path, files: dict[str, str], tests: dict[str, str], branch: bool) -> Path:
    for relative, text in {**files, **tests, ".coveragerc": CONFIG}.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    env = oracle._clean_environment(folder / ".coverage")
    run = ["run", *(["--branch"] if branch else [])]
    oracle._coverage(folder, env, *run, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    oracle._coverage(folder, env, "json", "-o", "coverage.json")
    oracle._coverage(folder, env, "xml", "-o", "coverage.xml")
    oracle._coverage(folder, env, "lcov", "-o", "coverage.lcov")
    (folder / "report.txt").write_text(oracle._coverage(folder, env, "report", "-m"))
    return folder


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("releases")
    return {
        f"{name}-{kind}": _measure(base / f"{name}-{kind}", files, tests, kind == "branch")
        for name, files, tests in (("r1", RELEASE_1, TESTS_1), ("r2", RELEASE_2, TESTS_2))
        for kind in ("branch", "lines")
    }


def _without_functions(outputs: dict[str, bytes]) -> dict[str, bytes]:
    """The outputs less their function figures: Cobertura carries no function summaries,
    and the before side's functions cannot come from the after side's source."""
    stripped = dict(outputs)
    md = outputs["report.md"].decode()
    stripped["report.md"] = re.sub(r"\n## Functions\n.*?(?=\n---\n)", "\n", md, flags=re.S).encode()
    html = outputs["report.html"].decode()
    stripped["report.html"] = re.sub(
        r'<section id="functions">.*?</section>\n', "", html, flags=re.S
    ).encode()
    summary = json.loads(outputs["report.json"])
    for item in summary["coverage"]["files"]:
        item.pop("functions", None)
    stripped["report.json"] = json.dumps(summary, indent=2).encode()
    return stripped


FORMATS = ["--format", "md", "--format", "json", "--format", "html", "--format", "badge"]


def _step(out: Path, *args: str) -> dict[str, bytes]:
    result = CliRunner().invoke(
        main,
        ["step", *args, *FORMATS, "--out", f"{out}/", "--date", "2026-01-02", "--exit-zero"],
        env={"SOURCE_DATE_EPOCH": ""},
    )
    assert result.exit_code == 0, result.output
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


@pytest.mark.parametrize("kind", ["branch", "lines"])
@pytest.mark.parametrize("precision", ["0", "2"])
def test_cobertura_reports_equal_json_reports(
    releases: dict[str, Path], tmp_path: Path, kind: str, precision: str
) -> None:
    r1, r2 = releases[f"r1-{kind}"], releases[f"r2-{kind}"]
    common = ["--precision", precision, "--source-root", str(r2), "--target", "pkg/shapes.py=95"]
    from_json = _step(
        tmp_path / "json",
        *common,
        "--before",
        str(r1 / "coverage.json"),
        "--after",
        str(r2 / "coverage.json"),
    )
    from_xml = _step(
        tmp_path / "xml",
        *common,
        "--before",
        str(r1 / "coverage.xml"),
        "--after",
        str(r2 / "coverage.xml"),
    )
    assert sorted(from_xml) == ["report.badge.svg", "report.html", "report.json", "report.md"]
    assert _without_functions(from_xml) == _without_functions(from_json)
    assert b"## Functions" in from_json["report.md"]  # what is left out above is there
    # Mixed sides: before from Cobertura, after from JSON.
    mixed = _step(
        tmp_path / "mixed",
        *common,
        "--before",
        str(r1 / "coverage.xml"),
        "--after",
        str(r2 / "coverage.json"),
    )
    assert _without_functions(mixed) == _without_functions(from_json)
    # One run alone: its uncovered lines are named by function, from the source files.
    alone_json = _step(tmp_path / "alone-json", *common, "--after", str(r2 / "coverage.json"))
    alone_xml = _step(tmp_path / "alone-xml", *common, "--after", str(r2 / "coverage.xml"))
    assert alone_xml == alone_json
    assert b"- Line 28: in `Box.total`" in alone_xml["report.md"]


@pytest.mark.parametrize("kind", ["branch", "lines"])
def test_cobertura_figures_are_coverage_reports(
    releases: dict[str, Path], tmp_path: Path, kind: str
) -> None:
    folder = releases[f"r2-{kind}"]
    # `[run] source = pkg` names files below the source folder: the root places them.
    outputs = _step(tmp_path, "--source-root", str(folder), "--after", str(folder / "coverage.xml"))
    summary = json.loads(outputs["report.json"])
    report = oracle.parse_report_text((folder / "report.txt").read_text())
    files = {item["path"]: item for item in summary["coverage"]["files"]}
    assert set(files) == set(report["files"])
    assert "pkg/generated_table.py" not in files  # omitted by the configuration
    for path, row in report["files"].items():
        after = files[path]["after"]
        assert (after["statements"], after["missing"], after["display"]) == (
            row["stmts"],
            row["miss"],
            row["cover"],
        ), path
        if kind == "branch":
            assert (after["branches"], after["partial_branches"]) == (row["branch"], row["brpart"])
        assert files[path]["missing"] == row["missing"], path
    total = summary["coverage"]["after"]
    assert (total["statements"], total["missing"], total["display"]) == (
        report["total"]["stmts"],
        report["total"]["miss"],
        report["total"]["cover"],
    )
    if kind == "branch":
        # The arcs coverage.py names in the Missing column come through the XML too.
        assert any("->" in item["missing"] for item in files.values())
        assert any("->exit" in item["missing"] for item in files.values())


def test_data_file_reports_equal_json_reports(releases: dict[str, Path], tmp_path: Path) -> None:
    r1, r2 = releases["r1-branch"], releases["r2-branch"]
    # A data file is analysed against its own release's source: one side per run here.
    for folder in (r1, r2):
        common = ["--source-root", str(folder), "--target", "pkg/*=90"]
        from_json = _step(
            tmp_path / f"json-{folder.name}", *common, "--after", str(folder / "coverage.json")
        )
        from_data = _step(
            tmp_path / f"data-{folder.name}", *common, "--after", str(folder / ".coverage")
        )
        assert from_data == from_json
    common = ["--source-root", str(r2), "--precision", "1"]
    from_json = _step(
        tmp_path / "json",
        *common,
        "--before",
        str(r1 / "coverage.json"),
        "--after",
        str(r2 / "coverage.json"),
    )
    mixed = _step(
        tmp_path / "mixed",
        *common,
        "--before",
        str(r1 / "coverage.xml"),
        "--after",
        str(r2 / ".coverage"),
    )
    assert _without_functions(mixed) == _without_functions(from_json)


def _files(outputs: dict[str, bytes]) -> dict[str, dict]:
    summary = json.loads(outputs["report.json"])
    return {item["path"]: item for item in summary["coverage"]["files"]}


def _lines_only(missing: str) -> str:
    return ", ".join(item for item in missing.split(", ") if item and "->" not in item)


@pytest.mark.parametrize("kind", ["branch", "lines"])
def test_lcov_line_figures_equal_json(releases: dict[str, Path], tmp_path: Path, kind: str) -> None:
    for release in ("r1", "r2"):
        folder = releases[f"{release}-{kind}"]
        from_json = _files(
            _step(tmp_path / f"json-{release}", "--after", f"{folder}/coverage.json")
        )
        from_lcov = _files(
            _step(tmp_path / f"lcov-{release}", "--after", f"{folder}/coverage.lcov")
        )
        assert set(from_lcov) == set(from_json)
        for path, item in from_json.items():
            ours, theirs = from_lcov[path]["after"], item["after"]
            assert (ours["statements"], ours["missing"]) == (
                theirs["statements"],
                theirs["missing"],
            ), path
            # coverage.py writes one BRDA per possible arc: the same branch counts.
            assert (ours["branches"], ours["covered_branches"], ours["partial_branches"]) == (
                theirs["branches"],
                theirs["covered_branches"],
                theirs["partial_branches"],
            ), path
            # LCOV's branch ids name no destination: the Missing column lists lines only.
            assert from_lcov[path]["missing"] == _lines_only(item["missing"]), path
            if kind == "lines":
                assert ours["display"] == theirs["display"]


NODE = Path(__file__).parent / "data" / "lcov" / "node20"


def _node_table(text: str) -> dict[str, tuple[str, str, str]]:
    """Node's coverage table: file -> (line %, branch %, uncovered lines)."""
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.removeprefix("ℹ").split("|")]
        if len(cells) == 5 and cells[0] not in ("file",):
            rows[cells[0]] = (cells[1], cells[2], cells[4])
    return rows


def _check_against_node(tracefile: Path, table_text: str, tmp_path: Path) -> None:
    outputs = _step(tmp_path, "--after", str(tracefile), "--source-root", str(tracefile.parent))
    files = _files(outputs)
    table = _node_table(table_text)
    assert set(table) == {*files, "all files"}

    def rates(figures: dict) -> tuple[str, str]:
        lines = 100 * (figures["statements"] - figures["missing"]) / figures["statements"]
        branches = 100 * figures["covered_branches"] / figures["branches"]
        return f"{lines:.2f}", f"{branches:.2f}"

    for path, item in files.items():
        line_rate, branch_rate, uncovered = table[path]
        assert rates(item["after"]) == (line_rate, branch_rate), path
        assert item["missing"].replace(", ", " ") == uncovered
    summary = json.loads(outputs["report.json"])
    assert rates(summary["coverage"]["after"]) == table["all files"][:2]
    return outputs


def test_lcov_from_node_matches_its_own_summary(tmp_path: Path) -> None:
    outputs = _check_against_node(
        NODE / "lcov.info", (NODE / "summary.txt").read_text(encoding="utf-8"), tmp_path
    )
    # The FN records name the functions of the uncovered lines.
    report = outputs["report.md"].decode()
    assert "- Lines 5-6: in `sign`" in report
    assert "- Lines 10-13: in `unused`" in report


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js 20+ on PATH")
def test_lcov_from_node_live(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("lib.js", "lib.test.js"):
        shutil.copy(NODE / name, project / name)
    base = ["node", "--test", "--experimental-test-coverage"]
    subprocess.run(
        [*base, "--test-reporter=lcov", "--test-reporter-destination=lcov.info", "lib.test.js"],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=120,
    )
    table = subprocess.run(
        [*base, "--test-reporter=spec", "lib.test.js"],
        cwd=project,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    _check_against_node(project / "lcov.info", table, tmp_path / "out")


def test_parallel_data_files_are_shards(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    for relative, text in {**RELEASE_2, **TESTS_2, ".coveragerc": CONFIG}.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    env = oracle._clean_environment(folder / ".coverage")
    for test in ("test_one.py", "test_two.py"):
        oracle._coverage(
            folder,
            env,
            "run",
            "--branch",
            "-p",
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            test,
        )
    shards = sorted(folder.glob(".coverage.*"))
    assert len(shards) == 2
    kept = tmp_path / "kept"
    kept.mkdir()
    for shard in shards:  # `coverage combine` removes the shards it reads
        shutil.copy(shard, kept / shard.name)
    oracle._coverage(folder, env, "combine", "-q")
    oracle._coverage(folder, env, "json", "-o", "coverage.json")
    common = ["--source-root", str(folder), "--target", "pkg/*=90"]
    from_json = _step(tmp_path / "json", *common, "--after", str(folder / "coverage.json"))
    from_shards = _step(tmp_path / "shards", *common, "--after", f"{kept}/.coverage.*")
    assert _files(from_shards) == _files(from_json)
    assert from_shards["report.md"] == from_json["report.md"]


def test_source_regions_are_coverage_pys() -> None:
    """Functions named from source files (Cobertura, LCOV without FN, old JSON) are delimited
    exactly as coverage.py's own region finder delimits them."""
    from coverage.regions import code_regions

    from reportgen.inputs.source_regions import regions_from_source

    root = Path(__file__).parent.parent
    sources = [*sorted((root / "reportgen").rglob("*.py")), *sorted((root / "tests").glob("*.py"))]
    sources.append(root / "tests" / "data" / "coverage" / "sample" / "sample" / "core.py")
    texts = [path.read_text(encoding="utf-8") for path in sources]
    texts += [
        RELEASE_2["pkg/shapes.py"],
        "class A:\n    class B:\n        def f(self):\n            def g():\n                pass\n            return g\n",
    ]
    compared = 0
    for text in texts:
        ours = regions_from_source(text)
        assert ours is not None
        theirs = {(r.kind, r.name, r.start, frozenset(r.lines)) for r in code_regions(text)}
        assert {(r.kind, r.name, r.start_line, r.lines) for r in ours} == theirs
        compared += len(theirs)
    assert compared > 500


def test_line_only_side_against_branch_side_is_refused(
    releases: dict[str, Path], tmp_path: Path
) -> None:
    lines_xml = str(releases["r1-lines"] / "coverage.xml")
    branch_json = str(releases["r2-branch"] / "coverage.json")
    for before, after, named in (
        (lines_xml, branch_json, lines_xml),
        (branch_json, lines_xml, lines_xml),
    ):
        out = tmp_path / "out"
        result = CliRunner().invoke(
            main, ["step", "--before", before, "--after", after, "--out", f"{out}/"]
        )
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines() == [
            f"Error: {named}: measured without branch coverage, unlike"
            f" {branch_json}; both sides must be measured alike"
        ]
        assert not out.exists()
    # The same measurement in two formats is no mix.
    branch_lcov = str(releases["r1-branch"] / "coverage.lcov")
    result = CliRunner().invoke(
        main, ["step", "--before", branch_lcov, "--after", branch_json, "--format", "json"]
    )
    assert result.exit_code in (0, 1), result.output


STEP_SPEC = 'milestone = "M1"\nstep = "{step}"\ndate = 2026-01-02\n{inputs}'


def _run(*args: str) -> str:
    result = CliRunner().invoke(
        main, list(args), env={"SOURCE_DATE_EPOCH": "", "GITHUB_BASE_REF": "", "GITHUB_SHA": ""}
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("name", ["coverage.xml", "coverage.lcov", ".coverage"])
def test_archived_steps_and_saved_baselines_read_every_format(
    releases: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    from tests.patch_project import git, git_env

    r1, r2 = releases["r1-branch"], releases["r2-branch"]
    specs = {
        "one": STEP_SPEC.format(step="Step 1", inputs=""),
        "two": STEP_SPEC.format(step="Step 2", inputs=""),
        "previous": STEP_SPEC.format(step="Step 2", inputs='[inputs]\nbefore = "previous"\n'),
    }
    for spec, text in specs.items():
        (tmp_path / f"{spec}.toml").write_text(text)
    after = ["--after", str(r2 / name), "--source-root", str(r2), "--exit-zero"]
    after += ["--target", "pkg/shapes.py=95"]
    # A data file is analysed against its own release's source: the two-run report's
    # before side is the same run as JSON.
    before = r1 / ("coverage.json" if name == ".coverage" else name)
    two = ["step", "--spec", str(tmp_path / "two.toml"), *after, "--format", "json"]
    expected = json.loads(_run(*two, "--before", str(before)))

    # An archived step (the default format only) stores its after side, of any format.
    archive = tmp_path / "archive"
    one = ["step", "--spec", str(tmp_path / "one.toml"), "--after", str(r1 / name)]
    _run(*one, "--source-root", str(r1), "--exit-zero", "--out", f"{archive}/")
    assert sorted(p.name for p in archive.iterdir()) == ["m1--step-1.md", "m1--step-1.snapshot"]
    previous = ["step", "--spec", str(tmp_path / "previous.toml"), *after, "--format", "json"]
    _run(*previous, "--out", f"{archive}/")
    chained = json.loads((archive / "m1--step-2.json").read_text())
    assert (
        chained.pop("baseline")["text"] == "Before side: the after side of m1--step-1, as archived."
    )
    chained.pop("history", None)  # history: tests/test_history.py
    assert chained == expected

    # `baseline save` reads it too (a data file from the working folder, as coverage.py would).
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "commit", "-q", "--allow-empty", "-m", "one")
    sha = git(repo, "rev-parse", "HEAD").strip()
    for key, value in git_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(r1)
    store = tmp_path / "store"
    saved = _run(
        "baseline", "save", "--after", str(r1 / name), "--store", str(store), "--commit", sha
    )
    assert saved == f"saved the snapshot of {sha[:7]} to {store}/{sha}.snapshot\n"
    monkeypatch.chdir(repo)
    got = json.loads(_run(*two, "--baseline", str(store), "--baseline-ref", "main"))
    assert got.pop("baseline")["commit"] == sha
    got.pop("history", None)  # history: tests/test_history.py
    assert got == expected

    # The figures are coverage.py's own.
    totals = json.loads((r1 / "coverage.json").read_text())["totals"]
    assert got["coverage"]["before"]["statements"] == totals["num_statements"]
    assert got["coverage"]["before"]["missing"] == totals["missing_lines"]
    if name == ".coverage":  # its report has function data: the figures are stored too
        files = {item["path"]: item for item in got["coverage"]["files"]}
        assert files["pkg/shapes.py"]["functions"]


def test_a_broken_input_saves_and_archives_nothing(
    releases: dict[str, Path], tmp_path: Path
) -> None:
    text = (releases["r1-branch"] / "coverage.xml").read_text()
    broken = tmp_path / "broken.xml"
    broken.write_text(text[: len(text) // 2])
    spec = tmp_path / "spec.toml"
    spec.write_text(STEP_SPEC.format(step="Step 1", inputs=""))
    store, archive = tmp_path / "store", tmp_path / "archive"
    for args in (
        ["baseline", "save", "--after", str(broken), "--store", str(store), "--commit", "a" * 40],
        ["step", "--spec", str(spec), "--after", str(broken), "--out", f"{archive}/"],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2
        assert result.output.startswith(f"Error: {broken}: ")
        assert result.output.count("\n") == 1
    assert not store.exists() and not archive.exists()
