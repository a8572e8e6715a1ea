"""reportgen.publish.github against a small in-memory GitHub served over HTTP on 127.0.0.1.

The fake implements just the endpoints the client uses (list issue comments with Link
pagination, create, edit), checks the bearer token, records every request, and can be told to
answer the next requests of a method with a scripted fault.
"""

import json
import re
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

import reportgen.publish.github
import reportgen.publish.github_api
from reportgen import __version__
from reportgen.publish.github import (
    CommentResult,
    GitHubError,
    PullRequestTarget,
    marker_for,
    resolve_target,
    upsert_comment,
)
from tests import loopback

TOKEN = "ghp_TESTtokenDistinctive7Q2xW9zR4"
REPO = "octo/widgets"
NUMBER = 7
MARKER = marker_for("coverage")
BODY = f"{MARKER}\n## Coverage\n\n**81%** (+4%)\n"
ACTIONS_BOT = "github-actions[bot]"
RATE_LIMIT_DATE = "Wed, 21 Oct 2015 07:28:00 GMT"  # epoch 1445412480: far from any real clock
_LIST_PATH = re.compile(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments")
_EDIT_PATH = re.compile(r"/repos/([^/]+/[^/]+)/issues/comments/(\d+)")


@dataclass(frozen=True, slots=True)
class Fault:
    """The answer the fake gives instead of its normal one (after acting, when ``applied``)."""

    method: str
    status: int
    message: str = "Server Error"
    headers: tuple[tuple[str, str], ...] = ()
    applied: bool = False
    raw: bytes | None = None  # the exact answer body, instead of {"message": ...}


@dataclass(frozen=True, slots=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    """GitHub's issue-comment endpoints for one pull request, kept in memory."""

    prefix: str = ""
    echo_credentials: bool = False  # a careless server that repeats the Authorization header
    link_base: str | None = None  # where pagination links point (default: this server)
    base_url: str = ""
    comments: dict[int, str] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    viewer: str | None = None  # the token's login; None: an Actions token, /user is refused
    authors: dict[int, dict[str, str]] = field(default_factory=dict)  # default: the token's

    def me(self) -> dict[str, str]:
        """The account the token writes as: the viewer, or the Actions token's bot."""
        if self.viewer is None:
            return {"login": ACTIONS_BOT, "type": "Bot"}
        return {"login": self.viewer, "type": "User"}

    @property
    def target(self) -> PullRequestTarget:
        return PullRequestTarget(self.base_url, REPO, NUMBER)

    def seed(self, bodies: list[str]) -> None:
        for body in bodies:
            self.comments[max(self.comments, default=1000) + 1] = body

    def marked(self) -> dict[int, str]:
        return {number: body for number, body in self.comments.items() if MARKER in body}

    def calls(self) -> list[str]:
        return [request.method for request in self.requests]

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple:
        with self.lock:
            parts = urlsplit(target)
            body = json.loads(raw) if raw else None
            self.requests.append(Recorded(method, parts.path, parse_qs(parts.query), headers, body))
            if headers.get("authorization") != f"Bearer {TOKEN}":
                said = f" ({headers.get('authorization')})" if self.echo_credentials else ""
                return 401, (), {"message": f"Bad credentials{said}"}
            fault = next((f for f in self.faults if f.method == method), None)
            if fault is not None:
                self.faults.remove(fault)
                if not fault.applied:
                    return fault.status, fault.headers, fault.raw or {"message": fault.message}
            answer = self._route(method, parts.path.removeprefix(self.prefix), parts.query, body)
            return (fault.status, fault.headers, {"message": fault.message}) if fault else answer

    def _route(self, method: str, path: str, query: str, body: Any) -> tuple:
        if path == "/user" and method == "GET":
            if self.viewer is None:
                return 403, (), {"message": "Resource not accessible by integration"}
            return 200, (), {"login": self.viewer, "type": "User"}
        listing, edit = _LIST_PATH.fullmatch(path), _EDIT_PATH.fullmatch(path)
        if listing and listing.groups() == (REPO, str(NUMBER)) and method in ("GET", "POST"):
            return self._list(query) if method == "GET" else self._create(body["body"])
        if edit and edit.group(1) == REPO and int(edit.group(2)) in self.comments:
            self.comments[int(edit.group(2))] = body["body"]
            return 200, (), self._json(int(edit.group(2)))
        return 404, (), {"message": "Not Found"}

    def _list(self, query: str) -> tuple:
        params = parse_qs(query)
        page, per_page = int(params.get("page", ["1"])[0]), int(params["per_page"][0])
        numbers = sorted(self.comments)
        chunk = numbers[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(numbers) // per_page))
        base = f"{self.link_base or self.base_url}/repos/{REPO}/issues/{NUMBER}/comments"
        link = f'<{base}?per_page={per_page}&page={last}>; rel="last"'
        if page < last:
            link = f'<{base}?per_page={per_page}&page={page + 1}>; rel="next", {link}'
        return 200, (("Link", link),), [self._json(number) for number in chunk]

    def _create(self, body: str) -> tuple:
        self.seed([body])
        return 201, (), self._json(max(self.comments))

    def _json(self, number: int) -> dict[str, Any]:
        html_url = f"https://github.test/{REPO}/pull/{NUMBER}#issuecomment-{number}"
        user = self.authors.get(number, self.me())
        return {"id": number, "body": self.comments[number], "html_url": html_url, "user": user}


# The loopback server and the no-proxy guard are shared with the other API stand-ins.
serve, _loopback_only = loopback.serve, loopback._loopback_only


@pytest.fixture
def github(serve: Callable[[FakeGitHub], FakeGitHub]) -> FakeGitHub:
    """A pull request with 130 comments by other people: two pages of 100."""
    fake = serve(FakeGitHub())
    fake.seed([f"comment {n}: looks good <!-- reportgen:other -->" for n in range(130)])
    return fake


def _upsert(fake: FakeGitHub, body: str = BODY, **options: Any) -> CommentResult:
    options.setdefault("bot_login", ACTIONS_BOT)
    return upsert_comment(fake.target, TOKEN, body, MARKER, **options)


# --- upsert ----------------------------------------------------------------------------------


def test_first_run_reads_every_page_and_creates_one_comment(github: FakeGitHub) -> None:
    """Among 130 comments and no marker, the client reads both pages and creates exactly one."""
    result = _upsert(github, sleep=pytest.fail)

    assert result.action == "created"
    assert github.marked() == {1131: BODY}
    assert result == CommentResult("created", 1131, github._json(1131)["html_url"])
    assert github.calls() == ["GET", "GET", "POST"]
    assert [r.query for r in github.requests[:2]] == [
        {"per_page": ["100"]},
        {"per_page": ["100"], "page": ["2"]},
    ]
    assert github.requests[2].body == {"body": BODY}


def test_requests_carry_the_api_headers(github: FakeGitHub) -> None:
    """Every request sends the bearer token, the v3 media type, the API version and our agent."""
    _upsert(github)

    for request in github.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"] == f"reportgen/{__version__}"
    assert github.requests[-1].headers["content-type"] == "application/json"


def test_second_run_edits_the_comment_in_place(github: FakeGitHub) -> None:
    """A second run with a new body patches the same comment; still only one has the marker."""
    first = _upsert(github)
    second = _upsert(github, BODY.replace("81%", "83%"))

    assert second == CommentResult("updated", first.comment_id, first.url)
    assert github.marked() == {first.comment_id: BODY.replace("81%", "83%")}
    assert len(github.comments) == 131
    patch = github.requests[-1]
    assert (patch.method, patch.path) == ("PATCH", f"/repos/{REPO}/issues/comments/1131")
    assert github.calls().count("POST") == 1


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param(BODY, id="identical"),
        pytest.param(BODY.replace("\n", "\r\n") + "  \n", id="crlf-and-trailing-space"),
    ],
)
def test_identical_body_is_not_sent_again(github: FakeGitHub, stored: str) -> None:
    """A comment that already reads the same (up to CRLF and trailing space) is left unchanged."""
    github.seed([stored])

    result = _upsert(github)

    assert result == CommentResult("unchanged", 1131, github._json(1131)["html_url"])
    assert github.calls() == ["GET", "GET", "GET"]  # two pages, then who the token is
    assert github.comments[1131] == stored


def test_several_marked_comments_edit_the_oldest(github: FakeGitHub) -> None:
    """With duplicates left by an older version, the lowest id is edited and the rest are kept."""
    github.seed([f"{MARKER}\nold one", "unrelated", f"{MARKER}\nold two"])

    result = _upsert(github)

    assert (result.action, result.comment_id) == ("updated", 1131)
    assert github.marked() == {1131: BODY, 1133: f"{MARKER}\nold two"}


def test_ghe_api_url_with_path_prefix(serve: Callable[[FakeGitHub], FakeGitHub]) -> None:
    """A GitHub Enterprise API under /api/v3 (given with a trailing slash) works end to end."""
    fake = serve(FakeGitHub(prefix="/api/v3"))
    fake.seed([f"comment {n}" for n in range(101)])
    env = {"GITHUB_API_URL": fake.base_url + "/", "GITHUB_REPOSITORY": REPO}
    target = resolve_target(env, repo=None, pr=NUMBER)

    first = upsert_comment(target, TOKEN, BODY, MARKER, bot_login=ACTIONS_BOT)
    second = upsert_comment(target, TOKEN, BODY + "more\n", MARKER, bot_login=ACTIONS_BOT)

    assert target.api_url == fake.base_url
    assert (first.action, second.action, second.comment_id) == ("created", "updated", 1102)
    assert all(r.path.startswith("/api/v3/") for r in fake.requests)
    assert fake.calls() == ["GET", "GET", "POST", "GET", "GET", "GET", "PATCH"]
    assert fake.requests[5].path == "/api/v3/user"


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "repo", "fault", "expected"),
    [
        pytest.param(
            "ghp_wrong0000000000",
            REPO,
            None,
            "HTTP 401 Bad credentials; the token is missing, invalid or expired",
            id="401",
        ),
        pytest.param(
            TOKEN,
            REPO,
            Fault("GET", 403, "Resource not accessible by integration"),
            "HTTP 403 Resource not accessible by integration; the token may not comment on"
            " octo/widgets#7 (it needs 'pull-requests: write'",
            id="403",
        ),
        pytest.param(
            TOKEN,
            "octo/gadgets",
            None,
            "HTTP 404 Not Found; no pull request octo/gadgets#7 there, or the token cannot see",
            id="404",
        ),
    ],
)
def test_refusals_end_with_a_clear_message(
    github: FakeGitHub, token: str, repo: str, fault: Fault | None, expected: str
) -> None:
    """401, 403 and 404 raise GitHubError at once, naming GitHub's reason and a likely cause."""
    github.faults.extend([fault] if fault else [])
    target = PullRequestTarget(github.base_url, repo, NUMBER)

    with pytest.raises(GitHubError) as caught:
        upsert_comment(target, token, BODY, MARKER, sleep=pytest.fail)

    message = str(caught.value)
    assert message.startswith(f"GET {github.base_url}/repos/{repo}/issues/7/comments?per_page=100:")
    assert expected in message
    assert "\n" not in message
    assert len(github.requests) == 1


