"""`reportgen comment --host gitlab` against a loopback stand-in for GitLab's REST API (v4).

The stand-in answers as GitLab does: notes paged with X-Page/X-Next-Page/X-Total-Pages and a
Link header, `{"message": "403 Forbidden"}` error bodies, RateLimit-* headers on every answer,
PRIVATE-TOKEN authentication, system notes, and 403 on another user's note.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from click.testing import CliRunner

from reportgen.cli import main
from reportgen.publish.github import marker_for
from reportgen.publish.gitlab import (
    GitLabError,
    MergeRequestTarget,
    NoteResult,
    resolve_gitlab_target,
    upsert_note,
)
from tests import loopback
from tests.patch_project import make_project

serve, _loopback_only = loopback.serve, loopback._loopback_only

TOKEN = "glpat-distinctiveTestToken9Zx"
PROJECT = "42"
IID = 5
ME, OTHER = 77, 12
MARKER = marker_for("coverage")
BODY = f"{MARKER}\n## Coverage\n\n**81%** (+4%)\n"
_NOTES = re.compile(r"/projects/([^/]+)/merge_requests/(\d+)/notes(?:/(\d+))?")


@dataclass
class FakeGitLab:
    prefix: str = "/api/v4"
    base_url: str = ""
    notes: dict[int, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict, Any]] = field(default_factory=list)
    faults: list[tuple[str, int, Any, tuple, bool]] = field(default_factory=list)
    writable: bool = True
    raw: dict[str, tuple[bytes, tuple]] = field(default_factory=dict)  # path end -> answer
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, body: str, author: int = OTHER, system: bool = False) -> int:
        number = max(self.notes, default=500) + 1
        user = {"id": author, "username": f"user{author}", "name": "U", "state": "active"}
        self.notes[number] = {
            "id": number, "type": None, "body": body, "author": user, "system": system,
            "created_at": "2026-01-01T00:00:00.000Z", "noteable_type": "MergeRequest",
            "noteable_iid": IID, "resolvable": False,
        }  # fmt: skip
        return number

    def ours(self) -> dict[int, str]:
        return {n: v["body"] for n, v in self.notes.items() if v["author"]["id"] == ME}

    def calls(self) -> list[str]:
        return [method for method, *_ in self.requests]

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple:
        with self.lock:
            parts = urlsplit(target)
            body = json.loads(raw) if raw else None
            query = parse_qs(parts.query)
            self.requests.append((method, parts.path, query, body))
            limits = (("RateLimit-Limit", "2000"), ("RateLimit-Remaining", "1999"),
                      ("RateLimit-Reset", "1445412480"), ("RateLimit-Observed", "1"))  # fmt: skip
            if headers.get("private-token") != TOKEN or "authorization" in headers:
                return 401, limits, {"message": "401 Unauthorized"}
            for fault in self.faults:
                if fault[0] == method:
                    self.faults.remove(fault)
                    if fault[4]:  # acted, then failed
                        self._route(method, parts.path, query, body)
                    return fault[1], limits + fault[3], fault[2]
            status, extra, payload = self._route(method, parts.path, query, body)
            for end, (data, headers) in list(self.raw.items()):
                if parts.path.endswith(end) and method == "GET":
                    del self.raw[end]
                    return 200, limits + headers, data
            return status, limits + extra, payload

    def _route(self, method: str, path: str, query: dict, body: Any) -> tuple:
        if not path.startswith(self.prefix):
            return 404, (), {"error": "404 Not Found"}
        path = path.removeprefix(self.prefix)
        if path == "/user" and method == "GET":
            return 200, (), {"id": ME, "username": "reportbot", "bot": True}
        match = _NOTES.fullmatch(path)
        if not match or unquote(match.group(1)) not in (PROJECT, "group/app"):
            return 404, (), {"message": "404 Project Not Found"}
        if int(match.group(2)) != IID:
            return 404, (), {"message": "404 Not found"}
        number = match.group(3)
        if method == "GET" and number is None:
            return self._list(query)
        if method in ("POST", "PUT") and not self.writable:
            return 403, (), {"message": "403 Forbidden"}
        if method == "POST" and number is None:
            if not body.get("body"):
                return 400, (), {"message": {"note": ["can't be blank"]}}
            return 201, (), self.notes[self.add(body["body"], ME)]
        if method == "PUT" and number is not None and int(number) in self.notes:
            note = self.notes[int(number)]
            if note["author"]["id"] != ME:
                return 403, (), {"message": "403 Forbidden"}
            note["body"] = body["body"]
            return 200, (), note
        return 404, (), {"message": "404 Not found"}

    def _list(self, query: dict) -> tuple:
        page, per_page = int(query.get("page", ["1"])[0]), int(query.get("per_page", ["20"])[0])
        numbers = sorted(self.notes)
        total_pages = max(1, -(-len(numbers) // per_page))
        chunk = [self.notes[n] for n in numbers[(page - 1) * per_page : page * per_page]]
        nxt = str(page + 1) if page < total_pages else ""
        headers = (
            ("X-Page", str(page)), ("X-Per-Page", str(per_page)), ("X-Next-Page", nxt),
            ("X-Prev-Page", str(page - 1) if page > 1 else ""), ("X-Total", str(len(numbers))),
            ("X-Total-Pages", str(total_pages)),
        )  # fmt: skip
        return 200, headers, chunk

    @property
    def target(self) -> MergeRequestTarget:
        return MergeRequestTarget(self.base_url, PROJECT, IID)


@pytest.fixture
def gitlab(serve) -> FakeGitLab:
    """A merge request with 130 notes by someone else, some of them GitLab's own."""
    fake = serve(FakeGitLab())
    for n in range(130):
        fake.add(f"note {n}", system=n % 10 == 0)
    return fake


