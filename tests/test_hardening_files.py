"""Files and inputs under stress: contradictory coverage summaries, symbolic-link loops in
globs, concurrent and killed writers, huge XML attributes, special files."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.commands.gather import expand
from reportgen.errors import OutputError
from reportgen.inputs.test_results import parse_junit
from reportgen.inputs.xml_reader import CHUNK
from reportgen.outputs import atomic_write
from reportgen.outputs.atomic_write import PlannedFile, write_all

DATA = Path(__file__).parent / "data"
REAL = DATA / "coverage" / "7.17.4" / "branch.json"


def run(*args: str):
    return CliRunner().invoke(main, list(args), env={"SOURCE_DATE_EPOCH": ""})


def assert_refused(result, *words: str, out: Path | None = None) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    if out is not None:
        assert not out.exists()


def coverage_file(tmp_path: Path, executed: list[int], missing: list[int], **summary) -> Path:
    entry = {
        "executed_lines": executed,
        "missing_lines": missing,
        "summary": {"num_statements": 3, "missing_lines": len(missing), **summary},
    }
    path = tmp_path / "cov.json"
    path.write_text(json.dumps({"files": {"pkg/a.py": entry}}))
    return path


# --- 13: contradictory coverage summaries ---------------------------------------------------


@pytest.mark.parametrize(
    ("executed", "missing", "summary", "message"),
    [
        ([1, 2], [3], {"covered_lines": 1}, "summary.covered_lines is 1 but num_statements"),
        ([1], [3], {"covered_lines": 2}, "summary.covered_lines is 2 but 1 executed lines"),
        ([1, 2], [2], {"covered_lines": 2}, "line 2 is listed in both executed_lines and"),
        ([1, 2, 3], [2], {}, "line 2 is listed in both executed_lines and missing_lines"),
        (
            [1, 2],
            [3],
            {"covered_lines": 2, "num_branches": 4, "missing_branches": 1, "covered_branches": 2},
            "summary.covered_branches is 2 but num_branches less missing_branches is 3",
        ),
    ],
)
def test_contradictory_coverage_summary_is_refused(
    tmp_path: Path, executed: list[int], missing: list[int], summary: dict, message: str
) -> None:
    cov = coverage_file(tmp_path, executed, missing, **summary)
    for fmt in ("md", "json"):
        out = tmp_path / f"out.{fmt}"
        result = run("step", "--after", str(cov), "--format", fmt, "--out", str(out))
        assert_refused(result, str(cov), "'pkg/a.py'", message, out=out)


def test_consistent_summary_with_non_statement_lines_is_read(tmp_path: Path) -> None:
    """coverage.py before 7.x lists docstrings as executed: a longer list is no contradiction."""
    cov = coverage_file(tmp_path, [1, 2, 4, 5], [3], covered_lines=2)
    result = run("step", "--after", str(cov), "--format", "json")
    assert result.exit_code == 0, result.stderr
    [entry] = json.loads(result.stdout)["coverage"]["files"]
    assert (entry["after"]["statements"], entry["after"]["missing"], entry["missing"]) == (
        3,
        1,
        "3",
    )


def test_every_real_report_is_consistent() -> None:
    """The real reports of every coverage.py version pass the new checks unchanged."""
    reports = sorted(DATA.glob("coverage/*/*.json")) + sorted(DATA.glob("real/*/*.json"))
    reports = [p for p in reports if not p.name.endswith(".expected.json")]
    assert len(reports) > 20
    for path in reports:
        result = run("step", "--after", str(path), "--format", "json")
        assert result.exit_code == 0, (path, result.stderr)


# --- 5: globs and symbolic links ------------------------------------------------------------

JUNIT_ONE = (
    '<testsuites><testsuite name="s"><testcase classname="t.m" name="test_a" time="1"/>'
    "</testsuite></testsuites>"
)


def test_recursive_glob_does_not_follow_folder_links(tmp_path: Path) -> None:
    """A committed `loop -> .` link once made `**` read the same file 41 times."""
    res = tmp_path / "res"
    (res / "sub" / ".hidden").mkdir(parents=True)
    (res / "a.xml").write_text(JUNIT_ONE)
    (res / "sub" / "b.xml").write_text(JUNIT_ONE.replace("test_a", "test_b"))
    (res / "sub" / ".hidden" / "c.xml").write_text(JUNIT_ONE)
    (res / "loop").symlink_to(".")
    pattern = f"{res}/**/*.xml"
    assert expand([pattern], "JUnit") == [f"{res}/a.xml", f"{res}/sub/b.xml"]
    result = run("step", "--junit", pattern, "--format", "json")
    assert result.exit_code == 0, result.stderr
    after = json.loads(result.stdout)["tests"]["after"]
    assert (after["tests"], after["runs"], after["time"]) == (2, 2, 2.0)


def test_one_file_under_two_names_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(JUNIT_ONE)
    (tmp_path / "b.xml").symlink_to("a.xml")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.xml").symlink_to("../a.xml")
    patterns = [f"{tmp_path}/*.xml", str(tmp_path / "sub" / "c.xml")]
    assert expand(patterns, "JUnit") == [str(tmp_path / "a.xml")]
    result = run("step", "--junit", patterns[0], "--junit", patterns[1], "--format", "json")
    assert json.loads(result.stdout)["tests"]["after"]["runs"] == 1


@pytest.mark.parametrize("pattern", ["/**/*.xml", "/**", "//./**/x.xml", "/../**/*.xml"])
def test_recursive_glob_from_the_root_is_refused(pattern: str) -> None:
    result = run("step", "--junit", pattern, "--format", "json")
    assert_refused(result, pattern, "a recursive pattern from / would search the whole system")


def test_absolute_globs_still_work(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "a.xml").write_text(JUNIT_ONE)
    assert expand([f"{tmp_path}/x/*.xml"], "JUnit") == [f"{tmp_path}/x/a.xml"]
    assert expand([f"{tmp_path}/**/a.xml"], "JUnit") == [f"{tmp_path}/x/a.xml"]


# --- 6 and 10: concurrent and killed writers ------------------------------------------------

AFTER = str(REAL)
WRITER = """
import sys, time
from pathlib import Path
from reportgen.errors import OutputError
from reportgen.outputs.atomic_write import PlannedFile, write_all
folder, go, me = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
Path(f"{go}-{me}").touch()
while not go.exists():
    time.sleep(0.001)
