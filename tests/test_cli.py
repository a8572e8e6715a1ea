"""The command line as users run it: outputs, exit statuses, errors and the archive."""

from __future__ import annotations

import json
import os
import pprint
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from tests.golden import check_golden

DATA = Path(__file__).parent / "data" / "coverage"
BEFORE = str(DATA / "6.5.0" / "branch.json")
AFTER = str(DATA / "7.17.4" / "branch.json")
SHARDS = [str(DATA / "7.17.4" / f"shard_{s}.json") for s in "ab"]


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, list(args), env=env or {"SOURCE_DATE_EPOCH": ""})


def test_markdown_report_golden(regen_golden: bool) -> None:
    """A coverage-only step with a target renders the golden Markdown report."""
    result = run(
        "step",
        "--before",
        BEFORE,
        "--after",
        AFTER,
        "--target",
        "sample/core.py=85",
        "--title",
        "core.py",
        "--date",
        "2025-10-27",
    )
    assert result.exit_code == 0, result.stderr
    check_golden(result.stdout, "coverage-only/report.md", regen_golden)


def test_json_summary_figures_equal_coverage_report() -> None:
    """The JSON summary's figures are those `coverage report -m` printed for the same data."""
    result = run("step", "--before", BEFORE, "--after", AFTER, "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    expected = json.loads((DATA / "7.17.4" / "branch.expected.json").read_text())
    assert summary["schema"] == 2
    files = {f["path"]: f for f in summary["coverage"]["files"]}
    assert set(files) == set(expected["files"])
    for path, want in expected["files"].items():
        after = files[path]["after"]
        assert (after["statements"], after["missing"]) == (want["stmts"], want["miss"])
        assert after["branches"] == want["branch"]
        assert after["partial_branches"] == want["brpart"]
        assert after["display"] == want["cover"]
        assert files[path]["missing"] == want["missing"]
    total = summary["coverage"]["after"]
    assert (total["statements"], total["missing"], total["display"]) == (288, 15, "93")


def test_precision_one_matches_coverage() -> None:
    """--precision 1 prints what `coverage report --precision 1` prints."""
    result = run("step", "--after", AFTER, "--format", "json", "--precision", "1")
    summary = json.loads(result.stdout)
    expected = json.loads((DATA / "7.17.4" / "branch.expected.json").read_text())
    shown = {f["path"]: f["after"]["display"] for f in summary["coverage"]["files"]}
    assert shown == {p: f["cover_p1"] for p, f in expected["files"].items()}
    assert shown["sample/limits.py"] == "99.5"


def test_shards_merge_like_coverage_combine() -> None:
    """Two shard files given as a glob merge to the figures of `coverage combine`."""
    pattern = str(DATA / "7.17.4" / "shard_?.json")
    result = run("step", "--after", pattern, "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    expected = json.loads((DATA / "7.17.4" / "combined.expected.json").read_text())
    files = {f["path"]: f for f in summary["coverage"]["files"]}
    for path, want in expected["files"].items():
        assert files[path]["after"]["display"] == want["cover"], path
        assert files[path]["missing"] == want["missing"], path


def test_shards_measured_with_and_without_branches_do_not_merge(tmp_path: Path) -> None:
    """As `coverage combine` refuses: a statement-only shard says nothing of the branches."""
    out = tmp_path / "r.md"
    branch, statement = DATA / "7.17.4" / "branch.json", DATA / "7.17.4" / "nobranch.json"
    result = run("step", "--after", str(branch), "--after", str(statement), "--out", str(out))
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: {statement}: measured without branch coverage, unlike {branch};"
        " shards of one run must be measured alike\n",
    )
    assert not out.exists()
    empty = tmp_path / "empty.json"
    empty.write_text('{"meta": {"branch_coverage": false}, "files": {}}')
    alone = run("step", "--after", str(branch), "--format", "json")
    with_empty = run("step", "--after", str(branch), "--after", str(empty), "--format", "json")
    assert (with_empty.exit_code, with_empty.stdout) == (0, alone.stdout)


def test_missed_target_exits_1_and_still_writes(tmp_path: Path) -> None:
    """A target that is not met gives exit status 1 and the report is still written."""
    out = tmp_path / "r.md"
    result = run(
        "step",
        "--before",
        BEFORE,
        "--after",
        AFTER,
        "--target",
        "sample/limits.py=100",
        "--out",
        str(out),
    )
    assert result.exit_code == 1
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Coverage report (IN PROGRESS 🚧)")
    assert "- [ ] `sample/limits.py` coverage ≥100% (achieved **99%**) ❌" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--after", "nope.json"], "Error: nope.json: no such file\n"),
        (["--after", "tests"], "Error: tests: is a directory, expected a file\n"),
        (
            ["--after", "tests/*.nothing"],
            "Error: tests/*.nothing: no file matches this coverage pattern\n",
        ),
        (
            ["--after", AFTER, "--target", "x.py"],
            "Error: --target 'x.py': expected GLOB=MIN with MIN from 0 to 100\n",
        ),
        (
            ["--after", AFTER, "--target", "nothing/*.py=80"],
            "Error: target 'nothing/*.py' matches no measured file\n",
        ),
        (
            ["--after", AFTER, "--date", "yesterday"],
            "Error: --date 'yesterday': expected YYYY-MM-DD\n",
        ),
        (
            [],
            "Error: nothing to report: give --before/--after, --junit, or a spec whose [inputs] name them\n",
        ),
        (
            ["--after", AFTER, "--format", "md", "--format", "json"],
            "Error: several formats need --out DIR (one file each), not stdout\n",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    """Bad input or usage: exit 2, one line on stderr, nothing on stdout, no traceback."""
    result = run("step", *args)
    assert result.exit_code == 2
    assert result.stderr == message
    assert result.stdout == ""


def test_bad_json_names_file(tmp_path: Path) -> None:
    """Coverage JSON of the wrong shape is refused naming the file and the problem."""
    bad = tmp_path / "after.json"
    entry = {"executed_lines": [1], "missing_lines": "x"}
    entry["summary"] = {"num_statements": 1, "missing_lines": 0}
    bad.write_text(json.dumps({"files": {"a.py": entry}}))
    out = tmp_path / "r.md"
    result = run("step", "--after", str(bad), "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: {bad}: not a coverage.py JSON report"
        " (file 'a.py': missing_lines is not a list of line numbers)\n"
    )
    assert not out.exists()


def test_out_dir_names_files_from_spec_and_refuses_overwrite(tmp_path: Path) -> None:
    """--out DIR writes one file per format named from the spec; a different report is refused."""
    spec = tmp_path / "step.toml"
    spec.write_text(
        f'milestone = "P0.4 Milestone 3"\nstep = "Step 1"\n[inputs]\nafter = "{AFTER}"\n'
    )
    out = tmp_path / "archive"
    first = run(
        "step", "--spec", str(spec), "--format", "md", "--format", "json", "--out", str(out)
    )
    assert first.exit_code == 0, first.stderr
    names = sorted(p.name for p in out.iterdir())
    # The after side's snapshot too: a later step's before = "previous" reads it.
    assert names == [
        "p0-4-milestone-3--step-1.json",
        "p0-4-milestone-3--step-1.md",
        "p0-4-milestone-3--step-1.snapshot",
    ]
    md = out / "p0-4-milestone-3--step-1.md"
    before_bytes, before_mtime = md.read_bytes(), md.stat().st_mtime_ns
    os.utime(md, ns=(before_mtime - 10**9, before_mtime - 10**9))
    stamp = md.stat().st_mtime_ns

    again = run(
        "step", "--spec", str(spec), "--format", "md", "--format", "json", "--out", str(out)
    )
    assert again.exit_code == 0
    assert md.stat().st_mtime_ns == stamp  # same content: untouched

    changed = run(
        "step",
        "--spec",
        str(spec),
        "--title",
        "other",
        "--format",
        "md",
        "--format",
        "json",
        "--out",
        str(out),
    )
    assert changed.exit_code == 2
    assert "use --force to replace it" in changed.stderr
    assert md.read_bytes() == before_bytes

    forced = run(
        "step",
        "--spec",
        str(spec),
        "--title",
        "other",
        "--format",
        "md",
        "--format",
        "json",
        "--out",
        str(out),
        "--force",
    )
    assert forced.exit_code == 0
    assert "other" in md.read_text(encoding="utf-8")


def test_two_runs_are_byte_identical() -> None:
    """Same inputs, same bytes: no clock, sorted orders."""
    args = ("step", "--before", BEFORE, "--after", AFTER, "--format", "json")
    assert run(*args).stdout == run(*args).stdout


def test_source_date_epoch_sets_the_date() -> None:
    """Without --date or a spec date, SOURCE_DATE_EPOCH gives the report date."""
    result = run(
        "step", "--after", AFTER, "--format", "json", env={"SOURCE_DATE_EPOCH": "1761523200"}
    )
    assert json.loads(result.stdout)["date"] == "2025-10-27"


def test_help_imports_no_heavy_modules() -> None:
    """`reportgen --help` and `reportgen step --help` import neither Jinja, markdown-it,
    coverage, msgspec, XML nor HTTP code."""
    script = (
        "import sys\n"
        "from reportgen.cli import main\n"
        "for args in (['--help'], ['step', '--help']):\n"
        "    try:\n"
        "        main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ['jinja2', 'markdown_it', 'coverage', 'msgspec', 'defusedxml', 'xml.parsers.expat',\n"
        "         'urllib.request', 'http.client', 'reportgen.commands.step']\n"
        "print('HEAVY:' + ','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "HEAVY:"


@pytest.mark.parametrize("command", ["", "step", "index", "templates", "comment", "check"])
def test_help_golden(command: str, regen_golden: bool) -> None:
    """Every command's --help is reviewed like code (the README documents these options)."""
    args = [command, "--help"] if command else ["--help"]
    result = CliRunner().invoke(main, args, terminal_width=100, prog_name="reportgen")
    assert result.exit_code == 0
    check_golden(result.stdout, f"help/{command or 'reportgen'}.txt", regen_golden)


def test_step_summary_appends_the_github_format(tmp_path: Path) -> None:
    """--step-summary appends the pull-request format to $GITHUB_STEP_SUMMARY, keeping what was there."""
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    result = run(
        "step", "--after", AFTER, "--step-summary", env={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert result.exit_code == 0, result.stderr
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n<!-- reportgen:default -->\n### 📋 Coverage report")
    assert result.stdout.startswith("# Coverage report")
    missing = run("step", "--after", AFTER, "--step-summary", env={"GITHUB_STEP_SUMMARY": ""})
    assert missing.exit_code == 2
    assert missing.stderr == "Error: --step-summary: GITHUB_STEP_SUMMARY is not set\n"


def test_templates_lists_blocks_and_exports(tmp_path: Path) -> None:
    """`reportgen templates` lists each built-in with its blocks; --export copies them out."""
    result = run("templates", "--export", str(tmp_path / "t"))
    assert result.exit_code == 0, result.stderr
    assert "step.md: title, meta, results, targets, changes, tests_added" in result.stdout
    assert (tmp_path / "t" / "step.md").read_bytes() == (
        Path(__file__).resolve().parents[1] / "templates" / "step.md"
    ).read_bytes()


def test_index_names_a_corrupt_summary_and_skips_it(tmp_path: Path) -> None:
    """A corrupt summary in the archive is named, not a crash; unrelated JSON is left alone."""
    archive = tmp_path / "reports"
    archive.mkdir()
    good = run(
        "step",
        "--after",
        AFTER,
        "--title",
        "t",
        "--date",
        "2025-01-02",
        "--format",
        "json",
        "--out",
        str(archive / "a.json"),
    )
    assert good.exit_code == 0, good.stderr
    (archive / "broken.json").write_text('{"schema": 1, "coverage": ', encoding="utf-8")
    (archive / "coverage-data.json").write_text('{"meta": {}, "files": {}}', encoding="utf-8")
    (archive / "wrong-shape.json").write_text('{"schema": 1, "coverage": [1]}', encoding="utf-8")
    result = run("index", str(archive))
    assert result.exit_code == 0, result.stderr
    assert f"{archive / 'broken.json'}: skipped, not a readable JSON summary" in result.stdout
    assert "coverage-data.json" not in result.stdout
    assert (
        f"{archive / 'wrong-shape.json'}: skipped, not a valid summary"
        " (Expected `object`, got `array` - at `$.coverage`)"
    ) in result.stdout
    assert "1 step indexed; wrote" in result.stdout
    assert "| t | 2025-01-02 |" in (archive / "index.md").read_text(encoding="utf-8")


def test_index_skips_summaries_it_could_not_write_out(tmp_path: Path) -> None:
    """Lone surrogates, NaN, Infinity and out-of-range numbers (which Python's json reads) and
    a file name that is not UTF-8: each named and skipped, the index still written."""
    archive = tmp_path / "reports"
    archive.mkdir()
    good = run("step", "--after", AFTER, "--title", "t", "--date", "2025-01-02", "--format", "json")
    assert good.exit_code == 0, good.stderr
    text = good.stdout
    percent = json.loads(text)["coverage"]["after"]["percent"]
    bad = {
        "surrogate.json": text.replace('"title": "t"', '"title": "t\\udce9"'),
        "nan.json": text.replace(f'"percent": {percent}', '"percent": NaN', 1),
        "infinite.json": text.replace(f'"percent": {percent}', '"percent": 1e999', 1),
        "above-100.json": text.replace(f'"percent": {percent}', '"percent": 250.0', 1),
    }
    for name, content in bad.items():
        assert content != text, name
        (archive / name).write_text(content, encoding="utf-8")
    (archive / "caf\udce9.json").write_text(text, encoding="utf-8")  # bytes b"caf\xe9.json"
    (archive / "ok.json").write_text(text, encoding="utf-8")
    result = run("index", str(archive))
    assert result.exit_code == 0, result.stderr
    assert f"{archive}/caf\\xe9.json: skipped, its name is not UTF-8 text" in result.stdout
    for name in ("surrogate.json", "nan.json", "infinite.json"):
        assert f"{archive / name}: skipped, not a readable JSON summary" in result.stdout
    assert f"{archive / 'above-100.json'}: skipped, not a valid summary" in result.stdout
    assert "1 step indexed; wrote" in result.stdout
    assert "| t | 2025-01-02 |" in (archive / "index.md").read_text(encoding="utf-8")


def test_flaky_and_failures_grouped_by_module() -> None:
    """Failures are grouped by module with their class; tests that passed on a rerun show as flaky."""
    junit = str(Path(__file__).parent / "data" / "junit" / "surefire-flaky.xml")
    result = run("step", "--junit", junit)
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "<summary>com.acme (2)</summary>" in text
    assert "- 💥 `NetTest::closes`: NPE" in text
    assert "**Flaky** (failed, then passed on a rerun): `com.acme.NetTest::connects`" in text
    summary = json.loads(run("step", "--junit", junit, "--format", "json").stdout)
    assert "com.acme.NetTest::connects" in summary["tests"]["flaky"]


def test_old_json_names_functions_from_the_source_root() -> None:
    """coverage 6.5 JSON has no regions: with --source-root the uncovered lines are still named."""
    old = str(DATA / "6.5.0" / "branch.json")
    args = ("step", "--after", old, "--target", "sample/core.py=50", "--format", "json")
    named = json.loads(run(*args, "--source-root", str(DATA / "sample")).stdout)
    unnamed = json.loads(run(*args).stdout)
    by_lines = {u["lines"]: u["function"] for u in named["coverage"]["targets"][0]["uncovered"]}
    assert by_lines["53->58"] == "countdown" and by_lines["132"] == "Shape.Meta.label"
    assert {u["function"] for u in unnamed["coverage"]["targets"][0]["uncovered"]} == {None}


def _one_file_report(path: Path, covered: int, statements: int = 1000) -> str:
    executed = list(range(1, covered + 1))
    missing = list(range(covered + 1, statements + 1))
    path.write_text(
        json.dumps(
            {
                "files": {
                    "m.py": {
                        "executed_lines": executed,
                        "missing_lines": missing,
                        "summary": {"num_statements": statements, "missing_lines": len(missing)},
                    }
                }
            }
        )
    )
    return str(path)


def test_delta_target_judged_on_the_displayed_gain(tmp_path: Path) -> None:
    """77.4% -> 79.6% shows as 77% -> 80% (+3%): a `delta = 3` target holds, as the table says."""
    before = _one_file_report(tmp_path / "b.json", 774)
    after = _one_file_report(tmp_path / "a.json", 796)
    spec = tmp_path / "s.toml"
    spec.write_text('[[target]]\npath = "m.py"\ndelta = 3\n')
    result = run("step", "--before", before, "--after", after, "--spec", str(spec))
    assert result.exit_code == 0, result.stdout
    assert "| `m.py` | 77% | **80%** | **+3%** | ✅ Target met |" in result.stdout
    spec.write_text('[[target]]\npath = "m.py"\ndelta = 3.5\n')  # judged at one decimal: +2.2
    assert run("step", "--before", before, "--after", after, "--spec", str(spec)).exit_code == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--junit-before", "x.xml"],
            "Error: --junit-before needs --junit (the after run) to compare with\n",
        ),
        (["--scope", "nothing/=10"], "Error: scope 'nothing/' matches no measured file\n"),
    ],
)
def test_more_usage_errors(args: list[str], message: str) -> None:
    """Inputs that cannot give the asked report are usage errors, not silent gaps."""
    result = run("step", "--after", AFTER, *args)
    assert (result.exit_code, result.stderr) == (2, message)


def test_nan_in_spec_is_refused(tmp_path: Path) -> None:
    """A spec number that is not finite is named, not a crash."""
    spec = tmp_path / "s.toml"
    spec.write_text('[[target]]\npath = "m.py"\ndelta = nan\n')
    result = run("step", "--after", AFTER, "--spec", str(spec))
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: {spec}: target[0].delta: must be a number, not nan\n",
    )


def test_unappendable_step_summary_writes_nothing(tmp_path: Path) -> None:
    """When the step summary cannot be appended to, no report file is written either."""
    out = tmp_path / "r.md"
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "missing" / "s.md")}
    result = run("step", "--after", AFTER, "--out", str(out), "--step-summary", env=env)
    assert result.exit_code == 2
    assert "cannot append the step summary here" in result.stderr
    assert not out.exists()


