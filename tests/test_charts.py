"""Chart and badge geometry: scales, bar positions, thinning of labels, badge colours."""

from __future__ import annotations

from typing import Any

import pytest

from reportgen.outputs.badge import GREEN, ORANGE, RED, YELLOW, badge, badge_color
from reportgen.outputs.charts import (
    NARROW,
    LinearScale,
    fit_text,
    largest_moves,
    moves_chart,
    nice_domain,
    signed,
    target_chart,
    text_width,
    trend_chart,
)


def numbers(percent: float, display: str | None = None) -> dict[str, Any]:
    """The `T` object of the JSON summary, reduced to what the charts read."""
    return {"percent": percent, "display": display or f"{percent:.0f}"}


def target(pattern: str, before: float | None, after: float | None, **extra: Any) -> dict:
    """A `summary.coverage.targets` entry."""
    return {
        "pattern": pattern,
        "min": extra.get("min"),
        "min_delta": extra.get("min_delta"),
        "before": None if before is None else numbers(before),
        "after": None if after is None else numbers(after),
        "holds": extra.get("holds"),
    }


def moved(path: str, delta: float | None) -> dict[str, Any]:
    """A `summary.coverage.files` entry with its displayed delta."""
    return {"path": path, "delta": delta}


# ---- text ----


@pytest.mark.parametrize(
    ("text", "size", "width"),
    [
        ("coverage", 11, 51.37),  # c .53, o v e a g e .62 x6, r .42 = 4.67 em
        ("93%", 11, 24.86),  # two digits .62 and % 1.02
        ("", 11, 0.0),
        ("表", 10, 10.0),  # East Asian wide: one em
        ("e\u0301", 10, 6.2),  # a combining accent takes no room
    ],
)
def test_text_width_uses_the_table(text: str, size: float, width: float) -> None:
    """Widths are the per-character table's em widths times the font size."""
    assert text_width(text, size) == pytest.approx(width)


def test_fit_text_keeps_short_text_and_the_end_of_long_paths() -> None:
    """Text that fits is unchanged; longer text keeps its end after an ellipsis, within width."""
    assert fit_text("core.py", 100, 13) == "core.py"
    short = fit_text("tools/soak/deeply/nested/config_manager.py", 160, 13)
    assert short == "…ed/config_manager.py"
    assert text_width(short, 13) <= 160
    assert "tools/soak/deeply/nested/config_manager.py".endswith(short[1:])


def test_linear_scale_maps_ends_and_middle() -> None:
    """A scale maps its domain's ends to its range's ends, linearly, even reversed."""
    scale = LinearScale(0, 100, 52, 580)
    assert (scale.at(0), scale.at(50), scale.at(100)) == (52.0, 316.0, 580.0)
    upside_down = LinearScale(40, 70, 228, 20)
    assert (upside_down.at(40), upside_down.at(70), upside_down.at(55)) == (228.0, 20.0, 124.0)
    assert LinearScale(5, 5, 10, 90).at(5) == 10.0


# ---- target chart ----


