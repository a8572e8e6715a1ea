"""Geometry of the HTML report's changed-lines chart (pure): one bar per file, total first.

Each bar runs from 0 to the share of changed statements (and branches) covered, green
when it meets `[patch] min` (grey without one, red below it), labelled above the bar so
that long paths stay readable on phones as on desktops.
"""

from __future__ import annotations

import msgspec

from reportgen.analysis.numbers import meets_threshold
from reportgen.analysis.patch import PatchResult
from reportgen.outputs.charts import WIDE, Bar, LinearScale, Tick, fit_text, rounded
from reportgen.outputs.escape import clean_text

MAX_ROWS = 10  # the total and the files with the most missed changed statements
_GUTTER, _VALUES, _FONT = 16.0, 60.0, 14.0
_LABEL, _BAR, _GAP, _TOP, _AXIS = 20.0, 16.0, 10.0, 4.0, 22.0


class PatchRow(msgspec.Struct, frozen=True):
    label: str
    full_label: str
    label_y: float
    bar: Bar
    holds: bool | None


class PatchChart(msgspec.Struct, frozen=True):
    width: float
    height: float
    grid_top: float
    grid_bottom: float
    ticks: tuple[Tick, ...]
    rows: tuple[PatchRow, ...]
    threshold_x: float | None
    description: str


def patch_chart(
    patch: PatchResult, precision: int, minimum: float | None, width: float = WIDE
) -> PatchChart | None:
    """None when no changed line is a statement: there is no share to draw."""
    if patch.total.num_statements == 0:
        return None
    worst = sorted(patch.files, key=lambda f: (-f.numbers.num_missing, f.path))
    # Paths come from the diff and the coverage data: the one sanitiser of every HTML text.
    entries = [("All changed lines", patch.total)] + [
        (clean_text(f.path), f.numbers) for f in worst[: MAX_ROWS - 1]
    ]
    scale = LinearScale(0.0, 100.0, _GUTTER, width - _VALUES)
    rows = []
    for i, (label, numbers) in enumerate(entries):
        top = _TOP + i * (_LABEL + _BAR + _GAP)
        bar_y = top + _LABEL
        text = numbers.display(precision) + "%"
        holds = None if minimum is None else meets_threshold(numbers.percent, minimum, precision)
        rows.append(
            PatchRow(
                label=fit_text(label, width - _VALUES, _FONT),
                full_label=label,
                label_y=rounded(top + 15),
                bar=Bar(
                    x=scale.start,
                    y=rounded(bar_y),
                    width=rounded(scale.at(numbers.percent) - scale.start),
                    height=_BAR,
                    text=text,
                    text_x=rounded(scale.end + 10),
                    text_y=rounded(bar_y + _BAR / 2),
                ),
                holds=holds,
            )
        )
    bottom = _TOP + len(rows) * (_LABEL + _BAR + _GAP) - _GAP + 6
    shown = ", ".join(f"{r.full_label} {r.bar.text}" for r in rows)
    return PatchChart(
        width=width,
        height=rounded(bottom + _AXIS),
        grid_top=_TOP + _LABEL - 4,
        grid_bottom=rounded(bottom),
        ticks=tuple(Tick(scale.at(v), f"{v}%") for v in (0, 25, 50, 75, 100)),
        rows=tuple(rows),
        threshold_x=None if minimum is None else scale.at(minimum),
        description=f"Changed lines covered: {shown}.",
    )
