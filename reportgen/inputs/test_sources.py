"""What a test says it checks: the first docstring line of a test function, from its source.

The file is found through the JUnit `file` attribute, else the classname's module path
(`tests.soak.test_x.TestY` -> `tests/soak/test_x.py`, class `TestY`), under the source root.
Everything here is untrusted: paths stay inside the root, only regular `.py` files of a sane
size are read, at most `MAX_FILES` of them, and the text is returned raw for the templates to
escape.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from reportgen.analysis.test_ids import module_of, split_parameters, split_test_id
from reportgen.analysis.test_run import TestRun

MAX_FILES = 100
MAX_BYTES = 1 << 20  # a test module larger than this is not parsed
MAX_DOC = 200  # characters kept of a docstring's first line


def docstrings_of(run: TestRun, ids: Iterable[str], root: str | Path) -> dict[str, str]:
    """{function id: first docstring line} for the tests `ids` of `run` found under `root`."""
    base = Path(root).resolve()
    modules: dict[Path, ast.Module | None] = {}
    docs: dict[str, str] = {}
    for test_id in ids:
        function_id = split_parameters(test_id)[0]
        if function_id in docs:
            continue
        classname, name = split_test_id(function_id)
        for path, classes in _candidates(run.file(test_id), classname, base):
            if path not in modules:
                if len(modules) >= MAX_FILES:
                    return docs
                modules[path] = _parse(path)
            tree = modules[path]
            doc = _docstring(tree, classes, name) if tree is not None else None
            if doc:
                docs[function_id] = doc
                break
    return docs


def _candidates(file: str, classname: str, base: Path) -> list[tuple[Path, list[str]]]:
    """(source file, enclosing class names) where a test may be defined, likeliest first."""
    found = []
    module = module_of(f"{classname}::x") if classname else ""
    classes = [c for c in classname[len(module) :].split(".") if c] if module else []
    if file:
        found.append((base / file, classes))
    if module and "::" not in classname:
        parts = module.split(".")
        found.append((base.joinpath(*parts[:-1], parts[-1] + ".py"), classes))
        # A lower-case class name (`tests.test_x.helpers_test`) is read as a module: try it
        # as the last class too.
        if len(parts) > 1:
            found.append((base.joinpath(*parts[:-2], parts[-2] + ".py"), [parts[-1], *classes]))
    return [(path, names) for path, names in found if _inside(path, base)]


def _inside(path: Path, base: Path) -> bool:
    try:
        return path.suffix == ".py" and path.resolve().is_relative_to(base)
    except (OSError, ValueError, RuntimeError):
        return False


def _parse(path: Path) -> ast.Module | None:
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return None
        return ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _docstring(tree: ast.Module, classes: list[str], name: str) -> str | None:
    body: list[ast.stmt] = tree.body
    for class_name in classes:
        cls = next((n for n in body if isinstance(n, ast.ClassDef) and n.name == class_name), None)
        if cls is None:
            return None
        body = cls.body
    function = next(
        (
            n
            for n in body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
        ),
        None,
    )
    if function is None:
        return None
    doc = ast.get_docstring(function) or ""
    line = next((part.strip() for part in doc.splitlines() if part.strip()), "")
    return line if len(line) <= MAX_DOC else line[: MAX_DOC - 1] + "…"
