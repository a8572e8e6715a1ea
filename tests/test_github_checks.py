"""`reportgen check` against a loopback stand-in for GitHub's Checks API.

The stand-in answers as the real API does: check runs created on a known commit only, at most
50 annotations per request (422 otherwise), annotations appended by each edit, listings paged
with Link headers, rate-limit headers on every answer, 403 for a token that may not write.
The data is real: a project measured by coverage.py and tested by pytest in a temporary git
repository.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from reportgen.analysis.annotations import Annotation
from reportgen.cli import main
from reportgen.publish.github import GitHubError
from reportgen.publish.github_checks import (
    CheckRun,
    CheckTarget,
    publish_check_run,
    resolve_check_target,
)
from tests import loopback
from tests.patch_project import git, git_env

TOKEN = "ghs_checksTokenDistinctive5Kq8Lw"
REPO = "octo/widgets"
SHA = "a" * 40
_RUNS = re.compile(r"/repos/([^/]+/[^/]+)/check-runs(?:/(\d+))?(/annotations)?")
_LIST = re.compile(r"/repos/([^/]+/[^/]+)/commits/([0-9a-f]+)/check-runs")
_LEVELS = {"notice", "warning", "failure"}

# The stand-in server and the proxy guard, as this module's fixtures.
serve, _loopback_only = loopback.serve, loopback._loopback_only


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any


@dataclass
class FakeChecks:
    prefix: str = ""
    base_url: str = ""
    link_base: str | None = None  # where pagination links point (default: this server)
    raw: dict[str, bytes] = field(default_factory=dict)  # method -> a verbatim 200/201 answer
    commits: set[str] = field(default_factory=lambda: {SHA})
    runs: dict[int, dict[str, Any]] = field(default_factory=dict)
    annotations: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    writable: bool = True  # False: a token without checks: write
    faults: list[tuple[str, int, str, tuple[tuple[str, str], ...]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    clock: int = 0

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple:
        with self.lock:
            parts = urlsplit(target)
            body = json.loads(raw) if raw else None
            query = parse_qs(parts.query)
            self.requests.append(Recorded(method, parts.path, query, body))
            limits = (
                ("x-ratelimit-limit", "5000"),
                ("x-ratelimit-remaining", "4999"),
                ("x-ratelimit-reset", "1445412480"),
                ("x-ratelimit-resource", "core"),
            )
            if headers.get("authorization") != f"Bearer {TOKEN}":
                return 401, limits, {"message": "Bad credentials"}
            for fault in self.faults:
                if fault[0] == method:
                    self.faults.remove(fault)
                    return fault[1], fault[3], {"message": fault[2]}
            status, extra, payload = self._route(method, parts.path, query, body)
            if method in self.raw:
                payload = self.raw.pop(method)
            return status, limits + extra, payload

    def _route(self, method: str, path: str, query: dict, body: Any) -> tuple:
        path = path.removeprefix(self.prefix)
        listing, runs = _LIST.fullmatch(path), _RUNS.fullmatch(path)
        if listing and listing.group(1) == REPO and method == "GET":
            if listing.group(2) not in self.commits:
                return 422, (), {"message": f"No commit found for SHA: {listing.group(2)}"}
            name = query.get("check_name", [None])[0]
            found = [r for r in self.runs.values() if r["head_sha"] == listing.group(2)]
            found = [r for r in found if name is None or r["name"] == name]
            if query.get("filter", ["latest"])[0] == "latest":
                newest: dict[str, dict] = {}
                for run in sorted(found, key=lambda r: r["id"]):
                    newest[run["name"]] = run
                found = list(newest.values())
            page, link = self._page(sorted(found, key=lambda r: -r["id"]), query, path)
            return 200, link, {"total_count": len(found), "check_runs": page}
        if not runs or runs.group(1) != REPO:
            return 404, (), {"message": "Not Found"}
        number = runs.group(2)
        if number is not None and int(number) not in self.runs:
            return 404, (), {"message": "Not Found"}
        if runs.group(3) and method == "GET":
            page, link = self._page(self.annotations[int(number)], query, path)
            return 200, link, page
        if method in ("POST", "PATCH") and not self.writable:
            return 403, (), {"message": "Resource not accessible by integration"}
        if method == "POST" and number is None:
            return self._create(body)
        if method == "PATCH" and number is not None:
            return self._edit(int(number), body)
        return 404, (), {"message": "Not Found"}

    def _page(self, items: list, query: dict, path: str) -> tuple[list, tuple]:
        page, per_page = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["30"])[0])
        chunk = items[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(items) // per_page))
        keep = {k: v[0] for k, v in query.items() if k != "page"}
        base = f"{self.link_base or self.base_url}{path}?" + "&".join(
            f"{k}={v}" for k, v in keep.items()
        )
        link = f'<{base}&page={last}>; rel="last"'
        if page < last:
            link = f'<{base}&page={page + 1}>; rel="next", {link}'
        return chunk, (("Link", link),)

    def _invalid(self, body: Any) -> str | None:
        output = body.get("output")
        if output is None:
            return None
        if not output.get("title") or output.get("summary") is None:
            return 'Invalid request.\n\n"title", "summary" weren\'t supplied.'
        if len(output["summary"]) > 65535:
            return "Invalid request.\n\nsummary is too long (maximum is 65535 characters)."
        annotations = output.get("annotations", [])
        if len(annotations) > 50:
            return "Invalid request.\n\nFor 'properties/annotations', it has more than 50 items."
        for item in annotations:
            needed = ("path", "start_line", "end_line", "annotation_level", "message")
            if any(key not in item for key in needed) or item["annotation_level"] not in _LEVELS:
                return "Invalid request.\n\nAn annotation lacks a required field."
            if item["start_line"] > item["end_line"]:
                return "Invalid request.\n\nstart_line is after end_line."
        return None

    def _create(self, body: Any) -> tuple:
        if body.get("head_sha") not in self.commits:
            return 422, (), {"message": f"No commit found for SHA: {body.get('head_sha')}"}
        if (problem := self._invalid(body)) is not None:
            return 422, (), {"message": problem}
        number = max(self.runs, default=4000) + 1
        self.clock += 1
        self.runs[number] = {
            "id": number,
            "name": body["name"],
            "head_sha": body["head_sha"],
            "status": body.get("status", "queued"),
            "conclusion": body.get("conclusion"),
            "started_at": f"2026-01-01T00:00:{self.clock:02d}Z",
            "html_url": f"https://github.test/{REPO}/runs/{number}",
            "app": {"slug": "github-actions"},
            "output": {},
        }
        self.annotations[number] = []
        return 201, (), self._apply(number, body)

    def _edit(self, number: int, body: Any) -> tuple:
        if (problem := self._invalid(body)) is not None:
            return 422, (), {"message": problem}
        return 200, (), self._apply(number, body)

    def _apply(self, number: int, body: dict[str, Any]) -> dict[str, Any]:
        run = self.runs[number]
        for key in ("status", "conclusion"):
            if key in body:
                run[key] = body[key]
        if "output" in body:
            output = dict(body["output"])
            # Annotations add up; title and summary are replaced.
            self.annotations[number].extend(
                {**a, "blob_href": f"https://github.test/{REPO}/blob/{SHA}/{a['path']}"}
                for a in output.pop("annotations", [])
            )
            run["output"] = output
        count = len(self.annotations[number])
        return {**run, "output": {**run["output"], "annotations_count": count}}


def _annotation(n: int) -> Annotation:
    return Annotation("pkg/big.py", n, n, "warning", "Not covered", f"Line {n} never ran")


def _run(annotations: list[Annotation], summary: str = "## Report\n") -> CheckRun:
    return CheckRun("reportgen m1--s1", "Coverage 80%", summary, "success", tuple(annotations))


def _target(fake: FakeChecks) -> CheckTarget:
    return CheckTarget(fake.base_url, REPO, SHA)


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds}")


@pytest.fixture
def checks(serve: Callable[[Any], Any]) -> FakeChecks:
    return serve(FakeChecks())


def _calls(fake: FakeChecks) -> list[str]:
    return [f"{r.method} {r.path.rsplit('/', 1)[-1]}" for r in fake.requests]


# --- publishing -------------------------------------------------------------------------------


def test_300_annotations_go_in_batches_of_50_and_all_arrive(checks: FakeChecks) -> None:
    wanted = [_annotation(n) for n in range(1, 301)]
    result = publish_check_run(_target(checks), TOKEN, _run(wanted), sleep=_no_sleep)

    assert (result.action, result.check_run_id, result.sent) == ("created", 4001, 300)
    assert result.url == f"https://github.test/{REPO}/runs/4001"
    writes = [r for r in checks.requests if r.method != "GET"]
    assert [r.method for r in writes] == ["POST"] + ["PATCH"] * 5
    assert [len(r.body["output"]["annotations"]) for r in writes] == [50] * 6
    stored = checks.annotations[4001]
    assert [a["start_line"] for a in stored] == list(range(1, 301))
    assert checks.runs[4001]["conclusion"] == "success"
    assert checks.runs[4001]["output"] == {"title": "Coverage 80%", "summary": "## Report\n"}
    assert writes[0].body["head_sha"] == SHA and writes[0].body["name"] == "reportgen m1--s1"


def test_a_second_run_with_the_same_findings_edits_in_place_and_adds_nothing(
    checks: FakeChecks,
) -> None:
    wanted = [_annotation(n) for n in range(1, 121)]
    publish_check_run(_target(checks), TOKEN, _run(wanted))
    later = CheckRun("reportgen m1--s1", "New", "## B\n", "failure", tuple(wanted))
    result = publish_check_run(_target(checks), TOKEN, later)

    assert (result.action, result.check_run_id, result.sent) == ("updated", 4001, 0)
    assert list(checks.runs) == [4001] and len(checks.annotations[4001]) == 120
    assert checks.runs[4001]["conclusion"] == "failure"
    assert checks.runs[4001]["output"]["title"] == "New"
    # The annotations were read back over all their pages (100 per page) before the edit.
    pages = [r.query.get("page") for r in checks.requests if r.path.endswith("/annotations")]
    assert pages == [None, ["2"]]


def test_new_findings_are_added_to_the_run(checks: FakeChecks) -> None:
    publish_check_run(_target(checks), TOKEN, _run([_annotation(1)]))
    result = publish_check_run(_target(checks), TOKEN, _run([_annotation(1), _annotation(2)]))

    assert (result.action, result.sent) == ("updated", 1)
    assert [a["start_line"] for a in checks.annotations[4001]] == [1, 2]


def test_a_finding_gone_since_gets_a_new_run_of_the_same_name(checks: FakeChecks) -> None:
    """Annotations cannot be deleted: a run that shows a fixed line is replaced by a new one."""
    publish_check_run(_target(checks), TOKEN, _run([_annotation(1), _annotation(2)]))
    result = publish_check_run(_target(checks), TOKEN, _run([_annotation(2)]))

    assert (result.action, result.check_run_id) == ("replaced", 4002)
    assert [a["start_line"] for a in checks.annotations[4002]] == [2]
    # The next run finds the newest of the name.
    again = publish_check_run(_target(checks), TOKEN, _run([_annotation(2)]))
    assert (again.action, again.check_run_id) == ("updated", 4002)


def test_another_report_on_the_same_commit_is_left_alone(checks: FakeChecks) -> None:
    publish_check_run(_target(checks), TOKEN, _run([_annotation(1)]))
    other = CheckRun("reportgen m1--s2", "T", "S", "neutral", ())
    result = publish_check_run(_target(checks), TOKEN, other)

    assert (result.action, result.check_run_id) == ("created", 4002)
    assert checks.runs[4001]["conclusion"] == "success"
    assert checks.runs[4002]["conclusion"] == "neutral"
    listing = [r for r in checks.requests if r.path.endswith("/check-runs") and r.method == "GET"]
    assert listing[-1].query["check_name"] == ["reportgen m1--s2"]


@pytest.mark.parametrize(
    ("status", "message", "words"),
    [
        (403, "Resource not accessible by integration", "needs 'checks: write'"),
        (404, "Not Found", "cannot see the repository"),
        (422, "Invalid request.\n\nFor 'properties/annotations', bad", "GitHub refused"),
        (401, "Bad credentials", "invalid or expired"),
    ],
)
def test_refusals_are_one_line_naming_the_request(
    checks: FakeChecks, status: int, message: str, words: str
) -> None:
    checks.faults.append(("POST", status, message, ()))
    with pytest.raises(GitHubError) as caught:
        publish_check_run(_target(checks), TOKEN, _run([_annotation(1)]))
    text = str(caught.value)
    assert "\n" not in text and TOKEN not in text
    assert text.startswith(f"POST {checks.base_url}/repos/{REPO}/check-runs: HTTP {status}")
    assert words in text


def test_a_token_that_may_not_write(checks: FakeChecks) -> None:
    checks.writable = False
    with pytest.raises(GitHubError, match="HTTP 403 Resource not accessible by integration;"):
        publish_check_run(_target(checks), TOKEN, _run([_annotation(1)]))
    assert checks.runs == {}


def test_an_unknown_commit_is_named(checks: FakeChecks) -> None:
    target = CheckTarget(checks.base_url, REPO, "b" * 40)
    with pytest.raises(GitHubError, match=f"HTTP 422 No commit found for SHA: {'b' * 40}"):
        publish_check_run(target, TOKEN, _run([]))


def test_rate_limits_wait_as_asked_or_stop(checks: FakeChecks) -> None:
    waits: list[float] = []
    checks.faults.append(("POST", 403, "You have exceeded a secondary rate limit",
                          (("Retry-After", "2"),)))  # fmt: skip
    result = publish_check_run(_target(checks), TOKEN, _run([_annotation(1)]), sleep=waits.append)
    assert (result.action, waits) == ("created", [2.0])

    checks.faults.append(("GET", 429, "secondary rate limit", (("Retry-After", "3600"),)))
    with pytest.raises(GitHubError, match="asks to wait 3600 s"):
        publish_check_run(_target(checks), TOKEN, _run([]), sleep=waits.append)


def test_redirects_are_not_followed(serve: Callable[[Any], Any]) -> None:
    elsewhere, fake = serve(FakeChecks()), serve(FakeChecks())
    fake.faults.append(("GET", 301, "Moved Permanently", (("Location", elsewhere.base_url),)))
    with pytest.raises(GitHubError, match="HTTP 301 Moved Permanently; redirect to http://"):
        publish_check_run(_target(fake), TOKEN, _run([]))
    assert elsewhere.requests == []


def test_the_summary_limit(checks: FakeChecks) -> None:
    with pytest.raises(GitHubError, match="65536 characters; GitHub accepts at most 65535"):
        publish_check_run(_target(checks), TOKEN, _run([], "x" * 65536))
    assert checks.requests == []


@pytest.mark.parametrize(
    ("env", "sha", "expected"),
    [
        ({"GITHUB_SHA": "C" * 40}, None, "c" * 40),
        ({"GITHUB_SHA": "c" * 40}, "d" * 40, "d" * 40),
    ],
)
def test_the_commit(env: dict, sha: str | None, expected: str) -> None:
    target = resolve_check_target({**env, "GITHUB_REPOSITORY": REPO}, None, sha)
    assert target == CheckTarget("https://api.github.com", REPO, expected)


def test_the_pull_requests_head_not_its_merge_commit(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 3, "head": {"sha": "e" * 40}}}))
    env = {"GITHUB_SHA": "f" * 40, "GITHUB_EVENT_PATH": str(event), "GITHUB_REPOSITORY": REPO}
    assert resolve_check_target(env, None, None).head_sha == "e" * 40


def test_a_commit_that_is_not_a_hash() -> None:
    with pytest.raises(GitHubError, match="--sha 'main': not a full commit hash"):
        resolve_check_target({"GITHUB_REPOSITORY": REPO}, None, "main")


# --- the command, on a real project -----------------------------------------------------------

BIG_1 = "def f0():\n    return 0\n"
TEST_1 = "from pkg.big import f0\n\n\ndef test_ok():\n    assert f0() == 0\n"
SMALL = "def s(x):\n    if x:\n        return 1\n    return 0\n"
TEST_2 = TEST_1 + "\n\ndef test_fail():\n    assert f0() == 1\n"


def _measure(repo: Path, out: Path, junit: Path) -> None:
    env = dict(os.environ, COVERAGE_FILE=str(repo / ".coverage"), PYTHONDONTWRITEBYTECODE="1")
    run = [sys.executable, "-m", "coverage"]
    # pytest fails (one test does): its exit status is not the point here.
    pytest_args = ["-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", "tests"]
    subprocess.run([*run, "run", "--branch", *pytest_args], cwd=repo, env=env, capture_output=True)
    subprocess.run([*run, "json", "-q", "-o", str(out)], cwd=repo, check=True, env=env)


@pytest.fixture(scope="module")
def big_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Commit 2 adds 300 functions none of the tests call, a module whose function no test
    calls (imported by the package), and a failing test."""
    root = tmp_path_factory.mktemp("checks")
    repo = root / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "tests").mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text(".coverage\n")
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "big.py").write_text(BIG_1)
    (repo / "tests" / "test_big.py").write_text(TEST_1)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "one")
    git(repo, "tag", "v1")
    _measure(repo, root / "before.json", root / "junit-before.xml")
    functions = "".join(f"\n\ndef f{n}():\n    return {n}\n" for n in range(1, 301))
    (repo / "pkg" / "big.py").write_text(BIG_1 + functions)
    (repo / "tests" / "test_big.py").write_text(TEST_2)
    (repo / "pkg" / "__init__.py").write_text("from pkg import small  # noqa: F401\n")
    (repo / "pkg" / "small.py").write_text(SMALL)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two")
    _measure(repo, root / "after.json", root / "junit.xml")
    return repo


