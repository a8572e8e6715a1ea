"""The HTML report in a real browser: headless Chromium draws it, prints it, logs nothing,
and lays it out without overflow on a phone, a desktop, in the dark and in print.

Skipped when no Chromium is installed (CI installs Debian's `chromium` package).
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from tests.patch_project import make_project

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "reports" / "m3" / "step1.toml"
DATA = ROOT / "tests" / "data" / "coverage"
BROWSER = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
        if (found := shutil.which(name))
    ),
    None,
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
# Colours of the page's light theme (templates/_html_base.html) as RGB.
WHITE = (255, 255, 255)
BAR_OK = (0x2F, 0x9E, 0x4F)
DARK_BACKGROUND = (0x10, 0x14, 0x1A)

pytestmark = pytest.mark.skipif(BROWSER is None, reason="headless Chromium is not installed")


def browse(page: Path, *flags: str, profile: Path) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium once on a local file, with its own throw-away profile."""
    assert BROWSER is not None
    command = [BROWSER, *FLAGS, f"--user-data-dir={profile}", *flags, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_lines(stderr: str) -> list[str]:
    """Messages the page wrote to the console (Chromium logs them as CONSOLE)."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB or RGBA PNG (the standard library only)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6), (depth, color)
    bpp = 3 if color == 2 else 4
    rows = list(_unfilter(zlib.decompress(b"".join(chunks)), width * bpp, height, bpp))
    if bpp == 4:
        rows = [bytes(b for i, b in enumerate(row) if i % 4 != 3) for row in rows]
    return width, height, rows


def _unfilter(raw: bytes, stride: int, height: int, bpp: int) -> Iterator[bytes]:
    """Undo PNG's per-row filters; "Up" rows, the most common, are added in one big-int step."""
    low = int.from_bytes(b"\x7f" * stride, "big")
    high = int.from_bytes(b"\x80" * stride, "big")
    prev = bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], raw[start + 1 : start + 1 + stride]
        if kind == 0:
            row = line
        elif kind == 2:  # bytewise a + b mod 256 without carries between bytes
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            row = (((a & low) + (b & low)) ^ ((a ^ b) & high)).to_bytes(stride, "big")
        else:
            row = _unfilter_slow(kind, bytearray(line), prev, bpp)
        yield row
        prev = row


def _unfilter_slow(kind: int, out: bytearray, prev: bytes, bpp: int) -> bytes:
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        up = prev[i]
        if kind == 1:
            out[i] = (out[i] + left) & 255
        elif kind == 3:
            out[i] = (out[i] + ((left + up) >> 1)) & 255
        else:
            corner = prev[i - bpp] if i >= bpp else 0
            guess = left + up - corner
            pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
            near = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            out[i] = (out[i] + near) & 255
    return bytes(out)


def pixels(rows: list[bytes]) -> Iterator[tuple[int, int, int]]:
    for row in rows:
        yield from zip(row[0::3], row[1::3], row[2::3], strict=True)


def render(args: list[str], out: Path) -> Path:
    result = CliRunner().invoke(main, [*args, "--format", "html", "--out", str(out)])
    assert result.exit_code in (0, 1), result.stderr
    return out


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example milestone's step 1 as HTML."""
    folder = tmp_path_factory.mktemp("report")
    return render(["step", "--spec", str(EXAMPLE)], folder / "report.html")


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("profile")


