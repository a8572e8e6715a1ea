"""Escaping of untrusted and human text: no pings, no raw HTML, no hidden characters."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from reportgen.cli import main
from reportgen.outputs.escape import html_text, md_text

MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

# What GitHub links in the text of a comment, written independently of reportgen's rule.
PINGS = re.compile(r"@[A-Za-z0-9]|#[0-9]|gh-[0-9]|://\w|www\.\w|mailto:\w|xmpp:\w", re.IGNORECASE)
HOSTILE_MESSAGE = (
    "ping @alice and @org/team, see owner/repo#1 (#12), GH-3, owner/repo@0123abc;"
    " https://evil.example/x www.evil.example, mail a@b.example"
)


def linked_outside_code(markdown: str) -> list[str]:
    """Text GitHub would turn into mentions, references or links: the text nodes of the
    rendered Markdown, outside code (raw HTML's <code> counts as code too)."""
    html = MD.render(markdown)
    html = re.sub(r"<code>.*?</code>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", html)
    return PINGS.findall(text)


# ---- A: failure messages ping no one -------------------------------------------------------


def test_mentions_references_and_urls_in_text_are_code() -> None:
    out = md_text(HOSTILE_MESSAGE)
    assert linked_outside_code(out) == []
    for word in ("@alice", "@org/team", "owner/repo#1", "#12", "GH-3", "owner/repo@0123abc"):
        assert f"`{word}`" in out
    assert "`https://evil.example/x`" in out and "`www.evil.example`" in out
    assert out.startswith("ping `@alice` and ")  # the rest stays plain text
    assert "(`#12`), `GH-3`," in out


def test_html_text_puts_linked_words_in_code() -> None:
    assert html_text("mod @team <b>") == "mod <code>@team</code> &lt;b&gt;"
    assert linked_outside_code(f"<summary>{html_text(HOSTILE_MESSAGE)}</summary>") == []


PING_ALPHABET = st.sampled_from(list("@#:/w.gGhH-1a |`_*()<>[]\\mailto") + ["www.", "://", "GH-"])


@given(st.lists(PING_ALPHABET, max_size=30).map("".join))
def test_nothing_in_md_text_is_linked_by_github(text: str) -> None:
    assert linked_outside_code(md_text(text)) == []
    assert linked_outside_code(f"<summary>{html_text(text)}</summary>") == []


def test_failure_messages_ping_no_one_in_any_markdown_format(tmp_path: Path) -> None:
    junit = tmp_path / "j.xml"
    junit.write_text(
        '<testsuites><testsuite name="s" time="1">'
        '<testcase classname="pkg.@team.mod" name="test_x">'
        f'<failure message="{HOSTILE_MESSAGE}"/></testcase>'
        "</testsuite></testsuites>",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["step", "--junit", str(junit), "--format", "md", "--format", "github"]
    result = CliRunner().invoke(main, [*args, "--out", str(out)], env={"SOURCE_DATE_EPOCH": ""})
    assert result.exit_code == 0, result.stderr
    written = sorted(out.glob("*.md"))
    assert len(written) == 2  # the report and the comment
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "`@alice`" in text, path.name
        assert linked_outside_code(text) == [], path.name
