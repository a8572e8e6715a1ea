"""Read the function regions of the files a report compares (at the edge: reads sources)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import msgspec

from reportgen.analysis.functions import FunctionRegions, needs_computing
from reportgen.analysis.models import CoverageSnapshot, FileCoverage, Region


def find_function_regions(
    before: CoverageSnapshot,
    after: CoverageSnapshot,
    raw_before: Mapping[str, msgspec.Raw],
    raw_after: Mapping[str, msgspec.Raw],
    extra: Callable[[str], bool],
    source_text: Callable[[str], str | None],
) -> tuple[FunctionRegions, set[str]]:
    """The regions of every file that differs between the runs (and of the files `extra`
    picks, the targets'), from coverage.py's `functions` when the JSON has them, else from
    the source file. Also the files whose figures need the executed branch arcs, which the
    caller reads again for them: only old or sharded JSON needs them."""
    from reportgen.inputs.coverage_json import function_regions
    from reportgen.inputs.function_regions import function_regions_from_source

    sides: dict[str, dict[str, tuple[Region, ...]]] = {"before": {}, "after": {}}
    unavailable: list[str] = []
    want_arcs: set[str] = set()
    for path in sorted({*before.files, *after.files}):
        old, new = before.files.get(path), after.files.get(path)
        if old is not None and new is not None and old.same_measurement(new) and not extra(path):
            continue
        found = True
        for name, snapshot, raw in (("before", before, raw_before), ("after", after, raw_after)):
            item = snapshot.files.get(path)
            if item is None:
                continue
            blob = raw.get(path)
            regions: tuple[Region, ...] | None
            if blob is not None:
                regions = function_regions(blob, snapshot.sources[0], path)
                if len(snapshot.sources) > 1:  # one shard's summaries are not the run's
                    regions = tuple(msgspec.structs.replace(r, numbers=None) for r in regions)
            elif name == "before" and new is not None and not _same_lines(item, new):
                # The source at hand is the after side's: it delimits the before side's
                # functions only when the measured lines are the same.
                regions = None
            else:
                text = source_text(path)
                regions = None if text is None else function_regions_from_source(text)
            if regions is None:
                found = False
                break
            if (
                needs_computing(regions)
                and item.numbers.num_branches
                and item.executed_branches is None
            ):
                want_arcs.add(path)
            sides[name][path] = regions
        if not found:
            unavailable.append(path)
            for side in sides.values():
                side.pop(path, None)
    return (
        FunctionRegions(
            before=sides["before"], after=sides["after"], unavailable=tuple(unavailable)
        ),
        want_arcs,
    )


def _same_lines(before: FileCoverage, after: FileCoverage) -> bool:
    """The same statements measured on both sides (executed or missed, either way)."""
    if before.numbers.num_statements != after.numbers.num_statements:
        return False
    return sorted([*before.executed_lines, *before.missing_lines]) == sorted(
        [*after.executed_lines, *after.missing_lines]
    )