def test_exit_zero_only_changes_the_status(tmp_path: Path) -> None:
    """The same failing run exits 1 without --exit-zero and 0 with it; both write the report."""
    args = ["step", "--after", AFTER, "--target", "sample/core.py=90"]
    failing = run(*args, "--out", str(tmp_path / "a.md"))
    passing = run(*args, "--exit-zero", "--out", str(tmp_path / "b.md"))
    assert (failing.exit_code, passing.exit_code) == (1, 0)
    assert (tmp_path / "a.md").read_bytes() == (tmp_path / "b.md").read_bytes()


@pytest.mark.parametrize(
    ("milestone", "step", "expected"),
    [("Q3 report", "A", "q3-report--a"), ("Q3", "A", "q3--a"), ("", "", "default")],
)
def test_comment_id_from_the_spec(milestone: str, step: str, expected: str) -> None:
    """The default comment id is the spec's milestone and step, never a mangled form of them."""
    from reportgen.analysis.milestone import Spec
    from reportgen.commands.step import comment_id_for

    assert comment_id_for(Spec(milestone=milestone or None, step=step or None), None) == expected


def test_several_formats_into_an_existing_file_is_refused(tmp_path: Path) -> None:
    """Several formats need a folder: an existing file given as --out is refused, untouched."""
    target = tmp_path / "r.md"
    target.write_text("keep\n")
    result = run(
        "step", "--after", AFTER, "--format", "md", "--format", "json", "--out", str(target)
    )
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: --out {target}: names a file, but 2 formats need a folder;"
        " give --out DIR/ or one --format\n",
    )
    assert target.read_text() == "keep\n"