def _check(repo: Path, fake: FakeChecks, *args: str, junit: str = "../junit.xml"):
    head = git(repo, "rev-parse", "HEAD").strip()
    fake.commits.add(head)
    env = {
        "GITHUB_API_URL": fake.base_url,
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_SHA": head,
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_EVENT_PATH": "",
        "SOURCE_DATE_EPOCH": "",
    }
    old = os.getcwd()
    os.chdir(repo)
    try:
        return CliRunner().invoke(
            main,
            ["check", "--before", "../before.json", "--after", "../after.json",
             "--junit", junit, "--diff-base", "v1", "--patch-min", "90",
             "--comment-id", "pr", *args],
            env={**git_env(), **env},
        )  # fmt: skip
    finally:
        os.chdir(old)


def test_check_on_a_real_change(big_project: Path, checks: FakeChecks) -> None:
    result = _check(big_project, checks)

    assert result.exit_code == 1, result.output  # the changed lines miss --patch-min
    assert (
        result.output
        == f"created check run https://github.test/{REPO}/runs/4001 (302 annotations sent)\n"
    )
    after = json.loads((big_project.parent / "after.json").read_text())["totals"]
    before = json.loads((big_project.parent / "before.json").read_text())["totals"]
    run = checks.runs[4001]
    assert run["name"] == "reportgen pr" and run["conclusion"] == "failure"
    # coverage.py's own displays; the changed lines: 607 statements and 2 branches, the 300
    # returns and small.py's body (3 statements, both branches) missed: 304 of 609.
    assert run["output"]["title"] == (
        f"Coverage {after['percent_covered_display']}% (was {before['percent_covered_display']}%),"
        " changed lines 50%, 1 of 2 tests failing, 0/1 criteria hold"
    )
    assert run["output"]["summary"].startswith("<!-- reportgen:pr -->\n")
    stored = checks.annotations[4001]
    failing, *uncovered, small = stored
    line = TEST_2.splitlines().index("    assert f0() == 1") + 1
    assert (failing["path"], failing["start_line"], failing["annotation_level"]) == (
        "tests/test_big.py",
        line,
        "failure",
    )
    assert failing["title"] == "Test failed: tests.test_big::test_fail"
    assert "assert 0 == 1" in failing["message"]
    # One annotation per uncovered range: each `return n` (line 6 + 4(n-1)), between run defs.
    assert [(a["path"], a["start_line"], a["end_line"]) for a in uncovered] == [
        ("pkg/big.py", 6 + 4 * k, 6 + 4 * k) for k in range(300)
    ]
    assert {a["annotation_level"] for a in uncovered} == {"warning"}
    assert (small["path"], small["start_line"], small["end_line"]) == ("pkg/small.py", 2, 4)
    assert small["message"] == "Lines 2-4 added or changed here never ran in the tests."
    sizes = [len(r.body["output"]["annotations"]) for r in checks.requests if r.method != "GET"]
    assert sizes == [50] * 6 + [2]


