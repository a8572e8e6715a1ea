"""Tests of the adaptive spread."""

import pytest
from tools.strategy.adaptive_spread import (
    AdaptiveSpread,
    SpreadConfig,
    inventory_skew_bps,
    realized_vol_bps,
)


def test_flat_market_quotes_base_spread():
    """With constant mids there is no volatility and the base spread is quoted."""
    spread = AdaptiveSpread()
    for _ in range(5):
        spread.update(100.0)

    assert spread.spread_bps() == 1.5


def test_realized_vol_needs_three_mids():
    """Fewer than three mids give zero volatility; alternating mids give a positive one."""
    assert realized_vol_bps([100.0, 101.0]) == 0.0
    assert realized_vol_bps([100.0, 100.1, 100.0, 100.1]) == pytest.approx(11.5412, abs=1e-4)


def test_skew_is_symmetric_in_inventory_sign():
    """Long and short inventory of the same size widen the spread by the same amount."""
    assert inventory_skew_bps(-2.5, 0.4) == inventory_skew_bps(2.5, 0.4) == 1.0


def test_non_positive_mid_is_rejected():
    """A zero mid price is a data error, not a market."""
    with pytest.raises(ValueError, match="mid price must be positive, got 0"):
        AdaptiveSpread().update(0.0)


def test_spread_never_exceeds_max_with_inventory_skew():
    """The spread stays within max_bps even with a large inventory."""
    config = SpreadConfig(max_bps=6.0)
    spread = AdaptiveSpread(config)
    spread.update(100.0)

    quoted = spread.spread_bps(inventory_pct=15.0)

    assert quoted <= config.max_bps, f"spread {quoted} bps above max_bps {config.max_bps}"


def test_quotes_width_respects_max_spread():
    """Bid and ask are never wider apart than max_bps of the mid."""
    config = SpreadConfig(base_bps=5.0, max_bps=6.0)
    spread = AdaptiveSpread(config)
    spread.update(100.0)

    bid, ask = spread.quotes(100.0, inventory_pct=-5.0)
    width_bps = round((ask - bid) / 100.0 * 10_000, 6)

    assert width_bps <= config.max_bps, f"quotes {bid}/{ask} are {width_bps} bps wide"