def test_every_format_accepts_the_same_input(tmp_path: Path) -> None:
    """An unchanged file's lists are decoded only by formats that show every file (json):
    an unusual but valid list must not pass in one format and stop another."""
    unchanged = {
        "executed_lines": [1, 99999999999],
        "missing_lines": [],
        "summary": {"num_statements": 2, "missing_lines": 0},
    }
    sides = {}
    for name, executed in (("before", [1]), ("after", [1, 2])):
        moved = {
            "executed_lines": executed,
            "missing_lines": [2][: 2 - len(executed)],
            "summary": {"num_statements": 2, "missing_lines": 2 - len(executed)},
        }
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps({"files": {"x.py": unchanged, "y.py": moved}}))
        sides[name] = str(path)
    for fmt in ("md", "github", "json", "badge", "html"):
        result = run(
            "step", "--before", sides["before"], "--after", sides["after"], "--format", fmt
        )
        assert (fmt, result.exit_code, result.stderr) == (fmt, 0, "")
    summary = json.loads(run("step", "--after", sides["after"], "--format", "json").stdout)
    assert [f["state"] for f in summary["coverage"]["files"]] == ["added", "added"]
    assert summary["coverage"]["after"]["statements"] == 4


def test_templates_see_every_moved_file_with_its_missing_lines(tmp_path: Path) -> None:
    """`report.files` lists every moved file, even past the rows a report prints (its rows
    are built when read), each with the Missing string of `coverage report -m`."""
    count = 620  # more than MAX_ROWS
    sides = {}
    for name, executed in (("before", [1]), ("after", [1, 2])):
        files = {
            f"pkg/m{i:03}.py": {
                "executed_lines": executed,
                "missing_lines": [2, 3, 4][len(executed) - 1 :],
                "summary": {"num_statements": 4, "missing_lines": 4 - len(executed)},
            }
            for i in range(count)
        }
        sides[name] = tmp_path / f"{name}.json"
        sides[name].write_text(json.dumps({"files": files}))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "step.md").write_text(
        "{% set r = report %}{{ r.files | length }} moved, {{ r.files_hidden }} past the rows\n"
        "{% for f in r.files[-2:] %}{{ f.path }} {{ f.before }} {{ f['after'] }} {{ f.missing }}\n"
        "{% endfor %}",
        encoding="utf-8",
    )
    result = run(
        "step", "--before", str(sides["before"]), "--after", str(sides["after"]),
        "--templates", str(templates),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "620 moved, 120 past the rows\npkg/m618.py 25% 50% 3-4\npkg/m619.py 25% 50% 3-4\n"
    )


