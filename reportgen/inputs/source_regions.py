"""Functions and classes from a Python source file, for coverage JSON older than 7.6."""

from __future__ import annotations

import ast

from reportgen.analysis.models import Region


def regions_from_source(text: str) -> tuple[Region, ...] | None:
    """Each def and class with its lines, named as coverage.py names them ("Class.method").

    None when the text is not Python that this interpreter can parse.
    """
    found: list[Region] = []
    try:
        _walk(ast.parse(text), [], found)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # too deep or not Python: uncovered lines stay unnamed
    return tuple(sorted(found, key=lambda r: (r.start_line, r.kind, r.name)))


_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _walk(node: ast.AST, context: list[tuple[str, str, set[int]]], found: list[Region]) -> None:
    """As coverage.py's own region finder delimits them: a function is its body's lines (its
    `def` and decorators belong to the code around it), less nested functions; a class is
    its methods' lines, less nested classes."""
    for field in _BODIES:
        for child in getattr(node, field, ()):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = set(range(child.body[0].lineno, (child.body[-1].end_lineno or 0) + 1))
                if context and context[-1][0] == "class":
                    context[-1][2].update(lines)
                for kind, _, outer in reversed(context):
                    if kind == "function":
                        outer.difference_update(lines)
                        break
                _enter(child, "function", lines, context, found)
            elif isinstance(child, ast.ClassDef):
                lines = set()
                _enter(child, "class", lines, context, found)
                for kind, _, outer in reversed(context):
                    if kind == "class":
                        outer.difference_update(lines)
                        break
            else:
                _walk(child, context, found)


def _enter(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
    kind: str,
    lines: set[int],
    context: list[tuple[str, str, set[int]]],
    found: list[Region],
) -> None:
    context.append((kind, node.name, lines))
    _walk(node, context, found)
    name = ".".join(name for _, name, _ in context)
    context.pop()
    # Frozen last: nested regions found inside have taken their lines out by now.
    found.append(Region(kind=kind, name=name, start_line=node.lineno, lines=frozenset(lines)))
