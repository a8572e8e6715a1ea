"""Tests of the lease failover drill."""

import pytest
from tools.chaos.soak_failover import FakeClock, LeaseStore, Worker, run_drill, takeover_gap


def test_fake_clock_only_moves_forward():
    """The fake clock advances by the given seconds and refuses to go back."""
    clock = FakeClock(10.0)

    assert clock.advance(2.5) == 12.5
    with pytest.raises(ValueError, match="does not run backwards"):
        clock.advance(-1)


def test_live_lease_is_not_taken_over():
    """Another worker cannot acquire a lease before it expires, but can after."""
    store = LeaseStore()

    assert store.acquire("primary", now=0.0, ttl=3.0)
    assert not store.acquire("standby", now=2.9, ttl=3.0)
    assert store.acquire("standby", now=3.0, ttl=3.0)
    assert store.history == [(0.0, "primary"), (3.0, "standby")]


def test_dead_worker_reports_down_and_takes_no_lease():
    """A worker that is down answers its heartbeat with "down" and never touches the lease."""
    store = LeaseStore()
    worker = Worker("primary", store, FakeClock(), ttl=3.0)
    worker.alive = False

    assert worker.heartbeat() == "down"
    assert store.holder is None
    assert store.history == []


def test_takeover_gap_from_lease_history():
    """The gap is the time from the first holder to the second; one holder means no takeover."""
    assert takeover_gap([(0.0, "primary"), (7.0, "standby"), (9.0, "primary")]) == 7.0
    assert takeover_gap([(0.0, "primary")]) is None


def test_drill_rejects_heartbeat_slower_than_lease():
    """A heartbeat interval longer than the lease TTL is refused before the drill starts."""
    with pytest.raises(ValueError, match="need 0 < interval <= ttl"):
        run_drill(duration=10.0, crash_at=5.0, ttl=1.0, interval=2.0)


@pytest.mark.skip(reason="needs the shared lease backend of the soak rig (two hosts)")
def test_failover_against_real_lease_backend():
    """The drill against the real lease backend hands over within one TTL."""
    raise AssertionError("runs only on the soak rig")
