"""Tests of the risk guards."""

import pytest
from tools.risk.risk_guards import (
    GuardLevel,
    RiskLimits,
    allowed_sides,
    drawdown_pct,
    evaluate,
    inventory_level,
)


@pytest.mark.parametrize(
    ("inventory_pct", "level"),
    [(0.0, GuardLevel.OK), (3.9, GuardLevel.OK), (-4.0, GuardLevel.SOFT), (5.0, GuardLevel.HARD)],
)
def test_inventory_level(inventory_pct, level):
    """Inventory trips SOFT at 80% of the limit and HARD at the limit, long or short."""
    assert inventory_level(inventory_pct, RiskLimits()) is level


def test_soft_limit_above_hard_is_rejected():
    """Limits whose soft drawdown exceeds the hard one are refused."""
    with pytest.raises(ValueError, match="soft limit above the hard limit"):
        RiskLimits(drawdown_soft_pct=3.0, drawdown_hard_pct=2.0)


def test_drawdown_is_percent_of_peak():
    """Equity of 98 after a peak of 100 is a 2.0% drawdown."""
    loss = drawdown_pct(peak_equity=100.0, equity=98.0)

    assert loss == pytest.approx(2.0), f"drawdown {loss:.4f}% from peak 100 to 98, expected 2%"


def test_evaluate_reports_worst_guard():
    """The combined level is the strictest guard, and only guards not OK give reasons."""
    level, reasons = evaluate(4.5, peak_equity=100.0, equity=99.5, limits=RiskLimits())

    assert level is GuardLevel.SOFT
    assert reasons == ["inventory: SOFT"]


def test_soft_level_quotes_only_the_reducing_side():
    """At SOFT a long book may only sell, a short book only buy; HARD quotes nothing."""
    assert allowed_sides(GuardLevel.SOFT, 4.2) == {"ask"}
    assert allowed_sides(GuardLevel.SOFT, -4.2) == {"bid"}
    assert allowed_sides(GuardLevel.HARD, 0.0) == set()
