"""Escaping of untrusted and human text: no pings, no raw HTML, no hidden characters."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from reportgen.cli import main
from reportgen.outputs.escape import html_text, is_safe_link, md_prose, md_prose_line, md_text

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


# ---- B: spec prose carries no raw HTML, script links or images ------------------------------


class Permissive(MarkdownIt):
    """A renderer that trusts every link, so only the Markdown we write can keep one out."""

    def validateLink(self, url: str) -> bool:  # noqa: N802 (markdown-it's name)
        return True


LOOSE = Permissive("commonmark", {"html": True}).enable(["table", "strikethrough"])


def unsafe_parts(markdown: str) -> list[str]:
    """Raw HTML, images and links that are not http(s), mailto or relative."""
    found = []
    for token in LOOSE.parse(markdown):
        for t in [token, *(token.children or [])]:
            if t.type in ("html_block", "html_inline", "image"):
                found.append(f"{t.type}: {t.content}")
            href = t.attrGet("href") if t.type == "link_open" else None
            if href is not None and not is_safe_link(str(href)):
                found.append(f"link: {href}")
    return found


HOSTILE_PROSE = [
    "``<img src=x onerror=alert(1)>` and ``<iframe src=https://e.example></iframe>`",
    '``a <a href="https://e.example">y</a>` `b`',
    "[a](javascript\\:alert(1)) [b](JaVaScRiPt:alert(1)) [c](<javascript:alert(1)>)",
    "[d](&#x6a;avascript:alert(1)) [e]( data:text/html,x) [f](vbscript:x) <javascript:alert(1)>",
    "See [g][ref] and [h]\n\n[ref]: javascript:alert(1)\n[h]: data:text/html,x",
    "![t](https://evil.example/t.png) and ![u][img]\n\n[img]: https://evil.example/u.png",
    "<div>\n<script>alert(1)</script>\n</div>\n\n<!-- hidden -->",
]


@pytest.mark.parametrize("text", HOSTILE_PROSE)
def test_hostile_prose_is_neutralised(text: str) -> None:
    assert unsafe_parts(md_prose(text)) == []
    line = md_prose_line(text)
    assert unsafe_parts(line) == [] and "\n" not in line


def test_unbalanced_backticks_keep_html_visible() -> None:
    """The tags are shown as text; the prose around them keeps its Markdown."""
    html = MD.render(md_prose(HOSTILE_PROSE[0]))
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "&lt;iframe src=https://e.example&gt;" in html and "<iframe" not in html
    assert MD.render(md_prose("**b** `c` [d](https://d.example/x)")) == (
        '<p><strong>b</strong> <code>c</code> <a href="https://d.example/x">d</a></p>\n'
    )


PROSE_PIECES = st.sampled_from(
    [
        "<",
        ">",
        "`",
        "``",
        "[",
        "]",
        "(",
        ")",
        "](",
        "javascript:",
        "data:",
        "\\",
        "!",
        "img",
        " ",
        "\n",
        "\n\n",
        "*",
        "_",
        "&#",
        "x",
        ";",
        "https://a.example",
        ":",
        "|",
        "-",
        "#",
        "<!--",
        "-->",
        "<a href=",
        '"',
        "~",
        "    ",
        "1.",
        ">",
        "&amp;",
        "&#106;",
    ]
)


@given(st.lists(PROSE_PIECES, max_size=40).map("".join))
def test_any_prose_renders_no_html_images_or_script_links(text: str) -> None:
    assert unsafe_parts(md_prose(text)) == []
    line = md_prose_line(text)
    assert unsafe_parts(line) == [] and "\n" not in line


# ---- C: pictures show no bidi overrides or control characters ---------------------------------

HIDDEN = "\u202e\u2066\x00\x1b"
DIRTY = f"src/{HIDDEN}evil.py"


def visible(text: str) -> bool:
    return not any(ch in text for ch in HIDDEN)


def test_chart_texts_are_cleaned_like_table_texts() -> None:
    from reportgen.outputs.badge import badge
    from reportgen.outputs.charts import moves_chart, target_chart, trend_chart
    from reportgen.outputs.escape import clean_text

    shown = clean_text(DIRTY)
    assert shown == "src/\ufffd\ufffd\ufffd\ufffdevil.py"
    numbers = {"percent": 50.0, "display": f"50{HIDDEN}"}
    targets = target_chart([{"pattern": DIRTY, "before": numbers, "after": numbers, "min": 40}])
    assert targets is not None
    (row,) = targets.rows
    assert row.full_label == shown and visible(row.label) and visible(row.after.text)
    assert shown in targets.description and visible(targets.description)
    moves = moves_chart([{"path": DIRTY, "delta": 4.0}])
    assert moves is not None
    assert moves.rows[0].path == shown and visible(moves.rows[0].label)
    assert visible(moves.description)
    trend = trend_chart(
        [{"label": DIRTY, "date": f"2025{HIDDEN}", "percent": 50.0, "display": "50"}]
    )
    assert trend is not None
    (point,) = trend.points
    assert point.full_label == shown and visible(point.label) and visible(point.date)
    assert visible(trend.description)
    figure = badge({"coverage": {"after": numbers, "precision": 0}}, label=f"cov{HIDDEN}")
    assert visible(figure.label) and visible(figure.value) and visible(figure.description)


def test_html_pictures_show_no_hidden_characters(tmp_path: Path) -> None:
    import json

    def coverage(missing: list[int]) -> dict:
        executed = [line for line in range(1, 5) if line not in missing]
        summary = {"num_statements": 4, "missing_lines": len(missing)}
        files = {"src/\u202eevil\u2066.py": {"executed_lines": executed, "missing_lines": missing}}
        return {"files": {k: {**v, "summary": summary} for k, v in files.items()}}

    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(coverage([2, 3])))
    after.write_text(json.dumps(coverage([3])))
    out = tmp_path / "report.html"
    args = ["step", "--before", str(before), "--after", str(after), "--target", "src/*=50"]
    result = CliRunner().invoke(
        main, [*args, "--format", "html", "--out", str(out)], env={"SOURCE_DATE_EPOCH": ""}
    )
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    pictures = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(pictures) >= 2  # the moves chart, wide and narrow
    assert all(visible(svg) for svg in pictures)
    assert any("src/\ufffdevil\ufffd.py" in svg for svg in pictures)


# ---- D: readable Markdown, escaped only where a character would be markup -------------------

REPORTS = Path(__file__).resolve().parent.parent / "reports" / "m3"
INLINE_OK = {"text", "code_inline", "softbreak"}


def literal_text(markdown: str, wrappers: frozenset[str] = frozenset()) -> str:
    """The text a Markdown fragment shows; fails on any markup but `wrappers` and code."""
    shown = []
    for token in MD.parse(markdown):
        if token.type == "inline":
            for child in token.children or []:
                assert child.type in INLINE_OK | wrappers, (markdown, child.type)
                if child.type in ("text", "code_inline"):
                    shown.append(child.content)
        else:
            allowed = ("paragraph", "heading", "bullet_list", "list_item", "table", "thead")
            allowed += ("tbody", "tr", "th", "td")
            assert token.type.rsplit("_", 1)[0] in allowed, (markdown, token.type)
    return "".join(shown)


MARKDOWN_PIECES = list("*_`[]()<>!#-+=.|~&;\\:/1a x\t") + ["&amp;", "www.", "@", "1. ", "\n"]
MARKDOWN_TEXT = st.lists(st.sampled_from(MARKDOWN_PIECES), max_size=40).map("".join)
ANY_TEXT = st.one_of(st.text(max_size=60), MARKDOWN_TEXT)


@given(ANY_TEXT)
def test_md_text_renders_as_exactly_the_text(text: str) -> None:
    """Wherever our templates put it, md_text(s) shows s and nothing else: no link, no
    emphasis, no HTML, no list, heading or code block (A's code spans hold text too)."""
    expected = clean_text_stripped(text)
    out = md_text(text)
    assert "\n" not in out
    if not expected:
        assert out == ""
        return
    assert literal_text(out) == expected
    assert literal_text(f"- ❌ {out}") == f"❌ {expected}"
    assert literal_text(f"# {out}") == expected
    assert literal_text(f"| a |\n|---|\n| {out} |") == "a" + expected.strip()
    assert literal_text(f"**{out}**", frozenset({"strong_open", "strong_close"})) == expected


@given(st.integers(0, 3), MARKDOWN_TEXT.map(lambda text: text.replace("\n", " ").strip()))
def test_md_escape_at_a_line_start_is_text(indent: int, text: str) -> None:
    """Escaped at the start of a line (up to 3 spaces in), the text is still only text."""
    from reportgen.outputs.escape import md_escape

    if text:
        assert literal_text(md_escape(" " * indent + text)) == text


def clean_text_stripped(text: str) -> str:
    from reportgen.outputs.escape import clean_text

    return clean_text(text).strip()


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("82.1%", "82.1%"),
        ("0.27s", "0.27s"),
        ("AssertionError: assert [1, 2] == [1, 3]", "AssertionError: assert [1, 2] == [1, 3]"),
        ("assert 3 > 2 (a.b) snake_case done!", "assert 3 > 2 (a.b) snake_case done!"),
        ("a * b and 2*3", "a * b and 2\\*3"),
        ("**bold** _em_", "\\*\\*bold\\*\\* \\_em\\_"),
        ("<b>x</b> | y ~ `z`", "\\<b>x\\</b> \\| y \\~ \\`z\\`"),
        ("[x](javascript:alert(1))", "\\[x\\](javascript:alert(1))"),
        ("1. first", "1\\. first"),
        ("- item", "\\- item"),
        ("# heading", "\\# heading"),
        ("> quote", "\\> quote"),
        ("AT&T &amp;", "AT&T \\&amp;"),
        ("path\\", "path\\\\"),
    ],
)
def test_md_text_escapes_only_what_would_be_markup(text: str, markdown: str) -> None:
    assert md_text(text) == markdown


