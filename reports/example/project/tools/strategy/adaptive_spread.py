"""Adaptive spread: widen quotes when the market moves, skew them against inventory.

The quoted spread is ``base + vol_mult * realized volatility + inventory skew``,
and must always stay within ``[min_bps, max_bps]``: the exchange rejects quotes
tighter than the minimum, and risk rejects anything wider than the maximum.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class SpreadConfig:
    base_bps: float = 1.5
    min_bps: float = 0.8
    max_bps: float = 6.0
    vol_mult: float = 0.5
    skew_bps_per_pct: float = 0.4
    window: int = 20


def realized_vol_bps(mids: list[float]) -> float:
    """Standard deviation of tick-to-tick log returns, in basis points."""
    if len(mids) < 3:
        return 0.0
    returns = [math.log(b / a) for a, b in zip(mids, mids[1:], strict=False)]
    mean = sum(returns) / len(returns)
    variance = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    return math.sqrt(variance) * 10_000


def inventory_skew_bps(inventory_pct: float, per_pct: float) -> float:
    """Extra width, growing with the absolute inventory (in % of the limit)."""
    return abs(inventory_pct) * per_pct


class AdaptiveSpread:
    """Tracks recent mids and answers the spread to quote now."""

    def __init__(self, config: SpreadConfig | None = None) -> None:
        self.config = config or SpreadConfig()
        self.mids: deque[float] = deque(maxlen=self.config.window)

    def update(self, mid: float) -> None:
        if mid <= 0:
            raise ValueError(f"mid price must be positive, got {mid}")
        self.mids.append(mid)

    def spread_bps(self, inventory_pct: float = 0.0) -> float:
        cfg = self.config
        raw = cfg.base_bps + cfg.vol_mult * realized_vol_bps(list(self.mids))
        clamped = min(max(raw, cfg.min_bps), cfg.max_bps)
        return round(clamped + inventory_skew_bps(inventory_pct, cfg.skew_bps_per_pct), 4)

    def quotes(self, mid: float, inventory_pct: float = 0.0) -> tuple[float, float]:
        """Bid and ask around ``mid`` at the current spread."""
        half = mid * self.spread_bps(inventory_pct) / 20_000
        return round(mid - half, 8), round(mid + half, 8)