files = [PlannedFile(folder / f"r.{ext}", f"{ext} of run {me}".encode()) for ext in ("md", "json", "html")]
try:
    write_all(files, force=False)
except OutputError as err:
    print(err)
    sys.exit(2)
"""


def subprocess_env() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "SOURCE_DATE_EPOCH": ""}


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_writers_never_both_win(tmp_path: Path, round_: int) -> None:
    """Four runs write different reports to one new archive at once: one wins, the rest
    exit 2 naming the report that appeared, and the archive holds the winner's set whole."""
    go = tmp_path / "go"
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path / "archive"), str(go), str(me)],
            stdout=subprocess.PIPE,
            text=True,
            env=subprocess_env(),
        )
        for me in range(4)
    ]
    deadline = time.monotonic() + 60
    while not all(Path(f"{go}-{me}").exists() for me in range(4)):  # all started, waiting
        assert time.monotonic() < deadline
        time.sleep(0.01)
    go.touch()
    results = [(run.communicate(timeout=60)[0], run.returncode)[::-1] for run in runs]
    winners = [me for me, (code, _) in enumerate(results) if code == 0]
    assert len(winners) == 1, results
    # A loser that read the archive after the winner finished sees an archived report.
    refusals = ("a different report appeared while this run was writing", "use --force")
    for code, message in results:
        assert code == 0 or (code == 2 and any(r in message for r in refusals)), results
    archive = tmp_path / "archive"
    assert sorted(p.name for p in archive.iterdir()) == ["r.html", "r.json", "r.md"]
    for ext in ("md", "json", "html"):
        assert (archive / f"r.{ext}").read_text() == f"{ext} of run {winners[0]}"


