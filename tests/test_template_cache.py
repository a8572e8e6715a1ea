"""The compiled-template cache: built-in templates only, beside reportgen's own bytecode only."""

from __future__ import annotations

import hashlib
import marshal
import pickle
from pathlib import Path

import jinja2
import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.outputs import render
from reportgen.outputs.index import build_index

DATA = Path(__file__).parent / "data" / "coverage"
BEFORE = str(DATA / "6.5.0" / "branch.json")
AFTER = str(DATA / "7.17.4" / "branch.json")
CONTEXT = {"index": build_index([])}
# Taken before any test runs: conftest points every test's cache at a folder of the session.
PACKAGE_CACHE_DIR = render.template_cache_dir


class Compiles:
    """Counts the templates an environment compiles from source."""

    def __init__(self, env: jinja2.Environment, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        original = env.compile

        def compile_counted(source, name=None, filename=None, *args, **kwargs):
            self.names.append(name)
            return original(source, name, filename, *args, **kwargs)

        monkeypatch.setattr(env, "compile", compile_counted)


def step_report(*extra: str, env: dict[str, str] | None = None) -> str:
    args = ["step", "--before", BEFORE, "--after", AFTER, "--date", "2025-10-27", *extra]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture
def writes_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    # The machine may set PYTHONDONTWRITEBYTECODE, which the cache obeys (tested below).
    monkeypatch.setattr("sys.dont_write_bytecode", False)


def test_cache_is_beside_reportgens_own_bytecode() -> None:
    """Not a folder the environment or the working directory names: where reportgen's code is."""
    assert PACKAGE_CACHE_DIR() == Path(render.__file__).resolve().parent.parent / "__pycache__"


@pytest.mark.usefixtures("writes_bytecode")
def test_a_run_reads_and_writes_that_folder(tmp_path: Path, monkeypatch) -> None:
    """The command line keeps its compiled templates where `template_cache_dir` says, and
    runs what it finds there (which is why only reportgen's own folder may be named)."""
    cache = tmp_path / "package-cache"
    monkeypatch.setattr(render, "template_cache_dir", lambda: cache)
    report = step_report()
    assert any(p.name.startswith("template-") for p in cache.iterdir())
    assert step_report() == report
    plant(cache, "step.md", "PLANTED CODE RAN\n")
    assert step_report() == "PLANTED CODE RAN\n"


@pytest.mark.usefixtures("writes_bytecode")
def test_second_environment_reads_the_cache(tmp_path: Path, monkeypatch) -> None:
    """The first run compiles and stores the built-in templates; the next only loads them."""
    cache = tmp_path / "cache"
    env = render.make_environment(None, cache)
    first = Compiles(env, monkeypatch)
    text = render.render(env, "index.md", CONTEXT)
    assert first.names == ["index.md"]
    entries = sorted(p.name for p in cache.iterdir())
    assert len(entries) == 1 and entries[0].startswith("template-")

    again = render.make_environment(None, cache)
    second = Compiles(again, monkeypatch)
    assert render.render(again, "index.md", CONTEXT) == text
    assert second.names == []
    assert render.render(render.make_environment(), "index.md", CONTEXT) == text  # uncached


def _filter_asking_for_the_context() -> dict:
    @jinja2.pass_context
    def md(context, value):
        return value

    return {**render.FILTERS, "md": md}


UPGRADES = {
    "jinja": ("jinja2.__version__", "9.9.9"),
    "reportgen": ("reportgen.__version__", "9.9.9"),
    "python": ("sys.implementation.cache_tag", "cpython-399"),
    "bytecode": ("importlib.util.MAGIC_NUMBER", b"\x00\x00\r\n"),
    "filter": ("reportgen.outputs.render.FILTERS", _filter_asking_for_the_context()),
    "setting": (
        "reportgen.outputs.render._WHITESPACE",
        {**render._WHITESPACE, "trim_blocks": False},
    ),
}


@pytest.mark.parametrize("upgrade", sorted(UPGRADES))
@pytest.mark.usefixtures("writes_bytecode")
def test_another_version_or_setting_compiles_afresh(
    upgrade: str, tmp_path: Path, monkeypatch
) -> None:
    """Code compiled under another reportgen, Jinja or Python, other settings or filters
    that take other arguments is never run."""
    cache = tmp_path / "cache"
    render.render(render.make_environment(None, cache), "index.md", CONTEXT)
    monkeypatch.setattr(*UPGRADES[upgrade])
    env = render.make_environment(None, cache)
    compiles = Compiles(env, monkeypatch)
    render.render(env, "index.md", CONTEXT)
    assert compiles.names == ["index.md"]
    assert len(list(cache.iterdir())) == 2


@pytest.mark.parametrize("cut", [5, 40, -30], ids=["in-magic", "in-checksum", "in-code"])
@pytest.mark.usefixtures("writes_bytecode")
def test_a_corrupt_entry_is_recompiled(cut: int, tmp_path: Path) -> None:
    """A damaged cache file is ignored: the template is compiled from its source again."""
    cache = tmp_path / "cache"
    first = render.render(render.make_environment(None, cache), "index.md", CONTEXT)
    for entry in cache.iterdir():
        entry.write_bytes(entry.read_bytes()[:cut] + b"\x00garbage")
    assert render.render(render.make_environment(None, cache), "index.md", CONTEXT) == first


@pytest.mark.usefixtures("writes_bytecode")
def test_user_templates_are_never_cached(tmp_path: Path, monkeypatch) -> None:
    """Templates from --templates (maybe from a pull request) are compiled, not stored."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "index.md").write_text("{% extends 'builtin/index.md' %}\n", encoding="utf-8")
    cache = tmp_path / "cache"
    env = render.make_environment(templates, cache)
    render.render(env, "index.md", CONTEXT)
    stored = list(cache.iterdir())
    assert len(stored) == 1  # the built-in it extends, not the user's file
    env = render.make_environment(templates, cache)
    compiles = Compiles(env, monkeypatch)
    render.render(env, "index.md", CONTEXT)
    assert compiles.names == ["index.md"]  # the user's template, compiled again
    assert list(cache.iterdir()) == stored


def test_pythondontwritebytecode_is_obeyed(tmp_path: Path, monkeypatch) -> None:
    """As with Python's own bytecode, nothing is written when PYTHONDONTWRITEBYTECODE is set."""
    monkeypatch.setattr("sys.dont_write_bytecode", True)
    cache = tmp_path / "cache"
    render.render(render.make_environment(None, cache), "index.md", CONTEXT)
    assert not cache.exists()


@pytest.mark.usefixtures("writes_bytecode")
def test_an_unwritable_cache_is_skipped(tmp_path: Path) -> None:
    """A cache path that cannot be made (a file is in the way) costs time, not the report."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    cached = render.render(render.make_environment(None, blocker / "cache"), "index.md", CONTEXT)
    assert cached == render.render(render.make_environment(), "index.md", CONTEXT)


def plant(folder: Path, name: str, output: str) -> None:
    """A well-formed cache entry for built-in `name` whose code prints `output`."""
    builtin = render.builtin_template_dir()
    env = render.make_environment(None, folder)
    cache = env.bytecode_cache
    source = (builtin / name).read_text(encoding="utf-8")
    key = cache.get_cache_key(name, str(builtin / name))
    code = env.compile(output, name, str(builtin / name))
    folder.mkdir(parents=True, exist_ok=True)
    with open(cache._get_cache_filename(jinja2.bccache.Bucket(env, key, "")), "wb") as entry:
        entry.write(jinja2.bccache.bc_magic)
        pickle.dump(hashlib.sha1(source.encode("utf-8")).hexdigest(), entry, 2)
        marshal.dump(code, entry)


@pytest.mark.usefixtures("writes_bytecode")
def test_no_folder_from_the_environment_or_the_repository_is_read(
    tmp_path: Path, monkeypatch
) -> None:
    """Cached code is run: entries planted where the environment or the working directory
    point (a checkout, a restored CI cache) are never loaded."""
    planted = tmp_path / "planted"
    plant(planted, "step.md", "PLANTED CODE RAN\n")
    assert rendered_step(planted) == "PLANTED CODE RAN\n"  # the plant is well-formed

    for folder in ("reportgen", ".cache/reportgen", "cache", "reports/templates/__pycache__"):
        plant(tmp_path / folder, "step.md", "PLANTED CODE RAN\n")
    monkeypatch.chdir(tmp_path)
    env = {
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(tmp_path),
        "REPORTGEN_CACHE_DIR": str(tmp_path / "cache"),
    }
    assert "PLANTED" not in step_report(env=env)


def rendered_step(cache: Path) -> str:
    env = render.make_environment(None, cache)
    return env.get_template("step.md").render()
