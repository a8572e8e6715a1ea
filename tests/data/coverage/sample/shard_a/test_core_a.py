"""First shard: parsing, signs, searching and counting down."""

from sample import core, limits


def test_parse_text_and_bytes():
    """Both overloads' implementation handles text and bytes."""
    assert core.parse(" 12 ") == 12
    assert core.parse(b"7") == 7


def test_classify_positive():
    """Only the positive branch runs in this shard."""
    assert core.classify(5) == "positive"


def test_first_index_found():
    """The loop always returns from inside."""
    assert core.first_index(["a", "b", "c"], "b") == 1


def test_countdown_breaks():
    """The while loop is left by break, never by its condition."""
    assert core.countdown(9) == [9, 8]


def test_limits_loaded():
    """Importing limits runs all but one of its statements."""
    assert limits.LIMIT_198 == 198 * 16
