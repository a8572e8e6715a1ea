"""What coverage.py's analysis says about a synthetic module after a run, file and region alike.

Only branch arcs are modelled (those are all coverage.py's reports show): each branch line has
two possible arcs, and an arc is missing when the run did not take it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.benchmark.codebase import Function, Module, Run

Arc = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Lines:
    """The measured facts about some lines of a file, in coverage.py's sorted order."""

    executed: tuple[int, ...]
    missing: tuple[int, ...]
    excluded: tuple[int, ...]
    executed_arcs: tuple[Arc, ...]
    missing_arcs: tuple[Arc, ...]
    # Missing arcs whose source line ran: what coverage.py 7.17 counts as n_partial_branches.
    partial: int

    @property
    def statements(self) -> int:
        return len(self.executed) + len(self.missing)

    @property
    def branches(self) -> int:
        return len(self.executed_arcs) + len(self.missing_arcs)


@dataclass(frozen=True, slots=True)
class Region:
    """A function or class region (or the `""` region of what lies outside them)."""

    name: str
    start: int
    lines: Lines


@dataclass(frozen=True, slots=True)
class FileAnalysis:
    """A whole file and its two region kinds, as coverage's JSON report lists them."""

    whole: Lines
    functions: tuple[Region, ...]
    classes: tuple[Region, ...]


EMPTY = Lines((), (), (), (), (), 0)


def analyse(module: Module, run: Run) -> FileAnalysis:
    """Measure `module` after `run`."""
    top = top_lines(module, run)
    per_function = [(f, function_lines(f, run)) for f in module.functions]
    outside_classes = merge([top] + [lines for f, lines in per_function if not f.owner])
    return FileAnalysis(
        whole=merge([top] + [lines for _, lines in per_function]),
        functions=tuple(Region(f.name, f.start, lines) for f, lines in per_function)
        + (Region("", 1, top),),
        classes=tuple(_class_regions(module, per_function)) + (Region("", 1, outside_classes),),
    )


def top_lines(module: Module, run: Run) -> Lines:
    """The module-level statements: all executed when the module was imported."""
    executed, missing = (module.top, ()) if run.imported else ((), module.top)
    return Lines(executed, missing, module.excluded_top, (), (), 0)


def function_lines(function: Function, run: Run) -> Lines:
    """A function body: plain statements run when it is called, branch bodies when entered."""
    if function.excluded:
        return Lines((), (), function.statements, (), (), 0)
    called = function.name in run.called
    executed: list[int] = list(function.plain) if called else []
    executed_arcs: list[Arc] = []
    missing_arcs: list[Arc] = []
    for branch in function.branches:
        into = called and branch.line in run.entered
        past = called and branch.line in run.passed
        executed.extend(branch.body if into else ())
        (executed_arcs if into else missing_arcs).append((branch.line, branch.body[0]))
        (executed_arcs if past else missing_arcs).append((branch.line, branch.other))
    ran = frozenset(executed)
    return Lines(
        executed=tuple(sorted(executed)),
        missing=tuple(n for n in function.statements if n not in ran),
        excluded=(),
        executed_arcs=tuple(sorted(executed_arcs)),
        missing_arcs=tuple(sorted(missing_arcs)),
        partial=sum(1 for arc in missing_arcs if arc[0] in ran),
    )


def merge(parts: list[Lines]) -> Lines:
    """The facts of several disjoint sets of lines taken together."""
    if len(parts) == 1:
        return parts[0]
    return Lines(
        executed=tuple(sorted(n for p in parts for n in p.executed)),
        missing=tuple(sorted(n for p in parts for n in p.missing)),
        excluded=tuple(sorted(n for p in parts for n in p.excluded)),
        executed_arcs=tuple(sorted(a for p in parts for a in p.executed_arcs)),
        missing_arcs=tuple(sorted(a for p in parts for a in p.missing_arcs)),
        partial=sum(p.partial for p in parts),
    )


def _class_regions(module: Module, per_function: list[tuple[Function, Lines]]) -> list[Region]:
    """A class region is the bodies of its methods, as coverage.py's region finder has it."""
    regions = []
    for name, start in module.classes:
        methods = [lines for f, lines in per_function if f.owner == name]
        regions.append(Region(name, start, merge([EMPTY] + methods)))
    return regions
