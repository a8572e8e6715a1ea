"""The HTML report, index and badge: structure, escaping of hostile input, safe prose."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from reportgen.cli import main
from reportgen.outputs.prose import clean_block, is_safe_link, prose_inline_to_html, prose_to_html

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "coverage"
EXAMPLE = ROOT / "reports" / "m3"
EVIL = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"
QUOTED = "sample/\"q\"&'s'.py"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Page(HTMLParser):
    """Collects tags, attributes and text, and checks that every element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else ''}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def attrs(self, name: str) -> list[tuple[str, str]]:
        """(tag, value) of every `name` attribute."""
        return [(tag, a[name] or "") for tag, a in self.tags if name in a]

    @property
    def visible(self) -> str:
        return " ".join("".join(self.text).split())


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"SOURCE_DATE_EPOCH": ""})
    return result.exit_code, result.stdout, result.stderr


def hostile_inputs(folder: Path) -> Path:
    """Coverage, JUnit and a spec whose names, messages and prose try to inject markup."""
    for side, version in (("before", "6.5.0"), ("after", "7.17.4")):
        data = json.loads((DATA / version / "branch.json").read_text(encoding="utf-8"))
        files = data["files"]
        files[f"sample/{EVIL}.py"] = files.pop("sample/core.py")
        files[QUOTED] = files.pop("sample/limits.py")
        (folder / f"{side}.json").write_text(json.dumps(data), encoding="utf-8")
    suite = (
        '<testsuites><testsuite name="s" tests="3" time="1.5">'
        '<testcase classname="tests.safe" name="test_ok" time="0.5"/>{extra}'
        "</testsuite></testsuites>"
    )
    hostile_cases = (
        f'<testcase classname="tests.evil" name="test_x[{escape_xml(EVIL)}]" time="0.5">'
        f'<failure message="{escape_xml(SCRIPT)}">{escape_xml(SCRIPT)}</failure></testcase>'
        '<testcase classname="tests.evil" name="test_&quot;quoted&quot;_&apos;s&apos;" time="0.5"/>'
    )
    (folder / "junit-before.xml").write_text(suite.format(extra=""), encoding="utf-8")
    (folder / "junit.xml").write_text(suite.format(extra=hostile_cases), encoding="utf-8")
    spec = f'''
milestone = "M1"
step = "Step 1"
title = 'Say "hi" & <b>bold</b>'
date = 2025-10-27
goal = "Raise {SCRIPT} `core.py`"
notes = "[x](javascript:alert(1)) {EVIL} ![t](https://tracker.example/p.png) [docs](https://example.org/docs)"
next = ["Step 2: <script>alert(3)</script>"]

[[target]]
path = "sample/*.py"
min = 80

[[target]]
path = """{QUOTED}"""
min = 1

[[criteria]]
text = "[y](JaVaScRiPt:alert(2)) reviewed"
done = false

[inputs]
before = "before.json"
after = "after.json"
junit = ["junit.xml"]
junit_before = ["junit-before.xml"]
'''
    path = folder / "spec.toml"
    path.write_text(spec, encoding="utf-8")
    return path


