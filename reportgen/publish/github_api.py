"""The GitHub REST API transport that the comment and the check run share.

One request at a time through ``urllib.request`` (imported when a request is made, so importing
this module stays cheap): the token goes in an unredirected ``Authorization`` header, redirects
are never followed, pagination links are followed only on the API's own host, answers are read up
to a bound, and GitHub's rate limits and 5xx answers are waited out by the rules documented in
``publish.github``. Errors are ``GitHubError``: one line, never the token.
"""

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from reportgen import __version__
from reportgen.errors import ReportgenError, quote

if TYPE_CHECKING:  # the email package is needed only once a request is made
    from email.message import Message

DEFAULT_API_URL = "https://api.github.com"
MAX_WAIT = 60.0  # seconds; a longer Retry-After ends the run instead of blocking CI
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # 100 comments of 65536 characters fit with room

HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
    "User-Agent": f"reportgen/{__version__}",
}
_REPO = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*)/[A-Za-z0-9._-]+")
_LINK = re.compile(r"<([^>]*)>([^,]*)")
TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")  # printable ASCII: anything else breaks the header line
_ASCII_DIGITS = re.compile(r"[0-9]+")  # [0-9] in a str pattern: ASCII only, unlike \d
_MAX_DIGITS = 12
_MAX_SECONDS = 10**_MAX_DIGITS - 1
REDIRECTS = frozenset({301, 302, 303, 307, 308})


class Transport(Protocol):
    """What a request needs of its caller's session."""

    @property
    def token(self) -> str: ...
    @property
    def sleep(self) -> Callable[[float], object]: ...
    @property
    def max_retries(self) -> int: ...
    @property
    def timeout(self) -> float: ...


class GitHubError(ReportgenError):
    """The GitHub API refused or failed a request; the message is one line without the token."""


class Response(msgspec.Struct, frozen=True):
    """An HTTP answer, or a failure to get one (``status`` 0, ``reason`` says why)."""

    status: int
    reason: str
    headers: "Message"  # http.client's: names compare case-insensitively
    data: bytes


def check_api_url(value: str) -> str:
    """``GITHUB_API_URL`` as an http(s) address without a trailing slash, user or query."""
    try:
        parts = urllib.parse.urlsplit(value.strip())
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise GitHubError(f"GITHUB_API_URL {quote(value)}: not a valid URL") from None
    if parts.username is not None or parts.password is not None:
        # Never echo it: the user part may be a credential.
        raise GitHubError("GITHUB_API_URL: must not contain a user name or password")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise GitHubError(
            f"GITHUB_API_URL {quote(value)}: not an http(s) URL like {DEFAULT_API_URL}"
        )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def repo_name(env: Mapping[str, str], repo: str | None) -> str:
    """``--repo``, else ``GITHUB_REPOSITORY``, checked to be ``OWNER/NAME``."""
    source, value = "--repo", repo
    if repo is None:
        source, value = "GITHUB_REPOSITORY", env.get("GITHUB_REPOSITORY")
    if not value:
        raise GitHubError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
    if not _REPO.fullmatch(value) or value.endswith(("/.", "/..")):
        raise GitHubError(f"{source} {quote(value)}: not a repository name like OWNER/NAME")
    return value


def read_event(path: str) -> dict[str, Any]:
    """The GitHub Actions event payload at ``GITHUB_EVENT_PATH``, as a JSON object."""
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


def quoted(repo: str) -> str:
    """``OWNER/NAME`` for a URL path."""
    return urllib.parse.quote(repo, safe="/")


def send(session: Transport, method: str, url: str, payload: object) -> Response:
    """One request, tried again on rate limits, and on 5xx or no answer unless it is a POST."""
    idempotent = method != "POST"
    for attempt in range(session.max_retries):
        response = send_once(session, method, url, payload)
        delay = retry_delay(response, attempt, idempotent)
        if delay is None:
            return response
        session.sleep(delay)
    return send_once(session, method, url, payload)


def send_once(session: Transport, method: str, url: str, payload: object) -> Response:
    import http.client
    import urllib.error
    import urllib.request
    from email.message import Message

    request = urllib.request.Request(url, data=encode(payload), method=method, headers=HEADERS)
    # Unredirected: urllib copies ordinary headers onto a redirect to any host.
    request.add_unredirected_header("Authorization", f"Bearer {session.token}")
    if payload is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with opener().open(request, timeout=session.timeout) as answer:
            return Response(answer.status, answer.reason, answer.headers, read(answer))
    except urllib.error.HTTPError as err:
        with err:
            return Response(err.code, str(err.reason), err.headers, read(err))
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        return Response(0, network_reason(err), Message(), b"")


