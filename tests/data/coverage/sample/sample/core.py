"""Helpers whose tests take some branches one way only, leave loops early and skip code."""

from __future__ import annotations

import sys
import typing

DEFAULT_WIDTH = 10
SEPARATORS = (",", ";")

# Module-level code with a loop: runs once, at import.
ALIASES = {}
for _name in ("sum", "max"):
    ALIASES[_name.upper()] = _name


@typing.overload
def parse(value: str) -> int: ...


@typing.overload
def parse(value: bytes) -> int: ...


def parse(value: str | bytes) -> int:
    """Read an integer from text or bytes."""
    if isinstance(value, bytes):
        value = value.decode("ascii")
    return int(value.strip())


def classify(number: int) -> str:
    """Name the sign of a number; no test passes zero."""
    if number > 0:
        return "positive"
    elif number < 0:
        return "negative"
    else:
        return "zero"


def first_index(items: list[str], wanted: str) -> int:
    """Position of the first match; the tests always find one, so the loop never runs out."""
    for index, item in enumerate(items):
        if item == wanted:
            return index
    return -1


def countdown(start: int) -> list[int]:
    """Count down from start, stopping early at a multiple of seven."""
    seen = []
    while start > 0:
        if start % 7 == 0:
            break
        seen.append(start)
        start -= 1
    return seen


def log_if(enabled: bool, messages: list[str], text: str) -> None:
    """Append text when enabled; called only enabled, so the jump to the exit is never taken."""
    if enabled:
        messages.append(text)


def make_counter(step: int = 1) -> tuple[typing.Callable[[], int], typing.Callable[[], None]]:
    """Return two closures; only the first is ever called."""
    total = 0

    def bump() -> int:
        nonlocal total
        total += step
        return total

    def reset() -> None:
        nonlocal total
        total = min(
            total,
            0,
        )

    return bump, reset


def join_fields(
    fields: list[str],
    separator: str = SEPARATORS[0],
) -> str:
    """Join the non-empty fields: a signature and a statement spread over several lines."""
    text = separator.join(
        [field.strip() for field in fields if field],
    )
    return text


def debug_dump(value: object) -> str:  # pragma: no cover
    """Excluded as a whole by its pragma."""
    return repr(value)


def pad(text: str, width: int = DEFAULT_WIDTH) -> str:
    """Pad text to width; one guard is excluded by a pragma."""
    if len(text) >= width:
        return text
    if width > 1000:  # pragma: no cover
        raise ValueError("too wide")
    return text.ljust(width)


class Shape:
    """A class with methods, one never called, and a nested class."""

    sides = 0

    def __init__(self, name: str) -> None:
        self.name = name

    def describe(self) -> str:
        return f"{self.name} with {self.sides} sides"

    def scale(self, factor: float) -> Shape:
        if factor <= 0:
            raise ValueError(f"bad factor {factor}")
        self.name = f"{self.name} x{factor}"
        return self

    class Meta:
        ordering = ("name",)

        def label(self) -> str:
            return "shape"


class Square(Shape):
    """A subclass whose only method is never called."""

    sides = 4

    def area(self, size: float) -> float:
        return size * size


if __name__ == "__main__":
    print(classify(int(sys.argv[1])))
