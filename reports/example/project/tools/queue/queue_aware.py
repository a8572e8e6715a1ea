"""Queue-aware quoting: estimate our place in the book queue and whether to requote.

Book levels are ``(price, size)`` pairs, best first. Our resting order joins the
back of the queue at its price; everything at better prices, and what rests at
our price ahead of us, must trade before we fill.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Level = tuple[float, float]


def queue_ahead(levels: Sequence[Level], price: float, side: str) -> float:
    """Size that trades before an order joining at ``price`` on ``side``."""
    if side not in ("bid", "ask"):
        raise ValueError(f"side must be 'bid' or 'ask', got {side!r}")
    ahead = 0.0
    for level_price, size in levels:
        better = level_price > price if side == "bid" else level_price < price
        if better or level_price == price:
            ahead += size
    return ahead


def fill_probability(ahead: float, trade_rate: float, horizon_s: float) -> float:
    """Chance that ``ahead`` is consumed within the horizon, with Poisson-like trading.

    ``trade_rate`` is traded size per second at our side; no trading means no fill.
    """
    expected = trade_rate * horizon_s
    return 1.0 - math.exp(-expected / ahead) if ahead > 0 else 1.0


def should_requote(
    ahead_now: float,
    ahead_if_requoted: float,
    trade_rate: float,
    horizon_s: float,
    min_gain: float = 0.05,
) -> bool:
    """Requote only when it raises the fill probability by at least ``min_gain``."""
    now = fill_probability(ahead_now, trade_rate, horizon_s)
    after = fill_probability(ahead_if_requoted, trade_rate, horizon_s)
    return after - now >= min_gain


def best_join_price(levels: Sequence[Level], side: str, tick: float, max_ahead: float) -> float:
    """The least aggressive price whose queue ahead stays within ``max_ahead``."""
    if not levels:
        raise ValueError("empty book side")
    step = tick if side == "bid" else -tick
    price = levels[0][0]
    while queue_ahead(levels, price, side) > max_ahead:
        price = round(price + step, 10)
    return price