def test_template_rows_behave_as_plain_lists_and_dicts(tmp_path: Path) -> None:
    """The rows built when read print, serialise, compare and join as the list of dicts
    they stand for: no object address, no filter that fails on them."""
    sides = {}
    for name, executed in (("before", [1]), ("after", [1, 2])):
        path = tmp_path / f"{name}.json"
        moved = {
            "executed_lines": executed,
            "missing_lines": [2, 3][len(executed) - 1 :],
            "summary": {"num_statements": 3, "missing_lines": 3 - len(executed)},
        }
        path.write_text(json.dumps({"files": {"a.py": moved}}))
        sides[name] = str(path)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "step.md").write_text(
        "{% set f = report.files %}{{ f }}\n{{ f[0] }}\n{{ f | tojson }}\n"
        "{{ (f + []) | length }} {{ ([] + f) | length }} {{ f == f | list }}\n"
        "{{ f[0] | pprint }}\n{{ f[0] | tojson }}\n",
        encoding="utf-8",
    )
    result = run(
        "step", "--before", sides["before"], "--after", sides["after"],
        "--templates", str(templates),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    row = {
        "path": "a.py", "state": "changed", "before": "33%", "after": "67%",
        "delta": "+34%", "missing": "3",
    }  # fmt: skip
    as_json = json.dumps(row, sort_keys=True)
    expected = [repr([row]), repr(row), f"[{as_json}]", "1 1 True", pprint.pformat(row), as_json]
    assert result.stdout == "\n".join(expected) + "\n"


def test_template_summary_prints_as_the_json_summary(tmp_path: Path) -> None:
    """`summary`, built when a template first reads it, prints and serialises as the summary
    itself (an object address made the output differ from run to run)."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "step.md").write_text("{{ summary }}\n{{ summary | tojson }}\n", encoding="utf-8")
    result = run("step", "--before", BEFORE, "--after", AFTER, "--templates", str(templates))
    assert result.exit_code == 0, result.stderr
    printed, as_json = result.stdout.splitlines()
    summary = json.loads(
        run("step", "--before", BEFORE, "--after", AFTER, "--format", "json").stdout
    )
    assert json.loads(as_json) == summary
    assert printed == repr(summary)