def test_a_report_appearing_while_waiting_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another run wrote between this run's first look and its lock: refused, named so."""
    target = tmp_path / "r.md"
    real = atomic_write._recover

    def other_run_first(folder: Path) -> None:
        target.write_bytes(b"the other run's report")
        real(folder)

    monkeypatch.setattr(atomic_write, "_recover", other_run_first)
    with pytest.raises(OutputError, match="r.md: a different report appeared while this run"):
        write_all([PlannedFile(target, b"this run's report")], force=False)
    assert target.read_bytes() == b"the other run's report"
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]


KILLED_STEP = """
import os, sys, time
from pathlib import Path
stop_at, signal_file = sys.argv[1], Path(sys.argv[2])
real = os.replace
def replace(src, dst):
    if Path(dst).name == stop_at and os.environ.get("WHEN") == "before":
        signal_file.touch(); time.sleep(60)
    real(src, dst)
    if Path(dst).name == stop_at and os.environ.get("WHEN") == "after":
        signal_file.touch(); time.sleep(60)
os.replace = replace
from reportgen.cli import main
main(sys.argv[3:])
"""


def step_args(out: Path, date: str) -> list[str]:
    formats = ["--format", "md", "--format", "html", "--format", "json"]
    return ["step", "--after", AFTER, *formats, "--date", date, "--out", str(out), "--force"]


def run_killed(tmp_path: Path, out: Path, stop_at: str, when: str) -> None:
    """`reportgen step --force` rewriting three formats, killed -9 at one rename."""
    signal_file = tmp_path / "reached"
    run = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_STEP,
            stop_at,
            str(signal_file),
            *step_args(out, "2024-02-02"),
        ],
        env={**subprocess_env(), "WHEN": when},
    )
    deadline = time.monotonic() + 60
    while not signal_file.exists():
        assert run.poll() is None and time.monotonic() < deadline, "the run never got there"
        time.sleep(0.01)
    run.send_signal(signal.SIGKILL)
    assert run.wait(timeout=30) == -signal.SIGKILL


