"""A tiny project measured for real on its main line and on a pull-request branch, in a
git repository whose `origin` is a bare repository: the baselines tests' data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.patch_project import git, git_env

SHAPES_1 = """\
def area(w, h):
    if w < 0 or h < 0:
        raise ValueError("negative")
    return w * h


def perimeter(w, h):
    return 2 * (w + h)


class Box:
    def __init__(self, w):
        self.w = w

    def volume(self):
        if self.w > 10:
            return "big"
        return self.w ** 3
"""

SHAPES_2 = (
    SHAPES_1
    + """

def scale(w, factor):
    if factor == 0:
        return 0
    if factor < 0:
        raise ValueError("negative")
    return w * factor
"""
)

TESTS_1 = """\
from pkg.shapes import Box, area, perimeter


def test_area():
    assert area(2, 3) == 6


def test_perimeter():
    assert perimeter(1, 1) == 5, "off by one"


def test_box():
    assert Box(2).volume() == 8


def test_gone():
    assert True
"""

TESTS_2 = """\
import pytest

from pkg.shapes import Box, area, perimeter, scale


def test_area():
    assert area(2, 3) == 6


def test_perimeter():
    assert perimeter(1, 1) == 4


def test_box():
    assert Box(2).volume() == 8


def test_negative():
    with pytest.raises(ValueError):
        area(-1, 2)


def test_scale():
    assert scale(2, 3) == 5, "scaled wrong"
"""


def measure(repo: Path, name: str) -> tuple[Path, Path]:
    """`coverage run --branch -m pytest --junitxml`, then `coverage json`: (json, junit)."""
    out = repo.parent / "runs"
    out.mkdir(exist_ok=True)
    cov, junit = out / f"{name}.json", out / f"{name}.xml"
    env = dict(os.environ, COVERAGE_FILE=str(repo.parent / ".coverage"))
    run = [sys.executable, "-m", "coverage"]
    subprocess.run(
        [*run, "run", "--branch", "--source=pkg", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + [f"--junitxml={junit}", "tests"],
        cwd=repo,
        env=env,
        capture_output=True,
        check=False,  # a test fails on purpose
    )
    subprocess.run([*run, "json", "-q", "-o", str(cov)], cwd=repo, env=env, check=True)
    return cov, junit


def make_repo(root: Path) -> Path:
    """`root/repo` on `main` at the first commit, pushed to the bare `root/origin.git`."""
    repo = root / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "tests").mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text("__pycache__/\n")
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "shapes.py").write_text(SHAPES_1)
    (repo / "tests" / "__init__.py").write_text("")
    (repo / "tests" / "test_shapes.py").write_text(TESTS_1)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    git(root, "init", "-q", "--bare", "-b", "main", "origin.git")
    git(repo, "remote", "add", "origin", str(root / "origin.git"))
    git(repo, "push", "-q", "origin", "main")
    git(repo, "remote", "set-head", "origin", "main")
    return repo


def change_on_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "pkg" / "shapes.py").write_text(SHAPES_2)
    (repo / "tests" / "test_shapes.py").write_text(TESTS_2)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two")


def reportgen(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """The installed command line, run in `cwd` without any GitHub variables."""
    environment = {k: v for k, v in git_env().items() if not k.startswith("GITHUB_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "reportgen", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def json_report(cwd: Path, *args: str) -> dict[str, Any]:
    done = reportgen(cwd, "step", *args, "--format", "json", "--exit-zero")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
