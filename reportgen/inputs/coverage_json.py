"""Read coverage.py JSON reports (coverage 5.x to 7.17) and combine shards.

What a file holds is told by its keys, not by `meta.format`: 7.12-7.17 added
keys and kept format 3. msgspec decodes only the fields named below and skips
the rest (contexts, per-region summaries) in C; functions and classes are kept
raw and decoded only for the files that need them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, NamedTuple

import msgspec

from reportgen.analysis.models import Arc, CoverageSnapshot, FileCoverage, Region
from reportgen.analysis.numbers import Count, Numbers
from reportgen.errors import InputError, quote

# coverage.py keeps line numbers in 64-bit SQLite integers; a longer number is not a line, and
# one of thousands of digits would not even convert to int (Python's 4,300-digit limit).
MAX_DIGITS = 18
LineNo = Annotated[int, msgspec.Meta(ge=0, le=10**MAX_DIGITS - 1)]


class _Region(msgspec.Struct):
    executed_lines: list[LineNo] = []
    missing_lines: list[LineNo] = []
    excluded_lines: list[LineNo] = []
    start_line: LineNo | None = None


class _Summary(msgspec.Struct):
    """A file's `summary`: the counts reportgen uses, and the two it only checks."""

    num_statements: Count
    missing_lines: Count
    num_branches: Count = 0
    num_partial_branches: Count = 0
    missing_branches: Count = 0
    # Absent from hand-made reports; when present they must agree with the counts above.
    covered_lines: Count | None = None
    covered_branches: Count | None = None


class _File(msgspec.Struct):
    # The line lists, kept as JSON text: only the files a report shows or compares line by
    # line decode them, and the rest cost no Python objects (checked in `parse_coverage_json`).
    executed_lines: msgspec.Raw
    missing_lines: msgspec.Raw
    summary: _Summary
    missing_branches: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    # Kept undecoded (an empty Raw when absent): only target files need them.
    functions: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    classes: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)


class _FileArcs(_File):
    # Read only when changed-lines coverage is asked for: the branch arcs that ran.
    executed_branches: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)


class _Meta(msgspec.Struct):
    branch_coverage: bool | None = None


class _Report(msgspec.Struct):
    files: dict[str, _File]
    meta: _Meta | None = None


class _ReportArcs(msgspec.Struct):
    files: dict[str, _FileArcs]
    meta: _Meta | None = None


_DECODER = msgspec.json.Decoder(_Report)
# A second decoder, so that a run without a diff decodes exactly what it did before.
_DECODER_ARCS = msgspec.json.Decoder(_ReportArcs)
_REGIONS_DECODER = msgspec.json.Decoder(dict[str, _Region])
# No bounds: the shape checks below already proved these lists valid, so decoding them late,
# for the few files a report shows, cannot fail (and no output format accepts what another
# refuses).
_LINES_DECODER = msgspec.json.Decoder(list[int])
_LINE_SET_DECODER = msgspec.json.Decoder(set[int])
_ARCS_DECODER = msgspec.json.Decoder(list[tuple[int, int]])
# Valid JSON (msgspec checked it) that keeps only "[]" without these characters is a list of
# non-negative integers; one that keeps "[[,],[,]]" without the sign too is a list of pairs.
_LINE_LIST_CHARS = b"0123456789, \t\n\r"
_ARC_CHARS = b"0123456789- \t\n\r"
_NINES = bytes.maketrans(b"012345678", b"999999999")
_TOO_LONG = b"9" * (MAX_DIGITS + 1)


def _is_line_list(text: bytes) -> bool:
    return text.translate(None, _LINE_LIST_CHARS) == b"[]"


def _long_number_error(path: str, lists: dict[str, bytes], source: str) -> InputError:
    key = next(key for key, text in lists.items() if _TOO_LONG in text.translate(_NINES))
    return InputError(
        f"{source}: not a coverage.py JSON report (file {quote(path)}: {key} holds a"
        f" number of more than {MAX_DIGITS} digits, not a line number)"
    )


def _count_items(text: bytes) -> int:
    """The items of a list that `_is_line_list` accepted: JSON has no empty items."""
    commas = text.count(b",")
    if commas:
        return commas + 1
    return 1 if text.strip(b"[] \t\n\r") else 0


def _arc_pairs(text: bytes) -> int | None:
    """The pairs of a list of line pairs (None when it is not one)."""
    shape = text.translate(None, _ARC_CHARS)
    pairs = shape.count(b"[") - 1
    if pairs <= 0:  # an empty list, nothing in it
        return 0 if text.translate(None, b" \t\n\r") == b"[]" else None
    return pairs if shape == b"[[,]" + b",[,]" * (pairs - 1) + b"]" else None


