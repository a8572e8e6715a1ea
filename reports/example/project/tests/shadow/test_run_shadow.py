"""Tests of the shadow run's tick loading and quoting."""

import pytest
from tools.shadow.run_shadow import ShadowInputError, Tick, load_ticks, quote_for


@pytest.mark.step(2)
def test_load_ticks_reads_jsonl_and_skips_blank_lines(tmp_path):
    """Each non-blank line becomes a tick, in file order."""
    path = tmp_path / "ticks.jsonl"
    path.write_text(
        '{"ts_ms": 1000, "bid": 99.9, "ask": 100.1, "last": 100.0}\n'
        "\n"
        '{"ts_ms": 1250, "bid": "99.8", "ask": 100.0, "last": 99.8}\n',
        encoding="utf-8",
    )

    assert load_ticks(path) == [Tick(1000, 99.9, 100.1, 100.0), Tick(1250, 99.8, 100.0, 99.8)]


@pytest.mark.step(2)
def test_load_ticks_names_the_bad_line(tmp_path):
    """A line without a required field is reported with its line number."""
    path = tmp_path / "ticks.jsonl"
    path.write_text('{"ts_ms": 1000, "bid": 99.9, "ask": 100.1, "last": 100.0}\n{"ts_ms": 1001}\n')

    with pytest.raises(ShadowInputError, match=r"ticks.jsonl:2: not a tick"):
        load_ticks(path)


@pytest.mark.step(2)
def test_load_ticks_rejects_time_running_backwards(tmp_path):
    """A tick older than the one before it stops the replay at its line."""
    path = tmp_path / "ticks.jsonl"
    path.write_text(
        '{"ts_ms": 2000, "bid": 99.9, "ask": 100.1, "last": 100.0}\n'
        '{"ts_ms": 1999, "bid": 99.9, "ask": 100.1, "last": 100.0}\n'
    )

    with pytest.raises(ShadowInputError, match=r"ticks.jsonl:2: time runs backwards"):
        load_ticks(path)


@pytest.mark.step(2)
@pytest.mark.parametrize(
    ("spread_bps", "expected"),
    [(2.0, (99.99, 100.01)), (0.0, (100.0, 100.0)), (10.0, (99.95, 100.05))],
    ids=["2bps", "zero", "10bps"],
)
def test_quote_for_is_symmetric_around_mid(spread_bps, expected):
    """A quote sits half the spread below and above the mid."""
    assert quote_for(Tick(5, 99.99, 100.01, 100.0), spread_bps) == expected
