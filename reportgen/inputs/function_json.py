"""coverage.py's own function summaries (JSON of coverage.py 7.6+), read for the files a
report compares: each function's figures and Missing column, without the file's lists."""

from __future__ import annotations

from typing import Annotated

import msgspec

from reportgen.analysis.functions import FunctionSide
from reportgen.analysis.numbers import Numbers
from reportgen.errors import InputError, one_line, quote

LineNo = Annotated[int, msgspec.Meta(ge=0, le=10**18 - 1)]


class _Function(msgspec.Struct):
    summary: Numbers  # its fields carry coverage.py's summary names
    executed_lines: list[LineNo] = []
    missing_lines: list[LineNo] = []
    missing_branches: list[tuple[int, int]] | None = None
    start_line: LineNo | None = None


_DECODER = msgspec.json.Decoder(dict[str, _Function])


def function_sides_from_json(
    blob: bytes | msgspec.Raw, source: str, path: str
) -> tuple[FunctionSide, ...] | None:
    """Each function under coverage.py's own key (`f`, `f@18`), with its own summary; None
    when the regions carry no summaries (then the caller computes them from the lines)."""
    try:
        decoded = _DECODER.decode(blob)
    except msgspec.ValidationError as err:
        if "missing required field `summary`" in str(err):
            return None  # regions without summaries: figures computed from the lines
        raise InputError(
            f"{source}: file {quote(path)}: bad functions ({one_line(str(err), 300)})"
        ) from None
    except msgspec.DecodeError as err:
        raise InputError(
            f"{source}: file {quote(path)}: bad functions ({one_line(str(err), 300)})"
        ) from None
    sides = []
    for name, raw in decoded.items():
        if not name:  # the module level
            continue
        numbers = raw.summary
        missed = raw.missing_lines
        lost = raw.missing_branches
        if (
            numbers.num_missing != len(missed)
            or numbers.num_missing > numbers.num_statements
            or numbers.num_missing_branches > numbers.num_branches
            or (lost is not None and len(lost) != numbers.num_missing_branches)
        ):
            raise InputError(
                f"{source}: file {quote(path)}: function {quote(name)}:"
                " its summary disagrees with its lines"
            )
        start = raw.start_line
        if start is None:
            start = min(raw.executed_lines + missed, default=0)
        sides.append(FunctionSide(name, start, numbers, missed, raw.executed_lines, lost or ()))
    return tuple(sorted(sides, key=lambda s: (s.start_line, s.name)))


class _Lines(msgspec.Struct):
    executed_lines: list[LineNo] = []
    missing_lines: list[LineNo] = []
    excluded_lines: list[LineNo] = []
    start_line: LineNo | None = None


_LINES_DECODER = msgspec.json.Decoder(dict[str, _Lines])


def function_regions_from_json(blob: bytes | msgspec.Raw, source: str, path: str) -> tuple:
    """The functions' lines as coverage.py delimited them, for figures computed from a
    combined run's lists (the summaries are one shard's)."""
    from reportgen.analysis.models import Region

    try:
        decoded = _LINES_DECODER.decode(blob)
    except (msgspec.ValidationError, msgspec.DecodeError) as err:
        raise InputError(
            f"{source}: file {quote(path)}: bad functions ({one_line(str(err), 300)})"
        ) from None
    regions = []
    for key, raw in decoded.items():
        if not key:
            continue
        lines = frozenset((*raw.executed_lines, *raw.missing_lines, *raw.excluded_lines))
        base, _, suffix = key.rpartition("@")
        name = base if base and suffix.isdigit() else key
        start = raw.start_line if raw.start_line is not None else min(lines, default=0)
        regions.append(Region(kind="function", name=name, start_line=start, lines=lines))
    return tuple(sorted(regions, key=lambda r: (r.start_line, r.name)))