class _JsonLines(msgspec.Struct, frozen=True, eq=False):
    """A file's line lists as JSON text (shape checked), decoded each time they are asked for.

    Equal text on both sides of a diff is equal data, so unchanged files are never decoded;
    the decoded lists are not kept, so memory holds only the compact text.
    """

    executed_json: bytes
    missing_json: bytes
    arcs_json: bytes  # empty when the file has no per-arc list
    executed_arcs_json: bytes = b""  # empty unless kept for changed-lines coverage

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _JsonLines):
            return NotImplemented
        return (
            self.missing_json == other.missing_json
            and self.executed_json == other.executed_json
            and self.arcs_json == other.arcs_json
        )

    def __hash__(self) -> int:
        return hash((self.executed_json, self.missing_json, self.arcs_json))

    def executed(self) -> list[int]:
        return sorted(_LINES_DECODER.decode(self.executed_json))

    def missing(self) -> list[int]:
        return sorted(_LINES_DECODER.decode(self.missing_json))

    def missing_arcs(self) -> tuple[Arc, ...] | None:
        if not self.arcs_json:
            return None
        return tuple(sorted(_ARCS_DECODER.decode(self.arcs_json)))

    def executed_arcs(self) -> tuple[Arc, ...] | None:
        if not self.executed_arcs_json:
            return None
        # coverage.py 6.x may list an arc twice.
        return tuple(sorted(set(_ARCS_DECODER.decode(self.executed_arcs_json))))


class _CountedLines(_JsonLines, frozen=True, eq=False):
    """The line lists of an input that counts branches per line instead of listing the arcs
    that ran (Cobertura, LCOV), with those counts: `[[line, exits, taken], ...]`, sorted.
    Function figures need them; they are part of equality, since two runs can differ only
    in which line's branch was missed."""

    counts_json: bytes = b"[]"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _JsonLines):
            return NotImplemented
        return (
            isinstance(other, _CountedLines)
            and self.counts_json == other.counts_json
            and _JsonLines.__eq__(self, other) is True
        )

    def __hash__(self) -> int:
        return hash((self.executed_json, self.missing_json, self.arcs_json, self.counts_json))

    def branch_counts(self) -> dict[int, tuple[int, int]]:
        return {
            line: (exits, taken) for line, exits, taken in _COUNTS_DECODER.decode(self.counts_json)
        }


_COUNTS_DECODER = msgspec.json.Decoder(list[tuple[int, int, int]])


