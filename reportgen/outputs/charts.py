"""Chart geometry for the SVG pictures (pure: numbers in, positions out).

Templates only draw what these functions compute. Inputs are the JSON summary's
own pieces (`summary.coverage.targets`, `summary.coverage.files`, `index.trend`),
so every label a picture shows is the figure the tables show. Coordinates are in
SVG user units of a fixed-width viewBox and rounded to 0.1 for stable output.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

# Every text a picture shows (labels, <title>, aria-label) is cleaned as the tables' text is.
from reportgen.outputs.escape import clean_text

# Advance widths in em of a Verdana-like sans serif, by character group; the
# badge forces its text to these widths (textLength), so no font file is needed.
_WIDTH_GROUPS: tuple[tuple[str, float], ...] = (
    (" ", 0.35),
    ("il|!.,:;'`", 0.3),
    ('fjrtI()[]{}/\\-"', 0.42),
    ("sczJ*^", 0.53),
    ("abdeghknopquvxy?_+=<>~$#0123456789", 0.62),
    ("ABCEFKLPRSTVXYZ", 0.68),
    ("DGHNOQU&", 0.76),
    ("w", 0.82),
    ("mM", 0.92),
    ("W%@", 1.02),
)
_WIDTHS = {ch: width for chars, width in _WIDTH_GROUPS for ch in chars}
_DEFAULT_WIDTH = 0.62
_WIDE_WIDTH = 1.0  # CJK and other East Asian wide characters
ELLIPSIS = "…"

MAX_MOVES = 15


def rounded(value: float) -> float:
    return round(value, 1)


def text_width(text: str, size: float) -> float:
    """Estimated width of `text` at font `size`: text_width("coverage", 11) ≈ 51.4."""
    total = 0.0
    for ch in text:
        if ch in _WIDTHS:
            total += _WIDTHS[ch]
        elif unicodedata.east_asian_width(ch) in ("W", "F"):
            total += _WIDE_WIDTH
        elif unicodedata.combining(ch):
            continue
        else:
            total += _DEFAULT_WIDTH
    return total * size


def fit_text(text: str, width: float, size: float) -> str:
    """`text` shortened from the left ("…/core.py") to fit `width`: paths end in the name."""
    if text_width(text, size) <= width:
        return text
    room = width - text_width(ELLIPSIS, size)
    kept = ""
    for ch in reversed(text):
        if text_width(ch + kept, size) > room:
            break
        kept = ch + kept
    return ELLIPSIS + kept


class LinearScale(msgspec.Struct, frozen=True):
    """Maps a value domain onto a coordinate range, linearly."""

    lo: float
    hi: float
    start: float
    end: float

    def at(self, value: float) -> float:
        if self.hi == self.lo:
            return rounded(self.start)
        share = (value - self.lo) / (self.hi - self.lo)
        return rounded(self.start + share * (self.end - self.start))


class Tick(msgspec.Struct, frozen=True):
    """A gridline at `pos` (x or y, by chart) with its label."""

    pos: float
    label: str


class Bar(msgspec.Struct, frozen=True):
    """A rectangle with its value written at `text_x`, `text_y`."""

    x: float
    y: float
    width: float
    height: float
    text: str
    text_x: float
    text_y: float
    anchor: str = "start"


# ---- Target chart: before/after bars of each target against its threshold ----
# A bullet chart: the dashed threshold line crosses the bars, so the figures sit in a
# column of their own on the right where the line can never run through them.

WIDE, NARROW = 640.0, 360.0  # viewBox widths: desktop and print, phones
_T_GUTTER, _T_VALUES = 52.0, 60.0
_T_LABEL, _T_BEFORE, _T_AFTER, _T_GAP = 24.0, 14.0, 20.0, 22.0
_T_TOP, _T_AXIS, _T_FONT, _T_SMALL = 4.0, 22.0, 14.0, 11.0


class TargetRow(msgspec.Struct, frozen=True):
    label: str  # the pattern, shortened to leave room for the threshold text
    full_label: str
    label_y: float
    before: Bar
    after: Bar
    holds: bool | None
    threshold_x: float | None  # the target's min, when it has one
    threshold_text: str  # "target ≥80%", right-aligned on the label line
    threshold_top: float
    threshold_bottom: float


class TargetChart(msgspec.Struct, frozen=True):
    width: float
    height: float
    gutter: float
    plot_left: float
    plot_right: float
    grid_top: float
    grid_bottom: float
    ticks: tuple[Tick, ...]
    rows: tuple[TargetRow, ...]
    description: str


def _pct_text(numbers: Mapping[str, Any] | None) -> str:
    return "—" if not numbers else clean_text(f"{numbers['display']}%")


def _bar(scale: LinearScale, numbers: Mapping[str, Any] | None, y: float, h: float) -> Bar:
    """A bar from 0 to the figure, its value in the right-hand column; "—" when that
    side was not measured."""
    end = scale.at(float(numbers["percent"])) if numbers else scale.start
    return Bar(
        x=scale.start,
        y=rounded(y),
        width=rounded(end - scale.start),
        height=h,
        text=_pct_text(numbers),
        text_x=rounded(scale.end + 10),
        text_y=rounded(y + h / 2),
    )


def _threshold_text(target: Mapping[str, Any]) -> str:
    parts = []
    if target.get("min") is not None:
        parts.append(f"≥{float(target['min']):g}%")
    if target.get("min_delta") is not None:
        parts.append(f"+{float(target['min_delta']):g} points")
    return "target " + " and ".join(parts) if parts else ""


def _target_row(
    target: Mapping[str, Any], scale: LinearScale, top: float, width: float
) -> TargetRow:
    before_y = top + _T_LABEL
    after_y = before_y + _T_BEFORE + 4
    minimum = target.get("min")
    pattern = clean_text(target.get("pattern", ""))
    caption = _threshold_text(target)
    room = width - text_width(caption, _T_SMALL) - 16
    return TargetRow(
        label=fit_text(pattern, room, _T_FONT),
        full_label=pattern,
        label_y=rounded(top + 16),
        before=_bar(scale, target.get("before"), before_y, _T_BEFORE),
        after=_bar(scale, target.get("after"), after_y, _T_AFTER),
        holds=target.get("holds"),
        threshold_x=None if minimum is None else scale.at(float(minimum)),
        threshold_text=caption,
        threshold_top=rounded(before_y - 4),
        threshold_bottom=rounded(after_y + _T_AFTER + 4),
    )


def _target_description(targets: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    for t in targets:
        goal = _threshold_text(t)
        parts.append(
            f"{clean_text(t.get('pattern', ''))}: {_pct_text(t.get('before'))} before, "
            f"{_pct_text(t.get('after'))} after" + (f", {goal}" if goal else "")
        )
    return "Target coverage. " + "; ".join(parts) + "."


def target_chart(targets: Sequence[Mapping[str, Any]], width: float = WIDE) -> TargetChart | None:
    """Bars for each target (`summary.coverage.targets`); None when there is none."""
    if not targets:
        return None
    right = width - _T_VALUES
    scale = LinearScale(0.0, 100.0, _T_GUTTER, right)
    row_height = _T_LABEL + _T_BEFORE + 4 + _T_AFTER + _T_GAP
    rows = tuple(
        _target_row(t, scale, _T_TOP + i * row_height, width) for i, t in enumerate(targets)
    )
    grid_bottom = _T_TOP + len(rows) * row_height - _T_GAP + 8
    ticks = tuple(Tick(scale.at(v), f"{v}%") for v in (0, 25, 50, 75, 100))
    return TargetChart(
        width=width,
        height=rounded(grid_bottom + _T_AXIS),
        gutter=_T_GUTTER,
        plot_left=_T_GUTTER,
        plot_right=right,
        grid_top=_T_TOP + _T_LABEL - 6,
        grid_bottom=rounded(grid_bottom),
        ticks=ticks,
        rows=rows,
        description=_target_description(targets),
    )


# ---- Moves chart: the largest coverage changes as diverging bars ----
# Wide charts put the paths in a column left of the bars; narrow ones put each path
# on its own line above its bar, so phones keep readable names and long bars.

_M_BAR, _M_VALUE, _M_TOP, _M_FONT = 15.0, 46.0, 6.0, 13.0
_M_LABEL_SHARE = 0.36  # of a wide chart's width, for the path column


class MoveRow(msgspec.Struct, frozen=True):
    path: str
    label: str  # the path, shortened to fit
    label_x: float
    label_y: float
    up: bool
    bar: Bar


class MovesChart(msgspec.Struct, frozen=True):
    width: float
    height: float
    label_anchor: str  # "end" in a column beside the bars, "start" above them
    zero_x: float
    rows: tuple[MoveRow, ...]
    shown: int
    moved: int  # files whose displayed percent moved, of which `shown` are drawn
    description: str


def largest_moves(
    files: Sequence[Mapping[str, Any]], limit: int = MAX_MOVES
) -> list[tuple[str, float]]:
    """(path, delta) of files measured on both sides whose displayed percent moved:
    the `limit` largest moves, in drawing order (largest gain first, largest loss last)."""
    moved = [
        (str(f["path"]), float(f["delta"]))
        for f in files
        if f.get("delta") is not None and f["delta"] != 0
    ]
    moved.sort(key=lambda m: (-abs(m[1]), m[0]))
    return sorted(moved[:limit], key=lambda m: (-m[1], m[0]))


def signed(delta: float, precision: int) -> str:
    """A move as the reports print it: "+4%", "-2.5%"."""
    return f"{delta:+.{precision}f}%"


class _MovesLayout(msgspec.Struct, frozen=True):
    width: float
    stacked: bool
    labels: float  # width of the path column (0 when stacked)
    row: float
    bar_top: float  # of the bar within its row

    @classmethod
    def for_width(cls, width: float) -> _MovesLayout:
        if width < 480:
            return cls(width, True, 0.0, 38.0, 18.0)
        return cls(width, False, round(width * _M_LABEL_SHARE), 24.0, 4.5)

    def scale(self, deltas: Sequence[float]) -> LinearScale:
        lo, hi = min(0.0, *deltas), max(0.0, *deltas)
        start = self.labels + (_M_VALUE if lo < 0 else 4.0)
        end = self.width - (_M_VALUE if hi > 0 else 4.0)
        return LinearScale(lo, hi, start, end)


def _move_row(
    path: str, delta: float, scale: LinearScale, top: float, layout: _MovesLayout, p: int
) -> MoveRow:
    zero, end = scale.at(0.0), scale.at(delta)
    up = delta > 0
    bar_y = top + layout.bar_top
    label_room = layout.width if layout.stacked else layout.labels - 12
    return MoveRow(
        path=path,
        label=fit_text(path, label_room, _M_FONT),
        label_x=0.0 if layout.stacked else layout.labels - 6,
        label_y=rounded(top + 9 if layout.stacked else bar_y + _M_BAR / 2),
        up=up,
        bar=Bar(
            x=min(zero, end),
            y=rounded(bar_y),
            width=rounded(abs(end - zero)),
            height=_M_BAR,
            text=signed(delta, p),
            text_x=rounded(end + 5 if up else end - 5),
            text_y=rounded(bar_y + _M_BAR / 2),
            anchor="start" if up else "end",
        ),
    )


def moves_chart(
    files: Sequence[Mapping[str, Any]],
    precision: int = 0,
    width: float = WIDE,
    limit: int = MAX_MOVES,
) -> MovesChart | None:
    """Diverging bars of the largest moves (`summary.coverage.files`); None if nothing moved."""
    moves = [(clean_text(path), delta) for path, delta in largest_moves(files, limit)]
    if not moves:
        return None
    layout = _MovesLayout.for_width(width)
    scale = layout.scale([d for _, d in moves])
    rows = tuple(
        _move_row(path, d, scale, _M_TOP + i * layout.row, layout, precision)
        for i, (path, d) in enumerate(moves)
    )
    listed = "; ".join(f"{path} {signed(d, precision)}" for path, d in moves)
    return MovesChart(
        width=width,
        height=rounded(2 * _M_TOP + len(rows) * layout.row),
        label_anchor="start" if layout.stacked else "end",
        zero_x=scale.at(0.0),
        rows=rows,
        shown=len(rows),
        moved=len(largest_moves(files, limit=len(files))),
        description=f"Largest coverage changes, in percentage points: {listed}.",
    )


# ---- Trend chart: overall coverage across the archived steps ----

_TR_HEIGHT = 280.0
_TR_LEFT, _TR_RIGHT, _TR_TOP, _TR_BOTTOM = 44.0, 12.0, 20.0, 52.0
_TR_SMALL = 11.5  # font size of the step labels
_MIN_VALUE_SLOT = 36.0  # narrower slots label only the first and last points


class TrendPoint(msgspec.Struct, frozen=True):
    x: float
    y: float
    label_x: float  # under the point, moved inwards so that the text stays on the chart
    text: str  # the overall figure, "55%"
    label: str  # the step, shortened to its slot; "" when skipped to avoid overlap
    full_label: str
    date: str
    show_value: bool


class Band(msgspec.Struct, frozen=True):
    """The scope's target range over consecutive steps that share it."""

    x: float
    y: float
    width: float
    height: float
    text: str
    show_text: bool  # False when the band is too narrow to hold its text


