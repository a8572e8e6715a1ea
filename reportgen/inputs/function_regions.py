"""Functions of a Python source file delimited as coverage.py 7.6+ delimits them.

For coverage JSON older than 7.6, which has no `functions`: a function's lines run from
the first to the last line of its body (its docstring included, its decorators and `def`
line not), less the bodies of functions nested in it, which are functions of their own;
methods are named `Class.method`, nested functions `outer.inner`. With these lines the
figures computed from the file's lists equal coverage.py's own function summaries.
"""

from __future__ import annotations

import ast

from reportgen.analysis.models import Region

# Fields of a node that hold statements: where a def can appear.
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def function_regions_from_source(text: str) -> tuple[Region, ...] | None:
    """Each def with coverage.py's lines and qualified name; None when not parseable Python."""
    found: list[tuple[str, int, set[int]]] = []
    try:
        _visit(ast.parse(text), [], None, found)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    regions = (
        Region(kind="function", name=name, start_line=start, lines=frozenset(lines))
        for name, start, lines in found
    )
    return tuple(sorted(regions, key=lambda r: (r.start_line, r.name)))


def _visit(
    node: ast.AST,
    names: list[str],
    enclosing: set[int] | None,
    found: list[tuple[str, int, set[int]]],
) -> None:
    """Walk statement lists only; `enclosing` is the nearest function's lines, if any."""
    for field in _BODIES:
        for child in getattr(node, field, ()):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                first, last = child.body[0].lineno, child.body[-1].end_lineno or child.lineno
                lines = set(range(first, last + 1))
                if enclosing is not None:
                    enclosing -= lines  # a nested function's body is not its parent's
                found.append((".".join([*names, child.name]), child.lineno, lines))
                _visit(child, [*names, child.name], lines, found)
            elif isinstance(child, ast.ClassDef):
                _visit(child, [*names, child.name], enclosing, found)
            else:
                _visit(child, names, enclosing, found)


def docstring_lines(text: str) -> frozenset[int]:
    """The lines of docstrings, which coverage.py before 7.6 may list as executed though
    they are not statements (None of them is one in coverage.py 7.6+)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                found.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return frozenset(found)