def test_annotations_show_no_hidden_characters(big_project: Path, checks: FakeChecks) -> None:
    """A failure message is untrusted: a bidi override or a control character in it reaches
    the check run as U+FFFD, never as itself."""
    junit = (big_project.parent / "junit.xml").read_text(encoding="utf-8")
    assert 'message="assert 0 == 1' in junit
    hostile = junit.replace('message="assert 0 == 1', 'message="assert&#8238;gnp.exe&#133; 0 == 1')
    (big_project.parent / "junit-hostile.xml").write_text(hostile, encoding="utf-8")
    result = _check(big_project, checks, "--exit-zero", junit="../junit-hostile.xml")
    assert result.exit_code == 0, result.output
    failing = checks.annotations[4001][0]
    assert failing["title"] == "Test failed: tests.test_big::test_fail"
    assert failing["message"].startswith("assert\ufffdgnp.exe\ufffd 0 == 1")
    assert "\u202e" not in json.dumps(checks.annotations[4001], ensure_ascii=False)


def test_check_with_a_cap_and_exit_zero(big_project: Path, checks: FakeChecks) -> None:
    result = _check(big_project, checks, "--max-annotations", "100", "--exit-zero")

    assert result.exit_code == 0, result.output
    assert result.output.endswith("(100 annotations sent, 202 over the cap)\n")
    run = checks.runs[4001]
    assert run["conclusion"] == "neutral"
    assert len(checks.annotations[4001]) == 100
    assert checks.annotations[4001][0]["annotation_level"] == "failure"
    assert "_202 more annotations not sent: at most 100 per run" in run["output"]["summary"]