def test_token_never_appears_in_errors_or_output(
    serve: Callable[[FakeGitHub], FakeGitHub],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server echoing the credentials gets them masked in the message and its traceback."""
    fake = serve(FakeGitHub(echo_credentials=True))
    secret = "ghp_LEAKcheck9f8e7d6c5b4a3"

    with pytest.raises(GitHubError) as caught:
        upsert_comment(fake.target, secret, BODY, MARKER)

    assert "Bad credentials (Bearer ***)" in str(caught.value)
    printed = "".join(traceback.format_exception(caught.value))
    captured = capsys.readouterr()
    for text in (str(caught.value), repr(caught.value), printed, captured.out, captured.err):
        assert secret not in text
    assert secret not in caplog.text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


@pytest.mark.parametrize("token", ["ghp_two words", "ghp_newline\nX-Injected: 1", "ghp_ünï", "  "])
def test_unusable_token_is_refused_before_any_request(github: FakeGitHub, token: str) -> None:
    """A token that cannot go in a header line is refused up front, without being echoed."""
    with pytest.raises(GitHubError, match="token") as caught:
        upsert_comment(github.target, token, BODY, MARKER)

    assert not token.strip() or token.strip() not in str(caught.value)
    assert github.requests == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param("no marker here", "does not contain its marker", id="no-marker"),
        pytest.param(MARKER + "\n" + "x" * 65509, "65537 characters; GitHub accepts", id="long"),
    ],
)
def test_unpostable_body_is_refused_before_any_request(
    github: FakeGitHub, body: str, expected: str
) -> None:
    """A body the next run could not find, or GitHub would refuse, never reaches the server."""
    with pytest.raises(GitHubError, match=expected):
        _upsert(github, body)

    assert github.requests == []


def test_pagination_link_to_another_host_is_refused(
    serve: Callable[[FakeGitHub], FakeGitHub],
) -> None:
    """A Link header pointing at another host ends the run; that host never sees the token."""
    elsewhere = serve(FakeGitHub())
    fake = serve(FakeGitHub(link_base=elsewhere.base_url))
    fake.seed([f"comment {n}" for n in range(101)])

    with pytest.raises(GitHubError, match="refusing to send the token to http://127.0.0.1:"):
        _upsert(fake)

    assert (fake.calls(), elsewhere.requests) == (["GET"], [])


def test_redirects_are_not_followed(serve: Callable[[FakeGitHub], FakeGitHub]) -> None:
    """A 301 is reported, not followed, so the Authorization header stays with the API host."""
    elsewhere = serve(FakeGitHub())
    fake = serve(FakeGitHub())
    moved = (("Location", f"{elsewhere.base_url}/repos/{REPO}/issues/{NUMBER}/comments"),)
    fake.faults.append(Fault("GET", 301, "Moved Permanently", moved))

    with pytest.raises(GitHubError, match="HTTP 301 Moved Permanently; redirect to http://"):
        _upsert(fake)

    assert (fake.calls(), elsewhere.requests) == (["GET"], [])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(b"<html>login</html>", "HTTP 200 answer is not JSON", id="html"),
        pytest.param(b'{"id": 1}', "the answer is not a list of comments", id="object"),
        pytest.param(b"[1, 2]", "the answer is not a comment object", id="list-of-numbers"),
        pytest.param(
            b'[{"id": "1", "html_url": "x"}]',
            "a comment without a numeric 'id' and an 'html_url'",
            id="string-id",
        ),
    ],
)
def test_answers_that_are_not_github_are_errors(
    github: FakeGitHub, raw: bytes, expected: str
) -> None:
    """A 200 whose body is not a list of comments ends in GitHubError naming the request."""
    github.faults.append(Fault("GET", 200, raw=raw))

    with pytest.raises(GitHubError) as caught:
        _upsert(github)

    assert (
        str(caught.value)
        == f"GET {github.base_url}/repos/{REPO}/issues/7/comments?per_page=100: {expected}"
    )


def test_too_many_pages_are_refused(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the page cap the run ends rather than post a comment that may already exist."""
    monkeypatch.setattr(reportgen.publish.github, "MAX_PAGES", 1)

    with pytest.raises(
        GitHubError, match=r"^octo/widgets#7 has more than 100 comments; not adding"
    ):
        _upsert(github)

    assert github.calls() == ["GET"]


def test_oversized_answer_is_refused(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    """An answer larger than the byte cap is cut off with an error instead of filling memory."""
    monkeypatch.setattr(reportgen.publish.github_api, "MAX_RESPONSE_BYTES", 1000)

    with pytest.raises(
        GitHubError, match=r"comments\?per_page=100: answer larger than 1000 bytes$"
    ):
        _upsert(github)


# --- retries ---------------------------------------------------------------------------------


def test_server_error_is_retried_with_backoff(github: FakeGitHub) -> None:
    """A 502 then success costs one injected 1-second sleep and the run goes on."""
    github.faults.append(Fault("GET", 502, "Bad Gateway"))
    sleeps: list[float] = []

    result = _upsert(github, sleep=sleeps.append)

    assert result.action == "created"
    assert sleeps == [1.0]
    assert github.calls() == ["GET", "GET", "GET", "POST"]


def test_server_errors_give_up_after_max_retries(github: FakeGitHub) -> None:
    """Persistent 502s (an HTML page from a proxy) back off 1, 2, 4, 8 s, then end the run."""
    github.faults.extend([Fault("GET", 502, raw=b"<html><h1>502</h1></html>")] * 6)
    sleeps: list[float] = []

    with pytest.raises(GitHubError, match=r"comments\?per_page=100: HTTP 502 Bad Gateway$"):
        _upsert(github, sleep=sleeps.append)

    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    assert github.calls() == ["GET"] * 5


@pytest.mark.parametrize(
    ("status", "headers", "expected_sleep"),
    [
        pytest.param(403, (("Retry-After", "7"),), 7.0, id="403-retry-after"),
        pytest.param(429, (("Retry-After", "3"),), 3.0, id="429-retry-after"),
        pytest.param(
            403,
            (("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1445412485")),
            6.0,
            id="403-ratelimit-reset",
        ),
        pytest.param(403, (), 60.0, id="403-no-header"),
        pytest.param(
            429,
            (("Date", "not a date"), ("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "0")),
            1.0,
            id="reset-passed-date-unreadable",
        ),
    ],
)
def test_secondary_rate_limit_waits_as_asked(
    github: FakeGitHub, status: int, headers: tuple, expected_sleep: float
) -> None:
    """A secondary rate limit waits what GitHub asks (reset counted on the server's clock)."""
    headers = (("Date", RATE_LIMIT_DATE), *headers) if "Date" not in dict(headers) else headers
    message = "You have exceeded a secondary rate limit. Please wait a few minutes."
    github.faults.append(Fault("POST", status, message, headers))
    sleeps: list[float] = []

    result = _upsert(github, sleep=sleeps.append)

    assert result.action == "created"
    assert sleeps == [expected_sleep]
    assert github.calls() == ["GET", "GET", "POST", "POST"]
    assert len(github.marked()) == 1


def test_rate_limit_longer_than_the_cap_is_not_shortened(github: FakeGitHub) -> None:
    """A Retry-After beyond 60 s ends the run at once instead of retrying early."""
    github.faults.append(Fault("GET", 429, "secondary rate limit", (("Retry-After", "3600"),)))

    with pytest.raises(GitHubError, match="HTTP 429 rate limited: GitHub asks to wait 3600 s"):
        _upsert(github, sleep=pytest.fail)

    assert github.calls() == ["GET"]


def test_rate_limit_that_outlasts_the_retries_says_so(github: FakeGitHub) -> None:
    """A rate limit still in force after the last retry ends as a rate limit, not a permission."""
    limited = Fault("GET", 403, "You have exceeded a secondary rate limit", (("Retry-After", "1"),))
    github.faults.extend([limited] * 3)
    sleeps: list[float] = []

    with pytest.raises(GitHubError) as caught:
        _upsert(github, sleep=sleeps.append, max_retries=2)

    assert str(caught.value).endswith(
        "HTTP 403 You have exceeded a secondary rate limit; rate limited: run again later"
    )
    assert sleeps == [1.0, 1.0]


def test_create_answered_with_502_is_not_duplicated(github: FakeGitHub) -> None:
    """When GitHub creates the comment but answers 502, the client finds it, not posting twice."""
    github.faults.append(Fault("POST", 502, "Bad Gateway", applied=True))
    sleeps: list[float] = []

    result = _upsert(github, sleep=sleeps.append)

    assert result == CommentResult("created", 1131, github._json(1131)["html_url"])
    assert github.marked() == {1131: BODY}
    assert github.calls() == ["GET", "GET", "POST", "GET", "GET", "GET"]
    assert sleeps == [1.0]


def test_create_that_failed_is_sent_again(github: FakeGitHub) -> None:
    """When a 502 create really failed, the client lists again and then creates the comment once."""
    github.faults.append(Fault("POST", 502, "Bad Gateway"))

    result = _upsert(github, sleep=lambda seconds: None)

    assert (result.action, github.marked()) == ("created", {1131: BODY})
    assert github.calls() == ["GET", "GET", "POST", "GET", "GET", "POST"]


def test_unreachable_server_is_retried_then_reported() -> None:
    """With nothing listening, the client backs off and reports the failed connection."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = PullRequestTarget(f"http://127.0.0.1:{port}", REPO, NUMBER)
    sleeps: list[float] = []

    with pytest.raises(GitHubError, match="no answer") as caught:
        upsert_comment(target, TOKEN, BODY, MARKER, sleep=sleeps.append, max_retries=2)

    assert sleeps == [1.0, 2.0]
    assert "refused" in str(caught.value).lower()


# --- resolve_target --------------------------------------------------------------------------


def _event(tmp_path: Path, payload: object) -> str:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


def test_target_from_pull_request_event(tmp_path: Path) -> None:
    """A pull_request event payload gives the number; the API URL defaults to api.github.com."""
    event = {"pull_request": {"number": 42}, "number": 42}
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": _event(tmp_path, event)}

    target = resolve_target(env, repo=None, pr=None)

    assert target == PullRequestTarget("https://api.github.com", REPO, 42)


def test_target_from_issue_comment_event(tmp_path: Path) -> None:
    """An issue_comment event on a pull request gives issue.number."""
    event = {"issue": {"number": 9, "pull_request": {"url": "https://api.github.com/x"}}}
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": _event(tmp_path, event)}

    assert resolve_target(env, repo=None, pr=None).number == 9


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"issue": {"number": 9}}, id="plain-issue"),
        pytest.param({"pull_request": {"number": True}}, id="boolean"),
        pytest.param({"pull_request": {"number": "42"}}, id="string"),
        pytest.param({"pull_request": None, "issue": []}, id="wrong-shapes"),
    ],
)
def test_event_without_a_pull_request_number(tmp_path: Path, event: dict[str, Any]) -> None:
    """A plain issue or a malformed number gives no pull request, so the run asks for --pr."""
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": _event(tmp_path, event)}

    with pytest.raises(GitHubError, match="^no pull request number: pass --pr N"):
        resolve_target(env, repo=None, pr=None)


def test_target_from_github_ref(tmp_path: Path) -> None:
    """Without a number in the payload, GITHUB_REF refs/pull/N/merge gives it."""
    env = {
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_PATH": _event(tmp_path, {"ref": "refs/heads/main"}),
        "GITHUB_REF": "refs/pull/123/merge",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3",
    }

    target = resolve_target(env, repo=None, pr=None)

    assert target == PullRequestTarget("https://ghe.example.com/api/v3", REPO, 123)


def test_options_win_over_the_environment(tmp_path: Path) -> None:
    """--repo and --pr override GITHUB_REPOSITORY and the event payload."""
    env = {
        "GITHUB_REPOSITORY": REPO,
        "GITHUB_EVENT_PATH": _event(tmp_path, {"pull_request": {"number": 42}}),
    }

    assert resolve_target(env, repo="someone/fork.py", pr=5) == PullRequestTarget(
        "https://api.github.com", "someone/fork.py", 5
    )


@pytest.mark.parametrize(
    ("env", "repo", "pr", "expected"),
    [
        pytest.param(
            {"GITHUB_REPOSITORY": REPO, "GITHUB_REF": "refs/heads/main"},
            None,
            None,
            "no pull request number: pass --pr N, or run on a pull_request or issue_comment"
            " event (neither the GITHUB_EVENT_PATH payload's pull_request.number or"
            " issue.number nor GITHUB_REF refs/pull/N/merge gives one)",
            id="no-number",
        ),
        pytest.param(
            {},
            None,
            3,
            "no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY",
            id="no-repo",
        ),
        pytest.param(
            {"GITHUB_REPOSITORY": "widgets"},
            None,
            3,
            "GITHUB_REPOSITORY 'widgets': not a repository name like OWNER/NAME",
            id="repo-without-owner",
        ),
        pytest.param(
            {},
            "octo/../../user",
            3,
            "--repo 'octo/../../user': not a repository name like OWNER/NAME",
            id="repo-path-escape",
        ),
        pytest.param({}, "octo/..", 3, "--repo 'octo/..': not a repository", id="repo-dotdot"),
        pytest.param({}, REPO, 0, "--pr 0: not a pull request number", id="pr-zero"),
        pytest.param(
            {"GITHUB_API_URL": "ftp://ghe.example.com"},
            REPO,
            3,
            "GITHUB_API_URL 'ftp://ghe.example.com': not an http(s) URL",
            id="api-url-scheme",
        ),
        pytest.param(
            {"GITHUB_API_URL": "https://ghe.example.com:api/v3"},
            REPO,
            3,
            "GITHUB_API_URL 'https://ghe.example.com:api/v3': not a valid URL",
            id="api-url-port",
        ),
        pytest.param(
            {"GITHUB_API_URL": "http://[::1/api"},
            REPO,
            3,
            "GITHUB_API_URL 'http://[::1/api': not a valid URL",
            id="api-url-ipv6",
        ),
        pytest.param(
            {"GITHUB_API_URL": "https://admin:hunter2@ghe.example.com/api/v3"},
            REPO,
            3,
            "GITHUB_API_URL: must not contain a user name or password",
            id="api-url-credentials",
        ),
    ],
)
def test_target_errors_name_what_is_missing(
    env: dict[str, str], repo: str | None, pr: int | None, expected: str
) -> None:
    """Each missing or malformed piece raises GitHubError with one line saying which."""
    with pytest.raises(GitHubError) as caught:
        resolve_target(env, repo=repo, pr=pr)

    assert str(caught.value).startswith(expected)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"{not json", "the GitHub event payload is not JSON", id="not-json"),
        pytest.param(b"[1, 2]", "the GitHub event payload is not a JSON object", id="list"),
        pytest.param(None, "cannot read the GitHub event payload (No such file", id="missing"),
    ],
)
def test_unreadable_event_payload_names_the_file(
    tmp_path: Path, content: bytes | None, expected: str
) -> None:
    """A broken GITHUB_EVENT_PATH file is an error naming that file, not a silent fallback."""
    path = tmp_path / "event.json"
    if content is not None:
        path.write_bytes(content)
    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": str(path)}

    with pytest.raises(GitHubError) as caught:
        resolve_target(env, repo=None, pr=None)

    assert str(caught.value).startswith(f"{path}: {expected}")


# --- marker_for ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment_id", "expected"),
    [
        ("coverage", "<!-- reportgen:coverage -->"),
        ("Step 1", "<!-- reportgen:Step-1 -->"),
        ("P0.4 Milestone 3 / Step 1", "<!-- reportgen:P0.4-Milestone-3-Step-1 -->"),
        # Anything that could end the HTML comment early collapses into one "-".
        ("a--b", "<!-- reportgen:a-b -->"),
        ("x-->y", "<!-- reportgen:x-y -->"),
        ("--> <script>", "<!-- reportgen:script -->"),
        ("ünïcode_id", "<!-- reportgen:ünïcode_id -->"),
    ],
)
def test_marker_for_sanitises_the_id(comment_id: str, expected: str) -> None:
    """The id keeps letters, digits, '_' and '.', with every other run turned into one '-'."""
    assert marker_for(comment_id) == expected


def test_marker_for_refuses_an_id_without_letters() -> None:
    """An id that sanitises to nothing is an error rather than a marker shared by everyone."""
    with pytest.raises(GitHubError, match="comment id '--> <': needs at least one letter or digit"):
        marker_for("--> <")


@given(st.text())
def test_marker_never_closes_early(comment_id: str) -> None:
    """For any id, the marker is one HTML comment: its id part holds no '--' and no '>'."""
    try:
        marker = marker_for(comment_id)
    except GitHubError:
        return
    inner = marker.removeprefix("<!-- reportgen:").removesuffix(" -->")
    assert marker == f"<!-- reportgen:{inner} -->"
    assert inner and "--" not in inner and ">" not in inner and not inner.endswith("-")


EXAMPLE_SPEC = Path(__file__).resolve().parents[1] / "reports" / "m3" / "step1.toml"


def _comment_cli(fake: FakeGitHub, *extra: str, token: str = TOKEN):
    from click.testing import CliRunner

    from reportgen.cli import main

    env = {
        "GITHUB_API_URL": fake.base_url,
        "GITHUB_TOKEN": token,
        "GITHUB_EVENT_PATH": "",
        "REPORTGEN_BOT_LOGIN": ACTIONS_BOT,
    }
    args = ["comment", "--spec", str(EXAMPLE_SPEC), "--repo", REPO, "--pr", str(NUMBER), *extra]
    return CliRunner().invoke(main, args, env=env)


def test_reportgen_comment_twice_leaves_one_comment_edited_in_place(github: FakeGitHub) -> None:
    """`reportgen comment` run twice on a PR with 130 comments leaves one report, edited the second time."""
    first = _comment_cli(github, "--comment-id", "coverage")
    assert first.exit_code == 0, first.stderr
    assert first.stdout.startswith("created comment https://github.test/")
    assert len(github.marked()) == 1
    ((number, body),) = github.marked().items()
    assert body.startswith(
        MARKER + "\n### ✅ P0.4 Milestone 3 — Step 1: config_manager.py — COMPLETED"
    )
    assert "| ✅ `tools/soak/config_manager.py` (target ≥80%) | 77% | **82%** | +5% |" in body

    second = _comment_cli(github, "--comment-id", "coverage", "--title", "config manager")
    assert second.exit_code == 0, second.stderr
    assert second.stdout.startswith("updated comment")
    assert list(github.marked()) == [number]
    assert "config manager — COMPLETED" in github.marked()[number]
    assert len(github.comments) == 131
    assert github.calls().count("POST") == 1 and github.calls().count("PATCH") == 1


def test_reportgen_comment_wrong_token_exits_2_without_showing_it(github: FakeGitHub) -> None:
    """A rejected token ends with exit 2 and one line; the token is printed nowhere."""
    result = _comment_cli(github, token="ghp_WRONGtokenThatMustNotLeak123")
    assert result.exit_code == 2
    assert "401" in result.stderr or "rejected" in result.stderr.lower()
    assert "ghp_WRONG" not in result.stderr + result.stdout
    assert len(result.stderr.splitlines()) == 1


def test_comment_body_for_50000_files_fits_and_leads_with_summary(tmp_path: Path) -> None:
    """50,000 changed files give a body under GitHub's 65,536 characters that starts with the summary."""
    from click.testing import CliRunner

    from reportgen.cli import main

    def report(covered: int) -> dict[str, Any]:
        files = {}
        for n in range(50_000):
            executed = list(range(1, covered + 1)) if n % 2 else [1]
            missing = [line for line in range(1, 5) if line not in executed]
            files[f"pkg/sub{n // 1000}/module_{n}.py"] = {
                "executed_lines": executed,
                "missing_lines": missing,
                "summary": {"num_statements": 4, "missing_lines": len(missing)},
            }
        return {"files": files}

    before, after = tmp_path / "before.json", tmp_path / "after.json"
    before.write_text(json.dumps(report(2)))
    after.write_text(json.dumps(report(3)))
    result = CliRunner().invoke(
        main,
        [
            "step",
            "--before",
            str(before),
            "--after",
            str(after),
            "--format",
            "github",
            "--target",
            "pkg/sub1/*.py=40",
        ],
    )
    assert result.exit_code == 0, result.stderr
    body = result.stdout
    assert len(body) < 65_536 and len(body.encode("utf-8")) <= 65_536
    assert body.splitlines()[1].startswith("### ✅ Coverage report")
    assert "| Total coverage | 38% | **50%** | +12% |" in body
    assert "more files not shown." in body
    # Rows past the first 500 are never built, but they are counted.
    assert "<summary>Coverage changed in 25000 files (largest moves first)</summary>" in body


@pytest.mark.parametrize(
    ("viewer", "ours"),
    [
        (None, {"login": "github-actions[bot]", "type": "Bot"}),  # the Actions token
        ("octo-bot", {"login": "octo-bot", "type": "User"}),  # a personal token
    ],
)
def test_a_marker_copied_by_someone_else_is_ignored(
    github: FakeGitHub, viewer: str | None, ours: dict[str, str]
) -> None:
    """Only a comment written by the token's own identity is edited; a copied marker is not."""
    github.viewer = viewer
    github.seed([f"{MARKER}\nfake report by someone else"])
    github.authors[max(github.comments)] = {"login": "mallory", "type": "User"}
    first = _upsert(github)
    assert first.action == "created"
    github.authors[first.comment_id] = ours
    second = _upsert(github, BODY + "more\n")
    assert (second.action, second.comment_id) == ("updated", first.comment_id)
    assert github.comments[first.comment_id - 1] == f"{MARKER}\nfake report by someone else"
