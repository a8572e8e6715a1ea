"""The package's layout: imports point from the edge inward, never back up, and never in a cycle.

Every `import` statement counts, including those inside functions and under TYPE_CHECKING: a
lazy import is still a dependency. The README's map of the package is checked here too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "reportgen"

# Each part of the package and its layer: a module may import its own part and lower layers.
# Parts on one layer are siblings and do not import each other (outputs never reach into the
# inputs' readers, publishing never renders).
LAYERS = {
    "reportgen": 0,  # __init__: the version
    "reportgen.errors": 0,
    "reportgen.analysis": 1,
    "reportgen.inputs": 2,
    "reportgen.outputs": 2,
    "reportgen.publish": 2,
    "reportgen.commands": 3,
    "reportgen.cli": 4,
    "reportgen.__main__": 5,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, name: str) -> set[str]:
    """The reportgen modules that a file imports, resolved to module names."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            # `from reportgen.outputs import escape` imports a module, not a name.
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {m for m in found if m == "reportgen" or m.startswith("reportgen.")}


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in imports_of(path, name) if m in files and m != name}
        for name, path in files.items()
    }


def part_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def upward_imports(graph: Mapping[str, Iterable[str]], layers: Mapping[str, int]) -> list[str]:
    """`a -> b` for each import that leaves its part for a part not on a lower layer."""
    wrong = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            own, other = part_of(module), part_of(target)
            if own != other and layers[other] >= layers[own]:
                wrong.append(f"{module} -> {target}")
    return wrong


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module, or with a self-loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the package is small enough to recurse
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_part_has_a_layer() -> None:
    assert {part_of(m) for m in import_graph()} == set(LAYERS)


def test_no_import_points_upward() -> None:
    assert upward_imports(import_graph(), LAYERS) == []


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_checks_catch_what_they_are_for() -> None:
    """The two checks above fail on a planted upward import and a planted cycle."""
    graph = {
        "reportgen.analysis.step": {"reportgen.inputs.spec"},
        "reportgen.inputs.spec": {"reportgen.analysis.models"},
        "reportgen.analysis.models": {"reportgen.analysis.step"},
        "reportgen.outputs.context": {"reportgen.publish.github"},
    }
    assert upward_imports(graph, LAYERS) == [
        "reportgen.analysis.step -> reportgen.inputs.spec",
        "reportgen.outputs.context -> reportgen.publish.github",
    ]
    assert cycles(graph) == [
        ["reportgen.analysis.models", "reportgen.analysis.step", "reportgen.inputs.spec"]
    ]


def test_relative_and_lazy_imports_are_seen(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text(
        "def f():\n    from reportgen.inputs.spec import parse_spec\n"
        "from reportgen.outputs import escape\n",
        encoding="utf-8",
    )
    assert imports_of(source, "reportgen.outputs.x") >= {
        "reportgen.inputs.spec",
        "reportgen.outputs.escape",
    }


def test_readme_maps_every_folder_of_the_package() -> None:
    """The README's layout map has one line per folder, naming every module in it."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Layout\n(.*?)^## ", readme, re.S | re.M)
    if match is None:
        pytest.fail("README.md has no '## Layout' section")
    lines = dict(re.findall(r"^- `reportgen/(\w+)/`(.*)$", match.group(1), re.M))
    folders = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert set(lines) == folders
    for folder, line in lines.items():
        named = set(re.findall(r"`(\w+)`", line))
        modules = {p.stem for p in (PACKAGE / folder).glob("*.py")} - {"__init__"}
        assert modules <= named, f"reportgen/{folder}/: {sorted(modules - named)} not in the map"
