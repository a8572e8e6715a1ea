"""Posting the report as a GitLab merge-request note, edited in place on every pipeline::

    target = resolve_gitlab_target(os.environ)
    result = upsert_note(target, token, body, marker)

The rules are the GitHub comment's (``publish.github``): a note is ours only when its first line
is the marker and the token's own user wrote it (``GET /user``); the oldest such note is edited,
an identical body is not sent again; every page of notes is read (GitLab's ``X-Next-Page``
header); the token (sent as ``PRIVATE-TOKEN``) goes to the API's host only, redirects are not
followed; 429 waits as long as ``Retry-After`` asks, up to 60 s; 5xx and network failures are
retried except for a create, after which the notes are listed again first.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal

import msgspec

from reportgen import __version__
from reportgen.errors import ReportgenError, quote
from reportgen.publish import github_api as api
from reportgen.publish.github import normalised, starts_with_marker

MAX_NOTE_CHARS = 1_000_000  # GitLab refuses longer note bodies
MAX_PAGES = 100
MAX_WAIT = 60.0
_PROJECT = re.compile(r"[1-9][0-9]{0,17}|[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+")
_IID = re.compile(r"[1-9][0-9]{0,17}")

Action = Literal["created", "updated", "unchanged"]


class GitLabError(ReportgenError):
    """The GitLab API refused or failed a request; one line, never the token."""


class MergeRequestTarget(msgspec.Struct, frozen=True):
    """``api_url`` is the v4 API's root without a trailing slash; ``project`` an id or path."""

    api_url: str
    project: str
    iid: int
    web_url: str | None = None  # the project's page (CI_PROJECT_URL), for the note's link


class NoteResult(msgspec.Struct, frozen=True):
    action: Action
    note_id: int
    url: str


class _Note(msgspec.Struct, frozen=True):
    id: int
    body: str
    author_id: int | None


class _Session(msgspec.Struct, frozen=True):
    target: MergeRequestTarget
    token: str
    sleep: Callable[[float], object]
    max_retries: int
    timeout: float


def resolve_gitlab_target(env: Mapping[str, str]) -> MergeRequestTarget:
    """The merge request of a GitLab CI merge-request pipeline: ``CI_API_V4_URL``,
    ``CI_PROJECT_ID`` and ``CI_MERGE_REQUEST_IID``."""
    url = env.get("CI_API_V4_URL", "")
    if not url:
        raise GitLabError("no GitLab API: set CI_API_V4_URL (e.g. https://gitlab.com/api/v4)")
    try:
        api_url = api.check_api_url(url)
    except api.GitHubError as err:
        raise GitLabError(str(err).replace("GITHUB_API_URL", "CI_API_V4_URL")) from None
    project = env.get("CI_PROJECT_ID", "").strip()
    if not _PROJECT.fullmatch(project):
        raise GitLabError(f"CI_PROJECT_ID {quote(project)}: not a project id or path")
    iid = env.get("CI_MERGE_REQUEST_IID", "").strip()
    if not _IID.fullmatch(iid):
        raise GitLabError(
            f"CI_MERGE_REQUEST_IID {quote(iid)}: not a merge request;"
            " run in a merge-request pipeline"
            " (rules: - if: $CI_PIPELINE_SOURCE == 'merge_request_event')"
        )
    web_url = env.get("CI_PROJECT_URL", "").strip().rstrip("/")
    if not web_url.startswith(("https://", "http://")):
        web_url = ""
    return MergeRequestTarget(api_url, project, int(iid), web_url or None)


def upsert_note(
    target: MergeRequestTarget,
    token: str,
    body: str,
    marker: str,
    *,
    sleep: Callable[[float], object] = time.sleep,
    max_retries: int = 4,
    timeout: float = 30,
) -> NoteResult:
    """Edit the merge request's note starting with ``marker`` to read ``body``, or create it."""
    token = token.strip()
    if not token:
        raise GitLabError("no GitLab token: the token is empty")
    if not api.TOKEN_CHARS.fullmatch(token):
        raise GitLabError("the GitLab token holds spaces, control or non-ASCII characters")
    if not starts_with_marker(body, marker):
        raise GitLabError(f"the note must start with its marker {marker} on a line of its own")
    if len(body) > MAX_NOTE_CHARS:
        raise GitLabError(f"the note has {len(body)} characters; GitLab accepts {MAX_NOTE_CHARS}")
    session = _Session(target, token, sleep, max_retries, timeout)
    try:
        return _upsert(session, body, marker)
    except GitLabError as err:
        raise GitLabError(api.redact(str(err), token)) from None