def reports(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def archives(tmp_path: Path) -> tuple[Path, dict[str, bytes], dict[str, bytes]]:
    """An archive of the old report, and the old and new sets as whole runs write them."""
    out, new = tmp_path / "archive", tmp_path / "new"
    assert run(*step_args(out, "2024-01-01")).exit_code == 0
    assert run(*step_args(new, "2024-02-02")).exit_code == 0
    old_set, new_set = reports(out), reports(new)
    assert sorted(old_set) == ["report.html", "report.json", "report.md"]
    assert all(old_set[name] != new_set[name] for name in old_set)
    return out, old_set, new_set


def test_kill_between_renames_is_finished_by_the_next_run(tmp_path: Path, archives) -> None:
    out, old_set, new_set = archives
    run_killed(tmp_path, out, "report.md", "after")
    left = reports(out)
    assert left["report.md"] == new_set["report.md"]
    assert left["report.json"] == old_set["report.json"]
    # What a reader can tell: the journal of the unfinished set is there.
    assert ".reportgen-pending" in left
    result = run("index", str(out))
    assert result.exit_code == 0, result.stderr
    after = reports(out)
    assert {name: after[name] for name in new_set} == new_set
    assert sorted(after) == ["index.html", "index.md", *sorted(new_set)]
    assert "2024-02-02" in after["index.md"].decode()


def test_kill_before_the_set_is_committed_leaves_the_old_set(tmp_path: Path, archives) -> None:
    out, old_set, _ = archives
    run_killed(tmp_path, out, ".reportgen-pending", "before")
    assert {name: reports(out)[name] for name in old_set} == old_set
    assert any(name.endswith(".reportgen-tmp") for name in reports(out))  # the killed run's
    # The next run in the folder removes the leftovers, and the old set stands.
    assert run(*step_args(out, "2024-01-01")).exit_code == 0
    assert reports(out) == old_set


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_index_skips_a_fifo_named_json(tmp_path: Path, archives) -> None:
    out, _, _ = archives
    os.mkfifo(out / "pipe.json")
    # A process, bounded: the FIFO once made `index` wait for a writer forever.
    result = subprocess.run(
        [sys.executable, "-m", "reportgen", "index", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(),
    )
    assert result.returncode == 0, result.stderr
    assert f"{out / 'pipe.json'}: skipped, not a regular file" in result.stdout + result.stderr
    assert "1 step indexed" in result.stdout + result.stderr


# --- 11: one huge XML attribute ---------------------------------------------------------------


class CountedReads(io.BytesIO):
    """A file that records the size of every read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.sizes.append(-1 if size is None else size)
        return super().read(size)


@pytest.mark.parametrize("where", ["attribute", "comment"])
def test_a_huge_token_is_read_in_growing_feeds(where: str) -> None:
    """Expat rescans an unfinished token at every feed: 4 MiB in 64 KiB feeds scanned it 64
    times (16 MB took 1.6 s, 64 MB 29 s). The reads now double while no event passes."""
    huge = "y" * (4 << 20)
    attribute, comment = (huge, "") if where == "attribute" else ("short", f"<!--{huge}-->")
    doc = (
        f'<testsuites><testsuite name="s">{comment}<testcase classname="c" name="t">'
        f'<failure message="{attribute}"/></testcase></testsuite></testsuites>'
    ).encode()
    stream = CountedReads(doc)
    result = parse_junit(stream, "huge.xml")
    assert (result.tests, result.failed) == (1, 1)
    assert len(result.failures[0].message) == (4096 if where == "attribute" else 5)
    assert len(stream.sizes) <= 10, stream.sizes  # 64 reads before
    assert max(stream.sizes) <= 2 * len(doc)


def test_ordinary_results_keep_small_reads() -> None:
    """Events in every chunk: reads stay at 64 KiB, so memory stays flat for 500,000 cases."""
    cases = "".join(
        f'<testcase classname="tests.test_m{n % 50}" name="test_{n}" time="0.01"/>'
        for n in range(40_000)
    )
    stream = CountedReads(
        f'<testsuites><testsuite name="s">{cases}</testsuite></testsuites>'.encode()
    )
    assert parse_junit(stream, "many.xml").tests == 40_000
    assert len(stream.sizes) > 30
    assert set(stream.sizes) == {CHUNK}


# --- source files are read only under --source-root -----------------------------------------

SOURCE = "def named_here():\n    x = 1\n    return x\n"


@pytest.mark.parametrize("how", ["absolute", "climbing", "link"])
def test_sources_outside_the_source_root_are_not_read(tmp_path: Path, how: str) -> None:
    """Coverage JSON older than 7.6 names functions from the sources; its paths are data."""
    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    root.mkdir()
    elsewhere.mkdir()
    (elsewhere / "secret.py").write_text(SOURCE.replace("named_here", "secret_name"))
    (root / "mine.py").write_text(SOURCE)
    (root / "link").symlink_to(elsewhere)
    outside = {
        "absolute": str(elsewhere / "secret.py"),
        "climbing": "../elsewhere/secret.py",
        "link": "link/secret.py",
    }[how]
    entry = {
        "executed_lines": [1],
        "missing_lines": [2, 3],
        "summary": {"num_statements": 3, "missing_lines": 2},
    }
    cov = tmp_path / "cov.json"
    cov.write_text(json.dumps({"files": {outside: entry, "mine.py": entry}}))
    result = run(
        "step",
        "--after",
        str(cov),
        "--source-root",
        str(root),
        "--format",
        "json",
        "--target",
        f"{outside}=90",
        "--target",
        "mine.py=90",
        "--exit-zero",
    )
    assert result.exit_code == 0, result.stderr
    targets = json.loads(result.stdout)["coverage"]["targets"]
    functions = {t["pattern"]: [u["function"] for u in t["uncovered"]] for t in targets}
    assert functions == {outside: [None], "mine.py": ["named_here"]}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_glob_skips_fifos_and_folders(tmp_path: Path) -> None:
    (tmp_path / "a.xml").write_text(JUNIT_ONE)
    os.mkfifo(tmp_path / "pipe.xml")
    (tmp_path / "folder.xml").mkdir()
    assert expand([f"{tmp_path}/*.xml"], "JUnit") == [str(tmp_path / "a.xml")]
    assert expand([f"{tmp_path}/**/*.xml"], "JUnit") == [str(tmp_path / "a.xml")]


def _journal(folder: Path, *pairs: tuple[str, str]) -> None:
    entries = [[os.fsencode(a).hex(), os.fsencode(b).hex()] for a, b in pairs]
    (folder / atomic_write.JOURNAL).write_text(json.dumps(entries), encoding="utf-8")


def test_a_planted_journal_moves_nothing_out_of_its_folder(tmp_path: Path) -> None:
    """A journal is data a pull request can commit: entries that leave the folder, or whose
    temporary is not named as reportgen names its own, are ignored by `index` and `step`."""
    archive = tmp_path / "reports" / "m9"
    archive.mkdir(parents=True)
    victim, other = tmp_path / "victim.txt", tmp_path / "other.txt"
    victim.write_text("victim\n")
    other.write_text("other\n")
    (archive / "payload").write_text("payload\n")
    (archive / ".r.md.abc.reportgen-tmp").write_text("planted\n")
    _journal(
        archive,
        ("../../victim.txt", "../../moved.txt"),
        (str(other), str(tmp_path / "abs-moved.txt")),
        ("payload", "../../victim.txt"),
        ("payload", "r.md"),  # inside, but not a temporary of r.md
    )
    assert run("index", str(tmp_path / "reports")).exit_code == 0
    assert victim.read_text() == "victim\n" and other.read_text() == "other\n"
    assert not (tmp_path / "moved.txt").exists() and not (tmp_path / "abs-moved.txt").exists()
    assert (archive / "payload").read_text() == "payload\n"
    assert not (archive / "r.md").exists()
    assert not (archive / atomic_write.JOURNAL).exists()
    assert not (archive / ".r.md.abc.reportgen-tmp").exists()  # a stale temporary: removed
    # `step` into the folder recovers the same way.
    _journal(archive, ("payload", "../../victim.txt"))
    after = str(Path(__file__).parent / "data" / "coverage" / "7.17.4" / "branch.json")
    assert run("step", "--after", after, "--out", str(archive / "r.md")).exit_code == 0
    assert victim.read_text() == "victim\n"
    assert (archive / "payload").read_text() == "payload\n"


@pytest.mark.parametrize("option", ["--junit", "--after", "--spec"])
def test_a_fifo_named_as_an_input_is_refused_without_waiting(tmp_path: Path, option: str) -> None:
    """Opening a FIFO for reading blocks until a writer comes: inputs are opened without
    blocking and must be regular files (a spec from a pull request can name any path)."""
    fifo = tmp_path / "input.xml"
    os.mkfifo(fifo)
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom reportgen.cli import main\n"
        f"r = CliRunner().invoke(main, ['step', {option!r}, {str(fifo)!r}])\n"
        "sys.stderr.write(r.stderr); sys.exit(r.exit_code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == f"Error: {fifo}: not a regular file\n"