def test_example_report_reads_like_the_hand_written_one() -> None:
    """No stray backslashes in the archived example, and one way of writing a duration."""
    report = (REPORTS / "p0-4-milestone-3--step-2.md").read_text(encoding="utf-8")
    assert "\\." not in report and "(achieved **0.27s**)" in report
    assert "**Execution time:** 0.27s (was 0.23s)" in report
    durations = re.findall(r"\b\d[\d.]*\s?(?:ms|s)\b", report)
    assert durations and all(re.fullmatch(r"\d+(?:\.\d{2,3})?s", d) for d in durations), durations


def test_index_link_text_keeps_its_brackets() -> None:
    """A step's name is a link's text in the index: its brackets cannot end the link early."""
    from reportgen.outputs.render import make_environment, render

    row = dict.fromkeys(("milestone", "title", "date", "status", "overall", "scope", "tests"))
    row.update(step="Step [2] a]b", report="m3/step-2.md", targets=[], time=None)
    index = {"trend": [], "sparkline": "", "rows": [row], "target_trends": [], "history": None}
    text = render(make_environment(), "index.md", {"index": index})
    line = next(x for x in text.splitlines() if "step-2.md" in x)
    tokens = MD.parseInline(line.split(" | ")[1])[0].children or []
    assert [t.type for t in tokens] == ["link_open", "text", "link_close"]
    assert tokens[1].content == "Step [2] a]b"
    assert tokens[0].attrGet("href") == "m3/step-2.md"


