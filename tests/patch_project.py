"""A tiny project in two commits, measured for real: the change-coverage tests' data.

Commit 1 has `pkg/calc.py` with one function; commit 2 adds code to it (some run,
some not, a partial branch, a comment and a blank line) and runs more of the
untouched `pkg/other.py`. coverage.py measures both commits with --branch.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CALC_1 = """\
def add(a, b):
    return a + b
"""

CALC_2 = """\
def add(a, b):
    return a + b


def clamp(x, low, high):
    # keep x within its bounds
    if x < low:
        return low
    if x > high:
        return high
    return x


def sign(x):
    if x:
        return 1 if x > 0 else -1
    return 0


def unused(x):
    total = 0
    for item in x:
        total += item
    return total
"""

OTHER = """\
def one():
    return 1


def two():
    return 2
"""

RUN_1 = """\
from pkg.calc import add
from pkg.other import one

add(1, 2)
one()
"""

RUN_2 = """\
from pkg.calc import add, clamp, sign
from pkg.other import one, two

add(1, 2)
clamp(5, 0, 10)
clamp(-1, 0, 10)
sign(3)
one()
two()
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=git_env()
    )
    return done.stdout


def git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.org",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.org",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
    )
    return env


def measure(repo: Path, out: Path, *extra: str) -> None:
    """`coverage run --branch run.py` then `coverage json` (and any extra report command)."""
    env = dict(os.environ, COVERAGE_FILE=str(repo / ".coverage"))
    run = [sys.executable, "-m", "coverage"]
    subprocess.run([*run, "run", "--branch", "run.py"], cwd=repo, check=True, env=env)
    subprocess.run([*run, "json", "-q", "-o", str(out)], cwd=repo, check=True, env=env)
    for command in extra:  # e.g. "xml" for a Cobertura report beside the JSON
        target = out.with_suffix("." + command)
        subprocess.run([*run, command, "-q", "-o", str(target)], cwd=repo, check=True, env=env)


def make_project(root: Path, *extra: str) -> Path:
    """The repository at commit 2 (on branch `main`, commit 1 tagged `v1`), with
    `before.json` and `after.json` beside it; returns the repository."""
    repo = root / "repo"
    (repo / "pkg").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text(".coverage\n")
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "calc.py").write_text(CALC_1)
    (repo / "pkg" / "other.py").write_text(OTHER)
    (repo / "run.py").write_text(RUN_1)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    git(repo, "tag", "v1")
    measure(repo, root / "before.json", *extra)
    (repo / "pkg" / "calc.py").write_text(CALC_2)
    (repo / "run.py").write_text(RUN_2)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two")
    measure(repo, root / "after.json", *extra)
    return repo