def _upsert(fake: FakeGitLab, body: str = BODY, **options: Any) -> NoteResult:
    options.setdefault("sleep", _no_sleep)
    return upsert_note(fake.target, TOKEN, body, MARKER, **options)


def _no_sleep(seconds: float) -> None:
    raise AssertionError(f"slept {seconds}")


def test_created_once_then_edited_in_place(gitlab: FakeGitLab) -> None:
    first = _upsert(gitlab)
    assert first == NoteResult(
        "created", 631, f"{gitlab.target.api_url}/projects/42/merge_requests/5/notes/631"
    )
    assert gitlab.calls() == ["GET", "GET", "GET", "POST"]  # /user, then both pages of notes
    pages = [q.get("page") for m, p, q, _ in gitlab.requests if m == "GET" and p.endswith("/notes")]
    assert pages == [["1"], ["2"]]

    changed = BODY.replace("81%", "83%")
    second = _upsert(gitlab, changed)
    assert (second.action, second.note_id) == ("updated", 631)
    assert gitlab.ours() == {631: changed}
    assert gitlab.calls()[-1] == "PUT"

    third = _upsert(gitlab, changed + "\n\n")
    assert (third.action, third.note_id) == ("unchanged", 631)
    assert gitlab.calls()[-1] == "GET" and len(gitlab.ours()) == 1


def test_a_marker_forged_into_another_users_note_is_left_alone(gitlab: FakeGitLab) -> None:
    forged = gitlab.add(BODY.replace("81%", "0%"), author=OTHER)
    result = _upsert(gitlab)

    assert result.action == "created" and result.note_id != forged
    assert gitlab.notes[forged]["body"] == BODY.replace("81%", "0%")
    assert "PUT" not in gitlab.calls()


def test_only_the_first_line_marks_a_note(gitlab: FakeGitLab) -> None:
    quoted = gitlab.add(f"Failures:\n{MARKER}\n", author=ME)
    result = _upsert(gitlab)
    assert result.action == "created" and gitlab.notes[quoted]["body"] == f"Failures:\n{MARKER}\n"


def test_a_system_note_is_never_ours(gitlab: FakeGitLab) -> None:
    system = gitlab.add(BODY, author=ME, system=True)
    assert _upsert(gitlab).note_id != system


def test_the_oldest_of_our_notes_is_edited(gitlab: FakeGitLab) -> None:
    older, newer = gitlab.add(BODY, author=ME), gitlab.add(BODY, author=ME)
    result = _upsert(gitlab, BODY + "more\n")
    assert (result.action, result.note_id) == ("updated", older)
    assert gitlab.notes[newer]["body"] == BODY


def test_a_project_path_is_encoded(gitlab: FakeGitLab) -> None:
    target = MergeRequestTarget(gitlab.base_url, "group/app", IID, "https://gitlab.test/group/app")
    result = upsert_note(target, TOKEN, BODY, MARKER)
    assert result.url == f"https://gitlab.test/group/app/-/merge_requests/5#note_{result.note_id}"
    assert gitlab.requests[-1][1] == "/api/v4/projects/group%2Fapp/merge_requests/5/notes"


