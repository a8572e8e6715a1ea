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
        _walk(ast.parse(text), (), found)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # too deep or not Python: uncovered lines stay unnamed
    return tuple(sorted(found, key=lambda r: (r.start_line, r.kind, r.name)))


def _walk(node: ast.AST, names: tuple[str, ...], found: list[Region]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            qualified = (*names, child.name)
            kind = "class" if isinstance(child, ast.ClassDef) else "function"
            end = child.end_lineno or child.lineno
            found.append(
                Region(
                    kind=kind,
                    name=".".join(qualified),
                    start_line=child.lineno,
                    lines=frozenset(range(child.lineno, end + 1)),
                )
            )
            _walk(child, qualified, found)
        else:
            _walk(child, names, found)
