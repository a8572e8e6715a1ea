"""action.yml with baselines: `mode: save` stores the run, a pull request's comment reads
its before side from the store unless the workflow measured the base itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.action_script import ACTION, script
from tests.patch_project import git, git_env

NAMES = (
    "IN_BEFORE", "IN_AFTER", "IN_JUNIT", "IN_JUNIT_BEFORE", "IN_TARGET", "IN_SPEC", "IN_SCOPE",
    "IN_TITLE", "IN_DATE", "IN_PRECISION", "IN_TEMPLATES", "IN_SOURCE_ROOT", "IN_COMMENT_ID",
    "IN_REPO", "IN_PR", "IN_EXIT_ZERO", "IN_DIFF_BASE", "IN_PATCH_MIN", "IN_BASELINE",
    "IN_BASELINE_REF",
)  # fmt: skip


def run(step_name: str, cwd: Path, tmp_path: Path, **inputs: str) -> list[str]:
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    (fake / "reportgen").write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    (fake / "reportgen").chmod(0o755)
    env = dict(git_env(), REPORTGEN_BIN=str(fake), **inputs)
    for name in NAMES:
        env.setdefault(name, "")
    done = subprocess.run(
        ["bash", "-c", script(step_name)], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_defaults() -> None:
    text = ACTION.read_text()
    assert "  baseline:\n" in text and "default: git:reportgen-baselines" in text
    assert "  mode:\n" in text and "default: comment" in text
    assert "if: inputs.mode == 'save'" in text and "if: inputs.mode != 'save'" in text


def test_save_mode_stores_the_run(tmp_path: Path) -> None:
    args = run(
        "Save the baseline", tmp_path, tmp_path,
        IN_AFTER="cov-*.json\n", IN_JUNIT="junit.xml", IN_BASELINE="git:reportgen-baselines",
    )  # fmt: skip
    assert args == [
        "baseline", "save", "--after", "cov-*.json", "--junit", "junit.xml",
        "--store", "git:reportgen-baselines",
    ]  # fmt: skip


def test_comment_reads_the_baseline_and_fetches_the_base(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "commit", "-q", "--allow-empty", "-m", "one")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(origin))
    git(work, "checkout", "-q", "-b", "feature")
    git(work, "commit", "-q", "--allow-empty", "-m", "two")
    git(work, "push", "-q", str(origin), "feature")
    clone = tmp_path / "clone"
    # As actions/checkout does: the head alone, shallow, no remote-tracking base branch.
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature", origin.as_uri(), str(clone))
    git(clone, "update-ref", "-d", "refs/remotes/origin/main")
    args = run(
        "Comment on the pull request", clone, tmp_path,
        IN_AFTER="after.json", IN_BASELINE="git:reportgen-baselines", GITHUB_BASE_REF="main",
    )  # fmt: skip
    assert args == [
        "comment", "--after", "after.json", "--baseline", "git:reportgen-baselines",
    ]  # fmt: skip
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "false"
    assert (
        git(clone, "rev-parse", "refs/remotes/origin/main").strip()
        == git(work, "rev-parse", "main").strip()
    )
    # A workflow that measured its base itself keeps doing so.
    args = run(
        "Comment on the pull request", clone, tmp_path,
        IN_BEFORE="before.json", IN_AFTER="after.json", IN_BASELINE="git:reportgen-baselines",
    )  # fmt: skip
    assert args == ["comment", "--before", "before.json", "--after", "after.json"]
