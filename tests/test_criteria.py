"""Criteria ticked from real data, the status rule and the exit status, on the example's data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "reports" / "m3" / "data"


def write_spec(tmp_path: Path, body: str) -> Path:
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'milestone = "M"\nstep = "S"\n' + body + "\n[inputs]\n"
        f'before = "{DATA / "state0.json"}"\nafter = "{DATA / "state1.json"}"\n'
        f'junit = ["{DATA / "junit-state1.xml"}"]\njunit_before = ["{DATA / "junit-state0.xml"}"]\n'
    )
    return spec


def step(spec: Path, *extra: str):
    return CliRunner().invoke(main, ["step", "--spec", str(spec), "--format", "json", *extra])


ALL_CHECKS = """
[[target]]
path = "tools/soak/config_manager.py"
min = 80
[[target]]
path = "tools/soak/config_manager.py"
delta = 5
[scope]
prefix = "tools/"
target = [50, 60]
[[criteria]]
check = "no-regressions"
[[criteria]]
check = "new-tests-pass"
[[criteria]]
check = "min-tests-added"
min = 8
[[criteria]]
check = "max-time"
seconds = 60
[[criteria]]
text = "Reviewed"
done = true
"""


def test_every_criterion_ticked_with_achieved_values(tmp_path: Path) -> None:
    """Targets, scope and every automatic check hold on the real data, with their achieved values."""
    result = step(write_spec(tmp_path, ALL_CHECKS))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    got = [(c["text"], c["holds"], c["achieved"]) for c in summary["criteria"]]
    assert got == [
        ("`tools/soak/config_manager.py` coverage ≥80%", True, "82%"),
        ("`tools/soak/config_manager.py` coverage gains ≥5 points", True, "82%, +5%"),
        ("Overall `tools/` coverage within target (50-60%)", True, "54%"),
        ("No regressions in existing tests", True, "0 test regressions"),
        ("All new tests pass", True, "8/8 passed"),
        ("At least 8 new tests", True, "8 added"),
        ("Test run takes at most 60s", True, got[6][2]),
        ("Reviewed", True, None),
    ]
    assert summary["status"] == "COMPLETED"


def test_tightened_target_exits_1_in_progress(tmp_path: Path) -> None:
    """A target raised above the achieved figure: exit 1, report written, IN PROGRESS."""
    spec = write_spec(tmp_path, '[[target]]\npath = "tools/soak/config_manager.py"\nmin = 83')
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["step", "--spec", str(spec), "--format", "md", "--format", "json", "--out", str(out)]
    )
    assert result.exit_code == 1
    summary = json.loads((out / "m--s.json").read_text())
    assert summary["status"] == "IN PROGRESS"
    assert summary["criteria"][0]["holds"] is False
    assert (out / "m--s.md").read_text().startswith("# M — S (IN PROGRESS 🚧)")


def test_missed_target_that_fell_is_failed(tmp_path: Path) -> None:
    """A missed target whose after is lower than its before makes the step FAILED."""
    spec = tmp_path / "spec.toml"
    spec.write_text(
        '[[target]]\npath = "tools/soak/config_manager.py"\nmin = 80\n[inputs]\n'
        f'before = "{DATA / "state1.json"}"\nafter = "{DATA / "state0.json"}"\n'
    )
    result = step(spec)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] == "FAILED"


def test_undone_manual_criterion_keeps_in_progress_but_exit_0(tmp_path: Path) -> None:
    """A manual criterion not done keeps the status IN PROGRESS; the exit status follows automatic ones."""
    result = step(write_spec(tmp_path, '[[criteria]]\ntext = "Docs updated"\ndone = false'))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["status"] == "IN PROGRESS"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[criteria]]\ncheck = "no-regressions"',
            "criterion 'no-regressions' needs both runs' JUnit (--junit and --junit-before)",
        ),
        (
            '[[criteria]]\ncheck = "all-tests-pass"',
            "criterion 'all-tests-pass' needs the JUnit results (--junit)",
        ),
    ],
)
def test_criterion_without_its_data_is_an_error(tmp_path: Path, body: str, message: str) -> None:
    """A check whose data was not given is a usage error, never a silent pass."""
    spec = tmp_path / "spec.toml"
    spec.write_text(body + f'\n[inputs]\nafter = "{DATA / "state1.json"}"\n')
    result = step(spec)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {message}\n"


def test_all_tests_pass_fails_on_the_example(tmp_path: Path) -> None:
    """all-tests-pass sees the 4 failing tests of the example's after run."""
    result = step(write_spec(tmp_path, '[[criteria]]\ncheck = "all-tests-pass"'))
    assert result.exit_code == 1
    criterion = json.loads(result.stdout)["criteria"][0]
    assert criterion["achieved"] == "40/46 passed, 4 failed, 0 errors"


def test_lost_coverage_is_named_in_plain_text_by_the_matched_path() -> None:
    """ "No regressions" names a target that lost coverage by the file it matched, as plain
    text: the templates escape it, so Markdown backticks would show as written."""
    import io

    from reportgen.analysis.coverage_diff import Target, TargetResult
    from reportgen.analysis.criteria import Evidence, evaluate_check
    from reportgen.analysis.milestone import Criterion
    from reportgen.analysis.numbers import Numbers
    from reportgen.analysis.test_diff import diff_tests
    from reportgen.analysis.test_run import TestRun
    from reportgen.inputs.test_results import parse_junit

    run = parse_junit(io.BytesIO(b'<testsuite><testcase name="t"/></testsuite>'), "j")
    assert isinstance(run, TestRun)
    lost = TargetResult(
        target=Target(pattern="tax.py", min=80),
        paths=("src/shop/tax.py",),
        before=Numbers(num_statements=100, num_missing=14),
        after=Numbers(num_statements=100, num_missing=18),
        holds=True,
        uncovered=(),
    )
    evidence = Evidence((lost,), None, run, diff_tests(run, run), 0)
    result = evaluate_check(Criterion(check="no-regressions"), evidence)
    assert (result.holds, result.achieved) == (
        False,
        "0 test regressions; coverage lost in src/shop/tax.py",
    )
