"""Shadow run: replay recorded ticks through the quoter without sending any order.

Ticks come from a JSONL file, one ``{"ts_ms": ..., "bid": ..., "ask": ..., "last": ...}``
per line. For each tick the shadow quoter places a bid and an ask around the mid;
the next tick's last trade says whether either would have filled, and at what edge.
The KPI summary is what the soak gate reads before a profile goes live.
"""

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


class ShadowInputError(ValueError):
    """A tick file that cannot be replayed."""


@dataclass(frozen=True)
class Tick:
    ts_ms: int
    bid: float
    ask: float
    last: float

    @property
    def mid(self) -> float:
        return (self.bid + self.ask) / 2


def load_ticks(path: str | Path) -> list[Tick]:
    """Ticks in file order; blank lines are skipped, time must not run backwards."""
    ticks: list[Tick] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            tick = Tick(int(raw["ts_ms"]), float(raw["bid"]), float(raw["ask"]), float(raw["last"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise ShadowInputError(f"{path}:{number}: not a tick ({exc})") from exc
        if ticks and tick.ts_ms < ticks[-1].ts_ms:
            raise ShadowInputError(f"{path}:{number}: time runs backwards")
        ticks.append(tick)
    return ticks


def quote_for(tick: Tick, spread_bps: float) -> tuple[float, float]:
    """A symmetric bid and ask ``spread_bps`` wide around the tick's mid."""
    half = tick.mid * spread_bps / 20_000
    return round(tick.mid - half, 8), round(tick.mid + half, 8)


def would_fill(quote: tuple[float, float], next_tick: Tick) -> str | None:
    """The side that the next trade would have filled, if any."""
    bid, ask = quote
    if next_tick.last <= bid:
        return "bid"
    if next_tick.last >= ask:
        return "ask"
    return None


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def run_shadow(
    ticks: Sequence[Tick], spread_bps: float, clock: Callable[[], float] = time.perf_counter
) -> dict[str, float]:
    """Quote on every tick but the last, score each quote on the next tick, sum up the KPIs."""
    fills: list[float] = []
    latencies_ms: list[float] = []
    for tick, next_tick in zip(ticks, ticks[1:], strict=False):
        started = clock()
        quote = quote_for(tick, spread_bps)
        latencies_ms.append((clock() - started) * 1000)
        side = would_fill(quote, next_tick)
        if side is not None:
            # Edge against the mid after the fill: what the fill earned, in bps.
            price = quote[0] if side == "bid" else quote[1]
            sign = 1 if side == "bid" else -1
            fills.append(sign * (next_tick.mid - price) / next_tick.mid * 10_000)
    quotes = len(latencies_ms)
    return {
        "quotes": quotes,
        "fill_rate": round(len(fills) / quotes, 4) if quotes else 0.0,
        "mean_edge_bps": round(sum(fills) / len(fills), 3) if fills else 0.0,
        "p95_latency_ms": round(percentile(latencies_ms, 95), 3),
    }


def gate(kpis: dict[str, float], min_edge_bps: float = 0.0, max_p95_ms: float = 5.0) -> list[str]:
    """Reasons the run fails the soak gate; empty when it passes."""
    reasons = []
    if kpis["quotes"] == 0:
        reasons.append("no quotes: the tick file has fewer than two ticks")
    if kpis["mean_edge_bps"] < min_edge_bps:
        reasons.append(f"mean edge {kpis['mean_edge_bps']} bps < {min_edge_bps}")
    if kpis["p95_latency_ms"] > max_p95_ms:
        reasons.append(f"p95 latency {kpis['p95_latency_ms']} ms > {max_p95_ms}")
    return reasons


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Replay ticks through the shadow quoter.")
    parser.add_argument("ticks", type=Path)
    parser.add_argument("--spread-bps", type=float, default=1.5)
    parser.add_argument("--out", type=Path, help="write the KPI summary as JSON")
    args = parser.parse_args(argv)
    try:
        ticks = load_ticks(args.ticks)
    except (OSError, ShadowInputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    kpis = run_shadow(ticks, args.spread_bps)
    reasons = gate(kpis)
    if args.out:
        args.out.write_text(json.dumps({**kpis, "failures": reasons}, indent=2) + "\n")
    for reason in reasons:
        print(f"GATE FAIL: {reason}")
    return 1 if reasons else 0


if __name__ == "__main__":
    sys.exit(main())
