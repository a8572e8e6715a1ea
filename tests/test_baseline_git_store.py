"""The git:BRANCH store: an orphan branch of origin, one commit per save, the last snapshots
kept, a push race retried on a fresh fetch, hooks never run."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.commands import baseline
from tests.baseline_project import reportgen
from tests.patch_project import git, git_env

COVERAGE = b'{"meta": {"version": "7.6.1"}, "files": {"a.py": {"executed_lines": [1], "missing_lines": [2], "summary": {"num_statements": 2, "missing_lines": 1}}}}'


def sha(number: int) -> str:
    return f"{number:040x}"


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "repo"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "commit", "-q", "--allow-empty", "-m", "one")
    git(tmp_path, "init", "-q", "--bare", "-b", "main", "origin.git")
    git(work, "remote", "add", "origin", str(tmp_path / "origin.git"))
    git(work, "push", "-q", "origin", "main")
    (tmp_path / "cov.json").write_bytes(COVERAGE)
    for key, value in git_env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    monkeypatch.chdir(work)
    return work


def save(commit: str) -> None:
    result = CliRunner().invoke(
        main,
        ["baseline", "save", "--after", "../cov.json", "--store", "git:snaps", "--commit", commit],
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"saved the snapshot of {commit[:7]} to git:snaps\n"


def stored(origin: Path) -> list[str]:
    return git(origin, "ls-tree", "--name-only", "snaps").split()


def test_one_commit_per_save_and_the_newest_kept(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(baseline, "KEEP", 3)
    origin = repo.parent / "origin.git"
    for number in range(1, 6):
        save(sha(number))
    assert stored(origin) == [f"{sha(n)}.snapshot" for n in (3, 4, 5)]
    assert git(origin, "rev-list", "--count", "snaps").strip() == "5"
    # An orphan branch: its first commit has no parent, and no commit of main is in it.
    assert (
        git(origin, "rev-list", "--max-parents=0", "snaps").strip()
        == git(origin, "rev-list", "--reverse", "snaps").split()[0]
    )
    main_head = git(origin, "rev-parse", "main").strip()
    assert main_head not in git(origin, "rev-list", "snaps").split()
    # Saving a kept commit again replaces it and keeps the others.
    save(sha(4))
    assert stored(origin) == [f"{sha(n)}.snapshot" for n in (3, 4, 5)]
    # The working tree and the checked-out branch are untouched.
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "branch", "--show-current").strip() == "main"


def test_a_push_race_is_retried_on_a_fresh_fetch(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = repo.parent / "origin.git"
    other = repo.parent / "other"
    git(repo.parent, "clone", "-q", str(origin), str(other))
    save(sha(1))
    fetch = baseline.GitStore.fetch
    raced: list[str | None] = []

    def racing_fetch(self: baseline.GitStore) -> str | None:
        head = fetch(self)
        if not raced:  # another job saves between our fetch and our push
            done = reportgen(
                other,
                "baseline",
                "save",
                "--after",
                "../cov.json",
                "--store",
                "git:snaps",
                "--commit",
                sha(2),
            )
            assert done.returncode == 0, done.stderr
        raced.append(head)
        return head

    monkeypatch.setattr(baseline.GitStore, "fetch", racing_fetch)
    save(sha(3))
    assert len(raced) == 2 and raced[0] != raced[1]
    assert stored(origin) == [f"{sha(n)}.snapshot" for n in (1, 2, 3)]
    assert git(origin, "rev-list", "--count", "snaps").strip() == "3"


def test_a_push_refused_every_time_is_one_line(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # origin refuses every update of the branch (as a protected branch or a missing permission).
    hook = repo.parent / "origin.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'denied' >&2\nexit 1\n")
    hook.chmod(0o755)
    result = CliRunner().invoke(
        main, ["baseline", "save", "--after", "../cov.json", "--store", "git:snaps"]
    )
    assert result.exit_code == 2
    assert result.output == (
        "Error: git:snaps: the push was rejected 4 times (other saves racing, or no permission"
        " to push: the save job needs `contents: write`)\n"
    )


def test_local_hooks_never_run(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "hook-ran"
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("pre-push", "post-commit", "reference-transaction", "pre-auto-gc"):
        script = hooks / name
        script.write_text(f"#!/bin/sh\ntouch {marker}\n")
        script.chmod(0o755)
    git(repo, "config", "core.hooksPath", str(hooks))
    head = git(repo, "rev-parse", "HEAD").strip()
    save(head)
    assert not marker.exists()


def test_a_bad_branch_name_is_refused(repo: Path) -> None:
    result = CliRunner().invoke(
        main, ["baseline", "save", "--after", "../cov.json", "--store", "git:-x"]
    )
    assert result.exit_code == 2
    assert result.output == "Error: --store git:-x: not a usable branch name\n"
