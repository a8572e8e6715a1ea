"""Markdown written by people (goal, notes, criteria, next steps) as safe HTML.

The spec can come from a pull request, so its prose is rendered with raw HTML
disabled, images disabled (an image would load a URL when the report is opened)
and links limited to http(s), mailto and relative addresses. Headings are moved
below the report's own section headings so notes cannot break the outline.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

from markupsafe import Markup

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# A scheme is whatever precedes the first ":" when no "/", "?" or "#" comes first;
# anything else is a relative address.
_SCHEME = re.compile(r"^\s*([^:/?#]*):")
# Bidirectional overrides and isolates can make text read differently than it is.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), "\ufffd")
_KEPT_CONTROLS = frozenset("\n\t")


def is_safe_link(url: str) -> bool:
    """True for http(s), mailto and relative URLs: "#x", "a/b.md", "https://e.org"."""
    match = _SCHEME.match(url)
    return match is None or match.group(1).lower() in SAFE_SCHEMES


def clean_block(text: object, limit: int = 4096) -> str:
    """Untrusted multi-line text: newlines and tabs kept, other control and bidi
    characters shown as U+FFFD, at most `limit` characters."""
    value = str(text).replace("\r\n", "\n").replace("\r", "\n").translate(_BIDI)
    value = "".join(
        ch if ch in _KEPT_CONTROLS or unicodedata.category(ch)[0] != "C" else "\ufffd"
        for ch in value
    )
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


@functools.cache
def _parser() -> MarkdownIt:
    """One parser per process: building it compiles every rule."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.tasklists import tasklists_plugin

    class ProseMarkdown(MarkdownIt):
        def validateLink(self, url: str) -> bool:  # noqa: N802 (markdown-it's name)
            return super().validateLink(url) and is_safe_link(url)

    md = ProseMarkdown("commonmark", {"html": False}).enable("table")
    md.disable("image")
    md.use(tasklists_plugin)
    return md


def prose_to_html(text: object, heading_shift: int = 2) -> Markup:
    """Block Markdown ("notes") as HTML; "# A" becomes <h3> with the default shift."""
    md = _parser()
    tokens = md.parse(clean_block(text, limit=100_000))
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + heading_shift, 6)
            token.tag = f"h{level}"
    return Markup(md.renderer.render(tokens, md.options, {}))


def prose_inline_to_html(text: object) -> Markup:
    """One paragraph of Markdown (goal, a criterion, a next step) without the <p>."""
    return Markup(_parser().renderInline(clean_block(text, limit=10_000)).strip())