def _upsert(session: _Session, body: str, marker: str) -> NoteResult:
    me = _my_id(session)
    attempt = 0
    while True:
        ours = [n for n in _notes(session) if n.author_id == me and _marked(n, marker)]
        if ours:
            note = min(ours, key=lambda n: n.id)
            if normalised(note.body) == normalised(body):
                return NoteResult(
                    "created" if attempt else "unchanged", note.id, _url(session, note)
                )
            url = f"{_notes_url(session.target)}/{note.id}"
            data = _expect(session, "PUT", url, _send(session, "PUT", url, {"body": body}))
            edited = _parse_note(data, f"PUT {url}")
            return NoteResult("updated", edited.id, _url(session, edited))
        url = _notes_url(session.target)
        response = _send(session, "POST", url, {"body": body})
        ambiguous = response.status == 0 or response.status >= 500
        if attempt == session.max_retries or not ambiguous:
            created = _parse_note(_expect(session, "POST", url, response), f"POST {url}")
            return NoteResult("created", created.id, _url(session, created))
        # GitLab may have stored the note before failing: look again before a second POST.
        session.sleep(min(2.0**attempt, MAX_WAIT))
        attempt += 1


def _marked(note: _Note, marker: str) -> bool:
    return starts_with_marker(note.body, marker)


def _my_id(session: _Session) -> int:
    url = f"{session.target.api_url}/user"
    data = _expect(session, "GET", url, _send(session, "GET", url, None))
    number = data.get("id") if isinstance(data, dict) else None
    if not isinstance(number, int) or isinstance(number, bool):
        raise GitLabError(f"GET {url}: the answer names no user 'id'")
    return number


def _notes(session: _Session) -> Iterator[_Note]:
    base = f"{_notes_url(session.target)}?per_page=100&sort=asc&order_by=created_at"
    page = "1"
    for _ in range(MAX_PAGES):
        url = f"{base}&page={page}"
        response = _send(session, "GET", url, None)
        items = _expect(session, "GET", url, response)
        if not isinstance(items, list):
            raise GitLabError(f"GET {url}: the answer is not a list of notes")
        yield from (_parse_note(item, f"GET {url}") for item in items)
        # X-Next-Page is empty on the last page; only its number is taken, never an address.
        page = (response.headers.get("X-Next-Page") or "").strip()
        if not page:
            return
        if not _IID.fullmatch(page):
            shown = api.redact(page, session.token)[:40]  # redacted before it is cut
            raise GitLabError(f"GET {url}: X-Next-Page {shown!r} is not a page number")
    raise GitLabError(
        f"merge request !{session.target.iid} has more than {MAX_PAGES * 100} notes;"
        " not adding another without reading them all"
    )


def _parse_note(item: object, what: str) -> _Note:
    if not isinstance(item, dict):
        raise GitLabError(f"{what}: the answer is not a note object")
    number, body, author = item.get("id"), item.get("body"), item.get("author")
    if not isinstance(number, int) or isinstance(number, bool):
        raise GitLabError(f"{what}: a note without a numeric 'id'")
    author_id = author.get("id") if isinstance(author, dict) else None
    if not isinstance(author_id, int) or isinstance(author_id, bool):
        author_id = None
    # A system note ("added 2 commits") is GitLab's own, never ours whatever its text.
    if item.get("system") is True:
        author_id = None
    return _Note(number, body if isinstance(body, str) else "", author_id)


def _project(target: MergeRequestTarget) -> str:
    return urllib.parse.quote(target.project, safe="")  # a path's "/" is %2F in the API


def _notes_url(target: MergeRequestTarget) -> str:
    return f"{target.api_url}/projects/{_project(target)}/merge_requests/{target.iid}/notes"


def _url(session: _Session, note: _Note) -> str:
    """The note's page when the project's is known, else its API address."""
    target = session.target
    if target.web_url:
        return f"{target.web_url}/-/merge_requests/{target.iid}#note_{note.id}"
    return f"{_notes_url(target)}/{note.id}"