def escape_xml(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


@pytest.fixture(scope="module")
def hostile_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    spec = hostile_inputs(tmp_path_factory.mktemp("hostile"))
    status, out, err = run("step", "--spec", str(spec), "--format", "html")
    assert status in (0, 1), err
    return out


@pytest.fixture(scope="module")
def example_html() -> str:
    status, out, err = run("step", "--spec", str(EXAMPLE / "step1.toml"), "--format", "html")
    assert status == 0, err
    return out


# ---- structure ----


def test_page_is_balanced_utf8_and_self_contained(example_html: str) -> None:
    """The report parses with every element closed, declares UTF-8 early and loads nothing."""
    page = parse(example_html)
    assert page.problems == [] and page.stack == []
    assert example_html.startswith('<!DOCTYPE html>\n<html lang="en">')
    assert '<meta charset="utf-8">' in example_html[:1024]
    assert "<script" not in example_html.lower()
    assert not re.search(r"https?://", example_html)
    assert not [t for t, _ in page.tags if t in ("link", "img", "iframe", "object", "embed")]
    assert page.attrs("src") == []
    csp = [a["content"] for t, a in page.tags if a.get("http-equiv") == "Content-Security-Policy"]
    assert csp == [
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    ]


def test_sections_follow_the_markdown_report(example_html: str) -> None:
    """The page has the Markdown report's sections in its order, under one <h1>."""
    page = parse(example_html)
    ids = [a["id"] for t, a in page.tags if t == "section"]
    assert ids == [
        "results",
        "tests-added",
        "test-results",
        "functions",
        "impact",
        "failures",
        "criteria",
        "notes",
        "next-steps",
    ]
    assert [t for t, _ in page.tags].count("h1") == 1
    assert "config_manager.py" in page.visible and "COMPLETED" in page.visible


def test_same_figures_and_names_as_the_markdown(example_html: str) -> None:
    """Every percentage, count and code-formatted name of the Markdown report is in the page."""
    status, markdown, err = run("step", "--spec", str(EXAMPLE / "step1.toml"))
    assert status == 0, err
    visible = parse(example_html).visible
    figures = set(re.findall(r"[+\-±]?\d+(?:\.\d+)?(?:%|s\b)", markdown))
    names = {n for n in re.findall(r"`([^`\\]+)`", markdown)}
    assert {"82%", "+5%", "54%", "52%", "0.23s"} <= figures
    assert "test_deep_merge_layers_parameterized" in names
    assert sorted(f for f in figures if f not in visible) == []
    assert sorted(n for n in names if n not in visible) == []


def test_charts_have_text_alternatives(example_html: str) -> None:
    """Each picture is an <svg role="img"> with an aria-label and a <title> giving its numbers."""
    page = parse(example_html)
    svgs = [a for t, a in page.tags if t == "svg"]
    assert len(svgs) == 4  # targets and moves, each drawn wide and narrow
    assert {a["role"] for a in svgs} == {"img"}
    labels = [a["aria-label"] for a in svgs]
    assert labels[0] == (
        "Target coverage. tools/soak/config_manager.py: 77% before, 82% after, target ≥80%."
    )
    assert labels[2] == (
        "Largest coverage changes, in percentage points: tools/soak/config_manager.py +5%."
    )
    assert example_html.count("<title>Target coverage.") == 2


def test_folded_parts_are_details_that_print_open(example_html: str) -> None:
    """Long lists fold into <details>, and the print style lays out a closed one's content."""
    assert '<details class="fold">\n<summary>10 slowest tests</summary>' in example_html
    print_css = example_html.split("@media print {", 1)[1]
    assert "details::details-content { content-visibility: visible; display: block; }" in print_css
    assert "thead { display: table-header-group; }" in print_css
    assert "tr, li, .card, figure, pre { break-inside: avoid;" in print_css


def test_dark_scheme_and_phone_layout_are_styled(example_html: str) -> None:
    """The style follows prefers-color-scheme and has a narrow-screen layout."""
    assert "@media (prefers-color-scheme: dark)" in example_html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in example_html
    assert "@media (max-width: 36rem)" in example_html


# ---- hostile input ----


def test_hostile_text_renders_as_text(hostile_html: str) -> None:
    """Test names, paths and messages carrying markup appear as visible text, never as tags."""
    page = parse(hostile_html)
    assert page.problems == [] and page.stack == []
    tags = {t for t, _ in page.tags}
    assert not tags & {"img", "script", "b", "iframe"}
    assert "<script" not in hostile_html.lower()
    visible = page.visible
    assert f"test_x[{EVIL}]" in visible
    assert f"sample/{EVIL}.py" in visible
    assert SCRIPT in visible
    assert 'Say "hi" & <b>bold</b>' in visible
    assert "<script>alert(3)</script>" in visible
    assert not [name for _, a in page.tags for name in a if name.startswith("on")]


def test_quotes_stay_inside_attributes(hostile_html: str) -> None:
    """A path with quotes is escaped inside attribute values and parses back unchanged."""
    page = parse(hostile_html)
    labels = [v for _, v in page.attrs("aria-label") if v.startswith("Target coverage.")]
    assert labels and all(QUOTED in v for v in labels)
    assert "&#34;q&#34;&amp;&#39;s&#39;" in hostile_html
    assert "test_\"quoted\"_'s'" in page.visible


def test_script_links_and_images_in_prose_are_dropped(hostile_html: str) -> None:
    """Spec prose keeps safe links, javascript: links become plain text and images mere links."""
    page = parse(hostile_html)
    hrefs = [v for _, v in page.attrs("href")]
    assert hrefs == ["https://tracker.example/p.png", "https://example.org/docs"]
    assert "[x](javascript:alert(1))" in page.visible
    assert "[y](JaVaScRiPt:alert(2)) reviewed" in page.visible
    assert page.attrs("src") == []
    assert not [v for t, v in page.attrs("href") if t != "a"]


# ---- overrides, index, badge ----


def test_blocks_can_be_overridden(tmp_path: Path) -> None:
    """A user step.html extending the built-in one replaces a block and keeps the rest."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "step.html").write_text(
        '{% extends "builtin/step.html" %}{% block notes %}<p id="mine">{{ spec.step }}</p>{% endblock %}',
        encoding="utf-8",
    )
    status, out, err = run(
        "step",
        "--spec",
        str(EXAMPLE / "step1.toml"),
        "--format",
        "html",
        "--templates",
        str(templates),
    )
    assert status == 0, err
    assert '<p id="mine">Step 1</p>' in out
    assert '<section id="notes">' not in out
    assert '<section id="criteria">' in out and '<section id="next-steps">' in out


def test_index_page_has_trend_and_rows(tmp_path: Path) -> None:
    """`reportgen index` writes index.html with the trend picture and one linked row per step."""
    archive = tmp_path / "archive" / "m3"
    archive.mkdir(parents=True)
    for source in sorted(EXAMPLE.glob("p0-4-milestone-3--step-*")):
        shutil.copy(source, archive / source.name)
    result = CliRunner().invoke(main, ["index", str(archive.parent)])
    assert result.exit_code == 0, result.stderr
    html = (archive.parent / "index.html").read_text(encoding="utf-8")
    page = parse(html)
    assert page.problems == [] and page.stack == []
    assert '<meta charset="utf-8">' in html and "<script" not in html
    labels = [a["aria-label"] for t, a in page.tags if t == "svg"]
    assert labels[0] == (
        "Overall coverage by step, oldest first: P0.4 Milestone 3 Step 1 54%; "
        "P0.4 Milestone 3 Step 2 61%."
    )
    assert [v for _, v in page.attrs("href")] == [
        "./m3/p0-4-milestone-3--step-2.html",
        "./m3/p0-4-milestone-3--step-1.html",
    ]
    assert "54% → 61%" in page.visible


def test_badge_is_an_svg_with_figure_and_colour() -> None:
    """--format badge writes a standalone SVG: "coverage", the overall figure, its colour."""
    status, out, err = run("step", "--spec", str(EXAMPLE / "step1.toml"), "--format", "badge")
    assert status == 0, err
    svg = ET.fromstring(out)
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.tag == f"{ns}svg"
    assert svg.get("aria-label") == "coverage: 54%" and svg.get("role") == "img"
    texts = [t.text for t in svg.iter(f"{ns}text")]
    assert texts == ["coverage", "coverage", "54%", "54%"]
    fills = [r.get("fill") for r in svg.iter(f"{ns}rect")]
    assert fills == [None, "#555", "#2e7d32"]  # clip shape, label, green: 54% ≥ the scope's 50


# ---- prose ----

SAFE_TAGS = {
    "p", "em", "strong", "code", "pre", "a", "ul", "ol", "li", "blockquote", "hr", "br",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "input",
}  # fmt: skip


def test_markdown_it_refuses_script_links_by_default() -> None:
    """markdown-it's own validateLink already refuses javascript:, vbscript: and file: URLs."""
    md = MarkdownIt("commonmark")
    assert not md.validateLink("javascript:alert(1)")
    assert not md.validateLink("vbscript:msgbox(1)")
    assert not md.validateLink("file:///etc/passwd")
    assert md.validateLink("ftp://example.org/")  # which is why we narrow it further


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.org/a?b=c", True),
        ("http://example.org", True),
        ("mailto:team@example.org", True),
        ("../m3/report.md", True),
        ("#criteria", True),
        ("reports/a:b.md", True),  # a colon after a slash is part of a path
        ("ftp://example.org", False),
        ("data:text/html,x", False),
        ("JaVaScRiPt:alert(1)", False),
        (" javascript:alert(1)", False),
    ],
)
def test_links_are_limited_to_web_mail_and_relative(url: str, safe: bool) -> None:
    """Only http(s), mailto and relative addresses pass the prose link check."""
    assert is_safe_link(url) is safe


