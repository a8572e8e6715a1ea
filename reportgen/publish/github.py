"""Posting the github report as a pull-request comment: the only network code in reportgen.

One comment per report id, found again by its hidden marker (``<!-- reportgen:ID -->``) and
edited in place, so a pull request does not collect a new comment on every push::

    target = resolve_target(os.environ, repo=None, pr=None)
    result = upsert_comment(target, token, body, marker_for("coverage"), bot_login=None)
    result.action  # "created", "updated" or "unchanged"

Choices a user may notice:

- A comment is ours only when its first line is the marker and the token's own account wrote
  it: a marker quoted in a test name lower down, or in another account's comment, is ignored.
  A token that cannot read ``GET /user`` (an app's, or the Actions token) is told its bot's
  login; without it, a marked comment by any bot stops the run rather than be edited.

- When several comments carry the marker (left by an older version, or by two jobs that raced),
  the **oldest** one (lowest id) is edited and the others are left alone: it keeps its place in
  the conversation, and every later run agrees on the same comment.
- An identical body (ignoring CRLF line ends and trailing whitespace, which GitHub's editor
  changes without changing the rendering) is not sent again: the result is "unchanged".
- Retries: 5xx answers and network failures back off 1, 2, 4, 8 s; secondary rate limits
  (403/429 with ``Retry-After``, or ``x-ratelimit-remaining: 0`` with ``x-ratelimit-reset``) wait
  as long as GitHub asks. A wait longer than 60 s is not shortened but refused with an error:
  retrying early is what GitHub says gets an integration banned.
- A failed create is never simply sent again: the comments are listed once more first, because
  GitHub may have created the comment before its 5xx answer.
- The token goes only to the API URL's own host: redirects are not followed and pagination
  links to another host are refused. No message names it.

The standard library speaks HTTP here (no new dependency); ``urllib.request`` is imported when a
request is made, so importing this module stays cheap. The module is one cohesive thing over
500 lines: the comment's search, create and edit share one session, its retry and rate-limit
rules and its error wording; a second publisher (GitLab, check runs) will take the transport
out into a module of its own when it has a second user.
"""

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from reportgen import __version__
from reportgen.errors import ReportgenError

if TYPE_CHECKING:  # the email package is needed only once a request is made
    from email.message import Message

DEFAULT_API_URL = "https://api.github.com"
MAX_BODY_CHARS = 65536  # GitHub refuses longer comment bodies with 422 "Body is too long"
MAX_PAGES = 100  # 100 pages of 100 comments; a longer thread is refused, not half-read
MAX_WAIT = 60.0  # seconds; a longer Retry-After ends the run instead of blocking CI
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # 100 comments of 65536 characters fit with room

_HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
    "User-Agent": f"reportgen/{__version__}",
}
_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*)/[A-Za-z0-9._-]+")
_PULL_REF = re.compile(r"refs/pull/([1-9][0-9]{0,17})/(?:merge|head)")  # int() refuses 4300
_NOT_ID_CHAR = re.compile(r"[^\w.]+")  # also swallows "-", so no "--" can survive
_LINK = re.compile(r"<([^>]*)>([^,]*)")
# A bot account's login: an app's slug and "[bot]"; no person's login holds brackets.
_BOT_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,98})\[bot\]")
_TOKEN = re.compile(r"[\x21-\x7e]+")  # printable ASCII: anything else breaks the header line
_ASCII_DIGITS = re.compile(r"[0-9]+")  # [0-9] in a str pattern: ASCII only, unlike \d
_MAX_DIGITS = 12
_MAX_SECONDS = 10**_MAX_DIGITS - 1
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

Action = Literal["created", "updated", "unchanged"]


class GitHubError(ReportgenError):
    """The GitHub API refused or failed a request; the message is one line without the token."""


class PullRequestTarget(msgspec.Struct, frozen=True):
    """Where the comment goes: ``api_url`` has no trailing slash, ``repo`` is ``OWNER/NAME``."""

    api_url: str
    repo: str
    number: int


class CommentResult(msgspec.Struct, frozen=True):
    """What ``upsert_comment`` did, to which comment, and the comment's page address."""

    action: Action
    comment_id: int
    url: str


