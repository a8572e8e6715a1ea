"""Tests of queue-aware quoting."""

import pytest
from tools.queue.queue_aware import fill_probability, queue_ahead

BIDS = [(100.0, 5.0), (99.9, 8.0), (99.8, 20.0)]


def test_queue_ahead_counts_better_and_equal_prices():
    """Joining the bid at 99.9 waits behind 100.0 and the resting size at 99.9."""
    assert queue_ahead(BIDS, 99.9, "bid") == 13.0


def test_queue_ahead_rejects_unknown_side():
    """A side other than bid or ask is an error."""
    with pytest.raises(ValueError, match="side must be 'bid' or 'ask', got 'buy'"):
        queue_ahead(BIDS, 99.9, "buy")


def test_fill_probability_grows_with_trading():
    """More traded size in the horizon means a likelier fill."""
    slow = fill_probability(ahead=10.0, trade_rate=1.0, horizon_s=5.0)
    fast = fill_probability(ahead=10.0, trade_rate=4.0, horizon_s=5.0)

    assert 0.0 < slow < fast < 1.0


def test_no_trading_means_no_fill_even_at_queue_front():
    """With no trading at all, even an order at the front of the queue does not fill."""
    probability = fill_probability(ahead=0.0, trade_rate=0.0, horizon_s=5.0)

    assert probability == 0.0, f"fill probability {probability} with a trade rate of 0"


@pytest.mark.skip(reason="L2 book replay fixture is not checked in (too large)")
def test_best_join_price_on_recorded_book():
    """On the recorded book the best join price keeps the queue within 10 lots."""
    raise AssertionError("needs the recorded L2 book")
