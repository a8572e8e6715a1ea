"""Compare two coverage snapshots: per file, totals, targets and the scope (pure)."""

from __future__ import annotations

from fnmatch import fnmatchcase

import msgspec

from reportgen.analysis.models import CoverageSnapshot, FileCoverage
from reportgen.analysis.numbers import Numbers, meets_threshold, threshold_precision, total
from reportgen.errors import SpecError, quote

ADDED, REMOVED, CHANGED, UNCHANGED = "added", "removed", "changed", "unchanged"


class FileDiff(msgspec.Struct, frozen=True):
    path: str
    state: str
    before: FileCoverage | None
    after: FileCoverage | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after.numbers.percent - self.before.numbers.percent


class CoverageDiff(msgspec.Struct, frozen=True):
    files: tuple[FileDiff, ...]  # ordered by path
    before: Numbers | None
    after: Numbers | None
    has_branches: bool


def diff_coverage(before: CoverageSnapshot | None, after: CoverageSnapshot | None) -> CoverageDiff:
    """Every file of either side with its state; totals of each side."""
    old = before.files if before else {}
    new = after.files if after else {}
    files = tuple(_file_diff(path, old.get(path), new.get(path)) for path in sorted({*old, *new}))
    return CoverageDiff(
        files=files,
        before=before.totals if before else None,
        after=after.totals if after else None,
        has_branches=bool((before and before.has_branches) or (after and after.has_branches)),
    )


def _file_diff(path: str, before: FileCoverage | None, after: FileCoverage | None) -> FileDiff:
    if before is None:
        state = ADDED
    elif after is None:
        state = REMOVED
    elif before.same_measurement(after):
        state = UNCHANGED
    else:
        state = CHANGED
    return FileDiff(path=path, state=state, before=before, after=after)


class Target(msgspec.Struct, frozen=True):
    """A coverage goal for a file or a glob of files: at least `min`, or gain `delta`."""

    pattern: str
    min: float | None = None
    delta: float | None = None


class Uncovered(msgspec.Struct, frozen=True):
    path: str
    lines: str
    function: str | None


class TargetResult(msgspec.Struct, frozen=True):
    target: Target
    paths: tuple[str, ...]
    before: Numbers | None
    after: Numbers | None
    holds: bool
    uncovered: tuple[Uncovered, ...]

    @property
    def name(self) -> str:
        """How reports name the target: the path it matched when that is one file (a bare
        `slug.py` reads as `src/pkg/slug.py`), else its pattern."""
        return self.paths[0] if len(self.paths) == 1 else self.target.pattern


def matches(pattern: str, path: str) -> bool:
    """A glob on the measured path; a bare name or tail ("config_manager.py") also matches."""
    return fnmatchcase(path, pattern) or fnmatchcase(path, "*/" + pattern.lstrip("/"))


def evaluate_target(target: Target, diff: CoverageDiff, precision: int) -> TargetResult:
    chosen = [f for f in diff.files if matches(target.pattern, f.path)]
    if not chosen:
        raise SpecError(f"target {quote(target.pattern)} matches no measured file")
    before = _sum([f.before for f in chosen])
    after = _sum([f.after for f in chosen])
    return TargetResult(
        target=target,
        paths=tuple(f.path for f in chosen),
        before=before,
        after=after,
        holds=target_holds(target, before, after, precision),
        uncovered=tuple(u for f in chosen if f.after for u in uncovered_of(f.after)),
    )


def _sum(items: list[FileCoverage | None]) -> Numbers | None:
    present = [i.numbers for i in items if i is not None]
    if not present:
        return None
    return total(present)


def target_holds(
    target: Target, before: Numbers | None, after: Numbers | None, precision: int
) -> bool:
    if after is None:
        return False
    if target.min is not None and not meets_threshold(after.percent, target.min, precision):
        return False
    if target.delta is not None:
        # The gain the report shows: the difference of the displayed percentages.
        shown = precision_for_delta(target.delta, precision)
        was = float(before.display(shown)) if before else 0.0
        if round(float(after.display(shown)) - was, shown) < target.delta:
            return False
    return True


def precision_for_delta(delta: float, precision: int) -> int:
    """Decimals a gain is judged at: the display's, or the threshold's own if more."""
    return threshold_precision(abs(delta), precision)


def uncovered_of(item: FileCoverage) -> list[Uncovered]:
    """The Missing column's items of one file, each with its enclosing function."""
    return [
        Uncovered(path=item.path, lines=text, function=item.enclosing(line))
        for line, text in item.missing_items()
    ]


class Scope(msgspec.Struct, frozen=True):
    """The overall area a milestone reports on, with an optional target range."""

    prefix: str
    min: float | None = None
    max: float | None = None


class ScopeResult(msgspec.Struct, frozen=True):
    scope: Scope
    before: Numbers | None
    after: Numbers | None
    holds: bool | None  # None when the scope has no target


def evaluate_scope(scope: Scope, diff: CoverageDiff, precision: int) -> ScopeResult:
    chosen = [f for f in diff.files if f.path.startswith(scope.prefix)]
    if not chosen:
        raise SpecError(f"scope {quote(scope.prefix)} matches no measured file")
    before = _sum([f.before for f in chosen])
    after = _sum([f.after for f in chosen])
    holds = None
    if scope.min is not None:
        holds = after is not None and meets_threshold(after.percent, scope.min, precision)
    return ScopeResult(scope=scope, before=before, after=after, holds=holds)
