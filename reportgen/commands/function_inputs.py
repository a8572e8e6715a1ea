"""Find the functions of the files a report compares (at the edge: reads sources)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal

import msgspec

from reportgen.analysis.functions import FunctionRegions, FunctionSide
from reportgen.analysis.models import CoverageSnapshot, FileCoverage

# A stored before side's figures of a file: None when its input had none (the source at hand
# may delimit them), False when they are not known.
StoredSides = Callable[[str], tuple[FunctionSide, ...] | None | Literal[False]]

# Why a file's function figures are unavailable, as a report and an input error say it
# (plain text: the templates escape it).
NO_SOURCE = (
    "the coverage input has no function figures (coverage JSON before coverage.py 7.6,"
    " Cobertura, LCOV) and no matching source is under --source-root"
)
BAD_LISTS = (
    "the coverage input's lists do not hold exactly its counted statements and branches"
    " (coverage.py before 7.10)"
)
NO_PARSE = "the source under --source-root does not parse"
OTHER_LINES = (
    "the before run measured other lines than the after run, and the source under"
    " --source-root is the after run's only"
)
NOT_STORED = "the baseline snapshot holds no function figures for the file"


def find_functions(
    before: CoverageSnapshot,
    after: CoverageSnapshot,
    raw_before: Mapping[str, msgspec.Raw],
    raw_after: Mapping[str, msgspec.Raw],
    extra: Callable[[str], bool],
    source_text: Callable[[str], str | None],
    with_arcs: Callable[[CoverageSnapshot, CoverageSnapshot], tuple[CoverageSnapshot, ...]],
    stored_before: StoredSides | None = None,
) -> tuple[CoverageSnapshot, CoverageSnapshot, FunctionRegions]:
    """The functions of every file that differs between the runs (and of the files `extra`
    picks, the targets'): coverage.py's own function summaries when the JSON has them,
    else computed from the file's lists over the functions found in its source.

    Figures computed from the lists need the branch arcs that ran, which a parse keeps only
    when asked: `with_arcs(before, after)` reads both sides again keeping them for these
    files (only JSON before coverage.py 7.6, or shards, ever get there).

    `stored_before(path)` gives the before side's figures from a snapshot (see
    `side_functions`).
    """
    from reportgen.inputs.function_json import (
        function_regions_from_json,
        function_sides_from_json,
    )
    from reportgen.inputs.function_regions import docstring_lines, function_regions_from_source

    found: dict[str, dict[str, tuple[FunctionSide, ...]]] = {"before": {}, "after": {}}
    computed: dict[str, list[str]] = {"before": [], "after": []}
    regions_of: dict[tuple[str, str], tuple] = {}
    unavailable: dict[str, str] = {}
    for path in _differing(before, after, extra):
        old, new = before.files.get(path), after.files.get(path)
        ok = True
        why = ""
        for side, snapshot, raw, item in (
            ("before", before, raw_before, old),
            ("after", after, raw_after, new),
        ):
            if item is None:
                continue
            if side == "before" and stored_before is not None:
                stored = stored_before(path)
                if stored is False:
                    ok, why = False, NOT_STORED
                    break
                if stored is not None:
                    found[side][path] = stored
                    continue
            blob = raw.get(path)
            sides = None
            # One shard's function summaries are not the combined run's.
            if blob is not None and len(snapshot.sources) == 1:
                sides = function_sides_from_json(blob, snapshot.sources[0], path)
            if sides is not None:
                found[side][path] = sides
                continue
            if blob is None and side == "before" and new is not None and not _same_lines(item, new):
                # The source at hand is the after side's: it delimits the before side's
                # functions only when the measured lines are the same.
                # Without any source, that is the first reason to give.
                ok, why = False, OTHER_LINES if source_text(path) is not None else NO_SOURCE
                break
            skip: frozenset[int] = frozenset()
            text = None
            if blob is not None:  # shards: coverage.py's regions, figures from the merged lists
                regions = function_regions_from_json(blob, snapshot.sources[0], path)
            else:
                text = source_text(path)
                regions = None if text is None else function_regions_from_source(text)
                if text is not None and regions is not None:
                    skip = docstring_lines(text)
            if regions is None:
                ok, why = False, NO_SOURCE if text is None else NO_PARSE
                break
            regions_of[side, path] = (regions, skip)
            computed[side].append(path)
        if not ok:
            unavailable.setdefault(path, why)
            for side in found:
                found[side].pop(path, None)
                regions_of.pop((side, path), None)
    if regions_of:
        from reportgen.analysis.functions import function_sides

        need = any(
            (item := (before if side == "before" else after).files[path]).executed_branches is None
            and item.numbers.num_branches
            and item.line_branches is None
            for side, path in regions_of
        )
        if need:
            before, after = with_arcs(before, after)
        for (side, path), (regions, skip) in regions_of.items():
            item = (before if side == "before" else after).files[path]
            if not _lists_agree(item, skip):
                unavailable.setdefault(path, BAD_LISTS)
                continue
            found[side][path] = tuple(function_sides(item, regions, skip))
        for path in unavailable:
            for side in found:
                found[side].pop(path, None)
    return (
        before,
        after,
        FunctionRegions(
            before=found["before"],
            after=found["after"],
            unavailable=tuple(sorted(unavailable)),
            reasons=unavailable,
        ),
    )


def _differing(
    before: CoverageSnapshot, after: CoverageSnapshot, extra: Callable[[str], bool]
) -> list[str]:
    """Files of either side whose lists are not the same text (no list is decoded here)."""
    paths = []
    for path in sorted({*before.files, *after.files}):
        old, new = before.files.get(path), after.files.get(path)
        if (
            old is not None
            and new is not None
            and old.numbers == new.numbers
            and _same_lists(old, new)
            and not extra(path)
        ):
            continue
        paths.append(path)
    return paths


def _same_lists(before: FileCoverage, after: FileCoverage) -> bool:
    """The same list text; or, for a before side held otherwise (a snapshot), the same lists
    (coverage.py writes equal lists as equal text)."""
    if before.lines == after.lines:
        return True
    if type(before.lines) is type(after.lines):
        return False
    return (
        before.missing_lines == after.missing_lines
        and before.executed_lines == after.executed_lines
        and before.missing_branches == after.missing_branches
    )


def _same_lines(before: FileCoverage, after: FileCoverage) -> bool:
    """The same statements measured on both sides (executed or missed, either way)."""
    if before.numbers.num_statements != after.numbers.num_statements:
        return False
    return sorted([*before.executed_lines, *before.missing_lines]) == sorted(
        [*after.executed_lines, *after.missing_lines]
    )


def _lists_agree(item: FileCoverage, not_statements: frozenset[int]) -> bool:
    """Whether the file's lists hold exactly the counted statements and branches, so that
    figures narrowed from them are coverage.py's. coverage.py before 7.0 may list lines that
    are not statements as executed (docstrings, left out here), and before 7.10 arcs its
    branch count leaves out: then the file's function figures are not given."""
    n = item.numbers
    ran = sum(1 for line in item.executed_lines if line not in not_statements)
    if ran != n.num_statements - n.num_missing:
        return False
    if not n.num_branches:
        return True
    executed, missing = item.executed_branches, item.missing_branches
    if executed is None and (counted := item.line_branches) is not None:
        return sum(exits for exits, _ in counted.values()) == n.num_branches
    if executed is None or missing is None:
        return False
    return len(executed) + len(missing) == n.num_branches


