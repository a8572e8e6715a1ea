"""Time, size and memory bounds on rendering a template.

Templates from a pull request run automatically, and Jinja's sandbox stops access to
Python's internals but not work: `"x" * 10**10`, `10**(10**9)`, nested loops or
`lipsum(10**7)` would run for minutes or take gigabytes. Three layers bound a render:

- operators, calls and filters whose result could be huge are checked *before* they run
  (one C call such as a string repetition cannot be interrupted once started);
- a CPU-time deadline, delivered by a signal, interrupts loops that call nothing;
- an address-space limit around the render turns any other runaway allocation into a
  MemoryError, and the output is counted as it is produced.
"""

from __future__ import annotations

import functools
import math
import os
import re
import signal
import string
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import jinja2

# CPU seconds one render may take. The built-in templates render the 50,000-file benchmark
# in about a second; CPU time, not wall time, so a busy machine does not fail a report.
RENDER_CPU_SECONDS = 10.0
# Memory a render may add to what the process already holds (its inputs are loaded).
RENDER_MEMORY_BYTES = 1 << 30
# Characters one rendered output may have, and items or characters one value may have.
MAX_OUTPUT_CHARS = 256 << 20
MAX_SIZE = 16 << 20
# Widths and precisions of padding and number formats: far wider than any layout.
MAX_WIDTH = 10_000
# Bits of an integer an operator may produce (int-to-text stops at 4,300 digits anyway).
MAX_BITS = 1 << 20
# Paragraphs and words of `lipsum`, and slices or batch lengths of `slice` and `batch`.
MAX_LIPSUM_PARAGRAPHS, MAX_LIPSUM_WORDS, MAX_COUNT = 100, 1_000, 100_000


class LimitError(jinja2.TemplateError):
    """A template asked for more than a render may take."""


class RenderTimeout(BaseException):
    """The CPU deadline passed. Not an Exception: nothing on the way may swallow it."""


_TEXT = (str, bytes, bytearray)
_SIZED = (str, bytes, bytearray, list, tuple)


def _refuse(problem: str) -> LimitError:
    return LimitError(f"too large to render: {problem}")


def check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse `*`, `**`, `+` and `%` whose result would be too large to make."""
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, _SIZED) and isinstance(count, int):
                if len(seq) * max(count, 0) > MAX_SIZE:
                    raise _refuse(f"{len(seq)} items repeated {_short(count)} times")
                return
        if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_BITS:
            raise _refuse("a product of more than a million bits")
    elif operator == "**":
        if _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
            if right * left.bit_length() > MAX_BITS:
                raise _refuse(f"a power with the exponent {_short(right)}")
    elif operator == "+":
        if isinstance(left, _SIZED) and isinstance(right, _SIZED):
            if len(left) + len(right) > MAX_SIZE:
                raise _refuse(f"a sum of {len(left)} and {len(right)} items")
    elif operator == "%" and isinstance(left, str):
        values = right if isinstance(right, tuple) else (right,)
        check_printf(left, values)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _short(number: int) -> str:
    # Text of a huge number is itself refused past 4,300 digits: give its magnitude.
    if number.bit_length() < 64:
        return str(number)
    return f"about 10**{int(number.bit_length() * math.log10(2))}"


# A conversion's width and precision (`%%` is a literal percent sign).
_PRINTF = re.compile(r"%%|%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


def check_printf(template: str, values: Sequence[Any] | Mapping[str, Any]) -> None:
    """Refuse a printf-style format whose width or precision would make a huge string."""
    numbers = values.values() if isinstance(values, Mapping) else values
    for match in _PRINTF.finditer(template):
        for field in match.groups():
            if field == "*":
                _check_widths(numbers)
            elif field is not None:
                _check_width(field)


def check_format(template: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse a `str.format` template whose width or precision would make a huge string."""
    for _, _, spec, _ in string.Formatter().parse(template):
        if not spec:
            continue
        if "{" in spec:  # a width given as an argument: refuse any argument too wide
            _check_widths([*args, *kwargs.values()])
        for digits in re.findall(r"\d+", spec):
            _check_width(digits)


def _check_width(digits: str) -> None:
    if len(digits.lstrip("0")) > 6 or int(digits) > MAX_WIDTH:
        raise _refuse(f"a format width or precision of {digits[:20]}")