class TrendChart(msgspec.Struct, frozen=True):
    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    ticks: tuple[Tick, ...]
    bands: tuple[Band, ...]
    points: tuple[TrendPoint, ...]
    radius: float  # of the points: smaller when they stand close together
    path: str  # the line through the points, as SVG path data
    description: str


def nice_domain(values: Sequence[float]) -> tuple[float, float]:
    """A 0-100 sub-range in tens around `values`, at least 20 points tall."""
    lo = max(0.0, math.floor((min(values) - 5) / 10) * 10)
    hi = min(100.0, math.ceil((max(values) + 5) / 10) * 10)
    while hi - lo < 20:
        hi, lo = (hi + 10, lo) if hi < 100 else (hi, lo - 10)
    return lo, hi


def _range_of(item: Mapping[str, Any]) -> tuple[float, float | None] | None:
    target = item.get("target_range")
    if not target or target[0] is None:
        return None
    high = target[1] if len(target) > 1 else None
    return float(target[0]), None if high is None else float(high)


def _range_text(bounds: tuple[float, float | None]) -> str:
    low, high = bounds
    if high is None or high == low:
        return f"target ≥{low:g}%"
    return f"target {low:g}-{high:g}%"


def _bands(
    trend: Sequence[Mapping[str, Any]], xs: Sequence[float], slot: float, y: LinearScale
) -> tuple[Band, ...]:
    """One band per run of consecutive steps with the same target range."""
    bands: list[Band] = []
    i = 0
    while i < len(trend):
        bounds = _range_of(trend[i])
        j = i
        while j + 1 < len(trend) and _range_of(trend[j + 1]) == bounds:
            j += 1
        if bounds is not None:
            low, high = bounds
            top = y.at(high if high is not None else low)
            width = xs[j] - xs[i] + slot
            text = _range_text(bounds)
            bands.append(
                Band(
                    x=rounded(xs[i] - slot / 2),
                    y=top,
                    width=rounded(width),
                    height=rounded(y.at(low) - top),
                    text=text,
                    show_text=text_width(text, _TR_SMALL) + 8 <= width,
                )
            )
        i = j + 1
    return tuple(bands)