# --- answers ---------------------------------------------------------------------------------


def _expect(session: _Session, method: str, url: str, response: api.Response) -> Any:
    if not 200 <= response.status < 300:
        raise GitLabError(f"{method} {url}: {_failure(session, response)}")
    try:
        return json.loads(response.data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise GitLabError(f"{method} {url}: HTTP {response.status} answer is not JSON") from None


def _failure(session: _Session, response: api.Response) -> str:
    if response.status == 0:
        return f"no answer ({response.reason})"
    target = session.target
    said = f"HTTP {response.status} {_message(response, session.token)}".rstrip()
    if response.status in api.REDIRECTS:
        location = response.headers.get("Location", "?")
        return f"{said}; redirect to {location} not followed: check CI_API_V4_URL"
    if response.status == 429:
        return f"{said}; rate limited: run again later"
    hint = _HINTS.get(response.status)
    return f"{said}; {hint.format(iid=target.iid)}" if hint else said


_HINTS = {
    401: "the token is missing, invalid or expired (a CI_JOB_TOKEN cannot write notes)",
    403: (
        "the token may not comment on merge request !{iid} (it needs the 'api' scope and at"
        " least the Reporter role)"
    ),
    404: "no merge request !{iid} there, or the token cannot see the project",
}


def _message(response: api.Response, token: str) -> str:
    """GitLab's reason: ``{"message": ...}`` (a string, or fields and their errors), or
    ``{"error": ...}``, on one short line, ``token`` redacted before the line is cut (a cut
    token would leave its start behind)."""
    try:
        data = json.loads(response.data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        data = None
    text: object = None
    if isinstance(data, dict):
        text = data.get("message", data.get("error"))
        if isinstance(text, dict):
            text = "; ".join(f"{key} {_joined(value)}" for key, value in text.items())
    if not isinstance(text, str) or not text:
        text = response.reason
    return api.redact(" ".join(text.split()), token)[:200]


def _joined(value: object) -> str:
    """A field's errors as GitLab lists them (``["can't be blank"]``), as words."""
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


# --- the wire ---------------------------------------------------------------------------------


def _send(session: _Session, method: str, url: str, payload: object) -> api.Response:
    for attempt in range(session.max_retries):
        response = _send_once(session, method, url, payload)
        delay = _retry_delay(response, attempt, method != "POST")
        if delay is None:
            return response
        session.sleep(delay)
    return _send_once(session, method, url, payload)


def _retry_delay(response: api.Response, attempt: int, idempotent: bool) -> float | None:
    if response.status == 429:
        asked = api.retry_after(response.headers)
        if asked is None:
            reset = api.seconds(response.headers.get("RateLimit-Reset", ""))
            now = api.server_time(response.headers.get("Date")) or time.time()
            asked = None if reset is None else max(0.0, reset - now) + 1.0
        asked = MAX_WAIT if asked is None else asked
        if asked > MAX_WAIT:
            raise GitLabError(
                f"HTTP 429 rate limited: GitLab asks to wait {asked:.0f} s"
                f" (more than {MAX_WAIT:.0f} s); run again later"
            )
        return asked
    if idempotent and (response.status == 0 or response.status >= 500):
        return min(2.0**attempt, MAX_WAIT)
    return None


def _send_once(session: _Session, method: str, url: str, payload: object) -> api.Response:
    import http.client
    import urllib.error
    import urllib.request
    from email.message import Message

    data = None if payload is None else json.dumps(payload).encode("utf-8")
    headers = {"Accept": "application/json", "User-Agent": f"reportgen/{__version__}"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    # Unredirected: urllib copies ordinary headers onto a redirect to any host.
    request.add_unredirected_header("PRIVATE-TOKEN", session.token)
    if payload is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with api.opener().open(request, timeout=session.timeout) as answer:
            return api.Response(answer.status, answer.reason, answer.headers, _read(answer))
    except urllib.error.HTTPError as err:
        with err:
            return api.Response(err.code, str(err.reason), err.headers, _read(err))
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        return api.Response(0, api.network_reason(err), Message(), b"")


def _read(answer: Any) -> bytes:
    try:
        return api.read(answer)
    except api.GitHubError as err:
        raise GitLabError(str(err)) from None