def _check_widths(values: Any) -> None:
    for value in values:
        if _is_int(value) and abs(value) > MAX_WIDTH:
            raise _refuse(f"a width of {_short(value)}")


def _check_replace(text: Any, old: Any, new: Any, count: Any) -> None:
    if not (isinstance(text, _TEXT) and isinstance(old, _TEXT) and isinstance(new, _TEXT)):
        return
    grows = len(new) - len(old)
    if grows <= 0:
        return
    times = len(text) + 1 if not old else len(text) // len(old)
    if _is_int(count) and count >= 0:
        times = min(times, count)
    if len(text) + times * grows > MAX_SIZE:
        raise _refuse(f"a replacement growing {len(text)} characters {times} times")


def _arg(args: Sequence[Any], kwargs: Mapping[str, Any], index: int, name: str) -> Any:
    return args[index] if len(args) > index else kwargs.get(name)


def check_call(func: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse a method call of text or a number whose result would be too large to make."""
    wrapped = getattr(func, "__wrapped__", None)  # the sandbox wraps str.format
    owner = getattr(wrapped if wrapped is not None else func, "__self__", None)
    name = getattr(func, "__name__", "")
    if isinstance(owner, str) and name in ("format", "format_map"):
        mapping = args[0] if name == "format_map" and args else kwargs
        if not isinstance(mapping, Mapping):
            mapping = {}  # str.format_map reports that itself
        check_format(owner, args if name == "format" else (), mapping)
    elif isinstance(owner, _TEXT):
        if name in ("center", "ljust", "rjust", "zfill"):
            _check_widths([_arg(args, kwargs, 0, "width")])
        elif name == "expandtabs":
            size = _arg(args, kwargs, 0, "tabsize")
            tabs = owner.count("\t" if isinstance(owner, str) else b"\t")
            if _is_int(size) and len(owner) + tabs * size > MAX_SIZE:
                raise _refuse(f"tabs expanded to {_short(size)} columns")
        elif name == "replace":
            _check_replace(owner, *(list(args) + [None] * 3)[:3])
    elif _is_int(owner) and name == "to_bytes":
        length = _arg(args, kwargs, 0, "length")
        if _is_int(length) and length > MAX_SIZE:
            raise _refuse(f"{_short(length)} bytes")


def check_result(value: Any) -> Any:
    """Stop a chain of calls each growing its value before it takes the memory."""
    if isinstance(value, _SIZED) and len(value) > MAX_SIZE:
        raise _refuse(f"a value of {len(value)} items")
    return value


def _bounded_filter(check: Callable[..., None], func: Callable[..., Any]) -> Callable[..., Any]:
    # A filter asking for its context or environment gets it first; the checks skip it.
    skip = 0 if getattr(func, "jinja_pass_arg", None) is None else 1

    @functools.wraps(func)  # keeps `jinja_pass_arg`, which decides what Jinja passes
    def call(*args: Any, **kwargs: Any) -> Any:
        check(*args[skip:], **kwargs)
        return check_result(func(*args, **kwargs))

    return call


def _center(value: Any, width: Any = 80) -> None:
    _check_widths([width])


def _indent(s: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    if isinstance(width, str) and len(width) > MAX_WIDTH:
        raise _refuse(f"an indent of {len(width)} characters")
    _check_widths([width])


def _wordwrap(s: Any, width: Any = 79, *args: Any, **kwargs: Any) -> None:
    _check_widths([width])
    wrapstring = _arg(args, kwargs, 1, "wrapstring")
    if isinstance(wrapstring, str) and len(wrapstring) > MAX_WIDTH:
        raise _refuse(f"a line break of {len(wrapstring)} characters")


def _format(value: Any, *args: Any, **kwargs: Any) -> None:
    check_printf(str(value), kwargs or args)


def _replace(s: Any, old: Any, new: Any, count: Any = None) -> None:
    _check_replace(str(s), str(old), str(new), count)


def _counted(value: Any, count: Any, *args: Any, **kwargs: Any) -> None:
    if _is_int(count) and count > MAX_COUNT:
        raise _refuse(f"{_short(count)} slices or items per batch")


def _sum(iterable: Any, attribute: Any = None, start: Any = 0) -> None:
    # Builtin sum adds in one C loop; adding lists or text there is quadratic and cannot
    # be interrupted.
    if not isinstance(start, int | float):
        raise LimitError("sum adds numbers only")


_FILTER_CHECKS: dict[str, Callable[..., None]] = {
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "format": _format,
    "replace": _replace,
    "batch": _counted,
    "slice": _counted,
    "sum": _sum,
}


def bounded_filters(filters: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Jinja's filters that take a size, wrapped to refuse sizes too large to make."""
    return {
        name: _bounded_filter(check, filters[name])
        for name, check in _FILTER_CHECKS.items()
        if name in filters
    }


def bounded_lipsum(lipsum: Callable[..., str]) -> Callable[..., str]:
    """`lipsum` with at most MAX_LIPSUM_PARAGRAPHS paragraphs of MAX_LIPSUM_WORDS words."""

    @functools.wraps(lipsum)
    def call(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
        if n > MAX_LIPSUM_PARAGRAPHS or min > MAX_LIPSUM_WORDS or max > MAX_LIPSUM_WORDS:
            raise _refuse(f"lipsum of {_short(n)} paragraphs of up to {_short(max)} words")
        return lipsum(n, html, min, max)

    return call


def bounded_output(chunks: Iterator[str]) -> str:
    """The rendered text, refused as soon as it passes MAX_OUTPUT_CHARS."""
    parts, size = [], 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise _refuse(f"an output of more than {MAX_OUTPUT_CHARS} characters")
        parts.append(chunk)
    return "".join(parts)


class _Deadline:
    armed = False  # the signal handler raises only while a render runs
    expired = False


def check_deadline() -> None:
    """Raise if the deadline passed and its signal was swallowed on the way."""
    if _Deadline.armed and _Deadline.expired:
        raise RenderTimeout


def _on_deadline(signum: int, frame: object) -> None:
    if _Deadline.armed:
        _Deadline.expired = True
        raise RenderTimeout


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise RenderTimeout once the process has used `seconds` more CPU time.

    A signal interrupts template loops that call nothing the sandbox sees. Signals reach
    only the main thread; elsewhere the render runs without a deadline.
    """
    try:
        previous = signal.signal(signal.SIGPROF, _on_deadline)
    except (AttributeError, ValueError):  # no SIGPROF (Windows), or not the main thread
        yield
        return
    _Deadline.expired, _Deadline.armed = False, True
    # Fires again every quarter second, in case one raise lands where it is caught.
    timer = signal.setitimer(signal.ITIMER_PROF, seconds, 0.25)
    try:
        yield
    finally:
        # The handler can raise at any instruction until it is disarmed; the inner
        # `finally` still stops the timer and restores the handler if it does.
        try:
            _Deadline.armed = False
        finally:
            _Deadline.armed = _Deadline.expired = False
            signal.setitimer(signal.ITIMER_PROF, *timer)  # usually none
            signal.signal(signal.SIGPROF, previous)


def _address_space() -> int | None:
    try:
        with open("/proc/self/statm", "rb") as handle:
            return int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def memory_limit(extra: int) -> Iterator[None]:
    """Let the process's address space grow by at most `extra` bytes (Linux only)."""
    try:
        import resource
    except ImportError:
        yield
        return
    used = _address_space()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = None if used is None else used + extra
    if limit is None or (hard != resource.RLIM_INFINITY and limit > hard):
        limit = None
    if limit is not None and soft != resource.RLIM_INFINITY and soft <= limit:
        limit = None  # a stricter limit is already set
    if limit is None:
        yield
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def describe_bound(err: BaseException) -> str | None:
    """The one-line problem of a bound's failure, or None for other errors."""
    if isinstance(err, RenderTimeout):
        return f"took more than {RENDER_CPU_SECONDS:g} s of CPU time"
    if isinstance(err, MemoryError):
        return f"needs more than {RENDER_MEMORY_BYTES >> 20} MiB of memory"
    if isinstance(err, LimitError):
        return str(err)
    return None


def is_finite(value: Any) -> bool:
    return not isinstance(value, float) or math.isfinite(value)