def _label_every(count: int, slot: float) -> int:
    """Show every k-th step label so that labels about 96 units wide never overlap."""
    return max(1, math.ceil(96.0 / slot)) if count > 1 else 1


def _label_x(x: float, texts: Sequence[str], width: float) -> float:
    """`x`, moved so that centred texts no wider than the widest of `texts` fit 0..width."""
    half = max(text_width(t, _TR_SMALL) for t in texts) / 2
    return rounded(min(max(x, half + 2), width - half - 2))


def _trend_points(
    trend: Sequence[Mapping[str, Any]],
    xs: Sequence[float],
    slot: float,
    y: LinearScale,
    width: float,
) -> tuple[TrendPoint, ...]:
    every = _label_every(len(trend), slot)
    last = len(trend) - 1
    points = []
    for i, item in enumerate(trend):
        labelled = (last - i) % every == 0  # the newest step always keeps its label
        full = clean_text(item.get("label") or "")
        label = fit_text(full, slot * every - 6, _TR_SMALL) if labelled else ""
        date = clean_text(item.get("date") or "") if labelled else ""
        points.append(
            TrendPoint(
                x=xs[i],
                y=y.at(float(item["percent"])),
                label_x=_label_x(xs[i], [label, date], width),
                text=clean_text(item.get("display") or f"{float(item['percent']):.0f}%"),
                label=label,
                full_label=full,
                date=date,
                show_value=slot >= _MIN_VALUE_SLOT or i in (0, last),
            )
        )
    return tuple(points)


