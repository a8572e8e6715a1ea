"""Which commit `--baseline-ref` names, and what a name git does not know is."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.baseline_project import reportgen
from tests.patch_project import git

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="git repositories")

RUN = b'<testsuite name="pytest"><testcase classname="m" name="t"/></testsuite>'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main one commit ahead of origin/main, a snapshot of each, and a branch off main."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(tmp_path, "init", "-q", "--bare", "-b", "main", "origin.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "origin.git"))
    (tmp_path / "run.xml").write_bytes(RUN)
    for message in ("pushed", "local"):
        git(repo, "commit", "-q", "--allow-empty", "-m", message)
        saved = reportgen(repo, "baseline", "save", "--junit", "../run.xml", "--store", "../s")
        assert saved.returncode == 0, saved.stderr
        if message == "pushed":
            git(repo, "push", "-q", "origin", "main")
    git(repo, "checkout", "-q", "-b", "change")
    git(repo, "commit", "-q", "--allow-empty", "-m", "change")
    return repo


def step(repo: Path, *args: str):
    return reportgen(repo, "step", "--baseline", "../s", "--junit", "../run.xml", *args)


def test_a_named_ref_is_read_as_git_reads_it(repo: Path) -> None:
    """`--baseline-ref main` is the local branch, as `--diff-base main` is, not origin's."""
    local = git(repo, "rev-parse", "main").strip()
    done = step(repo, "--baseline-ref", "main", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["baseline"]["commit"] == local
    pushed = git(repo, "rev-parse", "origin/main").strip()
    done = step(repo, "--baseline-ref", "origin/main", "--format", "json")
    assert json.loads(done.stdout)["baseline"]["commit"] == pushed


def test_a_ref_git_does_not_know_is_an_error_not_a_missing_baseline(repo: Path) -> None:
    done = step(repo, "--baseline-ref", "mian")
    assert done.returncode == 2
    assert done.stderr == "Error: --baseline-ref 'mian': no such branch or commit\n"
    assert done.stdout == ""
