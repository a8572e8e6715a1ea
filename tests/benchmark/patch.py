"""Source text for the synthetic modules, and the unified diff of the source changes between runs.

diff-cover reports on the lines a diff adds, so the benchmark hands it this diff (`--diff-file`)
instead of a repository with thousands of source files: edited modules gain their appended
functions, added modules appear whole, removed ones disappear. Files whose coverage moved only
because the tests changed are not in the diff, as in a real pull request.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tests.benchmark.codebase import Function, Module


def render_source(module: Module) -> list[str]:
    """One text per line of the module: code on statement lines, comments and blanks between."""
    text = [""] * module.num_lines
    for number in module.top:
        text[number - 1] = f"import module_{number}"
    for name, start in module.classes:
        text[start - 1] = f"class {name}:"
        for number in range(start + 1, start + 4):
            if number in module.top:
                text[number - 1] = f"    attribute_{number} = {number}"
    for function in module.functions:
        _render_function(function, text)
    return text


def _render_function(function: Function, text: list[str]) -> None:
    indent = "    " if function.owner else ""
    name = function.name.rsplit(".", 1)[-1]
    pragma = "  # pragma: no cover" if function.excluded else ""
    params = "self, value" if function.owner else "value"
    text[function.start - 1] = f"{indent}def {name}({params}):{pragma}"
    for number in range(function.start + 1, function.end + 1):
        text[number - 1] = f"{indent}    # continued"
    for number in function.plain:
        text[number - 1] = f"{indent}    value = step_{number}(value)"
    for branch in function.branches:
        text[branch.line - 1] = f"{indent}    if value > {branch.line}:"
        for number in branch.body:
            text[number - 1] = f"{indent}        value -= {number}"


def file_diff(before: Module | None, after: Module | None) -> str:
    """The `git diff -U0` text of one file ("" when its source did not change)."""
    if before is None and after is not None:
        return _whole(after.path, render_source(after), added=True)
    if after is None and before is not None:
        return _whole(before.path, render_source(before), added=False)
    if before is None or after is None or after.num_lines == before.num_lines:
        return ""
    lines = render_source(after)[before.num_lines :]
    start = before.num_lines + 1
    return (
        f"diff --git a/{after.path} b/{after.path}\n--- a/{after.path}\n+++ b/{after.path}\n"
        f"@@ -{before.num_lines},0 +{start},{len(lines)} @@\n" + _prefixed("+", lines)
    )


def _whole(path: str, lines: list[str], added: bool) -> str:
    if not lines:
        return ""
    if added:
        head = f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
        return head + f"@@ -0,0 +1,{len(lines)} @@\n" + _prefixed("+", lines)
    head = f"diff --git a/{path} b/{path}\ndeleted file mode 100644\n--- a/{path}\n+++ /dev/null\n"
    return head + f"@@ -1,{len(lines)} +0,0 @@\n" + _prefixed("-", lines)


def _prefixed(sign: str, lines: list[str]) -> str:
    return "".join(f"{sign}{line}\n" for line in lines)


def write_diff(path: Path, pairs: Iterable[tuple[Module | None, Module | None]]) -> int:
    """Write the diff of every (before, after) pair; return how many files it touches."""
    touched = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for before, after in pairs:
            text = file_diff(before, after)
            if text:
                out.write(text)
                touched += 1
    return touched