def trend_chart(
    trend: Sequence[Mapping[str, Any]],
    width: float = WIDE,
    subject: str = "Overall coverage",
    height: float = _TR_HEIGHT,
) -> TrendChart | None:
    """Coverage per step, oldest first, with the target band: the overall figure
    (`index.trend`) or one target's (`index.target_trends[].targets[].points`), named by
    `subject` in the description."""
    if not trend:
        return None
    left, right = _TR_LEFT, width - _TR_RIGHT
    top, bottom = _TR_TOP, height - _TR_BOTTOM
    slot = (right - left) / len(trend)
    xs = [rounded(left + (i + 0.5) * slot) for i in range(len(trend))]
    values = [float(t["percent"]) for t in trend]
    for item in trend:
        bounds = _range_of(item)
        if bounds is not None:
            values += [b for b in bounds if b is not None]
    lo, hi = nice_domain(values)
    y = LinearScale(lo, hi, bottom, top)
    step = 10 if hi - lo <= 60 else 20
    ticks = tuple(Tick(y.at(v), f"{v:g}%") for v in _frange(lo, hi, step))
    points = _trend_points(trend, xs, slot, y, width)
    path = " ".join(f"{'M' if i == 0 else 'L'}{p.x} {p.y}" for i, p in enumerate(points))
    listed = "; ".join(f"{p.full_label or p.date} {p.text}" for p in points)
    return TrendChart(
        width=width,
        height=height,
        plot_left=left,
        plot_right=right,
        plot_top=top,
        plot_bottom=bottom,
        ticks=ticks,
        bands=_bands(trend, xs, slot, y),
        points=points,
        radius=rounded(min(4.5, max(2.0, slot / 5))),
        path=path,
        description=f"{clean_text(subject)} by step, oldest first: {listed}.",
    )


def _frange(lo: float, hi: float, step: float) -> list[float]:
    count = int(round((hi - lo) / step))
    return [lo + i * step for i in range(count + 1)]