def test_a_token_that_may_not_write(gitlab: FakeGitLab) -> None:
    gitlab.writable = False
    with pytest.raises(GitLabError) as caught:
        _upsert(gitlab)
    text = str(caught.value)
    assert text == (
        f"POST {gitlab.base_url}/projects/42/merge_requests/5/notes: HTTP 403 403 Forbidden;"
        " the token may not comment on merge request !5 (it needs the 'api' scope and at least"
        " the Reporter role)"
    )


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        (("GET", 401, {"message": "401 Unauthorized"}, (), False), "HTTP 401 401 Unauthorized; the token is missing"),
        (("GET", 404, {"message": "404 Project Not Found"}, (), False), "HTTP 404 404 Project Not Found; no merge request !5"),
        (("POST", 400, {"message": {"note": ["can't be blank"]}}, (), False), "HTTP 400 note can't be blank"),
        (("GET", 429, b"Retry later", (("Retry-After", "3600"),), False), "GitLab asks to wait 3600 s"),
        (("GET", 301, {}, (("Location", "http://elsewhere.test/"),), False), "redirect to http://elsewhere.test/ not followed"),
    ],
)  # fmt: skip
def test_errors_are_one_line_without_the_token(
    gitlab: FakeGitLab, fault: tuple, words: str
) -> None:
    gitlab.faults.append(fault)
    with pytest.raises(GitLabError) as caught:
        _upsert(gitlab)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value) and TOKEN not in str(caught.value)


def test_rate_limit_waits_as_asked(gitlab: FakeGitLab) -> None:
    waits: list[float] = []
    gitlab.faults.append(("GET", 429, b"Retry later", (("Retry-After", "2"),), False))
    assert _upsert(gitlab, sleep=waits.append).action == "created"
    assert waits == [2.0]


def test_a_create_that_failed_after_acting_is_not_sent_twice(gitlab: FakeGitLab) -> None:
    waits: list[float] = []
    gitlab.faults.append(("POST", 502, {"message": "502 Bad Gateway"}, (), True))
    result = _upsert(gitlab, sleep=waits.append)
    assert result.action == "created" and len(gitlab.ours()) == 1
    assert gitlab.calls().count("POST") == 1 and waits == [1.0]


def test_a_wrong_token_reaches_nobody_else(gitlab: FakeGitLab) -> None:
    with pytest.raises(GitLabError, match="HTTP 401 401 Unauthorized"):
        upsert_note(gitlab.target, "wrong", BODY, MARKER)


def test_the_size_limit() -> None:
    target = MergeRequestTarget("http://127.0.0.1:9", PROJECT, IID)
    with pytest.raises(GitLabError, match="1000001 characters; GitLab accepts 1000000"):
        upsert_note(target, TOKEN, BODY + "x" * (1_000_001 - len(BODY)), MARKER)


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({}, "no GitLab API: set CI_API_V4_URL"),
        ({"CI_API_V4_URL": "ftp://x"}, "CI_API_V4_URL 'ftp://x': not an http(s) URL"),
        ({"CI_API_V4_URL": "https://g.test/api/v4", "CI_PROJECT_ID": "1 OR 1"}, "CI_PROJECT_ID '1 OR 1'"),
        ({"CI_API_V4_URL": "https://g.test/api/v4", "CI_PROJECT_ID": "3"}, "CI_MERGE_REQUEST_IID '': not a merge request"),
    ],
)  # fmt: skip
def test_the_merge_request_from_gitlab_ci(env: dict, words: str) -> None:
    with pytest.raises(GitLabError, match=re.escape(words)):
        resolve_gitlab_target(env)


def test_the_merge_request_of_a_pipeline() -> None:
    env = {"CI_API_V4_URL": "https://g.test/api/v4/", "CI_PROJECT_ID": "3",
           "CI_MERGE_REQUEST_IID": "9", "CI_PROJECT_URL": "https://g.test/a/b"}  # fmt: skip
    assert resolve_gitlab_target(env) == MergeRequestTarget(
        "https://g.test/api/v4", "3", 9, "https://g.test/a/b"
    )


# --- the command -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("gitlab"))


def _comment(repo: Path, fake: FakeGitLab, *args: str, **env: str):
    base = {
        "GITLAB_CI": "true", "CI_API_V4_URL": fake.base_url, "CI_PROJECT_ID": PROJECT,
        "CI_MERGE_REQUEST_IID": str(IID), "GITLAB_TOKEN": TOKEN, "SOURCE_DATE_EPOCH": "",
        "GITHUB_TOKEN": "", "CI_PROJECT_URL": "",
    }  # fmt: skip
    old = os.getcwd()
    os.chdir(repo)
    try:
        return CliRunner().invoke(
            main,
            ["comment", "--before", "../before.json", "--after", "../after.json",
             "--comment-id", "cov", *args],
            env={**base, **env},
        )  # fmt: skip
    finally:
        os.chdir(old)