def test_prose_renders_markdown_with_tables_tasks_and_shifted_headings() -> None:
    """Notes keep Markdown: headings move under the report's <h2>, tables and task lists render."""
    html = prose_to_html("# Why\n\n- [x] done\n- [ ] open\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h3>Why</h3>" in html
    assert (
        '<input class="task-list-item-checkbox" checked="checked" disabled="disabled" type="checkbox"> done'
        in html
    )
    assert "<td>1</td>" in html and "<th>a</th>" in html


def test_prose_drops_raw_html_images_and_script_links() -> None:
    """Raw HTML is escaped, images are not loaded, and only safe links become anchors."""
    html = prose_to_html(
        f"{EVIL} ![t](https://tracker.example/p.png) [x](javascript:alert(1)) [ok](#a)"
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html
    assert '!<a href="https://tracker.example/p.png">t</a>' in html
    assert '<a href="#a">ok</a>' in html and "javascript" not in re.sub(r"\[x\]\([^)]*\)", "", html)


def test_inline_prose_has_no_paragraph() -> None:
    """A goal or criterion renders inline, without a wrapping <p>."""
    assert (
        prose_inline_to_html("Raise `a.py` to **80%**")
        == "Raise <code>a.py</code> to <strong>80%</strong>"
    )


def test_clean_block_keeps_lines_and_drops_controls() -> None:
    """Failure messages keep their lines but lose control and bidi characters, within a limit."""
    assert clean_block("a\r\nb\x1b[31m\u202ec") == "a\nb\ufffd[31m\ufffdc"
    assert clean_block("x" * 10, limit=5) == "xxxx…"


@given(st.text(max_size=200))
def test_any_prose_gives_only_safe_markup(text: str) -> None:
    """Whatever the text, prose HTML holds only formatting tags and safe links."""
    page = parse(str(prose_to_html(text)))
    assert {t for t, _ in page.tags} <= SAFE_TAGS
    assert all(is_safe_link(v) for _, v in page.attrs("href"))
    assert not [n for _, a in page.tags for n in a if n.startswith("on") or n in ("src", "style")]
