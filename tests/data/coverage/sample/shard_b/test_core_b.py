"""Second shard: classes, closures, joining, padding and the fully covered module."""

from sample import core, full


def test_classify_negative():
    """Only the negative branch runs in this shard."""
    assert core.classify(-3) == "negative"


def test_shape_and_scale():
    """A shape is described and scaled with a good factor."""
    shape = core.Shape("box").scale(2)
    assert shape.describe() == "box x2 with 0 sides"


def test_counter_bumps():
    """The bump closure runs; reset never does."""
    bump, _reset = core.make_counter(3)
    bump()
    assert bump() == 6


def test_join_and_pad():
    """Join skips empty fields; pad takes both of its unexcluded paths."""
    assert core.join_fields(["a ", "", " b"]) == "a,b"
    assert core.pad("abc", 5) == "abc  "
    assert core.pad("abcdef", 3) == "abcdef"


def test_log_if_enabled():
    """log_if is only ever called enabled."""
    messages = []
    core.log_if(True, messages, "x")
    assert messages == ["x"]


def test_full_module():
    """Every line and branch of full.py runs."""
    assert [full.clamp(v, 0, 10) for v in (-1, 5, 11)] == [0, 5, 10]
    assert full.total([1, 2, 3]) == 6
    assert full.total([]) == 0
