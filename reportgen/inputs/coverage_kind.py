"""Which coverage format a file holds, told from its first bytes (never from its name)."""

from __future__ import annotations

import re

JSON = "json"
DATA_FILE = "data file"
COBERTURA = "cobertura"
LCOV = "lcov"

HEAD_BYTES = 4096  # enough to pass a BOM, an XML declaration and comments, or LCOV's TN: line

# LCOV records start a line with an upper-case key and a colon; a tracefile opens with one.
_LCOV_START = re.compile(rb"(?:TN|SF|VER|FN|FNDA|FNF|FNH|FNL|FNA|DA|LF|LH|BRDA|BRF|BRH):")


def coverage_kind(head: bytes) -> str:
    """The format of a coverage input whose file starts with `head`.

    Anything that is not recognisably a data file, XML or LCOV is read as JSON, whose reader
    explains what is wrong with it.
    """
    if head.startswith(b"SQLite format 3\x00"):
        return DATA_FILE
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    text = text.lstrip()
    if text.startswith(b"<"):
        return COBERTURA
    if _LCOV_START.match(text):
        return LCOV
    return JSON
