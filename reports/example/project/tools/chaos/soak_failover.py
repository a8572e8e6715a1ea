"""Failover drill: two quoting workers share a lease, and the standby must take over.

The leader renews its lease on every heartbeat; when it crashes, the standby may
acquire the lease only once the old one has expired. The drill runs on a fake
clock, so what it measures is exact and the same on every run: when the standby
took over, how long nobody quoted, and whether two workers ever led at once.
"""

import argparse
import json
import sys
from dataclasses import dataclass, field


class FakeClock:
    """Seconds that move only when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock does not run backwards")
        self.now += seconds
        return self.now


@dataclass
class LeaseStore:
    """The shared lease: who holds it, until when, and who held it before."""

    holder: str | None = None
    expires_at: float = 0.0
    history: list[tuple[float, str]] = field(default_factory=list)

    def acquire(self, worker: str, now: float, ttl: float) -> bool:
        """Take or renew the lease; refused while another worker's lease is live."""
        if self.holder not in (None, worker) and now < self.expires_at:
            return False
        if self.holder != worker:
            self.history.append((now, worker))
        self.holder = worker
        self.expires_at = now + ttl
        return True


class Worker:
    """A quoting worker that leads while it holds the lease."""

    def __init__(self, name: str, store: LeaseStore, clock: FakeClock, ttl: float) -> None:
        self.name = name
        self.store = store
        self.clock = clock
        self.ttl = ttl
        self.alive = True

    def heartbeat(self) -> str:
        """One heartbeat: ``leader``, ``standby`` or ``down``."""
        if not self.alive:
            return "down"
        if self.store.acquire(self.name, self.clock.now, self.ttl):
            return "leader"
        return "standby"


Timeline = list[tuple[float, dict[str, str]]]


def run_drill(
    duration: float, crash_at: float, ttl: float = 3.0, interval: float = 1.0
) -> tuple[list[tuple[float, str]], Timeline]:
    """Lease changes and per-heartbeat roles of a drill where ``primary`` dies at ``crash_at``."""
    if interval <= 0 or ttl < interval:
        raise ValueError("need 0 < interval <= ttl, or the leader cannot keep its lease")
    clock = FakeClock()
    store = LeaseStore()
    workers = [Worker(name, store, clock, ttl) for name in ("primary", "standby")]
    timeline: Timeline = []
    while clock.now <= duration:
        # A crash keeps the lease until it expires: that gap is what the drill measures.
        workers[0].alive = clock.now < crash_at
        timeline.append((clock.now, {worker.name: worker.heartbeat() for worker in workers}))
        clock.advance(interval)
    return store.history, timeline


def takeover_gap(history: list[tuple[float, str]]) -> float | None:
    """Seconds from the first leader's start to its successor's; None without one."""
    if len(history) < 2:
        return None
    return history[1][0] - history[0][0]


def leaderless_seconds(timeline: Timeline, interval: float = 1.0) -> float:
    """How long no worker led, counted in heartbeats."""
    idle = [t for t, roles in timeline if "leader" not in roles.values()]
    return len(idle) * interval


def split_brain_at(timeline: Timeline) -> list[float]:
    """Heartbeats at which more than one worker believed it led."""
    return [t for t, roles in timeline if list(roles.values()).count("leader") > 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a lease failover drill.")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--crash-at", type=float, default=5.0)
    parser.add_argument("--ttl", type=float, default=3.0)
    parser.add_argument("--max-leaderless", type=float, default=5.0)
    args = parser.parse_args(argv)
    history, timeline = run_drill(args.duration, args.crash_at, args.ttl)
    result = {
        "takeover_gap": takeover_gap(history),
        "leaderless_seconds": leaderless_seconds(timeline),
        "split_brain_at": split_brain_at(timeline),
    }
    print(json.dumps(result))
    if result["takeover_gap"] is None or result["split_brain_at"]:
        print("FAIL: no clean takeover", file=sys.stderr)
        return 1
    if result["leaderless_seconds"] > args.max_leaderless:
        print(f"FAIL: {result['leaderless_seconds']} s without a leader", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
