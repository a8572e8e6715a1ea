"""The built wheel works on its own: templates inside, `reportgen step` outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
    )
    (found,) = out.glob("reportgen-*.whl")
    return found


def test_wheel_ships_templates(wheel: Path) -> None:
    """Every built-in template is inside the wheel, under the package."""
    names = zipfile.ZipFile(wheel).namelist()
    for template in sorted(p.name for p in (ROOT / "templates").iterdir() if p.is_file()):
        assert f"reportgen/templates/{template}" in names


def test_installed_wheel_rebuilds_example(
    wheel: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed into a fresh virtualenv, run outside the checkout, it rebuilds the example;
    the benchmark prepares that installed copy even when run from the checkout."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True)
    spec = ROOT / "reports" / "m3" / "step1.toml"
    archived = ROOT / "reports" / "m3" / "p0-4-milestone-3--step-1.md"
    done = subprocess.run(
        [str(env_dir / "bin" / "reportgen"), "step", "--spec", str(spec), "--exit-zero"],
        cwd=tmp_path,
        capture_output=True,
        check=True,
    )
    assert done.stdout == archived.read_bytes()

    from tests.benchmark.run import byte_compile

    monkeypatch.chdir(ROOT)  # where a `reportgen` folder would shadow the installed one
    folder = Path(byte_compile(str(env_dir / "bin" / "reportgen")))
    assert folder.is_relative_to(env_dir) and (folder / "templates").is_dir()
    assert list((folder / "__pycache__").glob("template-*.jinja"))