def test_spec_texts_reach_html_cleaned(tmp_path: Path) -> None:
    """Spec texts (title, milestone, step, target) in the pages and the index: cleaned too."""
    after = Path(__file__).parent / "data" / "coverage" / "7.17.4" / "branch.json"
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'title = "T\\u202eevil\\u0000x"\nmilestone = "M\\u2066"\nstep = "S\\u202e1"\n'
        'date = 2025-01-02\n[[target]]\npath = "*"\nmin = 10\n'
        f"[inputs]\nafter = {json_string(after)}\n",
        encoding="utf-8",
    )
    out = tmp_path / "reports" / "m"
    env = {"SOURCE_DATE_EPOCH": ""}
    args = ["step", "--spec", str(spec), "--out", str(out)]
    args += ["--format", "md", "--format", "json", "--format", "html"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.stderr
    result = CliRunner().invoke(main, ["index", str(out.parent)], env=env)
    assert result.exit_code == 0, result.stderr
    pages = [*out.glob("*.html"), *out.glob("*.md"), out.parent / "index.html"]
    pages.append(out.parent / "index.md")
    assert len(pages) == 4
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert visible(text), page.name
        assert "T\ufffdevil\ufffdx" in text, page.name


def json_string(path: Path) -> str:
    import json

    return json.dumps(str(path))


def test_spec_prose_pings_no_one(tmp_path: Path) -> None:
    """A spec comes from the pull request: its criteria, goal and notes are Markdown kept as
    Markdown, but their mentions and references are code, as in every other text."""
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'goal = "Ask @octocat about #12"\nnotes = "See owner/repo#3 and @acme/team."\n'
        '[[criteria]]\ntext = "Reviewed by **@octocat**, see #12"\ndone = false\n',
        encoding="utf-8",
    )
    junit = tmp_path / "run.xml"
    junit.write_text('<testsuite><testcase classname="m" name="t"/></testsuite>', encoding="utf-8")
    for fmt in ("github", "md"):
        done = CliRunner().invoke(
            main,
            ["step", "--spec", str(spec), "--junit", str(junit), "--format", fmt, "--exit-zero"],
        )
        assert done.exit_code == 0, done.stderr
        assert linked_outside_code(done.stdout) == [], fmt
        assert "**`@octocat`**" in done.stdout


def test_a_long_criteria_list_still_fits_a_comment(tmp_path: Path) -> None:
    """Eight unmet criteria of 9,500 characters each: the github format cuts each text and
    the list, and stays under GitHub's limit, so a spec cannot block the comment."""
    spec = tmp_path / "spec.toml"
    spec.write_text(
        "".join(
            f'[[criteria]]\ntext = "{n} ' + "word " * 1900 + '"\ndone = false\n' for n in range(8)
        ),
        encoding="utf-8",
    )
    junit = tmp_path / "run.xml"
    junit.write_text('<testsuite><testcase classname="m" name="t"/></testsuite>', encoding="utf-8")
    done = CliRunner().invoke(
        main, ["step", "--spec", str(spec), "--junit", str(junit), "--format", "github"]
    )
    assert done.exit_code == 0, done.stderr  # manual criteria: the exit follows automatic ones
    assert len(done.stdout.encode()) < 65_536
    assert done.stdout.count("- ❌ ") == 8