def test_comment_in_a_gitlab_pipeline(project: Path, gitlab: FakeGitLab) -> None:
    first = _comment(project, gitlab)
    assert first.exit_code == 0, first.output
    assert first.output.startswith("created note ")
    (note,) = gitlab.ours().values()
    assert note.startswith("<!-- reportgen:cov -->\n")
    after = json.loads((project.parent / "after.json").read_text())["totals"]
    assert f"{after['percent_covered_display']}%" in note

    again = _comment(project, gitlab, "--target", "pkg/calc.py=99")
    assert again.exit_code == 1  # the new target fails: the note is still updated
    assert again.output.startswith("updated note ") and len(gitlab.ours()) == 1


def test_comment_host_and_token_env(project: Path, gitlab: FakeGitLab) -> None:
    missing = _comment(project, gitlab, "--host", "gitlab", GITLAB_CI="", GITLAB_TOKEN="")
    assert missing.exit_code == 2
    assert missing.output.strip().endswith(
        "no token: set GITLAB_TOKEN (or name another variable with --token-env)"
    )
    named = _comment(project, gitlab, "--token-env", "MY_TOKEN", GITLAB_TOKEN="", MY_TOKEN=TOKEN)
    assert named.exit_code == 0 and named.output.startswith("created note ")
    outside = _comment(project, gitlab, "--host", "gitlab", CI_MERGE_REQUEST_IID="")
    assert outside.exit_code == 2 and "not a merge request" in outside.output


@pytest.mark.parametrize(
    ("end", "data", "headers", "words"),
    [
        ("/user", b'{"username": "x"}', (), "GET /user: the answer names no user 'id'".replace("GET ", "")),
        ("/user", b'{"id": true}', (), "the answer names no user 'id'"),
        ("/notes", b'{"id": 1}', (), "the answer is not a list of notes"),
        ("/notes", b'[{"id": "1"}]', (), "a note without a numeric 'id'"),
        ("/notes", b"[7]", (), "the answer is not a note object"),
        ("/notes", b"[]", (("X-Next-Page", "http://elsewhere.test/"),), "X-Next-Page 'http://elsewhere.test/' is not a page number"),
        ("/notes", b"<html>", (), "HTTP 200 answer is not JSON"),
    ],
)  # fmt: skip
def test_hostile_answers(
    gitlab: FakeGitLab, end: str, data: bytes, headers: tuple, words: str
) -> None:
    gitlab.raw[end] = (data, headers)
    with pytest.raises(GitLabError) as caught:
        _upsert(gitlab)
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_every_page_is_read_however_many(serve) -> None:
    fake = serve(FakeGitLab())
    for n in range(450):
        fake.add(f"note {n}")
    ours = fake.add(BODY, author=ME)
    result = _upsert(fake, BODY + "new\n")
    assert (result.action, result.note_id) == ("updated", ours)
    pages = [q["page"][0] for m, p, q, _ in fake.requests if m == "GET" and p.endswith("/notes")]
    assert pages == ["1", "2", "3", "4", "5"]


def test_githubs_options_are_refused_on_gitlab(project: Path, gitlab: FakeGitLab) -> None:
    result = _comment(project, gitlab, "--pr", "3", "--repo", "a/b")
    assert result.exit_code == 2 and gitlab.requests == []
    assert result.output.strip().endswith(
        "--repo, --pr: GitHub's; on GitLab the merge request comes from CI_PROJECT_ID and"
        " CI_MERGE_REQUEST_IID"
    )


def test_a_429_without_retry_after_waits_until_the_reset(gitlab: FakeGitLab) -> None:
    """RateLimit-Reset is the server's clock: measured against its Date header, not ours."""
    waits: list[float] = []
    date = "Wed, 21 Oct 2015 07:28:00 GMT"  # epoch 1445412480
    limited = (("Date", date), ("RateLimit-Remaining", "0"), ("RateLimit-Reset", "1445412485"))
    gitlab.faults.append(("GET", 429, b"Retry later", limited, False))
    assert _upsert(gitlab, sleep=waits.append).action == "created"
    assert waits == [6.0]


def test_a_429_that_says_nothing_waits_the_longest_wait() -> None:
    """No Retry-After and no RateLimit-Reset: wait the most reportgen waits (60 s), never
    hammer the API at once."""
    from email.message import Message

    from reportgen.publish import gitlab as gitlab_module
    from reportgen.publish.github_api import Response

    silent = Response(429, "Too Many Requests", Message(), b"")
    assert gitlab_module._retry_delay(silent, 0, True) == gitlab_module.MAX_WAIT == 60.0


def test_a_server_error_on_a_read_is_retried(gitlab: FakeGitLab) -> None:
    waits: list[float] = []
    gitlab.faults.append(("GET", 503, {"message": "503 Service Unavailable"}, (), False))
    gitlab.faults.append(("GET", 500, {"message": "500 Internal Server Error"}, (), False))
    assert _upsert(gitlab, sleep=waits.append).action == "created"
    assert waits == [1.0, 2.0]
