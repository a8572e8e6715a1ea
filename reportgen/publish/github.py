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

The transport (requests, retries, rate limits, redirects, paging links) lives in
``publish.github_api``, shared with the check run (``publish.github_checks``); this module holds
what is the comment's own: its target, its marker rules, its search, create and edit.
"""

import json
import re
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Literal

import msgspec

# The transport, shared with the check run; the local names keep this module's code as it was.
from reportgen.errors import quote
from reportgen.publish.github_api import (
    DEFAULT_API_URL,
    GitHubError,
    next_page,
)
from reportgen.publish.github_api import REDIRECTS as _REDIRECTS
from reportgen.publish.github_api import TOKEN_CHARS as _TOKEN
from reportgen.publish.github_api import Response as _Response
from reportgen.publish.github_api import ambiguous as _ambiguous
from reportgen.publish.github_api import backoff as _backoff
from reportgen.publish.github_api import check_api_url as _api_url
from reportgen.publish.github_api import github_message as _github_message
from reportgen.publish.github_api import is_rate_limited as _is_rate_limited
from reportgen.publish.github_api import quoted as _quoted
from reportgen.publish.github_api import read_event as _read_event
from reportgen.publish.github_api import redact as _redact
from reportgen.publish.github_api import repo_name as _repo
from reportgen.publish.github_api import send as _send

MAX_BODY_CHARS = 65536  # GitHub refuses longer comment bodies with 422 "Body is too long"
MAX_PAGES = 100  # 100 pages of 100 comments; a longer thread is refused, not half-read

_PULL_REF = re.compile(r"refs/pull/([1-9][0-9]{0,17})/(?:merge|head)")  # int() refuses 4300
_NOT_ID_CHAR = re.compile(r"[^\w.]+")  # also swallows "-", so no "--" can survive
# A bot account's login: an app's slug and "[bot]"; no person's login holds brackets.
_BOT_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,98})\[bot\]")

Action = Literal["created", "updated", "unchanged"]


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


def _number_from_ref(env: Mapping[str, str]) -> int | None:
    match = _PULL_REF.fullmatch(env.get("GITHUB_REF", ""))
    return int(match.group(1)) if match else None


def check_bot_login(value: str | None, source: str) -> str | None:
    """A bot's login as GitHub spells it (``my-app[bot]``), or None when ``value`` is empty."""
    if value is None or not value.strip():
        return None
    if not _BOT_LOGIN.fullmatch(value.strip()):
        raise GitHubError(f"{source} {quote(value)}: not a bot's login like github-actions[bot]")
    return value.strip()


def marker_for(comment_id: str) -> str:
    """The hidden marker for ``comment_id``: "Step 1" gives ``<!-- reportgen:Step-1 -->``.

    Runs of anything but letters, digits, ``_`` and ``.`` become one ``-`` (trimmed at the ends),
    so the id can never hold ``--`` or ``>`` and end the HTML comment early.
    """
    slug = _NOT_ID_CHAR.sub("-", comment_id).strip("-")
    if not slug:
        raise GitHubError(f"comment id {quote(comment_id)}: needs at least one letter or digit")
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
    if not starts_with_marker(body, marker):
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
    marked = [c for c in _list_comments(session) if starts_with_marker(c.body, marker)]
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
    if normalised(comment.body) == normalised(body):
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


def starts_with_marker(body: str, marker: str) -> bool:
    """The marker counts only as a comment's whole first line: test names, messages and paths
    from a pull request appear further down, so a marker quoted in them is never found."""
    first_line = body.partition("\n")[0]
    return first_line.rstrip() == marker


def normalised(body: str) -> str:
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
        url = next_page(session.target.api_url, url, response.headers.get("Link"))
    if url is not None:
        raise GitHubError(
            f"{_name(session.target)} has more than {MAX_PAGES * 100} comments;"
            " not adding another without reading them all"
        )


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


def _name(target: PullRequestTarget) -> str:
    return f"{target.repo}#{target.number}"


# --- answers: success, retry or a clear error ------------------------------------------------


def _expect_ok(session: _Session, method: str, url: str, response: _Response) -> object:
    if not 200 <= response.status < 300:
        raise GitHubError(f"{method} {url}: {_failure(session.target, response, session.token)}")
    try:
        return json.loads(response.data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: nesting deeper than Python's stack, which no GitHub answer has.
        raise GitHubError(f"{method} {url}: HTTP {response.status} answer is not JSON") from None


def _failure(target: PullRequestTarget, response: _Response, token: str) -> str:
    if response.status == 0:
        return f"no answer ({response.reason})"
    said = f"HTTP {response.status} {_github_message(response, token)}".rstrip()
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


# --- the wire ---------------------------------------------------------------------------------