@pytest.fixture(scope="module")
def desktop(report: Path, profile: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """A 1280x2000 screenshot of the report, and what the browser logged meanwhile."""
    shot = tmp_path_factory.mktemp("shots") / "desktop.png"
    done = browse(
        report,
        f"--screenshot={shot}",
        "--window-size=1280,2000",
        "--enable-logging=stderr",
        "--v=0",
        profile=profile,
    )
    assert shot.is_file(), done.stderr
    return decode_png(shot.read_bytes()), done.stderr


def test_desktop_screenshot_shows_the_report(desktop: tuple) -> None:
    """At 1280x2000 the page is drawn: text, tables and the green bars of the charts."""
    (width, height, rows), _ = desktop
    assert (width, height) == (1280, 2000)
    sample = rows[::4]
    colours = set(pixels(sample))
    painted = sum(1 for p in pixels(sample) if p != WHITE)
    assert len(colours) > 200  # antialiased text, tinted cards, chart colours
    assert painted > 0.05 * width * len(sample)
    assert sum(1 for p in pixels(rows) if p == BAR_OK) > 2000  # target and moves bars


def test_page_logs_no_console_messages(desktop: tuple) -> None:
    """Opening the report writes nothing to the console: no errors, no blocked loads."""
    _, stderr = desktop
    assert console_lines(stderr) == []


def test_console_check_catches_a_blocked_load(report: Path, profile: Path, tmp_path: Path) -> None:
    """The console check is not vacuous: an injected remote image is blocked and logged."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        report.read_text(encoding="utf-8").replace(
            "</main>", '<img src="http://127.0.0.1:9/pixel.png" alt=""></main>'
        ),
        encoding="utf-8",
    )
    done = browse(bad, "--dump-dom", "--enable-logging=stderr", "--v=0", profile=profile)
    lines = console_lines(done.stderr)
    assert len(lines) == 1 and "Content Security Policy" in lines[0]


def test_phone_screenshot_uses_the_narrow_layout(
    report: Path, profile: Path, tmp_path: Path
) -> None:
    """At 390x844 the page is drawn with the phone's own chart among the first screen."""
    shot = tmp_path / "phone.png"
    done = browse(report, f"--screenshot={shot}", "--window-size=390,844", profile=profile)
    assert shot.is_file(), done.stderr
    width, height, rows = decode_png(shot.read_bytes())
    assert (width, height) == (390, 844)
    assert sum(1 for p in pixels(rows) if p != WHITE) > 0.1 * width * height
    assert sum(1 for p in pixels(rows) if p == BAR_OK) > 500


def test_dark_preference_gives_a_dark_page(report: Path, profile: Path, tmp_path: Path) -> None:
    """With the reader's dark preference the background turns dark and text stays visible."""
    shot = tmp_path / "dark.png"
    done = browse(
        report,
        f"--screenshot={shot}",
        "--window-size=390,844",
        "--force-dark-mode",
        profile=profile,
    )
    assert shot.is_file(), done.stderr
    _, _, rows = decode_png(shot.read_bytes())
    assert rows[2][6:9] == bytes(DARK_BACKGROUND)
    light = sum(1 for p in pixels(rows) if sum(p) > 600)
    assert light > 2000  # light text on the dark background


def test_dom_holds_the_coverage_table(report: Path, profile: Path) -> None:
    """The DOM Chromium builds contains the target table with its figures."""
    done = browse(report, "--dump-dom", profile=profile)
    dom = done.stdout
    assert '<section id="results">' in dom
    row = re.search(
        r"<tr>\s*<td class=\"path\"><code>tools/<wbr>soak/<wbr>config_manager\.<wbr>py</code>.*?</tr>",
        dom,
        re.S,
    )
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells[1:4]] == ["77%", "82%", "+5%"]


def many_files(folder: Path) -> list[str]:
    """Coverage before/after with 240 changed files: most of the file table folds away."""
    paths = []
    for side, version in (("before", "6.5.0"), ("after", "7.17.4")):
        data = json.loads((DATA / version / "branch.json").read_text(encoding="utf-8"))
        data["files"] = {
            f"pkg{i:02}/{path}": item
            for i in range(60)
            for path, item in data["files"].items()
            if path != "sample/unused.py"
        }
        target = folder / f"{side}.json"
        target.write_text(json.dumps(data), encoding="utf-8")
        paths += [f"--{side}", str(target)]
    return paths


def pdf_pages(page: Path, profile: Path) -> int:
    pdf = page.with_suffix(".pdf")
    browse(page, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", profile=profile)
    return len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))


def test_print_expands_folded_sections(profile: Path, tmp_path: Path) -> None:
    """Printing lays out the folded file list: the PDF has pages for the 230 hidden rows."""
    html = render(["step", *many_files(tmp_path)], tmp_path / "many.html")
    text = html.read_text(encoding="utf-8")
    assert "<summary>230 more files</summary>" in text
    folded_removed = tmp_path / "unfolded.html"
    folded_removed.write_text(
        re.sub(r'<details class="fold">.*?</details>', "", text, flags=re.S), encoding="utf-8"
    )
    full, without = pdf_pages(html, profile), pdf_pages(folded_removed, profile)
    assert without >= 1
    assert full >= without + 4  # 230 rows of about 30 per page


