"""action.yml's comment step with `diff-base`: a shallow checkout of a pull request is
deepened until git can diff against the base, and the base reaches reportgen."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.action_script import ACTION, script
from tests.patch_project import git, git_env


def comment_script() -> str:
    return script("Comment on the pull request")


def test_default_is_the_pull_requests_base() -> None:
    text = ACTION.read_text()
    entry = text[text.index("  diff-base:") : text.index("  patch-min:")]
    assert "default: ${{ github.event.pull_request.base.sha }}" in entry


def test_shallow_checkout_gets_the_history_it_needs(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    for i in range(3):
        (work / "m.py").write_text("".join(f"x{j} = {j}\n" for j in range(i + 1)))
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", f"c{i}")
    base = git(work, "rev-parse", "HEAD").strip()
    git(work, "checkout", "-q", "-b", "feature")
    (work / "m.py").write_text("changed = 1\n")
    git(work, "commit", "-q", "-am", "feature")
    origin = tmp_path / "origin.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(origin))
    # As actions/checkout does: one commit of the pull request's head, nothing else.
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth=1", "--branch", "feature", origin.as_uri(), str(clone))
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "true"
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "reportgen").write_text(
        '#!/bin/sh\nprintf "%s\\n" "$@"\n'
        'git diff --no-color --stat "$(echo "$@" | sed "s/.*--diff-base //")...HEAD"\n'
    )
    (fake / "reportgen").chmod(0o755)
    env = dict(
        git_env(),
        REPORTGEN_BIN=str(fake),
        IN_AFTER="after.json",
        IN_DIFF_BASE=base,
        IN_PATCH_MIN="80",
    )
    for name in ("IN_BEFORE", "IN_JUNIT", "IN_JUNIT_BEFORE", "IN_TARGET", "IN_SPEC", "IN_SCOPE",
                 "IN_TITLE", "IN_DATE", "IN_PRECISION", "IN_TEMPLATES", "IN_SOURCE_ROOT",
                 "IN_COMMENT_ID", "IN_REPO", "IN_PR", "IN_EXIT_ZERO", "IN_CHECK",
                 "IN_MAX_ANNOTATIONS"):  # fmt: skip
        env.setdefault(name, "")
    done = subprocess.run(
        ["bash", "-c", comment_script()], cwd=clone, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:7] == [
        "comment",
        "--after",
        "after.json",
        "--patch-min",
        "80",
        "--diff-base",
        base,
    ]
    assert "m.py | 4 +---" in done.stdout.replace("  ", " ")
    assert git(clone, "rev-parse", "--is-shallow-repository").strip() == "false"
    assert os.path.exists(clone / ".git")


def _run_action(tmp_path: Path, fake_exit: str, **inputs: str) -> subprocess.CompletedProcess:
    """The comment step with a stand-in reportgen that prints its arguments and exits with
    the status `fake_exit` gives its command (comment or check)."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "reportgen").write_text(f'#!/bin/sh\necho "$*"\n{fake_exit}\n')
    (fake / "reportgen").chmod(0o755)
    names = ("IN_BEFORE", "IN_AFTER", "IN_JUNIT", "IN_JUNIT_BEFORE", "IN_TARGET", "IN_SPEC",
             "IN_SCOPE", "IN_TITLE", "IN_DATE", "IN_PRECISION", "IN_TEMPLATES", "IN_SOURCE_ROOT",
             "IN_COMMENT_ID", "IN_REPO", "IN_PR", "IN_EXIT_ZERO", "IN_CHECK", "IN_DIFF_BASE",
             "IN_MAX_ANNOTATIONS", "IN_PATCH_MIN")  # fmt: skip
    env = dict(os.environ, REPORTGEN_BIN=str(fake), **dict.fromkeys(names, ""))
    env.update(inputs)
    return subprocess.run(
        ["bash", "-c", comment_script()], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_check_true_also_publishes_a_check_run(tmp_path: Path) -> None:
    done = _run_action(
        tmp_path, "exit 0", IN_AFTER="a.json", IN_PR="4", IN_CHECK="true", IN_MAX_ANNOTATIONS="9"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "comment --after a.json --pr 4",
        "check --after a.json --max-annotations 9",
    ]


def test_a_failed_criterion_still_publishes_the_check_and_fails_the_step(tmp_path: Path) -> None:
    failing = 'case "$1" in comment) exit 1;; esac; exit 0'
    done = _run_action(tmp_path, failing, IN_AFTER="a.json", IN_CHECK="true")
    assert done.returncode == 1
    assert done.stdout.splitlines() == ["comment --after a.json", "check --after a.json"]


def test_bad_input_stops_before_the_check(tmp_path: Path) -> None:
    done = _run_action(tmp_path, "exit 2", IN_AFTER="a.json", IN_CHECK="true")
    assert done.returncode == 2 and done.stdout.splitlines() == ["comment --after a.json"]


def test_without_check_only_the_comment(tmp_path: Path) -> None:
    done = _run_action(tmp_path, "exit 0", IN_AFTER="a.json")
    assert (done.returncode, done.stdout) == (0, "comment --after a.json\n")