def side_functions(
    coverage: CoverageSnapshot,
    raw: Mapping[str, msgspec.Raw],
    with_arcs: Callable[[CoverageSnapshot], CoverageSnapshot],
) -> dict[str, tuple[FunctionSide, ...] | Literal[False]]:
    """Every file's functions as `find_functions` finds them for a before side, for a
    snapshot: the files with function data in their input (`raw`), each with its figures
    or False when they cannot be found. The rest need the source a report has at hand."""
    from reportgen.errors import InputError, quote

    nothing = CoverageSnapshot(files={}, has_branches=coverage.has_branches, sources=())
    _, _, found = find_functions(
        coverage,
        nothing,
        raw,
        {},
        lambda path: True,
        lambda path: None,
        lambda before, after: (with_arcs(before), after),
    )
    result: dict[str, tuple[FunctionSide, ...] | Literal[False]] = {}
    for path in sorted(raw):
        sides = found.before.get(path)
        if sides is None:
            result[path] = False
            continue
        for side in sides:
            # Stored as a sorted list of distinct lines: a JSON listing one twice is refused.
            if len(set(side.missing_lines)) != len(side.missing_lines):
                raise InputError(
                    f"{coverage.sources[0]}: file {quote(path)}: function {quote(side.name)}"
                    " lists a missing line twice"
                )
        result[path] = sides
    return result
