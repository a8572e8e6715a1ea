"""The unified diff reader: what each file adds, for real git output, generated diffs and
hostile input."""

from __future__ import annotations

import difflib
import io
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reportgen.analysis.patch import ADDED, BINARY, DELETED, MODIFIED, RENAMED
from reportgen.errors import InputError
from reportgen.inputs.unified_diff import parse_unified_diff
from tests.patch_project import git


def parse(data: bytes, source: str = "change.diff"):
    return parse_unified_diff(io.BytesIO(data), source)


def by_path(data: bytes) -> dict[str, tuple[str, tuple[int, ...]]]:
    return {f.path: (f.status, f.lines) for f in parse(data).files}


@pytest.fixture(scope="module")
def git_changes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Real `git diff` output with a rename, a deletion, a binary file, a non-ASCII name,
    CRLF lines and a last line without newline."""
    repo = tmp_path_factory.mktemp("diffs")
    git(repo, "init", "-q", "-b", "main")
    (repo / "x.py").write_bytes(b"a\nb\nc\n")
    (repo / "gone.py").write_bytes(b"z\n")
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02")
    (repo / "old.py").write_bytes(b"".join(b"line %d\n" % i for i in range(1, 21)))
    (repo / "crlf.py").write_bytes(b"p\r\nq\r\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    (repo / "x.py").write_bytes(b"a\nB\nc\nd")  # 2 changed, 4 added without newline
    (repo / "gone.py").unlink()
    (repo / "blob.bin").write_bytes(b"\x00\x09\x02")
    (repo / "old.py").rename(repo / "new.py")
    text = (repo / "new.py").read_bytes().replace(b"line 5\n", b"line five\n")
    (repo / "new.py").write_bytes(text)
    (repo / "café.py").write_bytes(b"n\n")
    (repo / "crlf.py").write_bytes(b"p\r\nQ\r\nr\r\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two")
    return subprocess.run(
        ["git", "diff", "--no-color", "-M", "HEAD~1", "HEAD"],
        cwd=repo,
        check=True,
        capture_output=True,
    ).stdout


def test_git_diff_with_every_kind_of_file(git_changes: bytes) -> None:
    assert b'"b/caf\\303\\251.py"' in git_changes  # git quotes the name; we unquote it
    assert b"\\ No newline at end of file" in git_changes
    assert b"Q\r\n" in git_changes
    assert by_path(git_changes) == {
        "blob.bin": (BINARY, ()),
        "café.py": (ADDED, (1,)),
        "crlf.py": (MODIFIED, (2, 3)),
        "gone.py": (DELETED, ()),
        "new.py": (RENAMED, (5,)),
        "x.py": (MODIFIED, (2, 4)),
    }
    renamed = next(f for f in parse(git_changes).files if f.path == "new.py")
    assert renamed.old_path == "old.py"


@pytest.mark.parametrize("context", [0, 1, 3, 10])
def test_context_size_does_not_change_the_added_lines(tmp_path: Path, context: int) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    lines = [f"v{i}\n" for i in range(1, 41)]
    (tmp_path / "m.py").write_text("".join(lines))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "one")
    lines[4] = "changed\n"
    lines.insert(20, "inserted\n")
    del lines[30]
    (tmp_path / "m.py").write_text("".join(lines))
    data = subprocess.run(
        ["git", "diff", "--no-color", f"-U{context}"], cwd=tmp_path, check=True, capture_output=True
    ).stdout
    assert by_path(data) == {"m.py": (MODIFIED, (5, 21))}


def test_crlf_diff_and_plain_headers() -> None:
    data = (
        b"--- a/pkg/m.py\t2024-01-01 00:00:00\r\n+++ b/pkg/m.py\t2024-01-02 00:00:00\r\n"
        b"@@ -1,2 +1,3 @@\r\n a\r\n+b\r\n c\r\n"
    )
    assert by_path(data) == {"pkg/m.py": (MODIFIED, (2,))}


def test_non_utf8_bytes_in_lines_and_paths() -> None:
    data = (
        b"--- a/caf\xe9.py\n+++ b/caf\xe9.py\n@@ -1 +1,2 @@\n \xff\xfe\n+\xe9t\xe9\n"
        b"--- a/ok.py\n+++ b/ok.py\n@@ -0,0 +1 @@\n+x\n"
    )
    assert by_path(data) == {"caf\ufffd.py": (MODIFIED, (2,)), "ok.py": (MODIFIED, (1,))}


def test_hunk_lines_that_look_like_headers() -> None:
    # A removed "-- x" line and an added "++ y" line read "--- x" and "+++ y".
    data = b"--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n--- x\n+++ y\n keep\n"
    assert by_path(data) == {"m.py": (MODIFIED, (1,))}


def test_empty_diff_is_an_empty_change() -> None:
    assert parse(b"").files == ()
    assert parse(b"\n\n").files == ()


def test_same_file_twice_adds_up() -> None:
    one = b"--- a/m.py\n+++ b/m.py\n@@ -1 +1,2 @@\n a\n+b\n"
    two = b"--- a/m.py\n+++ b/m.py\n@@ -9 +10,2 @@\n z\n+y\n"
    assert by_path(one + two) == {"m.py": (MODIFIED, (2, 11))}


HOSTILE = {
    "not-a-diff": (b"hello world\nthis is text\n", "no file header"),
    "hunk-too-short": (b"--- a/m.py\n+++ b/m.py\n@@ -1,5 +1,5 @@\n a\n", "shorter than expected"),
    "hunk-too-long": (
        b"--- a/m.py\n+++ b/m.py\n@@ -1,2 +1 @@\n a\n+b\n+c\n",
        "longer than expected",
    ),
    "hunk-without-file": (b"@@ -1 +1 @@\n-a\n+b\n", "Unexpected hunk"),
    "bad-hunk-line": (b"--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\n a\n?b\n", "Hunk diff line"),
    "huge-hunk-count": (
        b"--- a/m.py\n+++ b/m.py\n@@ -1,99999999999999999999 +1,99999999999999999999 @@\n a\n",
        "shorter than expected",
    ),
    "target-without-source": (b"+++ b/m.py\n@@ -1 +1 @@\n-a\n+b\n", "Target without source"),
    "binary-garbage": (bytes(range(256)) * 8, "not"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_diffs_are_one_line_input_errors(name: str) -> None:
    data, words = HOSTILE[name]
    with pytest.raises(InputError) as caught:
        parse(data, "evil.diff")
    message = str(caught.value)
    assert message.startswith("evil.diff: ")
    assert words in message
    assert "\n" not in message and len(message) < 400


def test_memory_does_not_follow_the_context_size() -> None:
    """A diff whose unchanged context is large: the text of its lines is never kept."""

    def diff(width: int) -> bytes:
        body = b"".join(b" " + b"x" * width + b"\n" for _ in range(2000))
        head = b"--- a/m.py\n+++ b/m.py\n@@ -1,2000 +1,2001 @@\n"
        return head + body + b"+new\n"

    peaks = []
    for width in (10, 2000):
        data = diff(width)
        tracemalloc.start()
        result = parse(data)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert by_path(data) == {"m.py": (MODIFIED, (2001,))}
        assert result.files[0].lines == (2001,)
    # 4 MB more context text, and the peak grows by far less than that.
    assert peaks[1] - peaks[0] < 400_000


texts = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "d\n", "\n", "# x\n"]), max_size=25)


@settings(max_examples=200, deadline=None)
@given(old=texts, new=texts, context=st.integers(0, 4), crlf=st.booleans())
def test_added_lines_are_the_inserted_ones(
    old: list[str], new: list[str], context: int, crlf: bool
) -> None:
    """Against difflib's own opcodes: every line the diff adds, and no other."""
    text = "".join(difflib.unified_diff(old, new, "a/f.py", "b/f.py", n=context, lineterm="\n"))
    if crlf:
        text = text.replace("\n", "\r\n")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    expected = tuple(
        line + 1
        for tag, _, _, j1, j2 in matcher.get_opcodes()
        if tag in ("replace", "insert")
        for line in range(j1, j2)
    )
    files = parse(text.encode()).files
    if not text:
        assert files == ()
    else:
        assert [(f.path, f.lines) for f in files] == [("f.py", expected)]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_fail_cleanly(data: bytes) -> None:
    try:
        result = parse(data)
    except InputError as err:
        assert str(err).startswith("change.diff: ") and "\n" not in str(err)
    else:
        assert all(f.path for f in result.files)


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_diffs_through_the_command_line(tmp_path: Path, name: str) -> None:
    """Exit 2, one line on stderr naming the diff file, no traceback, nothing written."""
    from click.testing import CliRunner

    from reportgen.cli import main

    after = Path(__file__).parent / "data" / "coverage" / "7.17.4" / "branch.json"
    evil = tmp_path / "evil.diff"
    evil.write_bytes(HOSTILE[name][0])
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["step", "--after", str(after), "--diff", str(evil), "--format", "md", "--format",
         "json", "--out", str(out)],
        env={"SOURCE_DATE_EPOCH": ""},
    )  # fmt: skip
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {evil}: ")
    assert "Traceback" not in result.output
    assert not out.exists()


def test_an_error_never_quotes_the_file(tmp_path: Path) -> None:
    """A spec from a pull request may name any readable file as its diff: the refusal names
    the file and the problem, never a line of it."""
    secret = tmp_path / "secret.diff"
    secret.write_bytes(b"--- a/x.py\n+++ b/x.py\n@@ -1 +1 @@\nTOKEN-1234\n")
    with pytest.raises(InputError) as caught:
        with secret.open("rb") as stream:
            parse_unified_diff(stream, str(secret))
    assert "TOKEN-1234" not in str(caught.value)
    assert str(caught.value) == f"{secret}: not a valid unified diff (Hunk diff line expected)"
