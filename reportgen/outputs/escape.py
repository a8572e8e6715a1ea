"""Make untrusted text safe for each output: one function per format and use.

Test names, failure messages, file paths and spec prose can come from a pull
request. In Markdown they must render literally and never break a table; in
HTML Jinja's autoescape covers text, and `prose.prose_to_html` covers prose.
Every text either output shows first goes through `clean_block` (or `clean_text`,
its one-line form): no control or bidirectional characters.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.tree import SyntaxTreeNode

# Line breaks, Unicode's line and paragraph separators included (renderers break lines there).
_NEWLINES = re.compile(r"\s*[\r\n\u2028\u2029]+\s*")
_SEPARATORS = {0x2028: "\n", 0x2029: "\n"}
_BACKTICKS = re.compile(r"`+")
# Bidirectional overrides and isolates can make text read differently than it is.
_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), "\ufffd")
_KEPT_CONTROLS = frozenset("\n\t")
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# A scheme is whatever precedes the first ":" when no "/", "?" or "#" comes first;
# anything else is a relative address.
_SCHEME = re.compile(r"^\s*([^:/?#]*):")
# "<!--" opens an HTML comment, and "<!-- reportgen:ID -->" is a comment's marker.
_COMMENT_OPEN = "<!--"
_COMMENT_OPEN_BROKEN = "<!\u200d--"  # a zero-width joiner: reads the same, opens nothing
# Where a name (path, test id) may wrap in HTML: after "/", "::" or ".", but not at a
# decimal point ("[3.9-0]"); a segment too long for a phone's line also between the words
# of an identifier. Nowhere else: `overflow-wrap: anywhere` made "config_manager.p" + "y".
_NAME_BREAK = re.compile(r"(?<=/)|(?<=::)|(?<=\.)(?=\D)")
_WORD_BREAK = re.compile(r"(?<=_)(?=[^\W_])")
_LONG_SEGMENT = 24


def clean_block(text: object, limit: int = 4096) -> str:
    """Untrusted multi-line text: newlines and tabs kept, other control and bidi
    characters shown as U+FFFD, at most `limit` characters."""
    value = str(text).replace("\r\n", "\n").replace("\r", "\n").translate(_BIDI)
    if "\u2028" in value or "\u2029" in value:
        value = value.translate(_SEPARATORS)
    # Printable text holds no character of category C: most texts skip the per-character pass.
    if not value.isprintable():
        value = "".join(
            ch if ch in _KEPT_CONTROLS or unicodedata.category(ch)[0] != "C" else "\ufffd"
            for ch in value
        )
    if len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def no_comment_open(markdown: str) -> str:
    """Markdown that never holds "<!--", not even in a code span (where no escape works), so
    quoted text can neither hide what follows nor carry a comment's marker."""
    return markdown.replace(_COMMENT_OPEN, _COMMENT_OPEN_BROKEN)


def clean_text(text: object, limit: int = 500) -> str:
    """One line of visible text: no newlines, control or bidi characters, at most `limit` chars."""
    value = str(text)
    if not value.isprintable():  # a printable text holds no line break of any kind
        value = _NEWLINES.sub(" ", value)
    return clean_block(value, limit).replace("\t", "\ufffd")


def is_safe_link(url: str) -> bool:
    """True for http(s), mailto and relative URLs: "#x", "a/b.md", "https://e.org"."""
    match = _SCHEME.match(url)
    return match is None or match.group(1).lower() in SAFE_SCHEMES


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
        if not _GITHUB_LINKED.search(core):  # the mark spans the punctuation: "www._"
            lead, core = "", word.group()
        start = word.start() + len(lead)
        parts += [(False, text[plain:start]), (True, core)]
        plain = start + len(core)
    parts.append((False, text[plain:]))
    return [part for part in parts if part[1]]


# ---- Literal text at a known position in Markdown ----
# Each rule escapes a character only where CommonMark or GFM would read it as markup.