def parse_coverage_json(
    data: bytes | memoryview,
    source: str,
    want_regions: Callable[[str], bool] | None = None,
    want_arcs: Callable[[str], bool] | None = None,
    raw_functions: dict[str, msgspec.Raw] | None = None,
    raw_regions: dict[str, tuple[msgspec.Raw, msgspec.Raw]] | None = None,
    checked: Mapping[str, FileCoverage] | None = None,
) -> CoverageSnapshot:
    """Parse one `coverage json` report; `source` names it in error messages.

    `want_regions(path)` says which files need their functions and classes
    (all of them when omitted); `want_arcs(path)` which keep their executed
    branch arcs (none when omitted). `raw_functions`, when given, receives each
    file's `functions` as undecoded JSON (views into `data`: decode them with
    `inputs.function_json.function_sides_from_json` before `data` is released).
    `raw_regions` likewise receives the `functions` and `classes` of every file whose regions
    were not decoded (decode with `decode_regions`), so a caller that learns only after the
    parse which files it names need not read the input again.
    """
    report = _decode(data, source, _DECODER if want_arcs is None else _DECODER_ARCS)
    options = _Wanted(want_regions, want_arcs, raw_functions, raw_regions)
    files = {}
    for path, raw in report.files.items():
        # Once per file of the input: every step here counts at 50,000 files.
        summary = raw.summary
        numbers = Numbers(
            summary.num_statements,
            summary.missing_lines,
            summary.num_branches,
            summary.num_partial_branches,
            summary.missing_branches,
        )
        # Copies: the input's buffer is released once parsed, and these are small.
        executed = bytes(raw.executed_lines)
        missing = bytes(raw.missing_lines)
        arcs = bytes(raw.missing_branches)
        if arcs == b"null":
            arcs = b""
        seen = checked.get(path) if checked is not None else None
        if (
            seen is not None
            and type(seen.lines) is _JsonLines
            and seen.lines.executed_json == executed
            and seen.lines.missing_json == missing
            and seen.lines.arcs_json == arcs
        ):
            # Most files are unchanged between the runs: the same text passed every check
            # below except those against this side's summary, done here with its counts.
            executed, missing, arcs = (
                seen.lines.executed_json,
                seen.lines.missing_json,
                seen.lines.arcs_json,
            )
            listed = seen.numbers.num_missing
            _check_summary(path, numbers, listed, source)
            if summary.covered_lines is not None or summary.covered_branches is not None:
                _check_covered(path, summary, _count_items(executed), source)
            if arcs and seen.numbers.num_missing_branches != numbers.num_missing_branches:
                raise _arcs_count_error(path, numbers, seen.numbers.num_missing_branches, source)
            files[path] = _file(raw, path, numbers, executed, missing, arcs, source, options)
            continue
        if executed == b"[]":
            ran = 0
        elif _is_line_list(executed):
            ran = _count_items(executed)
        else:
            raise _shape_error(path, "executed_lines", "a list of line numbers", source)
        if missing == b"[]":
            listed = 0
        elif _is_line_list(missing):
            listed = _count_items(missing)
        else:
            raise _shape_error(path, "missing_lines", "a list of line numbers", source)
        _check_summary(path, numbers, listed, source)
        if summary.covered_lines is not None or summary.covered_branches is not None:
            _check_covered(path, summary, ran, source)
        if arcs:
            pairs = _arc_pairs(arcs)
            if pairs is None:
                raise _shape_error(path, "missing_branches", "a list of line pairs", source)
            if pairs != numbers.num_missing_branches:
                raise _arcs_count_error(path, numbers, pairs, source)
        # One pass over the three lists (brackets keep their digits apart): ~4 ms per 5,000 files.
        if _TOO_LONG in b"".join((executed, missing, arcs)).translate(_NINES):
            raise _long_number_error(
                path,
                {"executed_lines": executed, "missing_lines": missing, "missing_branches": arcs},
                source,
            )
        # A line both executed and missed is a contradiction no count shows; the lists' own
        # sizes decide without decoding when either is empty (fully covered files).
        if (
            ran
            and listed
            and len(_LINE_SET_DECODER.decode(b"".join((executed[:-1], b",", missing[1:]))))
            != ran + listed
        ):
            raise _listed_twice_error(path, executed, missing, source)
        files[path] = _file(raw, path, numbers, executed, missing, arcs, source, options)
    branch = bool(report.meta and report.meta.branch_coverage) or any(
        f.numbers.num_branches for f in files.values()
    )
    return CoverageSnapshot(
        files=dict(sorted(files.items())), has_branches=branch, sources=(source,)
    )


class _Wanted(NamedTuple):
    regions: Callable[[str], bool] | None
    arcs: Callable[[str], bool] | None
    raw_functions: dict[str, msgspec.Raw] | None
    raw_regions: dict[str, tuple[msgspec.Raw, msgspec.Raw]] | None


def _file(
    raw: _File,
    path: str,
    numbers: Numbers,
    executed: bytes,
    missing: bytes,
    arcs: bytes,
    source: str,
    options: _Wanted,
) -> FileCoverage:
    """One file of the report, its lists checked: with what the caller asked to keep."""
    want_regions, want_arcs, raw_functions, raw_regions = options
    wanted = want_regions is None or want_regions(path)
    if raw_functions is not None and raw.functions:
        raw_functions[path] = raw.functions
    regions = _regions(raw, source, path) if wanted else None
    if not wanted and raw_regions is not None and (raw.functions or raw.classes):
        raw_regions[path] = (raw.functions, raw.classes)
    kept = b""
    # The same test often picks both (the changed files): asked once then.
    if (
        arcs
        and want_arcs is not None
        and (wanted if want_arcs is want_regions else want_arcs(path))
    ):
        kept = _executed_arcs(raw, path, source)
    return FileCoverage(path, numbers, _JsonLines(executed, missing, arcs, kept), regions)


def _check_summary(path: str, numbers: Numbers, listed: int, source: str) -> None:
    """The summary's counts agree with the missed lines listed and with each other."""
    if (
        listed != numbers.num_missing
        or numbers.num_missing > numbers.num_statements
        or numbers.num_missing_branches > numbers.num_branches
    ):
        raise _summary_error(path, numbers, listed, source)


def _arcs_count_error(path: str, numbers: Numbers, pairs: int, source: str) -> InputError:
    return InputError(
        f"{source}: file {quote(path)}: summary.missing_branches is"
        f" {numbers.num_missing_branches} but {pairs} missing branches are listed"
    )


