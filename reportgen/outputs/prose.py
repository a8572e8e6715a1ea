"""Markdown written by people (goal, notes, criteria, next steps) as safe HTML.

The spec can come from a pull request, so its prose is rendered with raw HTML
disabled, images disabled (an image would load a URL when the report is opened)
and links limited to http(s), mailto and relative addresses. Headings are moved
below the report's own section headings so notes cannot break the outline.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from markupsafe import Markup

# Re-exported: the one sanitiser and link check every output uses.
from reportgen.outputs.escape import SAFE_SCHEMES, clean_block, is_safe_link

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

__all__ = ["SAFE_SCHEMES", "clean_block", "is_safe_link", "prose_inline_to_html", "prose_to_html"]


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