def test_check_without_a_token_or_with_one_that_may_not_write(
    big_project: Path, checks: FakeChecks
) -> None:
    checks.writable = False
    result = _check(big_project, checks)
    assert result.exit_code == 2
    assert (
        "HTTP 403 Resource not accessible by integration; the token may not write" in result.output
    )
    assert "checks: write" in result.output and TOKEN not in result.output
    assert "Traceback" not in result.output


def test_the_token_never_follows_a_page_link_to_another_host(
    serve: Callable[[Any], Any],
) -> None:
    elsewhere, fake = serve(FakeChecks()), serve(FakeChecks())
    fake.link_base = elsewhere.base_url
    publish_check_run(_target(fake), TOKEN, _run([_annotation(n) for n in range(1, 150)]))
    with pytest.raises(GitHubError, match="refusing to send the token to http://127.0.0.1:"):
        publish_check_run(_target(fake), TOKEN, _run([_annotation(1)]))
    assert elsewhere.requests == []


@pytest.mark.parametrize(
    ("method", "raw", "words"),
    [
        ("GET", b"<html>", "HTTP 200 answer is not JSON"),
        ("GET", b"[]", "the answer has no 'check_runs' list"),
        ("GET", b'{"check_runs": {"id": 1}}', "the answer has no 'check_runs' list"),
        ("POST", b'{"id": "4001"}', "the answer names no check run 'id'"),
        ("POST", b"[1]", "the answer is not a check run object"),
        ("POST", b"[" * 100_000, "answer is not JSON"),
    ],
)
def test_hostile_answers_are_one_line(
    checks: FakeChecks, method: str, raw: bytes, words: str
) -> None:
    checks.raw[method] = raw
    with pytest.raises(GitHubError) as caught:
        publish_check_run(_target(checks), TOKEN, _run([_annotation(1)]))
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_target_files_come_before_the_others(big_project: Path, checks: FakeChecks) -> None:
    result = _check(big_project, checks, "--target", "pkg/small.py=0", "--max-annotations", "2")

    assert result.exit_code == 1, result.output  # the target holds, --patch-min does not
    assert [(a["path"], a["start_line"]) for a in checks.annotations[4001]] == [
        ("tests/test_big.py", TEST_2.splitlines().index("    assert f0() == 1") + 1),
        ("pkg/small.py", 2),
    ]
    assert checks.runs[4001]["output"]["title"].endswith(", 1/2 criteria hold")


