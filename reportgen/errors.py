"""The errors reportgen reports to its user: one line, exit status 2.

Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

from collections.abc import Callable


class ReportgenError(Exception):
    """A problem with the user's input or options; the message is one line."""


class InputError(ReportgenError):
    """An input file is missing, unreadable or not what it should be."""


class SpecError(ReportgenError):
    """The milestone spec has a bad key or value."""


class TemplateError(ReportgenError):
    """A template does not load, does not compile, or broke the sandbox."""


class OutputError(ReportgenError):
    """An output cannot be written (or would silently replace an archived report)."""


# --- Quoting input in messages ----------------------------------------------------------
# A message is one line, yet quotes text from files anyone may have written: a path, a key,
# a value. Quoted whole, such text can make that line megabytes long; raw, a newline starts a
# line of its own (which GitHub Actions runs as a workflow command) and bidi controls reorder
# what the reader sees. So each quoted part is escaped first and then cut to a bound, never
# inside an escape.

QUOTE_LIMIT = 80  # characters of a quoted part, escapes and "…" included


def quote(value: object, limit: int = QUOTE_LIMIT) -> str:
    """`value` as `repr` shows it (quotes, escapes), cut with "…" to about `limit`
    characters inside its quotes."""
    if not isinstance(value, str):
        return _cut(_bounded_repr(value, limit), limit)
    head = value[:limit]  # escaping never shortens text: nothing past this can fit
    if len(value) <= limit:
        shown = repr(head)
        if len(shown) <= limit + 2:
            return shown
    return repr(_prefix(head, limit - 1, lambda char: len(repr(char)) - 2) + "…")


def one_line(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`text` (an input's value, or an error's text that may hold one) for a message: runs
    of white space made one space, other unprintable characters escaped, cut with "…" to
    at most `limit` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit and flat.isprintable():
        return flat
    head = flat[:limit]
    shown = "".join(map(_escaped, head))
    if len(flat) <= limit and len(shown) <= limit:
        return shown
    return "".join(map(_escaped, _prefix(head, limit - 1, lambda char: len(_escaped(char))))) + "…"


def _prefix(text: str, width: int, width_of: Callable[[str], int]) -> str:
    """The longest start of `text` whose characters, shown, take at most `width`."""
    used = 0
    for end, char in enumerate(text):
        used += width_of(char)
        if used > width:
            return text[:end]
    return text


def _escaped(char: str) -> str:
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _bounded_repr(value: object, limit: int) -> str:
    """`repr` of a parsed value (a number, a date, a list or a table of them) that stops
    early: a value read from a file may hold millions of items or nest deeply."""
    import reprlib  # only a failing run pays for it

    shorter = reprlib.Repr()
    shorter.maxlevel = 4
    shorter.maxstring = shorter.maxlong = shorter.maxother = limit
    shorter.maxlist = shorter.maxtuple = shorter.maxset = shorter.maxdict = limit // 2
    return shorter.repr(value)


def _cut(shown: str, limit: int) -> str:
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