_ASCII_PUNCT = frozenset(string.punctuation)
# Code, raw HTML and autolinks, table cells, strikethrough and fences, anywhere.
_ALWAYS = frozenset("`<|~")
_CANDIDATES = _ALWAYS | frozenset(">[]-+=#\\*_&!")  # every other character is always text
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# At the start of a line: a heading, an ordered or bullet list item, a thematic break or
# setext underline, a block quote.
_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
_ORDERED = re.compile(r"([0-9]{1,9})[.)](?:[ \t]|$)")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t])(#+)[ \t]*$")  # "## Title ##" loses its "##"


def _spaced(ch: str | None) -> bool:
    return ch is not None and ch in " \t"


def _markup_at(value: str, i: int, before: str | None, after: str | None, starts: bool) -> bool:
    """Whether value[i] would be read as Markdown markup: `before` and `after` are the
    characters around `value` (None where unknown, and treated as the worst case);
    `starts` says that value[i] is the first character of a line."""
    ch = value[i]
    prev = value[i - 1] if i else before
    nxt = value[i + 1] if i + 1 < len(value) else after
    if ch in _ALWAYS:
        return True
    if starts:
        if ch == ">" or ch == "[":  # block quote; link definition, footnote, task box
            return True
        if ch in "-+*=_" and (nxt is None or _spaced(nxt) or nxt == ch):
            return True  # list item, thematic break, setext underline
        if ch == "#" and _HEADING.match(value, i):
            return True
    if ch == "\\":  # escapes what follows it, or ends a line with a hard break
        return nxt is None or nxt in _ASCII_PUNCT
    if ch == "*":  # emphasis (also inside words) and list items: inert only between spaces
        return not (_spaced(prev) and _spaced(nxt))
    if ch == "_":  # emphasis, except inside a word
        inside = prev is not None and nxt is not None and prev.isalnum() and nxt.isalnum()
        return not (inside or (_spaced(prev) and _spaced(nxt)))
    if ch == "]":  # closes a link, or a definition's label, when "(", "[" or ":" follows;
        # what a template writes after the text is its own markup and href
        return nxt is not None and nxt in "([:]"
    if ch == "&":  # a character reference
        return _ENTITY.match(value, i) is not None
    if ch == "!":  # an image, when a link follows
        return nxt == "[" and i == len(value) - 1
    return False


def md_escape(
    value: str,
    before: str | None = None,
    after: str | None = None,
    line_start: bool = True,
    brackets: bool = False,
) -> str:
    """`value` as Markdown text that renders as itself, backslashes only where needed:
    "0.27s" stays, "**b**" becomes "\\*\\*b\\*\\*". `before`/`after` are the characters around
    it (None: unknown), `line_start` whether it starts a line, `brackets` escapes every
    "[" and "]" (inside a link's text)."""
    first = len(value) - len(value.lstrip(" ")) if line_start else -1
    marks = {
        i
        for i, ch in enumerate(value)
        if ch in _CANDIDATES and _markup_at(value, i, before, after, i == first)
    }
    if brackets:
        marks.update(i for i, ch in enumerate(value) if ch in "[]")
    ordered = _ORDERED.match(value, first) if line_start else None
    if ordered:  # "1. " starts an ordered list: escape its "." or ")"
        marks.add(ordered.end(1))
    if after is None:
        closing = _CLOSING_HASHES.search(value)
        if closing:
            marks.add(closing.start(1))
    return "".join(f"\\{ch}" if i in marks else ch for i, ch in enumerate(value))


def md_text(text: object, limit: int = 500, link_text: bool = False) -> str:
    """Untrusted text as literal Markdown on one line: backslashes only where a character
    would be markup at its place ("82.1%" stays, "**b**" becomes "\\*\\*b\\*\\*"), wherever
    a template puts it; and nothing GitHub would turn into a mention, a cross-reference
    or a link (`inert_words`: those are code). `link_text`: it goes between a link's
    brackets, so every bracket is escaped."""
    parts = inert_words(clean_text(text, limit).strip())
    out = []
    for i, (linked, part) in enumerate(parts):
        if linked:
            out.append(f"`{part}`")
            continue
        after = "`" if i + 1 < len(parts) else None
        out.append(md_escape(part, "`" if i else None, after, i == 0, brackets=link_text))
    return no_comment_open("".join(out))


def _code_span(value: str) -> str:
    """`value` as an inline code span, fenced by more backticks than it holds."""
    longest = max((len(m) for m in _BACKTICKS.findall(value)), default=0)
    fence = "`" * (longest + 1)
    if value.startswith("`") or value.endswith("`") or not value.strip(" "):
        value = f" {value} "
    elif value.startswith(" ") and value.endswith(" "):
        value = f" {value} "  # CommonMark strips one space from each end
    return f"{fence}{value}{fence}"


def md_code(text: object, limit: int = 500) -> str:
    """Untrusted text as an inline code span that also survives inside a table cell."""
    return no_comment_open(_code_span(clean_text(text, limit).replace("|", "\\|")))


def md_code_text(text: object, limit: int = 500) -> str:
    """Untrusted text as an inline code span outside tables: there `\\|` would show as
    written, and a `|` breaks nothing."""
    return no_comment_open(_code_span(clean_text(text, limit)))


# ---- Prose: Markdown written by people, re-emitted from its syntax tree ----


@functools.cache
def _prose_parser() -> MarkdownIt:
    """CommonMark with GFM tables and strikethrough; raw HTML is parsed (to be shown as
    text), images are not (so "![a](u)" reads as "!" and a link), and a link whose
    normalised address is not http(s), mailto or relative is no link."""
    from markdown_it import MarkdownIt

    class ProseMarkdown(MarkdownIt):
        def validateLink(self, url: str) -> bool:  # noqa: N802 (markdown-it's name)
            return super().validateLink(url) and is_safe_link(url)

    md = ProseMarkdown("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.disable("image")
    return md


_INLINE_MARKUP = {"em": "*", "strong": "**", "s": "~~"}
_ALIGN = {"text-align:left": ":---", "text-align:center": ":---:", "text-align:right": "---:"}
_TASK = re.compile(r"\[[ xX]\](?= )")


class _ProseWriter:
    """Markdown from markdown-it's syntax tree, keeping only what prose may hold: text,
    code, emphasis, safe links, paragraphs, headings, lists, quotes, code blocks and
    tables. Everything else, raw HTML first, comes out as literal text."""

    def __init__(self, one_line: bool, heading_shift: int = 2) -> None:
        self.one_line = one_line
        self.heading_shift = heading_shift

    # -- blocks --

    def blocks(self, nodes: list[SyntaxTreeNode], tight: bool = False, item: bool = False) -> str:
        """Blocks one after the other; `item`: they make a list item (may start with a task box)."""
        parts = [self.block(node, tight, task=item and i == 0) for i, node in enumerate(nodes)]
        return ("\n" if tight else "\n\n").join(part for part in parts if part)

    def block(self, node: SyntaxTreeNode, tight: bool, task: bool = False) -> str:
        kind = node.type
        if kind == "paragraph":
            return self.inline(node.children[0], task=task)
        if kind == "heading":
            level = min(int(node.tag[1]) + self.heading_shift, 6)
            return f"{'#' * level} {self.inline(node.children[0])}".rstrip()
        if kind in ("bullet_list", "ordered_list"):
            return self.list(node)
        if kind == "blockquote":
            body = self.blocks(node.children)
            return "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))
        if kind in ("fence", "code_block"):
            content = node.content if node.content.endswith("\n") else node.content + "\n"
            fence = "`" * max([3, *(len(m) + 1 for m in _BACKTICKS.findall(content))])
            info = re.match(r"[\w+#.-]*", node.info.strip()).group() if kind == "fence" else ""
            return f"{fence}{info}\n{content}{fence}"
        if kind == "hr":
            return "***"
        if kind == "table":
            return self.table(node)
        # html_block and anything unknown: its text, line by line, as text
        lines = node.content.strip("\n").split("\n") if node.content else []
        if not lines and node.children:
            return self.blocks(node.children)
        return "\n".join(self.text(line.strip()) for line in lines)

    def list(self, node: SyntaxTreeNode) -> str:
        tight = any(
            child.type == "paragraph" and child.hidden
            for item in node.children
            for child in item.children
        )
        start = int(node.attrs.get("start", 1))
        items = []
        for number, item in enumerate(node.children, start):
            marker = f"{number}{node.markup} " if node.type == "ordered_list" else f"{node.markup} "
            lines = self.blocks(item.children, tight, item=True).split("\n")
            indent = " " * len(marker)
            rest = [f"{indent}{line}" if line else "" for line in lines[1:]]
            items.append("\n".join([f"{marker}{lines[0]}".rstrip(), *rest]))
        return ("\n" if tight else "\n\n").join(items)

    def table(self, node: SyntaxTreeNode) -> str:
        rows = [row for section in node.children for row in section.children]
        lines = []
        for i, row in enumerate(rows):
            cells = [
                self.inline(cell.children[0], table=True) if cell.children else ""
                for cell in row.children
            ]
            lines.append("| " + " | ".join(cells) + " |")
            if i == 0:
                aligns = [_ALIGN.get(cell.attrs.get("style", ""), "---") for cell in row.children]
                lines.append("| " + " | ".join(aligns) + " |")
        return "\n".join(lines)

    # -- inline --

    def inline(self, node: SyntaxTreeNode, table: bool = False, task: bool = False) -> str:
        pieces = self.pieces(node.children, table or self.one_line, brackets=False)
        merged: list[tuple[str, str, bool]] = []
        for piece in pieces:  # raw HTML shown as text joins the text beside it
            if merged and piece[0] == "text" == merged[-1][0] and piece[2] == merged[-1][2]:
                merged[-1] = ("text", merged[-1][1] + piece[1], piece[2])
            else:
                merged.append(piece)
        out = ""
        if task and merged and merged[0][0] == "text" and _TASK.match(merged[0][1]):
            out = merged[0][1][:3]  # a task list's box, kept
            merged[0] = ("text", merged[0][1][3:], merged[0][2])
        for i, (kind, value, brackets) in enumerate(merged):
            if kind == "raw":
                out += value
                continue
            after = next((v[0] for _, v, _ in merged[i + 1 :] if v), None)
            before = out[-1] if out else None
            first = not out or out.endswith("\n")
            out += self.text(value, before, after, brackets, first)
        return out

    def text(
        self,
        value: str,
        before: str | None = None,
        after: str | None = None,
        brackets: bool = False,
        first: bool = True,
    ) -> str:
        if self.one_line:
            return md_escape(value.replace("\n", " "), before, after, first, brackets)
        lines = value.split("\n")
        return "\n".join(
            md_escape(
                line,
                before if i == 0 else None,
                after if i == len(lines) - 1 else None,
                first or i > 0,
                brackets,
            )
            for i, line in enumerate(lines)
        )

    def pieces(
        self, nodes: list[SyntaxTreeNode], table: bool, brackets: bool
    ) -> list[tuple[str, str, bool]]:
        """("text", literal, inside a link) and ("raw", Markdown, _) pieces, in order."""
        out: list[tuple[str, str, bool]] = []
        for node in nodes:
            kind = node.type
            if kind == "text":
                # Mentions, references and bare addresses are code, as in every other text:
                # a spec comes from the pull request, and its prose must ping no one.
                for linked, part in inert_words(node.content):
                    if linked:
                        code = _code_span(part.replace("|", "\\|") if table else part)
                        out.append(("raw", code, brackets))
                    else:
                        out.append(("text", part, brackets))
            elif kind in ("softbreak", "hardbreak") and self.one_line:
                if not out or out[-1][1] != " ":  # a blank line folds to one space too
                    out.append(("raw", " ", brackets))
            elif kind in ("softbreak", "hardbreak"):
                out.append(("raw", "\n" if kind == "softbreak" else "\\\n", brackets))
            elif kind == "code_inline":
                content = node.content.replace("|", "\\|") if table else node.content
                out.append(("raw", _code_span(content), brackets))
            elif kind in _INLINE_MARKUP:
                mark = _INLINE_MARKUP[kind]
                inner = self.pieces(node.children, table, brackets)
                out += [("raw", mark, brackets), *inner, ("raw", mark, brackets)]
            elif kind == "link" and is_safe_link(str(node.attrs.get("href", ""))):
                out += self.link(node, table)
            elif node.children:
                out += self.pieces(node.children, table, brackets)
            else:  # raw HTML, and anything unknown: shown as it was written
                out.append(("text", node.content, brackets))
        return out

    def link(self, node: SyntaxTreeNode, table: bool) -> list[tuple[str, str, bool]]:
        href = str(node.attrs["href"])
        label = "".join(child.content for child in node.children)
        if node.markup == "autolink" and href in (label, f"mailto:{label}"):
            return [("raw", f"<{label}>", False)]
        destination = re.sub(r"([\\()<>])", r"\\\1", href)
        title = node.attrs.get("title")
        if title:
            title = re.sub(r'(["\\])', r"\\\1", str(title)).replace("\n", " ")
            destination += f' "{title}"'
        inner = self.pieces(node.children, table, brackets=True)
        return [("raw", "[", True), *inner, ("raw", f"]({destination})", True)]


def _prose_tree(text: str, one_line: bool) -> SyntaxTreeNode:
    from markdown_it.tree import SyntaxTreeNode

    md = _prose_parser()
    return SyntaxTreeNode(md.parseInline(text) if one_line else md.parse(text))


def md_prose(text: object) -> str:
    """Markdown written by people (goal, notes): kept as Markdown, but raw HTML shown as
    text, no script links (inline or by reference) and no images. Headings move two
    levels down, below the report's own."""
    tree = _prose_tree(clean_block(text, limit=100_000), one_line=False)
    return no_comment_open(_ProseWriter(one_line=False).blocks(tree.children).strip())


def md_prose_line(text: object, limit: int = 10_000) -> str:
    """Prose kept on one line (table cells, list items): its inline Markdown only, of at
    most `limit` characters of source."""
    tree = _prose_tree(clean_block(text, limit=limit), one_line=True)
    if not tree.children:
        return ""
    return no_comment_open(_ProseWriter(one_line=True).inline(tree.children[0]).strip())


def html_text(text: object, limit: int = 500) -> Markup:
    """Untrusted text inside raw HTML of a Markdown file (a `<summary>` line is an HTML
    block, where Markdown escapes do nothing): HTML-escaped, one line, and what GitHub would
    link (see `md_text`) inside <code>."""
    return Markup("").join(
        Markup("<code>%s</code>") % part if linked else escape(part)
        for linked, part in inert_words(clean_text(text, limit))
    )


def html_breakable(text: object, limit: int = 500) -> Markup:
    """A path or test name as HTML text that wraps only between its parts (`<wbr>`)."""
    pieces: list[str] = []
    for segment in _NAME_BREAK.split(clean_text(text, limit)):
        pieces += _WORD_BREAK.split(segment) if len(segment) > _LONG_SEGMENT else [segment]
    return Markup("<wbr>").join(escape(piece) for piece in pieces if piece)


def html_missing(text: object, limit: int = 4096) -> Markup:
    """A Missing string ("6, 10, 16->26") as HTML whose items never wrap inside: a phone
    would otherwise show "21-" / ">26", which reads as the start of a line range."""
    items = clean_text(text, limit).split(", ")
    return Markup(", ").join(
        Markup('<span class="nowrap">%s</span>') % item for item in items if item
    )
