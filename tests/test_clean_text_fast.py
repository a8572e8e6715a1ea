"""`clean_block` and `clean_text` skip their per-character work for text that needs none; what
they return is still the definition's, character by character."""

from __future__ import annotations

import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from reportgen.outputs.escape import clean_block, clean_text

_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _block(text: str, limit: int = 4096) -> str:
    """The sanitiser's definition: every character of category C but newline and tab, and
    every bidirectional control, becomes U+FFFD; CR, CRLF and the line and paragraph
    separators (U+2028, U+2029) become newlines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    value = "".join(
        "\ufffd" if ch in _BIDI or (ch not in "\n\t" and unicodedata.category(ch)[0] == "C") else ch
        for ch in text
    )
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _line(text: str, limit: int = 500) -> str:
    return _block(re.sub(r"\s*[\r\n\u2028\u2029]+\s*", " ", text), limit).replace("\t", "\ufffd")


# Paths and names as reports show them, and every kind of character that must be replaced.
_texts = st.one_of(
    st.text(),
    st.text(
        alphabet=st.sampled_from("ab/._:-[] 0\t\n\r\x00\x1b\x7f\x85\u2028\u2029\u202e\u00a0\ud800")
    ),
)


@settings(max_examples=500, deadline=None)
@given(_texts)
@example("src/pkg/module.py")
@example("tests/test_a.py::test_b[1-2]")
@example("a\u00a0b\u2028c")  # printable? no: separators take the per-character pass
@example("x\u202ey")
def test_cleaning_is_the_definitions(text: str) -> None:
    assert clean_block(text) == _block(text)
    assert clean_text(text) == _line(text)


def test_common_texts_pass_unchanged_and_controls_do_not() -> None:
    assert clean_text("src/pkg/config_manager.py") == "src/pkg/config_manager.py"
    assert clean_text("a \r\n  b\u202ec\x1b") == "a b\ufffdc\ufffd"
    assert clean_block("one\n\ttwo\x00") == "one\n\ttwo\ufffd"
    # Unicode's line and paragraph separators break lines in renderers: a line has none.
    assert clean_text("a\u2028b \u2029 c") == "a b c"
    assert clean_block("a\u2028b") == "a\nb"