def _executed_arcs(raw: Any, path: str, source: str) -> bytes:
    """A file's executed arcs as JSON text, shape checked.

    Not checked against the summary's branch count: before coverage.py 7.10 the list may
    hold an arc the count leaves out (a comprehension's line jumping to itself).
    """
    text = bytes(raw.executed_branches)
    if not text or text == b"null":
        return b""
    pairs = _arc_pairs(text)
    if pairs is None:
        raise _shape_error(path, "executed_branches", "a list of line pairs", source)
    if _TOO_LONG in text.translate(_NINES):
        raise _long_number_error(path, {"executed_branches": text}, source)
    return text


def _decode(data: bytes | memoryview, source: str, decoder: msgspec.json.Decoder) -> Any:
    start = bytes(data[:64])
    if start.startswith(b"\xef\xbb\xbf"):
        data = memoryview(data)[3:]
        start = start[3:]
    head = start.lstrip()[:16]
    if not head:
        if not len(data) or not bytes(data).strip():
            raise InputError(f"{source}: empty file, expected a coverage.py JSON report")
    if start.startswith(b"SQLite format 3"):
        raise InputError(
            f"{source}: a coverage.py data file, not a report; run `coverage json` on it first"
        )
    if head.startswith(b"<"):
        raise InputError(f"{source}: looks like XML or HTML, expected a coverage.py JSON report")
    try:
        return decoder.decode(data)
    except msgspec.ValidationError as err:
        raise InputError(f"{source}: not a coverage.py JSON report ({_clean(err)})") from None
    except msgspec.DecodeError as err:
        raise InputError(f"{source}: invalid JSON ({_clean(err)})") from None
    except RecursionError:
        raise InputError(f"{source}: invalid JSON (nested too deeply)") from None
    except UnicodeDecodeError as err:
        raise InputError(f"{source}: not UTF-8 text (at byte {err.start})") from None


def _clean(err: Exception) -> str:
    """msgspec's message on one line, with its `$...` path made readable."""
    text = " ".join(str(err).split())
    text = text.replace("Object missing required field", "missing key")
    return text[:300]


def _shape_error(path: str, key: str, shape: str, source: str) -> InputError:
    return InputError(
        f"{source}: not a coverage.py JSON report (file {quote(path)}: {key} is not {shape})"
    )


def _summary_error(path: str, numbers: Numbers, listed: int, source: str) -> InputError:
    if listed != numbers.num_missing:
        return InputError(
            f"{source}: file {quote(path)}: summary.missing_lines is {numbers.num_missing}"
            f" but {listed} missing lines are listed"
        )
    return InputError(f"{source}: file {quote(path)}: more missing than measured in its summary")


def _check_covered(path: str, summary: _Summary, ran: int, source: str) -> None:
    """`covered_lines` and `covered_branches`, when given, must agree with the other counts.

    coverage.py lists under `executed_lines` every line that ran, and before 7.x also lines
    that are not statements, so the list may be longer than `covered_lines`, never shorter.
    """
    covered = summary.covered_lines
    if covered is not None:
        measured = summary.num_statements - summary.missing_lines
        if covered != measured:
            raise InputError(
                f"{source}: file {quote(path)}: summary.covered_lines is {covered} but"
                f" num_statements less missing_lines is {measured}"
            )
        if ran < covered:
            raise InputError(
                f"{source}: file {quote(path)}: summary.covered_lines is {covered} but"
                f" {ran} executed lines are listed"
            )
    branches = summary.covered_branches
    if branches is not None and branches != summary.num_branches - summary.missing_branches:
        raise InputError(
            f"{source}: file {quote(path)}: summary.covered_branches is {branches} but"
            f" num_branches less missing_branches is"
            f" {summary.num_branches - summary.missing_branches}"
        )


def _listed_twice_error(path: str, executed: bytes, missing: bytes, source: str) -> InputError:
    ran = _LINES_DECODER.decode(executed)
    both = sorted(set(ran).intersection(_LINES_DECODER.decode(missing)))
    if both:
        return InputError(
            f"{source}: file {quote(path)}: line {both[0]} is listed in both executed_lines"
            " and missing_lines"
        )
    key = "executed_lines" if len(set(ran)) != len(ran) else "missing_lines"
    return InputError(f"{source}: file {quote(path)}: {key} lists a line twice")


def _regions(raw: _File, source: str, path: str) -> tuple[Region, ...] | None:
    return decode_regions(raw.functions, raw.classes, source, path)


