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
_UNSAFE_LINK = re.compile(r"\]\(\s*<?\s*(javascript|vbscript|data|file):", re.IGNORECASE)
# A link reference definition ("[ref]: javascript:...") powers "[text][ref]" anywhere.
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


# What GitHub links in a comment's text (never inside code): @mentions and @org/teams,
# e-mail addresses, #12, GH-12, owner/repo#12 and owner/repo@sha, and bare URLs. A word
# holding one of these marks is shown as code, where it stays inert.
_GITHUB_LINKED = re.compile(r"@\w|#\d|gh-\d|://|www\.|mailto:|xmpp:", re.IGNORECASE)
# Words end at spaces, "|" (a table cell's edge) and backticks (fences of their own).
_WORD = re.compile(r"[^\s|`]+")
# Punctuation around a word that stays outside its code span: "(see @a)." -> (see `@a`).
_WORD_EDGES = re.compile(r"^([(\[{<\"'*_~]*)(.*?)([.,:;!?)\]}>\"'*_~]*)$")


def inert_words(text: str) -> list[tuple[bool, str]]:
    """`text` cut into (linked, part): parts GitHub would turn into a mention, a reference or
    a link are flagged; they hold no space, "|" or backtick."""
    parts: list[tuple[bool, str]] = []
    plain = 0
    for word in _WORD.finditer(text):
        if not _GITHUB_LINKED.search(word.group()):
            continue
        lead, core, _ = _WORD_EDGES.match(word.group()).groups()
        if not _GITHUB_LINKED.search(core):
            continue
        start = word.start() + len(lead)
        parts += [(False, text[plain:start]), (True, core)]
        plain = start + len(core)
    parts.append((False, text[plain:]))
    return [part for part in parts if part[1]]


def _md_plain(value: str) -> str:
    value = _MD_SPECIAL.sub(r"\\\1", value)
    return _MD_UNDERSCORE.sub(r"\\_", value)


def md_text(text: object, limit: int = 500) -> str:
    """Untrusted text as literal Markdown: metacharacters backslash-escaped, one line, and
    nothing GitHub would turn into a mention, a cross-reference or a link."""
    value = "".join(
        f"`{part}`" if linked else _md_plain(part)
        for linked, part in inert_words(clean_text(text, limit))
    )
    value = _MD_LINE_START.sub(r"\1\\\2", value)
    return _MD_ORDERED_START.sub(r"\1\\\2", value)


def md_code(text: object, limit: int = 500) -> str:
    """Untrusted text as an inline code span that also survives inside a table cell."""
    value = clean_text(text, limit).replace("|", "\\|")
    longest = max((len(m) for m in _BACKTICKS.findall(value)), default=0)
    fence = "`" * (longest + 1)
    if value.startswith("`") or value.endswith("`") or not value.strip():
        value = f" {value} "
    return f"{fence}{value}{fence}"


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
    return "".join(out).strip()


def md_prose_line(text: object) -> str:
    """Prose kept on one line (table cells, list items)."""
    return _NEWLINES.sub(" ", md_prose(text)).replace("|", "\\|")


def html_text(text: object, limit: int = 500) -> Markup:
    """Untrusted text inside raw HTML of a Markdown file (a `<summary>` line is an HTML
    block, where Markdown escapes do nothing): HTML-escaped, one line, and what GitHub would
    link (see `md_text`) inside <code>."""
    return Markup("").join(
        Markup("<code>%s</code>") % part if linked else escape(part)
        for linked, part in inert_words(clean_text(text, limit))
    )