def test_a_huge_report_is_cut_to_the_summarys_limit(
    tmp_path: Path, checks: FakeChecks, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = "".join(
        f'<testcase classname="tests.test_m{n % 7}" name="test_{n}" time="0.1">'
        f'<failure message="{"ü" * 300} {n}">trace</failure></testcase>'
        for n in range(3000)
    )
    junit = tmp_path / "junit.xml"
    junit.write_text(f'<testsuite name="s" tests="3000" failures="3000">{cases}</testsuite>')
    monkeypatch.chdir(tmp_path)
    env = {"GITHUB_API_URL": checks.base_url, "GITHUB_REPOSITORY": REPO, "GITHUB_SHA": SHA,
           "GITHUB_TOKEN": TOKEN, "GITHUB_EVENT_PATH": "", "SOURCE_DATE_EPOCH": ""}  # fmt: skip
    result = CliRunner().invoke(main, ["check", "--junit", str(junit)], env=env)

    # No criterion was set (no spec, no --patch-min): the conclusion follows the criteria.
    assert result.exit_code == 0, result.output
    run = checks.runs[4001]
    assert run["conclusion"] == "success"
    assert run["output"]["title"] == "3000 of 3000 tests failing"
    assert len(run["output"]["summary"].encode("utf-8")) <= 65535 - 200
    assert "test_0" in run["output"]["summary"]
    # No file, no diff: the failures have no place on the diff, and none is invented.
    assert checks.annotations[4001] == []


def test_annotation_texts_go_through_the_sanitiser() -> None:
    """A test id or failure message with a bidi override or a control character reaches the
    check run cleaned, as in every other output; newlines of a message are kept."""
    from reportgen.commands.check import _sanitised

    raw = Annotation(
        "tests/test_x.py",
        3,
        3,
        "failure",
        "Test failed: t::test_\u202eevil\x07",
        "boom\n\u202egnp.exe",
    )
    clean = _sanitised(raw)
    assert clean.title == "Test failed: t::test_\ufffdevil\ufffd"
    assert clean.message == "boom\n\ufffdgnp.exe"
    assert (clean.path, clean.start_line, clean.level) == ("tests/test_x.py", 3, "failure")