class _Comment(msgspec.Struct, frozen=True):
    id: int
    body: str
    url: str
    author: str | None = None  # the user's login; None when the answer names no user
    bot: bool = False


class _Response(msgspec.Struct, frozen=True):
    """An HTTP answer, or a failure to get one (``status`` 0, ``reason`` says why)."""

    status: int
    reason: str
    headers: "Message"  # http.client's: names compare case-insensitively
    data: bytes


class _Session(msgspec.Struct, frozen=True):
    target: PullRequestTarget
    token: str
    sleep: Callable[[float], object]
    max_retries: int
    timeout: float
    bot_login: str | None = None


# --- where to comment ---------------------------------------------------------------------


def resolve_target(env: Mapping[str, str], repo: str | None, pr: int | None) -> PullRequestTarget:
    """The pull request named by ``repo``/``pr``, falling back on the GitHub Actions environment.

    ``GITHUB_API_URL`` (default https://api.github.com), ``GITHUB_REPOSITORY``, then the number
    from the event payload at ``GITHUB_EVENT_PATH`` (``pull_request.number``, else
    ``issue.number`` of an issue_comment event on a pull request), else ``GITHUB_REF``
    (``refs/pull/123/merge``).
    """
    api_url = _api_url(env.get("GITHUB_API_URL") or DEFAULT_API_URL)
    return PullRequestTarget(api_url, _repo(env, repo), _pr_number(env, pr))


def _api_url(value: str) -> str:
    try:
        parts = urllib.parse.urlsplit(value.strip())
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise GitHubError(f"GITHUB_API_URL {value!r}: not a valid URL") from None
    if parts.username is not None or parts.password is not None:
        # Never echo it: the user part may be a credential.
        raise GitHubError("GITHUB_API_URL: must not contain a user name or password")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise GitHubError(f"GITHUB_API_URL {value!r}: not an http(s) URL like {DEFAULT_API_URL}")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _repo(env: Mapping[str, str], repo: str | None) -> str:
    source, value = "--repo", repo
    if repo is None:
        source, value = "GITHUB_REPOSITORY", env.get("GITHUB_REPOSITORY")
    if not value:
        raise GitHubError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
    if not _REPO.fullmatch(value) or value.endswith(("/.", "/..")):
        raise GitHubError(f"{source} {value!r}: not a repository name like OWNER/NAME")
    return value


def _pr_number(env: Mapping[str, str], pr: int | None) -> int:
    if pr is not None:
        if pr < 1:
            raise GitHubError(f"--pr {pr}: not a pull request number (must be 1 or more)")
        return pr
    number = _number_from_event(env.get("GITHUB_EVENT_PATH")) or _number_from_ref(env)
    if number is None:
        raise GitHubError(
            "no pull request number: pass --pr N, or run on a pull_request or issue_comment"
            " event (neither the GITHUB_EVENT_PATH payload's pull_request.number or issue.number"
            " nor GITHUB_REF refs/pull/N/merge gives one)"
        )
    return number


def _number_from_event(path: str | None) -> int | None:
    if not path:
        return None
    payload = _read_event(path)
    issue = payload.get("issue")
    # issue_comment events fire on plain issues too; only one that is a pull request counts.
    if not (isinstance(issue, dict) and isinstance(issue.get("pull_request"), dict)):
        issue = None
    return _positive_number(payload.get("pull_request")) or _positive_number(issue)


def _positive_number(section: object) -> int | None:
    number = section.get("number") if isinstance(section, dict) else None
    # bool is an int subclass; a payload saying `"number": true` is not a number.
    if isinstance(number, int) and not isinstance(number, bool) and number > 0:
        return number
    return None


