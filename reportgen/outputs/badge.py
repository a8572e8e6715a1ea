"""The coverage badge's geometry and colour (pure): the figure a README shows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from reportgen.analysis.numbers import meets_threshold
from reportgen.outputs.charts import rounded, text_width
from reportgen.outputs.escape import clean_text

# Badge colours (white text on each is at least 4.5:1 contrast).
RED, ORANGE, YELLOW, GREEN = "#c62828", "#b94e00", "#8a6d00", "#2e7d32"
# Default bands when no minimum applies: below 50 red, 75 orange, 90 yellow.
DEFAULT_BANDS: tuple[tuple[float, str], ...] = ((90, GREEN), (75, YELLOW), (50, ORANGE))
# With a minimum: green at or above it, orange up to this many points below, red further.
NEAR_MISS = 10.0

BADGE_HEIGHT, BADGE_FONT, BADGE_PAD = 20.0, 11.0, 6.0


class Badge(msgspec.Struct, frozen=True):
    label: str
    value: str
    color: str
    label_width: float
    value_width: float
    width: float
    height: float
    label_x: float
    value_x: float
    label_text_width: float
    value_text_width: float
    description: str


def badge_color(percent: float, precision: int, minimum: float | None = None) -> str:
    """The badge colour, judged at the displayed precision as `--fail-under` would:
    with `minimum`: green at or above it, orange up to NEAR_MISS points below, else red;
    without: green from 90, yellow from 75, orange from 50, red below."""
    if minimum is not None:
        if meets_threshold(percent, minimum, precision):
            return GREEN
        near = max(0.0, minimum - NEAR_MISS)
        return ORANGE if meets_threshold(percent, near, precision) else RED
    for floor, color in DEFAULT_BANDS:
        if meets_threshold(percent, floor, precision):
            return color
    return RED


def badge_figure(summary: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, float | None]:
    """The figure a badge shows and the minimum it is judged against: the scope's
    after and its target's low end when a scope is reported, else the total after."""
    coverage = summary.get("coverage") or {}
    scope = coverage.get("scope")
    if scope and scope.get("after"):
        target = scope.get("target")
        return scope["after"], float(target[0]) if target else None
    return coverage.get("after"), None


def patch_figure(summary: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, float | None]:
    """The changed-lines total and its `[patch] min` (None without a diff)."""
    patch = summary.get("patch")
    if not patch:
        return None, None
    return patch["total"], patch.get("min")


def badge(summary: Mapping[str, Any], label: str | None = None, figure: str = "coverage") -> Badge:
    """The README badge of a JSON summary: "coverage | 93%" in the figure's colour;
    with `figure="patch"` the changed lines' share: "patch coverage | 85%"."""
    if figure == "patch":
        numbers, minimum = patch_figure(summary)
        label = label or "patch coverage"
    else:
        numbers, minimum = badge_figure(summary)
        label = label or "coverage"
    label = clean_text(label, limit=100)
    precision = int((summary.get("coverage") or {}).get("precision") or 0)
    if numbers and numbers["percent"] is not None:
        value = clean_text(f"{numbers['display']}%", limit=100)
        color = badge_color(float(numbers["percent"]), precision, minimum)
    elif numbers:  # a diff without statements: nothing to cover, nothing missed
        value, color = "no code changed", "#6e6e6e"
    else:
        value, color = "unknown", "#6e6e6e"
    label_text, value_text = text_width(label, BADGE_FONT), text_width(value, BADGE_FONT)
    label_width = rounded(label_text + 2 * BADGE_PAD)
    value_width = rounded(value_text + 2 * BADGE_PAD)
    return Badge(
        label=label,
        value=value,
        color=color,
        label_width=label_width,
        value_width=value_width,
        width=rounded(label_width + value_width),
        height=BADGE_HEIGHT,
        label_x=rounded(label_width / 2),
        value_x=rounded(label_width + value_width / 2),
        label_text_width=rounded(label_text),
        value_text_width=rounded(value_text),
        description=f"{label}: {value}",
    )
