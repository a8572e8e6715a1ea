"""Changed-lines (patch) coverage: coverage.py's figures restricted to the lines a diff adds.

Pure: the diff arrives parsed (`ChangeSet`), the coverage as snapshots. The counting
follows coverage.py's `Numbers` on a subset of each file: statements are the executed
and missing lines, branches the arcs (executed and missing) whose source line changed,
partial branches the missing arcs whose source line ran. Inputs that count branches per
line (Cobertura, LCOV) give the same sums from the changed lines' counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from posixpath import basename

import msgspec

from reportgen.analysis.coverage_diff import CHANGED, CoverageDiff, Uncovered
from reportgen.analysis.criteria import CriterionResult, fmt_threshold
from reportgen.analysis.models import Arc, CoverageSnapshot, FileCoverage
from reportgen.analysis.numbers import Numbers, meets_threshold, missing_items, total

# What the diff did to a file; only "added", "modified" and "renamed" files can add lines.
ADDED, MODIFIED, RENAMED, DELETED, BINARY = "added", "modified", "renamed", "deleted", "binary"


class ChangedFile(msgspec.Struct, frozen=True):
    """One file of a diff: its path after the change and the line numbers it adds there."""

    path: str
    status: str
    lines: tuple[int, ...]  # sorted target line numbers of "+" lines
    old_path: str | None = None


class ChangeSet(msgspec.Struct, frozen=True):
    """A parsed unified diff; `source` names it in messages."""

    source: str
    files: tuple[ChangedFile, ...]


class PatchFile(msgspec.Struct, frozen=True):
    """A measured file's changed-lines figures."""

    path: str  # as the coverage data names it
    diff_path: str  # as the diff names it
    numbers: Numbers
    missing_lines: tuple[int, ...]  # the changed statements not run
    missing: tuple[tuple[int, str], ...]  # the Missing column's items, each with its first line
    uncovered: tuple[Uncovered, ...]

    @property
    def missing_text(self) -> str:
        return ", ".join(text for _, text in self.missing)


class IndirectChange(msgspec.Struct, frozen=True):
    """A file the diff does not touch whose coverage moved anyway."""

    path: str
    before: Numbers
    after: Numbers

    @property
    def delta(self) -> float:
        return self.after.percent - self.before.percent


class PatchResult(msgspec.Struct, frozen=True):
    source: str
    files: tuple[PatchFile, ...]  # files with at least one changed statement, by path
    total: Numbers
    has_branches: bool
    unmeasured: tuple[str, ...]  # Python files the diff adds lines to, absent from the coverage
    ambiguous: tuple[str, ...]  # diff paths whose path suffix fits several measured files
    indirect: tuple[IndirectChange, ...]

    @property
    def percent(self) -> float | None:
        """coverage.py's percent over the changed statements; None when none changed."""
        if self.total.num_statements == 0:
            return None
        return self.total.percent

    def display(self, precision: int) -> str | None:
        if self.total.num_statements == 0:
            return None
        return self.total.display(precision)

    def holds(self, minimum: float, precision: int) -> bool:
        """The `[patch] min` criterion: a change without statements has nothing to miss."""
        pc = self.percent
        return pc is None or meets_threshold(pc, minimum, precision)


def _normal(path: str) -> str:
    return path.replace("\\", "/").removeprefix("./")


def _suffix_of(short: str, long: str) -> bool:
    return long == short or long.endswith("/" + short)