def test_target_chart_positions_bars_and_threshold() -> None:
    """Bars run from 0 to the exact percent and the dashed line sits at the target's min."""
    chart = target_chart([target("tools/soak/config_manager.py", 77.2, 82.08, min=80, holds=True)])
    assert chart is not None
    assert (chart.plot_left, chart.plot_right) == (52.0, 580.0)  # 528 units for 100%
    row = chart.rows[0]
    assert (row.before.x, row.before.width, row.before.text) == (52.0, 407.6, "77%")
    assert (row.after.width, row.after.text) == (433.4, "82%")
    assert row.threshold_x == 474.4
    assert row.threshold_text == "target ≥80%"
    assert row.holds is True
    assert [t.label for t in chart.ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert chart.description == (
        "Target coverage. tools/soak/config_manager.py: 77% before, 82% after, target ≥80%."
    )


def test_target_chart_rows_stack_and_unmeasured_sides_show_a_dash() -> None:
    """Each target gets its own row below the last; a side not measured has an empty bar."""
    chart = target_chart(
        [target("a.py", None, 41.0, min=35, holds=True), target("b/*.py", 60, 58, min_delta=2)]
    )
    assert chart is not None
    first, second = chart.rows
    assert (first.before.width, first.before.text) == (0.0, "—")
    assert second.label_y - first.label_y == 84.0  # label 24 + bars 14+4+20 + gap 22
    assert second.threshold_x is None
    assert second.threshold_text == "target +2 points"
    assert chart.height == second.threshold_bottom + 4 + 22


def test_narrow_target_chart_fits_a_phone_width() -> None:
    """The narrow drawing keeps the gutters and gives the bars what is left of 360 units."""
    chart = target_chart([target("a.py", 50, 100, min=90, holds=True)], NARROW)
    assert chart is not None
    assert (chart.width, chart.plot_right) == (360.0, 300.0)
    assert chart.rows[0].after.width == 248.0


def test_long_patterns_are_shortened_to_leave_room_for_the_target() -> None:
    """A pattern too long for the label line keeps its end and leaves the threshold text room."""
    pattern = "src/" + "very_long_directory_name/" * 6 + "module.py"
    chart = target_chart([target(pattern, 10, 20, min=15)], NARROW)
    assert chart is not None
    row = chart.rows[0]
    assert row.label.startswith("…") and row.label.endswith("module.py")
    assert row.full_label == pattern
    assert text_width(row.label, 14) + text_width(row.threshold_text, 11) + 16 <= 360


def test_no_targets_no_chart() -> None:
    """Without targets there is nothing to draw."""
    assert target_chart([]) is None


# ---- moves chart ----


def test_largest_moves_skips_unmoved_and_unpaired_files_and_orders_for_drawing() -> None:
    """Only files with a non-zero displayed delta count; the largest are kept, gains first."""
    files = [
        moved("a.py", 3.0),
        moved("b.py", -7.0),
        moved("c.py", 0.0),
        moved("added.py", None),
        moved("d.py", 12.0),
        moved("e.py", -1.0),
    ]
    assert largest_moves(files) == [("d.py", 12.0), ("a.py", 3.0), ("e.py", -1.0), ("b.py", -7.0)]
    assert largest_moves(files, limit=2) == [("d.py", 12.0), ("b.py", -7.0)]


def test_moves_chart_caps_bars_and_counts_every_move() -> None:
    """At most 15 bars are drawn, and the chart says how many files moved in all."""
    files = [moved(f"m{i:02}.py", float(i + 1)) for i in range(20)]
    chart = moves_chart(files)
    assert chart is not None
    assert (chart.shown, chart.moved) == (15, 20)
    assert [r.path for r in chart.rows][:2] == ["m19.py", "m18.py"]
    assert chart.rows[-1].path == "m05.py"


def test_moves_chart_diverges_from_zero() -> None:
    """Gains grow right of the zero line and losses left, each labelled at its end."""
    chart = moves_chart([moved("up.py", 10.0), moved("down.py", -5.0)], precision=0)
    assert chart is not None
    up, down = chart.rows
    # Path column 230 units, value room 46 each side: -5..+10 spans 276..594, zero at 382.
    assert chart.zero_x == 382.0
    assert (up.up, up.bar.x, up.bar.width, up.bar.text) == (True, 382.0, 212.0, "+10%")
    assert (up.bar.anchor, up.bar.text_x) == ("start", 599.0)
    assert (down.up, down.bar.x, down.bar.width, down.bar.text) == (False, 276.0, 106.0, "-5%")
    assert (down.bar.anchor, down.bar.text_x) == ("end", 271.0)
    assert chart.label_anchor == "end"
    assert "up.py +10%; down.py -5%" in chart.description


def test_narrow_moves_chart_puts_paths_above_bars() -> None:
    """On a phone each path gets the full width on its own line above its bar."""
    chart = moves_chart([moved("tools/soak/config_manager.py", 5.0)], width=NARROW)
    assert chart is not None
    row = chart.rows[0]
    assert chart.label_anchor == "start"
    assert row.label == "tools/soak/config_manager.py"
    assert row.label_y < row.bar.y
    assert chart.zero_x == 4.0  # no losses: no room reserved left of zero


def test_no_moves_no_chart() -> None:
    """When no displayed percent moved, there is no moves chart."""
    assert moves_chart([moved("a.py", 0.0), moved("b.py", None)]) is None


def test_signed_prints_like_the_tables() -> None:
    """Moves print with their sign and the report's precision."""
    assert (signed(4.0, 0), signed(-2.5, 1), signed(0.25, 2)) == ("+4%", "-2.5%", "+0.25%")


# ---- trend chart ----


@pytest.mark.parametrize(
    ("values", "domain"),
    [
        ([54.25, 61.29, 50, 65], (40.0, 70.0)),
        ([100.0], (80.0, 100.0)),
        ([0.0], (0.0, 20.0)),
        ([3.0, 97.0], (0.0, 100.0)),
        ([20.0, 21.0], (10.0, 30.0)),
    ],
)
def test_nice_domain_rounds_to_tens_with_room(values: list[float], domain: tuple) -> None:
    """The trend's scale is a range in tens around the data, at least 20 points tall, in 0-100."""
    assert nice_domain(values) == domain


def step(label: str, percent: float, target: list | None = None, date: str = "") -> dict:
    """An `index.trend` entry."""
    return {
        "label": label,
        "date": date,
        "percent": percent,
        "display": f"{percent:.0f}%",
        "target_range": target,
    }


def test_trend_chart_places_points_and_one_band_per_target_range() -> None:
    """Points spread evenly left to right, higher coverage higher up, bands per run of range."""
    chart = trend_chart(
        [
            step("Step 1", 54.25, [50, 60], "2025-10-27"),
            step("Step 2", 61.29, [55, 65], "2025-11-03"),
            step("Step 3", 64.0, [55, 65], "2025-11-10"),
        ]
    )
    assert chart is not None
    xs = [p.x for p in chart.points]
    assert xs == [141.3, 336.0, 530.7]  # slots of 194.7 between 44 and 628
    assert chart.points[0].y > chart.points[1].y > chart.points[2].y
    assert [t.label for t in chart.ticks] == ["40%", "50%", "60%", "70%"]
    assert [(b.text, b.x, b.width) for b in chart.bands] == [
        ("target 50-60%", 44.0, 194.7),
        ("target 55-65%", 238.7, 389.4),
    ]
    assert chart.path == " ".join(
        f"{'M' if i == 0 else 'L'}{p.x} {p.y}" for i, p in enumerate(chart.points)
    )
    assert [p.text for p in chart.points] == ["54%", "61%", "64%"]
    assert chart.description.startswith("Overall coverage by step, oldest first: Step 1 54%;")


def test_trend_band_of_a_single_minimum_is_a_line() -> None:
    """A target range with one bound draws a band of no height at that bound."""
    chart = trend_chart([step("a", 30, [25, None]), step("b", 40, [25, None])])
    assert chart is not None
    (band,) = chart.bands
    assert (band.height, band.text) == (0.0, "target ≥25%")


def test_crowded_trend_thins_labels_but_keeps_the_newest() -> None:
    """With many steps only every k-th label shows, counted back from the newest step."""
    trend = [step(f"M1 Step {i}", 20 + i, date=f"2025-01-{i + 1:02}") for i in range(30)]
    chart = trend_chart(trend, NARROW)
    assert chart is not None
    labelled = [i for i, p in enumerate(chart.points) if p.label]
    assert labelled[-1] == 29
    gaps = {b - a for a, b in zip(labelled, labelled[1:], strict=False)}
    assert gaps == {10}  # slots of 10.1 units, labels of 96
    assert [i for i, p in enumerate(chart.points) if p.show_value] == [0, 29]
    assert chart.radius == 2.0
    for point in chart.points:
        half = text_width(point.date, 11.5) / 2
        assert half <= point.label_x <= NARROW - half


def test_single_step_trend_sits_in_the_middle() -> None:
    """One archived step is one point in the middle of the plot."""
    chart = trend_chart([step("Step 1", 54.0, [50, 60], "2025-10-27")])
    assert chart is not None
    (point,) = chart.points
    assert point.x == 336.0 and point.label == "Step 1" and point.show_value


def test_no_trend_no_chart() -> None:
    """An empty archive has no trend chart."""
    assert trend_chart([]) is None


# ---- badge ----


@pytest.mark.parametrize(
    ("percent", "precision", "minimum", "color"),
    [
        (95.0, 0, None, GREEN),
        (89.6, 0, None, GREEN),  # shows as 90%, as coverage report --fail-under=90 passes it
        (89.6, 1, None, YELLOW),
        (75.0, 0, None, YELLOW),
        (74.4, 0, None, ORANGE),
        (50.0, 0, None, ORANGE),
        (49.4, 0, None, RED),
        (0.0, 0, None, RED),
        (80.0, 0, 80.0, GREEN),
        (79.6, 0, 80.0, GREEN),
        (70.0, 0, 80.0, ORANGE),
        (69.4, 0, 80.0, RED),
        (5.0, 0, 8.0, ORANGE),  # the near-miss band stops at 0
    ],
)
def test_badge_color_bands(
    percent: float, precision: int, minimum: float | None, color: str
) -> None:
    """Badge colours follow 50/75/90, or the minimum and 10 points below it, at display precision."""
    assert badge_color(percent, precision, minimum) == color


def summary(total: float | None, scope: tuple | None = None, precision: int = 0) -> dict:
    """A JSON summary reduced to what the badge reads."""
    coverage: dict[str, Any] = {
        "precision": precision,
        "after": None if total is None else numbers(total),
        "scope": None,
    }
    if scope is not None:
        percent, low = scope
        coverage["scope"] = {
            "after": numbers(percent),
            "target": None if low is None else [low, None],
        }
    return {"coverage": coverage}


def test_badge_shows_the_total_with_default_bands() -> None:
    """Without a scope the badge shows the total after, sized from the width table."""
    b = badge(summary(92.72, precision=0))
    assert (b.label, b.value, b.color) == ("coverage", "93%", GREEN)
    assert (b.label_width, b.value_width, b.width) == (63.4, 36.9, 100.3)
    assert (b.label_x, b.value_x) == (31.7, 81.8)
    assert b.description == "coverage: 93%"


def test_badge_prefers_the_scope_and_its_minimum() -> None:
    """With a scope the badge shows its figure, judged against the scope target's low end."""
    b = badge(summary(40.0, scope=(54.25, 50.0)))
    assert (b.value, b.color) == ("54%", GREEN)
    assert badge(summary(40.0, scope=(44.0, 50.0))).color == ORANGE
    assert badge(summary(40.0, scope=(44.0, None))).color == RED  # default bands


def test_badge_without_coverage_says_unknown() -> None:
    """A summary without coverage gives a grey "unknown" badge instead of failing."""
    b = badge(summary(None))
    assert (b.value, b.color) == ("unknown", "#6e6e6e")
