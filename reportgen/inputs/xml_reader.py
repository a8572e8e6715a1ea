"""What the test-result readers share: the reader base class, captured text, and the values
found in result files (times, messages), made safe for one-line errors."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, BinaryIO

from defusedxml import DTDForbidden

from reportgen.analysis.test_run import RunBuilder, TestRun
from reportgen.errors import InputError, one_line

TEXT_LIMIT = 4096  # characters kept of a failure's message and of its text
_MAX_SECONDS = 1e6  # 11.6 days: a larger "time" is nanoseconds or garbage, not seconds
CHUNK = 1 << 16

Attrs = Mapping[str, str]


# --- Values found in result files -------------------------------------------------------

# Surefire writes long times with grouping commas ("1,234.5", "1,234"); .NET in a
# decimal-comma locale writes "0,288" or "35,5236617". Comma-separated groups of three
# digits after a non-zero lead are thousands; any other single comma is a decimal comma.
_GROUPED = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d*)?)")


def parse_seconds(text: str | None) -> float:
    """Seconds of a `time` attribute; 0 when absent, unreadable, negative or absurd."""
    if not text:
        return 0.0
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_with_commas(text.strip())
    return seconds if 0.0 <= seconds < _MAX_SECONDS else 0.0


def _seconds_with_commas(text: str) -> float:
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    elif text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return 0.0


def parse_timespan(text: str | None) -> float:
    """Seconds of a TRX duration, `[d.]hh:mm:ss[.fffffff]`; 0 when unreadable."""
    match = _TIMESPAN.fullmatch((text or "").strip())
    if match is None:
        return 0.0
    days, hours, minutes, seconds = match.groups()
    total = ((int(days or 0) * 24 + int(hours)) * 60 + int(minutes)) * 60 + float(seconds)
    return total if total < _MAX_SECONDS else 0.0


def clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def clean(text: str) -> str:
    """Unix newlines, outer white space stripped, capped."""
    return clip(text.replace("\r\n", "\n").replace("\r", "\n").strip())


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


class Text:
    """Collects an element's character data, keeping at most TEXT_LIMIT characters."""

    __slots__ = ("parts", "size")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, data: str) -> None:
        if self.size > TEXT_LIMIT or (not self.parts and data.isspace()):
            return
        self.parts.append(data)
        self.size += len(data)

    def value(self) -> str:
        return clean("".join(self.parts))


# --- Reading ----------------------------------------------------------------------------


def read_chunk(stream: BinaryIO, source: str, size: int = CHUNK) -> bytes:
    try:
        return stream.read(size)
    except OSError as err:
        raise InputError(f"{source}: cannot read ({one_line(str(err.strerror or err))})") from None


def declaration_message(source: str, err: Exception) -> str:
    name = one_line(str(getattr(err, "name", "") or ""), 40)
    if isinstance(err, DTDForbidden) and name.lower() == "html":
        return f"{source}: not JUnit XML (an HTML page)"
    if isinstance(err, DTDForbidden):
        return f"{source}: DTDs are not accepted in test results (<!DOCTYPE {name}>)"
    return f"{source}: entity declarations are not accepted in test results"


class Reader(ABC):
    """What the format readers share: depth, text capture, top-level suite times, names."""

    TOP = ""  # the top-level suite element, whose times add up to the run's time

    def __init__(self, source: str, root: str, expat: Any) -> None:
        self.source = source
        self.expat = expat
        self.builder = RunBuilder()
        self.depth = 0
        self.top = 1 if root == self.TOP else 2  # depth of the top-level suites
        self.suite_time = 0.0
        self.suite_timed = False
        self.unnamed = 0
        self.text: Text | None = None
        self.text_depth = 0

    @abstractmethod
    def start(self, name: str, attrs: Attrs) -> None:
        """An element opens."""

    @abstractmethod
    def end(self, name: str) -> None:
        """An element closes."""

    def add_suite_time(self, value: str | None) -> None:
        if value is not None and value.strip():
            self.suite_timed = True
            self.suite_time += parse_seconds(value)

    def name_or_number(self, name: str) -> str:
        """A nameless test is a test of its own: numbered in document order and named after
        the file, so that shards never merge it with another."""
        if name:
            return name
        self.unnamed += 1
        return f"<unnamed #{self.unnamed} in {self.source}>"

    def capture(self) -> None:
        """Keep the character data of the element just started."""
        self.text = Text()
        self.text_depth = self.depth
        self.expat.CharacterDataHandler = self.text.add

    def captured(self) -> str:
        assert self.text is not None
        value = self.text.value()
        self.text = None
        self.text_depth = 0
        self.expat.CharacterDataHandler = None
        return value

    def finish(self) -> TestRun:
        return self.builder.build(self.suite_time if self.suite_timed else None)


def feed_all(xml: Any, stream: BinaryIO, source: str) -> int:
    """Feed a whole stream to a defusedxml parser; returns the bytes read (0: empty).

    Expat rescans an unfinished token (a start tag with a huge attribute, a comment) from its
    start at every feed: quadratic in 64 KiB feeds. Doubling the reads while no event passes
    keeps the work linear; the next event resets them.
    """
    expat = xml.parser
    size = 0
    wanted = CHUNK
    while chunk := read_chunk(stream, source, wanted):
        size += len(chunk)
        last_event = expat.CurrentByteIndex
        xml.feed(chunk)
        wanted = CHUNK if expat.CurrentByteIndex != last_event else wanted * 2
    return size