def match_paths(
    diff_paths: Iterable[str], measured: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """Each diff path's measured file: the same path, else the one file that is a path
    suffix of it (coverage ran in a subfolder) or has it as a suffix (absolute paths).

    Returns the matches (diff path -> measured path) and the diff paths that fit several.
    """
    measured = list(measured)
    exact = {_normal(p): p for p in measured}
    by_name: dict[str, list[str]] = {}
    for path in measured:
        by_name.setdefault(basename(_normal(path)), []).append(path)
    diff_paths = list(diff_paths)
    found: dict[str, str] = {}
    ambiguous: list[str] = []
    for diff_path in diff_paths:
        wanted = _normal(diff_path)
        if wanted in exact:
            found[diff_path] = exact[wanted]
    # A measured file is one file of the diff: one matched exactly is no other path's, and
    # one that fits several diff paths (two services' `pkg/x.py`) is none of theirs.
    claims: dict[str, list[str]] = {}
    for diff_path in diff_paths:
        if diff_path in found:
            continue
        wanted = _normal(diff_path)
        fits = [
            p
            for p in by_name.get(basename(wanted), ())
            if _suffix_of(_normal(p), wanted) or _suffix_of(wanted, _normal(p))
        ]
        free = [p for p in fits if p not in found.values()]
        if len(free) == 1:
            claims.setdefault(free[0], []).append(diff_path)
        elif len(free) > 1:
            ambiguous.append(diff_path)
    for measured_path, claimants in claims.items():
        if len(claimants) == 1:
            found[claimants[0]] = measured_path
        else:
            ambiguous.extend(claimants)
    ambiguous.sort(key=diff_paths.index)
    return found, ambiguous


def might_match(changes: ChangeSet) -> Callable[[str], bool]:
    """Whether a measured path could be one the diff adds lines to (the same path, or one a
    path suffix of the other): only those files keep their executed arcs and regions."""
    exact: set[str] = set()
    tails: set[str] = set()  # every shorter path a diff path ends with, "b/c.py" and "c.py"
    for change in changes.files:
        if change.lines:
            path = _normal(change.path)
            exact.add(path)
            at = path.find("/")
            while at != -1:
                tails.add(path[at + 1 :])
                at = path.find("/", at + 1)

    def wanted(path: str) -> bool:
        # Called once or twice per measured file: set lookups only, no candidate scans.
        if "\\" in path or path.startswith("./"):
            path = _normal(path)
        if path in exact or path in tails:
            return True
        at = path.find("/")
        while at != -1:
            if path[at + 1 :] in exact:
                return True
            at = path.find("/", at + 1)
        return False

    return wanted


def patch_file(item: FileCoverage, diff_path: str, changed: Sequence[int]) -> PatchFile | None:
    """The file's figures over `changed` lines; None when no changed line is a statement."""
    lines = set(changed)
    executed = item.executed_lines
    missing = item.missing_lines
    ran = [n for n in executed if n in lines]
    missed = [n for n in missing if n in lines]
    if not ran and not missed:
        return None
    branches = partial = missing_branches = 0
    missed_arcs: list[Arc] = []
    all_missing_arcs = item.missing_branches
    executed_arcs = item.executed_branches
    if all_missing_arcs is not None and executed_arcs is not None:
        missed_set = set(missed)
        missed_arcs = [a for a in all_missing_arcs if a[0] in lines]
        missing_branches = len(missed_arcs)
        branches = missing_branches + sum(1 for a in executed_arcs if a[0] in lines)
        partial = sum(1 for src, _ in missed_arcs if src not in missed_set)
    elif executed_arcs is None and (counted := item.line_branches) is not None:
        # Cobertura, LCOV: each changed line's branch counts give the same sums, arcs unnamed
        # (unless the input lists the missed ones).
        if all_missing_arcs is not None:
            missed_arcs = [a for a in all_missing_arcs if a[0] in lines]
        missed_set = set(missed)
        for line, (exits, taken) in counted.items():
            if line in lines:
                branches += exits
                missing_branches += exits - taken
                if line not in missed_set:
                    partial += exits - taken
    numbers = Numbers(
        num_statements=len(ran) + len(missed),
        num_missing=len(missed),
        num_branches=branches,
        num_partial_branches=partial,
        num_missing_branches=missing_branches,
    )
    # Ranges bridge only over lines that are no statement at all: an unchanged statement
    # between two changed ones ends a range, as the file's own Missing column would show it.
    statements = sorted({*executed, *missing})
    grouped: dict[int, list[int]] = {}
    for src, dst in sorted(missed_arcs):
        grouped.setdefault(src, []).append(dst)
    items = tuple(missing_items(statements, missed, sorted(grouped.items()) or None))
    uncovered = tuple(
        Uncovered(path=item.path, lines=text, function=item.enclosing(line)) for line, text in items
    )
    return PatchFile(
        path=item.path,
        diff_path=diff_path,
        numbers=numbers,
        missing_lines=tuple(missed),
        missing=items,
        uncovered=uncovered,
    )


def compute_patch(
    changes: ChangeSet,
    after: CoverageSnapshot,
    coverage: CoverageDiff | None = None,
) -> PatchResult:
    """The change's own coverage in `after`, and the files it moved without touching."""
    touched = [f for f in changes.files if f.lines and f.status != DELETED]
    found, ambiguous = match_paths([f.path for f in touched], after.files)
    files: list[PatchFile] = []
    for change in touched:
        measured = found.get(change.path)
        if measured is None:
            continue
        result = patch_file(after.files[measured], change.path, change.lines)
        if result is not None:
            files.append(result)
    files.sort(key=lambda f: f.path)
    unmeasured = tuple(
        f.path
        for f in touched
        if f.path not in found and f.path not in ambiguous and f.path.endswith(".py")
    )
    with_arcs = all(
        after.files[p].executed_branches is not None or after.files[p].line_branches is not None
        for p in found.values()
    )
    return PatchResult(
        source=changes.source,
        files=tuple(files),
        total=total(f.numbers for f in files),
        has_branches=after.has_branches and with_arcs,
        unmeasured=unmeasured,
        ambiguous=tuple(ambiguous),
        indirect=_indirect(coverage, _named_by(changes, coverage)) if coverage else (),
    )


def _named_by(changes: ChangeSet, coverage: CoverageDiff) -> set[str]:
    """The measured files the diff names at all: changed in any way (lines only removed,
    renamed, deleted), under either name, matched as the patch matches its files (an exact
    path first: a diff's `pkg/util.py` does not name a measured `util.py` beside it). A
    diff path several measured files fit names them all: none is called untouched."""
    diff_paths = sorted({p for f in changes.files for p in (f.path, f.old_path) if p})
    measured = [item.path for item in coverage.files]
    found, ambiguous = match_paths(diff_paths, measured)
    named = set(found.values())
    for diff_path in map(_normal, ambiguous):
        named.update(
            m
            for m in measured
            if _suffix_of(_normal(m), diff_path) or _suffix_of(diff_path, _normal(m))
        )
    return named


def _indirect(coverage: CoverageDiff, touched: set[str]) -> tuple[IndirectChange, ...]:
    """Files measured on both sides whose figures moved although the diff leaves them be."""
    moved = []
    for item in coverage.files:
        if item.state != CHANGED or item.path in touched:
            continue
        assert item.before is not None and item.after is not None
        if item.before.numbers != item.after.numbers:
            moved.append(IndirectChange(item.path, item.before.numbers, item.after.numbers))
    return tuple(moved)


def patch_criterion(result: PatchResult, minimum: float, precision: int) -> CriterionResult:
    """`[patch] min`: the changed statements (and branches) covered at least `minimum` %."""
    shown = result.display(precision)
    return CriterionResult(
        text=f"Changed lines covered ≥{fmt_threshold(minimum)}%",
        automatic=True,
        holds=result.holds(minimum, precision),
        achieved="no code changed" if shown is None else f"{shown}%",
    )