def decode_regions(
    functions: msgspec.Raw, classes: msgspec.Raw, source: str, path: str
) -> tuple[Region, ...] | None:
    """A file's functions and classes from their JSON (None when the report has neither)."""
    if not functions and not classes:
        return None
    found: list[Region] = []
    for kind, blob in (("function", functions), ("class", classes)):
        if not blob:
            continue
        try:
            decoded = _REGIONS_DECODER.decode(blob)
        except (msgspec.ValidationError, msgspec.DecodeError) as err:
            raise InputError(
                f"{source}: file {quote(path)}: bad {kind} regions ({_clean(err)})"
            ) from None
        found.extend(_region(kind, name, region) for name, region in decoded.items() if name)
    return tuple(sorted(found, key=lambda r: (r.start_line, r.kind, r.name)))


def _region(kind: str, name: str, raw: _Region) -> Region:
    lines = frozenset(raw.executed_lines) | frozenset(raw.missing_lines)
    lines |= frozenset(raw.excluded_lines)
    # coverage.py suffixes "@<line>" to repeated or statement-less same-named regions.
    base, _, suffix = name.rpartition("@")
    if base and suffix.isdigit():
        name = base
    start = raw.start_line if raw.start_line is not None else min(lines, default=0)
    return Region(kind=kind, name=name, start_line=start, lines=lines)


def combine_snapshots(snapshots: Sequence[CoverageSnapshot]) -> CoverageSnapshot:
    """Merge shards of one run as `coverage combine` does: union of executed lines and arcs."""
    if len(snapshots) == 1:
        return snapshots[0]
    # A shard that measured no file says nothing either way (`coverage combine` takes it too).
    branch = [s for s in snapshots if s.files and s.has_branches]
    statement = [s for s in snapshots if s.files and not s.has_branches]
    if branch and statement:
        # As `coverage combine` refuses: a statement-only shard says nothing of the branches.
        raise InputError(
            f"{statement[0].sources[0]}: measured without branch coverage, unlike"
            f" {branch[0].sources[0]}; shards of one run must be measured alike"
        )
    by_path: dict[str, list[FileCoverage]] = {}
    for snapshot in snapshots:
        for path, item in snapshot.files.items():
            by_path.setdefault(path, []).append(item)
    files = {path: _combine_file(items) for path, items in sorted(by_path.items())}
    return CoverageSnapshot(
        files=files,
        has_branches=any(s.has_branches for s in snapshots),
        sources=tuple(src for s in snapshots for src in s.sources),
    )


def _union(parts: Iterable[Iterable[int] | None]) -> set:
    result: set = set()
    for part in parts:
        result.update(part or ())
    return result


def _intersection(parts: list[Iterable]) -> set:
    result = set(parts[0])
    for part in parts[1:]:
        result.intersection_update(part)
    return result


def _combine_file(items: list[FileCoverage]) -> FileCoverage:
    """One file measured in several shards of the same code.

    The statements and possible arcs are the same in every shard, so a line or
    arc is missed overall exactly when every shard missed it: the intersection.
    (Old coverage.py versions list non-statement lines as executed, so the
    statement count comes from the summaries, never from a union of lines.)
    """
    if len(items) == 1:
        return items[0]
    missing = _intersection([i.missing_lines for i in items])
    executed = _union(i.executed_lines for i in items) - missing
    has_arcs = all(i.missing_branches is not None for i in items)
    if has_arcs:
        missing_arcs = _intersection([i.missing_branches for i in items])
        num_missing_branches = len(missing_arcs)
        partial = sum(1 for src, _ in missing_arcs if src not in missing)
        arcs: tuple[Arc, ...] | None = tuple(sorted(missing_arcs))
    else:
        # Without per-arc lists the best available figure is the most covered shard's.
        best = min(items, key=lambda i: i.numbers.num_missing_branches)
        num_missing_branches = best.numbers.num_missing_branches
        partial = best.numbers.num_partial_branches
        arcs = None
    numbers = Numbers(
        num_statements=max(i.numbers.num_statements for i in items),
        num_missing=len(missing),
        num_branches=max(i.numbers.num_branches for i in items),
        num_partial_branches=partial,
        num_missing_branches=num_missing_branches,
    )
    regions = next((i.regions for i in items if i.regions is not None), None)
    # Kept as JSON text like a parsed file's lists: compact, and decoded only when shown.
    # An arc ran overall when it ran in any shard (kept only when every shard kept them).
    ran_arcs = [i.executed_branches for i in items]
    lines = _JsonLines(
        msgspec.json.encode(sorted(executed)),
        msgspec.json.encode(sorted(missing)),
        b"" if arcs is None else msgspec.json.encode(arcs),
        b"" if any(a is None for a in ran_arcs) else msgspec.json.encode(sorted(_union(ran_arcs))),
    )
    return FileCoverage(path=items[0].path, numbers=numbers, lines=lines, regions=regions)
