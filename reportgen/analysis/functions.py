"""Function-level coverage: each changed file's functions, before and after (pure).

Functions are matched by qualified name (`Class.method`, `outer.inner`), never by line, so a
function that moved keeps its history. A name defined more than once in a file (coverage.py
7.17 keys the later ones `name@line`) is matched by order of definition: the first `f`
before with the first `f` after, the second with the second, and so on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby

import msgspec

from reportgen.analysis.coverage_diff import (
    ADDED,
    CHANGED,
    REMOVED,
    UNCHANGED,
    FileDiff,
    Target,
    TargetResult,
    Uncovered,
    matches,
    target_holds,
)
from reportgen.analysis.models import FileCoverage, Region
from reportgen.analysis.numbers import Numbers, missing_items_sorted


class FunctionSide(msgspec.Struct, frozen=True):
    """One function in one run."""

    name: str  # as coverage.py keys it: `f`, or `f@18` for a later definition of `f`
    start_line: int
    numbers: Numbers
    missing_lines: Sequence[int]  # as listed (coverage.py lists them sorted)
    # For its Missing column, made only when a report shows it.
    executed_lines: Sequence[int] = ()
    missing_arcs: Sequence[tuple[int, int]] = ()

    @property
    def missing(self) -> str:
        """Its own Missing column, in `coverage report -m` style."""
        if not self.missing_lines and not self.missing_arcs:
            return ""
        arcs = [
            (src, [dst for _, dst in group])
            for src, group in groupby(sorted(self.missing_arcs), key=lambda a: a[0])
        ]
        items = missing_items_sorted(sorted(self.executed_lines), sorted(self.missing_lines), arcs)
        return ", ".join(text for _, text in items)


class FunctionDiff(msgspec.Struct, frozen=True):
    name: str
    state: str
    before: FunctionSide | None
    after: FunctionSide | None


class FileFunctions(msgspec.Struct, frozen=True):
    path: str
    functions: tuple[FunctionDiff, ...]  # in the after file's order, removed ones last


class FunctionRegions(msgspec.Struct, frozen=True):
    """The functions found on each side of the files that need them, with their figures."""

    before: Mapping[str, tuple[FunctionSide, ...]]
    after: Mapping[str, tuple[FunctionSide, ...]]
    # Files of the report whose functions could not be found (old JSON, no source at hand).
    unavailable: tuple[str, ...] = ()
    # Why, by file (see `reportgen.commands.function_inputs`).
    reasons: Mapping[str, str] = {}


class FunctionsResult(msgspec.Struct, frozen=True):
    files: Mapping[str, FileFunctions]
    unavailable: tuple[str, ...]
    reasons: Mapping[str, str] = {}

    def why(self, path: str) -> str:
        return self.reasons.get(path, "its function figures could not be found")


def function_sides(
    item: FileCoverage, regions: Sequence[Region], not_statements: frozenset[int] = frozenset()
) -> list[FunctionSide]:
    """Each function's figures computed as coverage.py narrows a file's analysis to the
    function's lines (for JSON without coverage.py's own function summaries)."""
    ordered = sorted(regions, key=lambda r: r.start_line)
    # coverage.py's function regions share no line: one pass over each list sorts it out.
    owner = {line: index for index, region in enumerate(ordered) for line in region.lines}
    ran: list[list[int]] = [[] for _ in ordered]
    missed: list[list[int]] = [[] for _ in ordered]
    lost: list[list[tuple[int, int]]] = [[] for _ in ordered]
    taken = [0] * len(ordered)
    for line in item.executed_lines:
        if line in not_statements:  # a docstring an old coverage.py listed as run
            continue
        if (index := owner.get(line)) is not None:
            ran[index].append(line)
    for line in item.missing_lines:
        if (index := owner.get(line)) is not None:
            missed[index].append(line)
    for arc in item.missing_branches or ():
        if (index := owner.get(arc[0])) is not None:
            lost[index].append(arc)
    for arc in item.executed_branches or ():
        if (index := owner.get(arc[0])) is not None:
            taken[index] += 1
    # Inputs counting branches per line (Cobertura, LCOV) give the same sums coverage.py
    # narrows to a function: its branches, and the missed ones, from executed lines or not.
    counted = item.line_branches if item.executed_branches is None else None
    per_line = [[0, 0, 0] for _ in ordered]  # branches, partial, missing
    if counted is not None:
        missed_lines = set(item.missing_lines)
        for line, (exits, hit) in counted.items():
            if (index := owner.get(line)) is not None:
                sums = per_line[index]
                sums[0] += exits
                sums[2] += exits - hit
                if line not in missed_lines:
                    sums[1] += exits - hit
    figures = []
    for index, region in enumerate(ordered):
        lost_arcs = lost[index]
        if counted is not None:
            branches, partial, missing = per_line[index]
        else:
            branches = len(lost_arcs) + taken[index]
            partial = len({a[0] for a in lost_arcs} - set(missed[index]))
            missing = len(lost_arcs)
        numbers = Numbers(
            num_statements=len(ran[index]) + len(missed[index]),
            num_missing=len(missed[index]),
            num_branches=branches,
            num_partial_branches=partial,
            num_missing_branches=missing,
        )
        figures.append((region, numbers, index))
    # coverage.py's keys: of same-named functions, the first with statements keeps the name;
    # the others, and statement-less ones beside it, get "@<def line>".
    with_statements = {r.name for r, numbers, _ in figures if numbers.num_statements}
    taken_names: set[str] = set()
    sides = []
    for region, numbers, index in figures:
        name = region.name
        if name in taken_names or (name in with_statements and not numbers.num_statements):
            name = f"{name}@{region.start_line}"
        taken_names.add(name)
        sides.append(
            FunctionSide(
                name=name,
                start_line=region.start_line,
                numbers=numbers,
                missing_lines=missed[index],
                executed_lines=ran[index],
                missing_arcs=lost[index],
            )
        )
    return sides


def diff_functions(
    before: Sequence[FunctionSide], after: Sequence[FunctionSide]
) -> tuple[FunctionDiff, ...]:
    """Match by qualified name. Among namesakes, the one coverage.py keys by the bare name
    (the first definition with statements) matches its namesake; the `name@line` ones match
    in order of definition, whatever their lines."""
    if not any("@" in side.name for side in (*before, *after)):
        # No namesakes (the common case): every key is the qualified name itself.
        by_name = {side.name: side for side in before}
        result = []
        for side in after:
            was = by_name.pop(side.name, None)
            if was is None:
                result.append(FunctionDiff(side.name, ADDED, None, side))
            else:
                state = UNCHANGED if _same(was, side) else CHANGED
                result.append(FunctionDiff(side.name, state, was, side))
        result.extend(FunctionDiff(gone.name, REMOVED, gone, None) for gone in by_name.values())
        return tuple(result)
    old: dict[str, list[FunctionSide]] = {}
    for side in before:
        old.setdefault(_base(side.name), []).append(side)
    paired: dict[int, FunctionSide] = {}  # id of an after side -> its before side
    new: dict[str, list[FunctionSide]] = {}
    for side in after:
        new.setdefault(_base(side.name), []).append(side)
    for base, sides in new.items():
        was = old.get(base, [])
        plain_old = [s for s in was if s.name == base]
        plain_new = [s for s in sides if s.name == base]
        if plain_old and plain_new:
            paired[id(plain_new[0])] = plain_old[0]
        rest_old = [s for s in was if s.name != base or not plain_new]
        rest_new = [s for s in sides if s.name != base or not plain_old]
        for a, b in zip(rest_new, rest_old, strict=False):
            paired[id(a)] = b
    used = {id(b) for b in paired.values()}
    result = []
    for side in after:
        was = paired.get(id(side))
        if was is None:
            result.append(FunctionDiff(side.name, ADDED, None, side))
        else:
            state = UNCHANGED if _same(was, side) else CHANGED
            result.append(FunctionDiff(side.name, state, was, side))
    for side in before:
        if id(side) not in used:
            result.append(FunctionDiff(side.name, REMOVED, side, None))
    return tuple(result)


def _base(name: str) -> str:
    base, _, suffix = name.rpartition("@")
    return base if base and suffix.isdigit() else name


def _same(before: FunctionSide, after: FunctionSide) -> bool:
    """Same figures and the same missed lines relative to the `def` (a pure move)."""
    if before.numbers != after.numbers:
        return False
    if not before.numbers.num_missing:
        return True
    shift = after.start_line - before.start_line
    return sorted(n + shift for n in before.missing_lines) == sorted(after.missing_lines)


def compare_functions(files: Iterable[FileDiff], found: FunctionRegions) -> FunctionsResult:
    """Function figures of every file whose functions were found on each side it has."""
    result = {}
    for item in files:
        if item.state == UNCHANGED and item.path not in found.after:
            continue
        before = found.before.get(item.path)
        after = found.after.get(item.path)
        if (item.before is not None and before is None) or (
            item.after is not None and after is None
        ):
            continue
        result[item.path] = FileFunctions(item.path, diff_functions(before or (), after or ()))
    return FunctionsResult(files=result, unavailable=found.unavailable, reasons=found.reasons)


def lost_coverage(result: FunctionsResult) -> list[tuple[str, FunctionDiff]]:
    """Changed functions whose percent fell, largest fall first."""
    lost = [
        (path, f)
        for path, item in result.files.items()
        for f in item.functions
        if f.state == CHANGED
        and f.before is not None
        and f.after is not None
        and f.after.numbers.percent < f.before.numbers.percent
    ]
    return sorted(
        lost,
        key=lambda pf: (
            pf[1].after.numbers.percent - pf[1].before.numbers.percent,  # type: ignore[union-attr]
            pf[0],
            pf[1].after.start_line,  # type: ignore[union-attr]
        ),
    )


def new_not_covered(result: FunctionsResult) -> list[tuple[str, FunctionDiff]]:
    """Added functions that are not fully covered, by file and line."""
    return [
        (path, f)
        for path, item in sorted(result.files.items())
        for f in item.functions
        if f.state == ADDED and f.after is not None and f.after.numbers.percent < 100.0
    ]


def evaluate_function_target(
    target: Target, result: FunctionsResult | None, precision: int
) -> TargetResult:
    """A `FILE::FUNCTION` target, judged as a file target on the function's figures."""
    from reportgen.errors import SpecError, quote

    pattern, _, name = target.pattern.partition("::")
    if result is None:
        raise SpecError(
            f"target {quote(target.pattern)}: a function target needs the coverage of both runs"
            " (--before and --after)"
        )
    hits = [
        (path, f)
        for path, item in result.files.items()
        if matches(pattern, path)
        for f in item.functions
        if f.name == name
    ]
    # A file in scope without figures could hold the function: never judged without it.
    missing = [p for p in result.unavailable if matches(pattern, p)]
    if missing:
        raise SpecError(
            f"target {quote(target.pattern)}: function figures are unavailable for"
            f" {quote(missing[0])}:"
            f" {result.why(missing[0])}"
        )
    if not hits:
        raise SpecError(f"target {quote(target.pattern)} matches no measured function")
    if len(hits) > 1:
        raise SpecError(
            f"target {quote(target.pattern)} matches {len(hits)} functions"
            f" ({', '.join(p for p, _ in hits[:3])}); name its file more fully"
        )
    path, found = hits[0]
    before = found.before.numbers if found.before else None
    after = found.after.numbers if found.after else None
    missing_text = found.after.missing if found.after else ""
    return TargetResult(
        target=target,
        paths=(f"{path}::{found.name}",),
        before=before,
        after=after,
        holds=target_holds(target, before, after, precision),
        uncovered=tuple(
            Uncovered(path=path, lines=item, function=found.name)
            for item in missing_text.split(", ")
            if item
        ),
    )


__all__ = [
    "ADDED",
    "CHANGED",
    "REMOVED",
    "UNCHANGED",
    "FileFunctions",
    "FunctionDiff",
    "FunctionRegions",
    "FunctionSide",
    "FunctionsResult",
    "compare_functions",
    "diff_functions",
    "evaluate_function_target",
    "function_sides",
    "lost_coverage",
    "new_not_covered",
]
