"""Risk guards: map inventory and drawdown to a guard level the quoter obeys.

``OK`` quotes normally, ``SOFT`` quotes only the side that reduces inventory,
``HARD`` cancels everything. A limit is tripped when the measure reaches it:
"at or beyond", so a drawdown of exactly the hard limit is ``HARD``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class GuardLevel(IntEnum):
    OK = 0
    SOFT = 1
    HARD = 2


@dataclass(frozen=True)
class RiskLimits:
    max_inventory_pct: float = 5.0
    soft_ratio: float = 0.8
    drawdown_soft_pct: float = 1.0
    drawdown_hard_pct: float = 2.0

    def __post_init__(self) -> None:
        if not 0 < self.soft_ratio <= 1:
            raise ValueError(f"soft_ratio must be in (0, 1], got {self.soft_ratio}")
        if self.drawdown_soft_pct > self.drawdown_hard_pct:
            raise ValueError("drawdown soft limit above the hard limit")


def inventory_level(inventory_pct: float, limits: RiskLimits) -> GuardLevel:
    """Guard level for inventory as % of equity, long or short."""
    size = abs(inventory_pct)
    if size >= limits.max_inventory_pct:
        return GuardLevel.HARD
    if size >= limits.max_inventory_pct * limits.soft_ratio:
        return GuardLevel.SOFT
    return GuardLevel.OK


def drawdown_pct(peak_equity: float, equity: float) -> float:
    """Loss from the peak, in % of the peak."""
    if peak_equity <= 0:
        raise ValueError("peak equity must be positive")
    return max(0.0, (peak_equity - equity) / equity * 100)


def drawdown_level(peak_equity: float, equity: float, limits: RiskLimits) -> GuardLevel:
    """Guard level for the drawdown from the equity peak."""
    loss = drawdown_pct(peak_equity, equity)
    if loss >= limits.drawdown_hard_pct:
        return GuardLevel.HARD
    if loss >= limits.drawdown_soft_pct:
        return GuardLevel.SOFT
    return GuardLevel.OK


def evaluate(
    inventory_pct: float, peak_equity: float, equity: float, limits: RiskLimits
) -> tuple[GuardLevel, list[str]]:
    """The strictest level of all guards, and the guards that are not OK."""
    levels = {
        "inventory": inventory_level(inventory_pct, limits),
        "drawdown": drawdown_level(peak_equity, equity, limits),
    }
    worst = max(levels.values())
    reasons = [f"{name}: {level.name}" for name, level in levels.items() if level > GuardLevel.OK]
    return worst, reasons


def allowed_sides(level: GuardLevel, inventory_pct: float) -> set[str]:
    """Sides the quoter may quote at ``level``."""
    if level is GuardLevel.HARD:
        return set()
    if level is GuardLevel.SOFT:
        return {"ask"} if inventory_pct > 0 else {"bid"}
    return {"bid", "ask"}