class DevTools:
    """Chromium driven over its DevTools protocol on a pipe (fds 3 and 4 of the browser):
    what command-line flags cannot do, such as emulating print media or reading boxes."""

    def __init__(self, profile: Path) -> None:
        assert BROWSER is not None
        to_browser, self._write = os.pipe()
        self._read, from_browser = os.pipe()

        def child() -> None:
            # Copies above 10 first, so that moving them to 3 and 4 cannot clobber each other.
            inbox = fcntl.fcntl(to_browser, fcntl.F_DUPFD, 10)
            outbox = fcntl.fcntl(from_browser, fcntl.F_DUPFD, 10)
            os.dup2(inbox, 3)
            os.dup2(outbox, 4)

        self.process = subprocess.Popen(
            [BROWSER, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,  # fds 3 and 4 must reach the browser; os.pipe's others do not
            preexec_fn=child,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._count, self._events = b"", 0, []
        targets = self.send("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", targetId=page["targetId"], flatten=True)[
            "sessionId"
        ]
        self.send("Page.enable", self.session)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        os.close(self._write)
        os.close(self._read)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        self._count += 1
        message: dict[str, Any] = {"id": self._count, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._count:
                assert "error" not in reply, (method, reply["error"])
                return reply["result"]
            self._events.append(reply)

    def _receive(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read], [], [], 60)
            assert ready, "the browser did not answer within 60 s"
            chunk = os.read(self._read, 1 << 20)
            assert chunk, "the browser closed its pipe"
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def open(self, page: Path, *, width: int, height: int, media: str, dark: bool) -> None:
        """Load `page` in a `width` x `height` viewport with the given media and colour scheme."""
        s = self.session
        self.send(
            "Emulation.setDeviceMetricsOverride",
            s,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        scheme = [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]
        self.send("Emulation.setEmulatedMedia", s, media=media, features=scheme)
        self._events.clear()
        self.send("Page.navigate", s, url=page.as_uri())
        while not any(e.get("method") == "Page.loadEventFired" for e in self._events):
            self._events.append(self._receive())

    def evaluate(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", self.session, expression=expression, returnByValue=True
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"]["value"]

    def screenshot(self, width: int, height: int) -> bytes:
        shot = self.send(
            "Page.captureScreenshot",
            self.session,
            format="png",
            clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        )
        return base64.b64decode(shot["data"])


# Measures the laid-out page: what sticks out of the viewport or of its own box, whether
# every status badge is on screen, and where names (code, card titles) wrap onto a new line.
MEASURE = r"""(() => {
  const name = (e) => e.tagName.toLowerCase() + (e.className && typeof e.className === "string"
    ? "." + e.className.trim().split(/\s+/).join(".") : "") + " " + JSON.stringify(
    e.textContent.trim().slice(0, 60));
  const overflowing = [];
  for (const e of document.body.querySelectorAll("*")) {
    if (e.closest("svg")) continue;
    const style = getComputedStyle(e);
    if (style.display === "none" || style.display === "inline" || style.display === "contents") continue;
    if (e.scrollWidth > e.clientWidth + 1) overflowing.push(name(e));
  }
  const statuses = [...document.querySelectorAll("td .status, td .chip, .status")].map((e) => {
    const box = e.getBoundingClientRect();
    return {text: e.textContent.trim(), width: box.width, left: box.left, right: box.right};
  });
  // A line ends after character i when the next character's box starts on a lower line.
  const breaks = [];
  for (const e of document.querySelectorAll("code, .card .label, td.mono")) {
    const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    const chars = [];
    for (let node; (node = walker.nextNode()); ) {
      for (let i = 0; i < node.data.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const box = range.getClientRects()[0];
        if (box) chars.push([node.data[i], box.top, box.bottom]);
      }
    }
    for (let i = 1; i < chars.length; i++) {
      if (chars[i][1] >= chars[i - 1][2] - 1) {
        breaks.push({text: e.textContent, after: e.textContent.slice(0, i), before: chars[i - 1][0]});
      }
    }
  }
  const cells = [...document.querySelectorAll("main td")].map((e) => {
    const box = e.getBoundingClientRect();
    return {text: e.textContent.replace(/\s+/g, " ").trim(),
      shown: box.width > 0 && box.left >= 0 && box.right <= innerWidth};
  });
  return {
    cells,
    viewport: innerWidth,
    page: document.documentElement.scrollWidth,
    overflowing, statuses, breaks,
  };
})()"""

# Where a name may wrap: after a path or module separator, or between the words of a long
# identifier; never inside a word.
BREAK_AFTER = set("/.:_ ")  # in a Missing list (td.mono), only after ", "

VIEWS = {
    "phone": {"width": 390, "height": 844, "media": "", "dark": False},
    "desktop": {"width": 1280, "height": 900, "media": "", "dark": False},
    "dark": {"width": 390, "height": 844, "media": "", "dark": True},
    # A4 less the page's @page margins (12 mm a side) at 96 px per inch.
    "print": {"width": 703, "height": 1000, "media": "print", "dark": False},
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The example's two step reports and the index over them, rendered afresh."""
    folder = tmp_path_factory.mktemp("archive")
    for number in (1, 2):
        spec = ROOT / "reports" / "m3" / f"step{number}.toml"
        result = CliRunner().invoke(
            main,
            ["step", "--spec", str(spec), "--format", "json", "--format", "html"]
            + ["--out", str(folder / "m3")],
        )
        assert result.exit_code in (0, 1), result.output
    result = CliRunner().invoke(main, ["index", str(folder)])
    assert result.exit_code == 0, result.output
    reports = sorted((folder / "m3").glob("*.html"))
    assert len(reports) == 2
    # One run alone (its table is `coverage report -m`'s), and a change with its patch section.
    after_only = folder / "after-only.html"
    after = str(DATA / "7.17.4" / "branch.json")
    result = CliRunner().invoke(main, ["step", "--after", after, "--out", str(after_only)])
    assert result.exit_code == 0, result.output
    repo = make_project(tmp_path_factory.mktemp("patch"))
    patch = folder / "patch.html"
    args = ["step", "--before", "../before.json", "--after", "../after.json", "--diff-base", "v1"]
    old = os.getcwd()
    os.chdir(repo)
    try:
        result = CliRunner().invoke(main, [*args, "--out", str(patch)])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    return {
        "step 1": reports[0],
        "step 2": reports[1],
        "index": folder / "index.html",
        "after only": after_only,
        "patch": patch,
    }


@pytest.fixture(scope="module")
def devtools(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    browser = DevTools(tmp_path_factory.mktemp("devtools-profile"))
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def layouts(pages: dict[str, Path], devtools: DevTools) -> dict[tuple[str, str], dict]:
    """Every page measured in every view."""
    measured = {}
    for page_name, page in pages.items():
        for view, settings in VIEWS.items():
            devtools.open(page, **settings)
            measured[page_name, view] = devtools.evaluate(MEASURE)
    return measured


PAGE_NAMES = ("step 1", "step 2", "index")
CASES = [(page, view) for page in PAGE_NAMES for view in VIEWS]
# Pages without criteria show no status; every page is checked for overflow and wrapping.
ALL_PAGES = [(page, view) for page in (*PAGE_NAMES, "after only", "patch") for view in VIEWS]


@pytest.mark.parametrize(("page", "view"), ALL_PAGES)
def test_nothing_sticks_out(layouts: dict, page: str, view: str) -> None:
    """No horizontal scrolling, of the page or of any table; no box holds wider content."""
    measured = layouts[page, view]
    assert measured["viewport"] == VIEWS[view]["width"]
    assert measured["page"] <= measured["viewport"]
    assert measured["overflowing"] == []


@pytest.mark.parametrize(("page", "view"), CASES)
def test_every_status_is_shown(layouts: dict, page: str, view: str) -> None:
    """Status badges and verdict chips are drawn in full, inside the viewport."""
    measured = layouts[page, view]
    statuses = measured["statuses"]
    assert statuses, "the page shows no status"
    hidden = [
        s for s in statuses if s["width"] < 10 or s["left"] < 0 or s["right"] > measured["viewport"]
    ]
    assert hidden == []


@pytest.mark.parametrize(("page", "view"), ALL_PAGES)
def test_names_wrap_between_words(layouts: dict, page: str, view: str) -> None:
    """Paths and test names wrap only after a separator, never inside a word."""
    breaks = layouts[page, view]["breaks"]
    assert [b for b in breaks if b["before"] not in BREAK_AFTER] == []
    if page in ("step 1", "step 2") and view == "phone":
        assert len(breaks) > 5  # long names do wrap on a phone: the check above sees them


@pytest.mark.parametrize("view", list(VIEWS))
def test_index_shows_every_column(layouts: dict, view: str) -> None:
    """The index drops nothing, on a phone neither: each step's date, status, coverage and
    tests are on screen."""
    cells = layouts["index", view]["cells"]
    assert len(cells) == 2 * 8
    assert [c for c in cells if not c["shown"]] == []
    texts = " ".join(c["text"] for c in cells)
    assert (
        "2025-10-27" in texts and "COMPLETED" in texts and "tools/soak/config_manager.py" in texts
    )
    assert "46" in texts and "0.23s" in texts


SCREENSHOT = ROOT / "reports" / "m3" / "screenshot.png"
SCREENSHOT_SIZE = (1280, 1200)


def test_example_screenshot(pages: dict[str, Path], devtools: DevTools, regen_golden: bool) -> None:
    """reports/m3/screenshot.png shows the example's step 1 as a 1280 px wide browser draws it.
    `pytest --regen-golden` redraws it; otherwise it must be there, a picture of the report."""
    width, height = SCREENSHOT_SIZE
    if regen_golden:
        devtools.open(pages["step 1"], width=width, height=height, media="", dark=False)
        SCREENSHOT.write_bytes(devtools.screenshot(width, height))
    assert SCREENSHOT.is_file(), "missing; run pytest --regen-golden tests/test_browser.py"
    data = SCREENSHOT.read_bytes()
    assert len(data) < 400_000  # small enough to keep in the repository
    shot_width, shot_height, rows = decode_png(data)
    assert (shot_width, shot_height) == SCREENSHOT_SIZE
    assert rows[2][6:9] == bytes(WHITE)
    assert sum(1 for p in pixels(rows) if p == BAR_OK) > 2000  # the target chart is in view