def _read_event(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as stream:
            payload = json.load(stream)
    except OSError as err:
        raise GitHubError(
            f"{path}: cannot read the GitHub event payload ({err.strerror})"
        ) from None
    except (ValueError, UnicodeDecodeError) as err:
        raise GitHubError(f"{path}: the GitHub event payload is not JSON ({err})") from None
    except RecursionError:
        raise GitHubError(
            f"{path}: the GitHub event payload is not JSON (nested too deep)"
        ) from None
    if not isinstance(payload, dict):
        raise GitHubError(f"{path}: the GitHub event payload is not a JSON object")
    return payload


def _number_from_ref(env: Mapping[str, str]) -> int | None:
    match = _PULL_REF.fullmatch(env.get("GITHUB_REF", ""))
    return int(match.group(1)) if match else None


def check_bot_login(value: str | None, source: str) -> str | None:
    """A bot's login as GitHub spells it (``my-app[bot]``), or None when ``value`` is empty."""
    if value is None or not value.strip():
        return None
    if not _BOT_LOGIN.fullmatch(value.strip()):
        raise GitHubError(f"{source} {value!r}: not a bot's login like github-actions[bot]")
    return value.strip()


def marker_for(comment_id: str) -> str:
    """The hidden marker for ``comment_id``: "Step 1" gives ``<!-- reportgen:Step-1 -->``.

    Runs of anything but letters, digits, ``_`` and ``.`` become one ``-`` (trimmed at the ends),
    so the id can never hold ``--`` or ``>`` and end the HTML comment early.
    """
    slug = _NOT_ID_CHAR.sub("-", comment_id).strip("-")
    if not slug:
        raise GitHubError(f"comment id {comment_id!r}: needs at least one letter or digit")
    return f"<!-- reportgen:{slug} -->"


# --- the upsert -----------------------------------------------------------------------------


def upsert_comment(
    target: PullRequestTarget,
    token: str,
    body: str,
    marker: str,
    *,
    bot_login: str | None = None,
    sleep: Callable[[float], object] = time.sleep,
    max_retries: int = 4,
    timeout: float = 30,
) -> CommentResult:
    """Edit the pull request's comment starting with ``marker`` to read ``body``, or create it.

    ``body`` must start with ``marker`` on a line of its own (so the next run finds it). Only a
    comment by the token's own account is edited: `GET /user` names it for a user token;
    ``bot_login`` names the bot of a token that cannot read `GET /user` (``github-actions[bot]``
    for the Actions token). Raises ``GitHubError`` with one line naming the request and
    GitHub's reason; the token never appears in it.
    """
    token = token.strip()
    _check_request(token, body, marker)
    bot_login = check_bot_login(bot_login, "bot login")
    session = _Session(target, token, sleep, max_retries, timeout, bot_login)
    try:
        return _upsert(session, body, marker)
    except GitHubError as err:
        # Last line of defence: a server may echo the credentials back in its message.
        raise GitHubError(_redact(str(err), token)) from None


def _check_request(token: str, body: str, marker: str) -> None:
    if not token:
        raise GitHubError("no GitHub token: the token is empty")
    if not _TOKEN.fullmatch(token):
        raise GitHubError("the GitHub token holds spaces, control or non-ASCII characters")
    if marker not in body:
        raise GitHubError(
            f"the comment does not contain its marker {marker} (keep it in github.md)"
        )
    if not _starts_with_marker(body, marker):
        # The next run looks for the marker on the first line only; text from the data lower
        # down can never be mistaken for it there.
        raise GitHubError(
            f"the comment must start with its marker {marker} on a line of its own"
            " (keep {{ marker }} first in github.md)"
        )
    if len(body) > MAX_BODY_CHARS:
        raise GitHubError(
            f"the comment has {len(body)} characters; GitHub accepts at most {MAX_BODY_CHARS}"
        )


def _upsert(session: _Session, body: str, marker: str) -> CommentResult:
    attempt = 0
    while True:
        existing = _oldest_with_marker(session, marker)
        if existing is not None:
            return _update(session, existing, body, after_failed_create=attempt > 0)
        response = _send(session, "POST", _comments_url(session.target), {"body": body})
        if attempt == session.max_retries or not _ambiguous(response):
            return _created(session, response)
        session.sleep(_backoff(attempt))
        attempt += 1


def _oldest_with_marker(session: _Session, marker: str) -> _Comment | None:
    """Our earlier comment: it starts with the marker and was written by the token's account."""
    marked = [c for c in _list_comments(session) if _starts_with_marker(c.body, marker)]
    if not marked:
        return None
    me = _token_login(session, marked)
    if me is None:
        return None
    ours = (c for c in marked if c.author is not None and c.author.lower() == me.lower())
    return min(ours, key=lambda comment: comment.id, default=None)


def _token_login(session: _Session, marked: list[_Comment]) -> str | None:
    """The login the token writes comments as, so a marker in anyone else's comment is ignored.

    A user token reads it from `GET /user`. An installation token (an app's, or the Actions
    GITHUB_TOKEN) cannot, and nothing it may read names its app: its bot's login must be given
    (``bot_login``). Without it no bot's comment is taken for ours (None when none is marked;
    an error when one is), and a person's never could be.
    """
    url = f"{session.target.api_url}/user"
    response = _send(session, "GET", url, None)
    if response.status in (403, 404):
        if session.bot_login is not None:
            return session.bot_login
        if not any(comment.bot for comment in marked):
            return None  # an installation token writes as a bot: no marked comment is ours
        raise GitHubError(
            f"GET {url}: HTTP {response.status}, so the token is an app's or the Actions"
            " token, and which bot it writes as is unknown: not editing a bot's comment that"
            " may be another's. Name it with --bot-login (REPORTGEN_BOT_LOGIN):"
            " github-actions[bot] for the workflow's GITHUB_TOKEN, APP-SLUG[bot] for an app"
        )
    data = _expect_ok(session, "GET", url, response)
    login = data.get("login") if isinstance(data, dict) else None
    if not isinstance(login, str) or not login:
        raise GitHubError(f"GET {url}: the answer names no login")
    return login


def _update(
    session: _Session, comment: _Comment, body: str, *, after_failed_create: bool
) -> CommentResult:
    if _normalised(comment.body) == _normalised(body):
        # Our own POST got through although GitHub answered it with an error.
        action: Action = "created" if after_failed_create else "unchanged"
        return CommentResult(action, comment.id, comment.url)
    url = _comment_url(session.target, comment.id)
    data = _expect_ok(session, "PATCH", url, _send(session, "PATCH", url, {"body": body}))
    edited = _parse_comment(data, f"PATCH {url}")
    return CommentResult("updated", edited.id, edited.url)


def _created(session: _Session, response: _Response) -> CommentResult:
    url = _comments_url(session.target)
    created = _parse_comment(_expect_ok(session, "POST", url, response), f"POST {url}")
    return CommentResult("created", created.id, created.url)


def _starts_with_marker(body: str, marker: str) -> bool:
    """The marker counts only as a comment's whole first line: test names, messages and paths
    from a pull request appear further down, so a marker quoted in them is never found."""
    first_line = body.partition("\n")[0]
    return first_line.rstrip() == marker


def _normalised(body: str) -> str:
    return body.replace("\r\n", "\n").rstrip()


def _list_comments(session: _Session) -> Iterator[_Comment]:
    url: str | None = f"{_comments_url(session.target)}?per_page=100"
    for _ in range(MAX_PAGES):
        if url is None:
            return
        response = _send(session, "GET", url, None)
        items = _expect_ok(session, "GET", url, response)
        if not isinstance(items, list):
            raise GitHubError(f"GET {url}: the answer is not a list of comments")
        yield from (_parse_comment(item, f"GET {url}") for item in items)
        url = _next_page(session.target, url, response.headers.get("Link"))
    if url is not None:
        raise GitHubError(
            f"{_name(session.target)} has more than {MAX_PAGES * 100} comments;"
            " not adding another without reading them all"
        )


def _next_page(target: PullRequestTarget, current: str, link: str | None) -> str | None:
    """The ``rel="next"`` address of a Link header, only on the API's own host."""
    for address, params in _LINK.findall(link or ""):
        if "next" in _rels(params):
            try:
                url = urllib.parse.urljoin(current, str(address).strip())
                origin = _origin(url)  # reads the port, which raises for one that is no number
            except ValueError:
                raise GitHubError(
                    f"GET {current}: the Link header's next page is not a URL: {address!r}"
                ) from None
            if origin != _origin(target.api_url):
                raise GitHubError(
                    f"GET {current}: refusing to send the token to {_origin_text(url)},"
                    f" another host than {_origin_text(target.api_url)} (Link header)"
                )
            return url
    return None


def _rels(params: str) -> list[str]:
    """The relation types of one Link entry: ``; rel="next last"`` gives next and last."""
    pairs = (param.partition("=") for param in params.split(";"))
    return [
        rel
        for name, _, value in pairs
        if name.strip().lower() == "rel"
        for rel in value.strip().strip('"').lower().split()
    ]


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or ""), parts.port or default


