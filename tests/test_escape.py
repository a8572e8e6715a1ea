"""Untrusted text renders literally in Markdown: no markup, no HTML, no broken tables."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markupsafe import escape

from reportgen.outputs.escape import (
    clean_text,
    html_breakable,
    md_code,
    md_prose,
    md_text,
    no_comment_open,
)

MD = MarkdownIt("commonmark", {"html": True}).enable("table")


def cell_count(row_text: str) -> int:
    """Columns GitHub-flavoured Markdown sees in a one-row table whose middle cell is row_text."""
    tokens = MD.parse(f"| a | b | c |\n|---|---|---|\n| x | {row_text} | z |\n")
    return sum(1 for t in tokens if t.type == "td_open")


def rendered_text(markdown: str) -> str:
    """The visible text of a Markdown fragment (inline content only)."""
    tokens = MD.parseInline(markdown)
    return "".join(
        child.content
        for t in tokens
        for child in (t.children or [])
        if child.type in ("text", "code_inline")
    )


@given(st.text(max_size=80))
def test_md_text_keeps_table_columns(text: str) -> None:
    """Any text escaped by md_text stays in its own table cell."""
    assert cell_count(md_text(text)) == 3


@given(st.text(max_size=80))
def test_md_code_keeps_table_columns(text: str) -> None:
    """Any text as a code span stays in its own table cell."""
    assert cell_count(md_code(text)) == 3


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("C",)), max_size=60))
@example("<!--")
@example("a <!-- reportgen:x --> b")
def test_md_text_renders_literally(text: str) -> None:
    """The rendered text of md_text(x) is x itself (one line, whitespace folded), but for
    "<!--", which reads the same with a zero-width joiner that opens no comment."""
    expected = " ".join(no_comment_open(clean_text(text)).split())
    assert " ".join(rendered_text(md_text(text)).split()) == expected


def test_hostile_names_render_as_text() -> None:
    """HTML and links in test names come out as visible characters, never markup."""
    html = MD.render(md_text("<img src=x onerror=alert(1)> [x](javascript:alert(1)) **b**"))
    assert "<img" not in html and "<a " not in html and "<strong>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_prose_keeps_code_and_drops_html() -> None:
    """Spec prose keeps its Markdown code spans but loses raw HTML and script links."""
    text = md_prose("Raise `a<b>` to 80% <script>alert(1)</script> [x](javascript:alert(1))")
    html = MD.render(text)
    assert "<code>a&lt;b&gt;</code>" in html
    assert "<script>" not in html and 'href="javascript' not in html


def test_clean_text_removes_controls_and_bidi() -> None:
    """Control and bidirectional characters are replaced; long text is cut with an ellipsis."""
    assert clean_text("a\u202eb\x00c\nd") == "a\ufffdb\ufffdc d"
    assert clean_text("x" * 600, limit=10) == "x" * 9 + "…"


def test_prose_reference_links_and_images_are_neutralised() -> None:
    """A `[ref]: javascript:` definition and remote images lose their power in spec prose."""
    text = md_prose(
        "See [c][ref] ![t](https://evil.example/t.png) [ok](https://x.org)\n\n[ref]: javascript:alert(4)"
    )
    html = MD.render(text)
    assert "javascript" not in html.split("<p>[ref]")[0]
    assert 'href="javascript' not in html and "<img" not in html
    assert '<a href="https://x.org">ok</a>' in html


def test_html_breakable_wraps_names_only_between_parts() -> None:
    """Paths and test ids may wrap after "/", "." and "::", never inside a word; a long
    identifier also between its words, and a decimal point stays whole."""
    assert html_breakable("tools/soak/config_manager.py") == (
        "tools/<wbr>soak/<wbr>config_manager.<wbr>py"
    )
    assert html_breakable("tests.soak.test_x::TestY::test_z") == (
        "tests.<wbr>soak.<wbr>test_x::<wbr>TestY::<wbr>test_z"
    )
    assert html_breakable("test_level[3.9-0]") == "test_level[3.9-0]"
    long = "test_runtime_overrides_path_parent_dirs_created"
    assert html_breakable(long) == long.replace("_", "_<wbr>")
    assert html_breakable("<script>/x") == "&lt;script&gt;/<wbr>x"


@given(st.text())
def test_html_breakable_is_html_text_with_break_points(text: str) -> None:
    """Without its <wbr> marks the output is exactly the escaped one-line text (shown in HTML
    pages, where GitHub links nothing, so mentions need no code spans as in `html_text`)."""
    assert html_breakable(text).replace("<wbr>", "") == escape(clean_text(text))


def test_html_missing_keeps_each_item_whole() -> None:
    """A phone may wrap a Missing list only between items: "21->26" never as "21-" / ">26"."""
    from reportgen.outputs.escape import html_missing

    assert html_missing("6, 21->26, 30-31") == (
        '<span class="nowrap">6</span>, <span class="nowrap">21-&gt;26</span>, '
        '<span class="nowrap">30-31</span>'
    )
    assert html_missing("") == ""
    assert html_missing("<b>") == '<span class="nowrap">&lt;b&gt;</span>'


def test_code_spans_show_a_bar_as_written_in_and_out_of_tables() -> None:
    """`\\|` is a bar only inside a table row; in a list it would show its backslash."""
    from reportgen.outputs.escape import md_code_text

    md = MarkdownIt("commonmark").enable("table")
    listed = md.parseInline(md_code_text("test_p[a|b]"))[0].children
    assert [t.content for t in listed if t.type == "code_inline"] == ["test_p[a|b]"]
    table = md.render(f"| a |\n|---|\n| {md_code('test_p[a|b]')} |\n")
    assert "<code>test_p[a|b]</code>" in table and table.count("<td>") == 1


def test_code_text_cleans_and_bounds_like_code() -> None:
    """Outside tables the code span still gets the one sanitiser: no bidi override, no
    newline, at most the limit."""
    from reportgen.outputs.escape import md_code_text

    span = md_code_text("a\u202eb\nc" + "x" * 600)
    assert "\u202e" not in span and "\n" not in span
    assert span.startswith("`a\ufffdb c") and len(span) <= 502