def read(answer: Any) -> bytes:
    data: bytes = answer.read(MAX_RESPONSE_BYTES + 1)
    if len(data) > MAX_RESPONSE_BYTES:
        raise GitHubError(f"{answer.url}: answer larger than {MAX_RESPONSE_BYTES} bytes")
    return data


def encode(payload: object) -> bytes | None:
    return None if payload is None else json.dumps(payload).encode("utf-8")


def network_reason(err: Exception) -> str:
    reason = getattr(err, "reason", None) or err
    return " ".join(str(reason).split())[:200] or type(err).__name__


def opener() -> Any:
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None  # the 3xx comes back as an answer and ends in a clear error

    return urllib.request.build_opener(NoRedirect)


def redact(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


def github_message(response: Response, token: str = "") -> str:
    """GitHub's own reason (``{"message": "Bad credentials"}``) on one short line, ``token``
    redacted before the line is cut: a cut token would leave its start behind."""
    try:
        message = json.loads(response.data).get("message")
    except (ValueError, UnicodeDecodeError, AttributeError, RecursionError):
        message = None
    text = message if isinstance(message, str) and message else response.reason
    return redact(" ".join(text.split()), token)[:200]


def ambiguous(response: Response) -> bool:
    """True when the server may have acted although it did not say so."""
    return response.status == 0 or response.status >= 500


def retry_delay(response: Response, attempt: int, idempotent: bool) -> float | None:
    """Seconds to wait before trying again, or None to give this answer to the caller."""
    if response.status in (403, 429):
        return rate_limit_wait(response)
    if idempotent and ambiguous(response):
        asked = retry_after(response.headers)
        # A 5xx's Retry-After is a hint, not a limit: shortening it risks no ban.
        return backoff(attempt) if asked is None else min(asked, MAX_WAIT)
    return None


def rate_limit_wait(response: Response) -> float | None:
    headers = response.headers
    asked = retry_after(headers)
    if asked is None and headers.get("x-ratelimit-remaining") == "0":
        asked = until_reset(headers)
    if asked is None and is_secondary_limit(response):
        asked = MAX_WAIT  # GitHub: "otherwise, wait for at least one minute"
    if asked is not None and asked > MAX_WAIT:
        raise GitHubError(
            f"HTTP {response.status} rate limited: GitHub asks to wait {asked:.0f} s"
            f" (more than {MAX_WAIT:.0f} s); run again later"
        )
    return asked


def retry_after(headers: "Message") -> float | None:
    return seconds(headers.get("Retry-After", ""))


def until_reset(headers: "Message") -> float | None:
    reset = seconds(headers.get("x-ratelimit-reset", ""))
    if reset is None:
        return None
    # The reset is the server's clock in epoch seconds: compare with the server's Date header so
    # a skewed runner clock neither hammers the API nor waits for nothing.
    now = server_time(headers.get("Date")) or time.time()
    return max(0.0, reset - now) + 1.0


def seconds(value: str) -> float | None:
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


def server_time(date: str | None) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(date).timestamp() if date else None
    except (TypeError, ValueError):
        return None


def is_rate_limited(response: Response) -> bool:
    headers = response.headers
    limited = retry_after(headers) is not None or headers.get("x-ratelimit-remaining") == "0"
    return response.status in (403, 429) and (limited or is_secondary_limit(response))


def is_secondary_limit(response: Response) -> bool:
    message = github_message(response).lower()
    return response.status == 429 or "secondary rate limit" in message or "abuse" in message


def backoff(attempt: int) -> float:
    return min(2.0**attempt, MAX_WAIT)


def next_page(api_url: str, current: str, link: str | None) -> str | None:
    """The ``rel="next"`` address of a Link header, only on the API's own host."""
    for address, params in _LINK.findall(link or ""):
        if "next" in rels(params):
            try:
                url = urllib.parse.urljoin(current, str(address).strip())
                found = origin(url)  # reads the port, which raises for one that is no number
            except ValueError:
                raise GitHubError(
                    f"GET {current}: the Link header's next page is not a URL: {quote(address)}"
                ) from None
            if found != origin(api_url):
                raise GitHubError(
                    f"GET {current}: refusing to send the token to {origin_text(url)},"
                    f" another host than {origin_text(api_url)} (Link header)"
                )
            return url
    return None


def rels(params: str) -> list[str]:
    """The relation types of one Link entry: ``; rel="next last"`` gives next and last."""
    pairs = (param.partition("=") for param in params.split(";"))
    return [
        rel
        for name, _, value in pairs
        if name.strip().lower() == "rel"
        for rel in value.strip().strip('"').lower().split()
    ]


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or ""), parts.port or default


def origin_text(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
