"""Make untrusted text safe for each output: one function per format and use.

Test names, failure messages, file paths and spec prose can come from a pull
request. In Markdown they must render literally and never break a table; in
HTML Jinja's autoescape covers text, and `md_prose_to_html` covers prose.
"""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

# Characters CommonMark + GFM give a meaning to anywhere in a line; "(" and "!"
# only matter next to an (escaped) bracket, so they stay readable.
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~<>&])")
# "_" inside a word (config_manager) is never emphasis in CommonMark; elsewhere it may be.
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# Block markers matter only at the start of a line: "#", "-", "+", "=", "1." ...
_MD_LINE_START = re.compile(r"^(\s*)([#+\-=>])")
_MD_ORDERED_START = re.compile(r"^(\s*\d+)([.)])")
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")
_BACKTICKS = re.compile(r"`+")
# Bidirectional overrides and isolates can make text read differently than it is.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), "\ufffd")
# "<!--" opens an HTML comment, and "<!-- reportgen:ID -->" is a comment's marker.
_COMMENT_OPEN = "<!--"
_COMMENT_OPEN_BROKEN = "<!\u200d--"  # a zero-width joiner: reads the same, opens nothing
_UNSAFE_LINK = re.compile(r"\]\(\s*<?\s*(javascript|vbscript|data|file):", re.IGNORECASE)
# A link reference definition ("[ref]: javascript:...") powers "[text][ref]" anywhere.
# Where a name (path, test id) may wrap in HTML: after "/", "::" or ".", but not at a
# decimal point ("[3.9-0]"); a segment too long for a phone's line also between the words
# of an identifier. Nowhere else: `overflow-wrap: anywhere` made "config_manager.p" + "y".
_NAME_BREAK = re.compile(r"(?<=/)|(?<=::)|(?<=\.)(?=\D)")
_WORD_BREAK = re.compile(r"(?<=_)(?=[^\W_])")
_LONG_SEGMENT = 24
_UNSAFE_DEFINITION = re.compile(
    r"^( {0,3})\[([^\]]+)\]:(\s*<?\s*(?:javascript|vbscript|data|file):)", re.IGNORECASE | re.M
)


def clean_text(text: object, limit: int = 500) -> str:
    """One line of visible text: no newlines, control or bidi characters, at most `limit` chars."""
    value = _NEWLINES.sub(" ", str(text)).translate(_BIDI)
    value = "".join(
        ch if ch == " " or unicodedata.category(ch)[0] != "C" else "\ufffd" for ch in value
    )
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def no_comment_open(markdown: str) -> str:
    """Markdown that never holds "<!--", not even in a code span (where no escape works), so
    quoted text can neither hide what follows nor carry a comment's marker."""
    return markdown.replace(_COMMENT_OPEN, _COMMENT_OPEN_BROKEN)


def md_text(text: object, limit: int = 500) -> str:
    """Untrusted text as literal Markdown: metacharacters backslash-escaped, one line."""
    value = _MD_SPECIAL.sub(r"\\\1", clean_text(text, limit))
    value = _MD_UNDERSCORE.sub(r"\\_", value)
    value = _MD_LINE_START.sub(r"\1\\\2", value)
    return no_comment_open(_MD_ORDERED_START.sub(r"\1\\\2", value))


def md_code(text: object, limit: int = 500) -> str:
    """Untrusted text as an inline code span that also survives inside a table cell."""
    value = clean_text(text, limit).replace("|", "\\|")
    longest = max((len(m) for m in _BACKTICKS.findall(value)), default=0)
    fence = "`" * (longest + 1)
    if value.startswith("`") or value.endswith("`") or not value.strip():
        value = f" {value} "
    return no_comment_open(f"{fence}{value}{fence}")


def md_prose(text: object) -> str:
    """Markdown written by people (goal, notes): kept as Markdown, but no raw HTML, no
    script links (inline or by reference) and no images."""
    parts = re.split(r"(`+[^`]*`+)", str(text).translate(_BIDI))
    out = []
    for i, part in enumerate(parts):
        if i % 2:  # a code span: literal already
            out.append(part)
            continue
        part = part.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        part = _UNSAFE_LINK.sub(lambda m: "\\]\\(" + m.group(1) + ":", part)
        part = _UNSAFE_DEFINITION.sub(r"\1\\[\2\\]:\3", part)
        out.append(part.replace("![", "!\\["))  # no images: a report loads nothing
    return no_comment_open("".join(out).strip())


def md_prose_line(text: object) -> str:
    """Prose kept on one line (table cells, list items)."""
    return _NEWLINES.sub(" ", md_prose(text)).replace("|", "\\|")


def html_text(text: object, limit: int = 500) -> Markup:
    """Untrusted text inside raw HTML of a Markdown file (a `<summary>` line is an HTML
    block, where Markdown escapes do nothing): HTML-escaped, one line."""
    return escape(clean_text(text, limit))


def html_breakable(text: object, limit: int = 500) -> Markup:
    """A path or test name as HTML text that wraps only between its parts (`<wbr>`)."""
    pieces: list[str] = []
    for segment in _NAME_BREAK.split(clean_text(text, limit)):
        pieces += _WORD_BREAK.split(segment) if len(segment) > _LONG_SEGMENT else [segment]
    return Markup("<wbr>").join(escape(piece) for piece in pieces if piece)