def _origin_text(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


def _parse_comment(item: object, what: str) -> _Comment:
    if not isinstance(item, dict):
        raise GitHubError(f"{what}: the answer is not a comment object")
    number, body, url = item.get("id"), item.get("body"), item.get("html_url")
    if not isinstance(number, int) or isinstance(number, bool) or not isinstance(url, str):
        raise GitHubError(f"{what}: a comment without a numeric 'id' and an 'html_url'")
    user = item.get("user")
    login = user.get("login") if isinstance(user, dict) else None
    bot = isinstance(user, dict) and user.get("type") == "Bot"
    # GitHub sends "body": null for an emptied comment; it holds no marker.
    return _Comment(
        number,
        body if isinstance(body, str) else "",
        url,
        login if isinstance(login, str) else None,
        bot,
    )


def _comments_url(target: PullRequestTarget) -> str:
    return f"{target.api_url}/repos/{_quoted(target.repo)}/issues/{target.number}/comments"


def _comment_url(target: PullRequestTarget, comment_id: int) -> str:
    return f"{target.api_url}/repos/{_quoted(target.repo)}/issues/comments/{comment_id}"


def _quoted(repo: str) -> str:
    return urllib.parse.quote(repo, safe="/")


def _name(target: PullRequestTarget) -> str:
    return f"{target.repo}#{target.number}"


# --- answers: success, retry or a clear error ------------------------------------------------


def _expect_ok(session: _Session, method: str, url: str, response: _Response) -> object:
    if not 200 <= response.status < 300:
        raise GitHubError(f"{method} {url}: {_failure(session.target, response)}")
    try:
        return json.loads(response.data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: nesting deeper than Python's stack, which no GitHub answer has.
        raise GitHubError(f"{method} {url}: HTTP {response.status} answer is not JSON") from None


def _failure(target: PullRequestTarget, response: _Response) -> str:
    if response.status == 0:
        return f"no answer ({response.reason})"
    said = f"HTTP {response.status} {_github_message(response)}".rstrip()
    if response.status in _REDIRECTS:
        location = response.headers.get("Location", "?")
        return f"{said}; redirect to {location} not followed: check the repository and API URL"
    if _is_rate_limited(response):
        return f"{said}; rate limited: run again later"
    hint = _HINTS.get(response.status)
    return f"{said}; {hint.format(name=_name(target))}" if hint else said


_HINTS = {
    401: "the token is missing, invalid or expired",
    403: (
        "the token may not comment on {name} (it needs 'pull-requests: write'; pull requests"
        " from forks get a read-only GITHUB_TOKEN)"
    ),
    404: "no pull request {name} there, or the token cannot see the repository",
    422: "GitHub refused the comment",
}


def _github_message(response: _Response) -> str:
    """GitHub's own reason (``{"message": "Bad credentials"}``) on one short line."""
    try:
        message = json.loads(response.data).get("message")
    except (ValueError, UnicodeDecodeError, AttributeError, RecursionError):
        message = None
    text = message if isinstance(message, str) and message else response.reason
    return " ".join(text.split())[:200]


def _ambiguous(response: _Response) -> bool:
    """True when the server may have acted although it did not say so."""
    return response.status == 0 or response.status >= 500


def _retry_delay(response: _Response, attempt: int, idempotent: bool) -> float | None:
    """Seconds to wait before trying again, or None to give this answer to the caller."""
    if response.status in (403, 429):
        return _rate_limit_wait(response)
    if idempotent and _ambiguous(response):
        asked = _retry_after(response.headers)
        # A 5xx's Retry-After is a hint, not a limit: shortening it risks no ban.
        return _backoff(attempt) if asked is None else min(asked, MAX_WAIT)
    return None


def _rate_limit_wait(response: _Response) -> float | None:
    headers = response.headers
    asked = _retry_after(headers)
    if asked is None and headers.get("x-ratelimit-remaining") == "0":
        asked = _until_reset(headers)
    if asked is None and _is_secondary_limit(response):
        asked = MAX_WAIT  # GitHub: "otherwise, wait for at least one minute"
    if asked is not None and asked > MAX_WAIT:
        raise GitHubError(
            f"HTTP {response.status} rate limited: GitHub asks to wait {asked:.0f} s"
            f" (more than {MAX_WAIT:.0f} s); run again later"
        )
    return asked


def _retry_after(headers: "Message") -> float | None:
    return _seconds(headers.get("Retry-After", ""))


def _until_reset(headers: "Message") -> float | None:
    reset = _seconds(headers.get("x-ratelimit-reset", ""))
    if reset is None:
        return None
    # The reset is the server's clock in epoch seconds: compare with the server's Date header so
    # a skewed runner clock neither hammers the API nor waits for nothing.
    now = _server_time(headers.get("Date")) or time.time()
    return max(0.0, reset - now) + 1.0


def _seconds(value: str) -> float | None:
    """A header's whole seconds, written in ASCII digits as HTTP says; anything else is absent.

    ``str.isdigit`` also takes "²" and other scripts' digits, which ``int()`` then refuses or
    reads; ``int()`` refuses more than 4300 digits. A longer number is capped at
    ``_MAX_SECONDS`` (millennia): any wait over ``MAX_WAIT`` is refused all the same.
    """
    value = value.strip()
    if not _ASCII_DIGITS.fullmatch(value):
        return None
    digits = value.lstrip("0") or "0"
    return float(int(digits)) if len(digits) <= _MAX_DIGITS else float(_MAX_SECONDS)


def _server_time(date: str | None) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(date).timestamp() if date else None
    except (TypeError, ValueError):
        return None


def _is_rate_limited(response: _Response) -> bool:
    headers = response.headers
    limited = _retry_after(headers) is not None or headers.get("x-ratelimit-remaining") == "0"
    return response.status in (403, 429) and (limited or _is_secondary_limit(response))


def _is_secondary_limit(response: _Response) -> bool:
    message = _github_message(response).lower()
    return response.status == 429 or "secondary rate limit" in message or "abuse" in message


def _backoff(attempt: int) -> float:
    return min(2.0**attempt, MAX_WAIT)


# --- the wire ---------------------------------------------------------------------------------


def _send(session: _Session, method: str, url: str, payload: object) -> _Response:
    """One request, tried again on rate limits, and on 5xx or no answer unless it is a POST."""
    idempotent = method != "POST"
    for attempt in range(session.max_retries):
        response = _send_once(session, method, url, payload)
        delay = _retry_delay(response, attempt, idempotent)
        if delay is None:
            return response
        session.sleep(delay)
    return _send_once(session, method, url, payload)


def _send_once(session: _Session, method: str, url: str, payload: object) -> _Response:
    import http.client
    import urllib.error
    import urllib.request
    from email.message import Message

    request = urllib.request.Request(url, data=_encode(payload), method=method, headers=_HEADERS)
    # Unredirected: urllib copies ordinary headers onto a redirect to any host.
    request.add_unredirected_header("Authorization", f"Bearer {session.token}")
    if payload is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _opener().open(request, timeout=session.timeout) as answer:
            return _Response(answer.status, answer.reason, answer.headers, _read(answer))
    except urllib.error.HTTPError as err:
        with err:
            return _Response(err.code, str(err.reason), err.headers, _read(err))
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        return _Response(0, _network_reason(err), Message(), b"")


def _read(answer: Any) -> bytes:
    data: bytes = answer.read(MAX_RESPONSE_BYTES + 1)
    if len(data) > MAX_RESPONSE_BYTES:
        raise GitHubError(f"{answer.url}: answer larger than {MAX_RESPONSE_BYTES} bytes")
    return data


def _encode(payload: object) -> bytes | None:
    return None if payload is None else json.dumps(payload).encode("utf-8")


def _network_reason(err: Exception) -> str:
    reason = getattr(err, "reason", None) or err
    return " ".join(str(reason).split())[:200] or type(err).__name__


def _opener() -> Any:
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # the 3xx comes back as an answer and ends in a clear error

    return urllib.request.build_opener(NoRedirect)


def _redact(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text
