"""The HTML report in a real browser: headless Chromium draws it, prints it, logs nothing.

Skipped when no Chromium is installed (CI installs Debian's `chromium` package).
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main

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
        r"<tr>\s*<td class=\"path\"><code>tools/soak/config_manager\.py</code>.*?</tr>", dom, re.S
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
