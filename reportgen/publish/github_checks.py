"""A GitHub check run on the head commit, named after the report, with line annotations.

    result = publish_check_run(target, token, run)
    result.action  # "created", "updated" or "replaced"

It shares the comment's transport (``publish.github``): token only to the API's own host, no
redirects followed, the same retry and rate-limit rules and one-line errors.

Choices a user may notice:

- The run is found again by its name on the head commit (every page of
  ``GET /commits/SHA/check-runs?check_name=``, the newest first). Annotations can be added to a
  run but never removed, so that run is edited in place only when all its annotations are still
  wanted, and gets only the missing ones; otherwise a new run of the same name replaces it
  (GitHub shows the newest run of a name).
- Annotations go 50 per request, as the API requires: the first 50 with the create (or the
  edit), each further 50 with one more edit. At most ``max_annotations`` are sent, the most
  important first; the summary says how many were left out.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

import msgspec

from reportgen.analysis.annotations import Annotation
from reportgen.errors import quote
from reportgen.publish import github_api as api
from reportgen.publish.github_api import GitHubError

BATCH = 50  # the Checks API refuses more annotations per request
MAX_SUMMARY_CHARS = 65535  # output.summary's limit
MAX_TITLE_CHARS = 255
MAX_PAGES = 100
_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

Conclusion = Literal["success", "failure", "neutral"]
CheckAction = Literal["created", "updated", "replaced"]


class CheckTarget(msgspec.Struct, frozen=True):
    """Where the run goes: ``api_url`` without a trailing slash, ``repo`` ``OWNER/NAME``."""

    api_url: str
    repo: str
    head_sha: str


class CheckRun(msgspec.Struct, frozen=True):
    """What to publish: ``summary`` is Markdown, ``annotations`` most important first."""

    name: str
    title: str
    summary: str
    conclusion: Conclusion
    annotations: tuple[Annotation, ...]


class _Session(msgspec.Struct, frozen=True):
    api_url: str
    token: str
    sleep: Callable[[float], object]
    max_retries: int
    timeout: float


class CheckResult(msgspec.Struct, frozen=True):
    action: CheckAction
    check_run_id: int
    url: str
    sent: int  # annotations sent by this run (an updated run had the others already)


def resolve_check_target(env: Any, repo: str | None, sha: str | None) -> CheckTarget:
    """``--repo``/``--sha``, falling back on the Actions environment: the pull request's head
    commit from the event payload (GITHUB_SHA is the merge commit there), else GITHUB_SHA."""
    api_url = api.check_api_url(env.get("GITHUB_API_URL") or api.DEFAULT_API_URL)
    source, value = "--sha", sha
    if value is None:
        source, value = "GITHUB_SHA", _head_from_event(env.get("GITHUB_EVENT_PATH"))
        if value is not None:
            source = "the event's pull_request.head.sha"
        else:
            value = env.get("GITHUB_SHA")
    if not value:
        raise GitHubError("no commit: pass --sha SHA or set GITHUB_SHA")
    if not _SHA.fullmatch(value.strip().lower()):
        raise GitHubError(f"{source} {quote(value)}: not a full commit hash (40 hex digits)")
    return CheckTarget(api_url, api.repo_name(env, repo), value.strip().lower())


def _head_from_event(path: str | None) -> str | None:
    if not path:
        return None
    pull = api.read_event(path).get("pull_request")
    head = pull.get("head") if isinstance(pull, dict) else None
    sha = head.get("sha") if isinstance(head, dict) else None
    return sha if isinstance(sha, str) and sha else None


def capped(annotations: Sequence[Annotation], cap: int) -> tuple[tuple[Annotation, ...], int]:
    """The first ``cap`` annotations, and how many were left out."""
    kept = tuple(annotations[:cap])
    return kept, len(annotations) - len(kept)


def publish_check_run(
    target: CheckTarget,
    token: str,
    run: CheckRun,
    *,
    sleep: Callable[[float], object] = time.sleep,
    max_retries: int = 4,
    timeout: float = 30,
) -> CheckResult:
    """Create or update the check run ``run.name`` on the head commit. Raises ``GitHubError``
    with one line naming the request and GitHub's reason, never the token."""
    token = token.strip()
    if not token:
        raise GitHubError("no GitHub token: the token is empty")
    if not api.TOKEN_CHARS.fullmatch(token):
        raise GitHubError("the GitHub token holds spaces, control or non-ASCII characters")
    if len(run.summary) > MAX_SUMMARY_CHARS:
        raise GitHubError(
            f"the check run's summary has {len(run.summary)} characters;"
            f" GitHub accepts at most {MAX_SUMMARY_CHARS}"
        )
    # The comment's session; its pull-request number is not used on these paths.
    session = _Session(target.api_url, token, sleep, max_retries, timeout)
    try:
        return _publish(session, target, run)
    except GitHubError as err:
        raise GitHubError(api.redact(str(err), token)) from None


def _publish(session: _Session, target: CheckTarget, run: CheckRun) -> CheckResult:
    wanted = [a.as_api() for a in run.annotations]
    output = {"title": run.title[:MAX_TITLE_CHARS], "summary": run.summary}
    fields = {"status": "completed", "conclusion": run.conclusion}
    existing = _latest_named(session, target, run.name)
    if existing is not None:
        had = list(_annotations_of(session, target, existing))
        missing = _without(wanted, had)
        if missing is not None:
            url = _run_url(target, existing)
            first = _send_batch(session, "PATCH", url, {**fields, "output": output}, missing)
            _send_rest(session, url, output, missing)
            return CheckResult("updated", existing, _html_url(first), len(missing))
    url = f"{_repo_url(target)}/check-runs"
    body = {"name": run.name, "head_sha": target.head_sha, **fields, "output": output}
    created = _send_batch(session, "POST", url, body, wanted)
    number = created.get("id")
    if not isinstance(number, int) or isinstance(number, bool):
        raise GitHubError(f"POST {url}: the answer names no check run 'id'")
    _send_rest(session, _run_url(target, number), output, wanted)
    action: CheckAction = "created" if existing is None else "replaced"
    return CheckResult(action, number, _html_url(created), len(wanted))


def _send_batch(
    session: _Session, method: str, url: str, body: dict[str, Any], annotations: list[Any]
) -> dict[str, Any]:
    output = {**body["output"], "annotations": annotations[:BATCH]}
    answer = _expect(session, method, url, {**body, "output": output})
    if not isinstance(answer, dict):
        raise GitHubError(f"{method} {url}: the answer is not a check run object")
    return answer


def _send_rest(session: _Session, url: str, output: dict[str, str], annotations: list[Any]) -> None:
    """Every further 50: each edit adds its annotations to those the run has."""
    for start in range(BATCH, len(annotations), BATCH):
        batch = annotations[start : start + BATCH]
        _expect(session, "PATCH", url, {"output": {**output, "annotations": batch}})


def _without(wanted: list[dict[str, Any]], had: list[dict[str, Any]]) -> list[Any] | None:
    """The wanted annotations the run lacks, or None when it has one no longer wanted."""
    left = [_key(a) for a in wanted]
    remaining = list(wanted)
    for item in had:
        key = _key(item)
        if key not in left:
            return None
        index = left.index(key)
        del left[index], remaining[index]
    return remaining


def _key(item: dict[str, Any]) -> tuple[Any, ...]:
    names = ("path", "start_line", "end_line", "annotation_level", "title", "message")
    return tuple(item.get(name) for name in names)


def _latest_named(session: _Session, target: CheckTarget, name: str) -> int | None:
    query = urllib.parse.urlencode({"check_name": name, "filter": "latest", "per_page": 100})
    url = f"{_repo_url(target)}/commits/{target.head_sha}/check-runs?{query}"
    runs: list[tuple[str, int]] = []
    for page in _pages(session, url):
        items = page.get("check_runs") if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise GitHubError(f"GET {url}: the answer has no 'check_runs' list")
        for item in items:
            number = item.get("id") if isinstance(item, dict) else None
            if isinstance(number, int) and item.get("name") == name:
                runs.append((str(item.get("started_at") or ""), number))
    return max(runs)[1] if runs else None


def _annotations_of(session: _Session, target: CheckTarget, number: int) -> Iterator[Any]:
    url = f"{_run_url(target, number)}/annotations?per_page=100"
    for page in _pages(session, url):
        if not isinstance(page, list):
            raise GitHubError(f"GET {url}: the answer is not a list of annotations")
        yield from (item for item in page if isinstance(item, dict))


def _pages(session: _Session, url: str) -> Iterator[Any]:
    next_url: str | None = url
    for _ in range(MAX_PAGES):
        if next_url is None:
            return
        response = api.send(session, "GET", next_url, None)
        yield _checked(session, "GET", next_url, response)
        next_url = api.next_page(session.api_url, next_url, response.headers.get("Link"))
    if next_url is not None:
        raise GitHubError(f"GET {url}: more than {MAX_PAGES} pages; not read to the end")


def _expect(session: _Session, method: str, url: str, payload: object) -> Any:
    return _checked(session, method, url, api.send(session, method, url, payload))


def _checked(session: _Session, method: str, url: str, response: api.Response) -> Any:
    if 200 <= response.status < 300:
        try:
            return json.loads(response.data)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise GitHubError(
                f"{method} {url}: HTTP {response.status} answer is not JSON"
            ) from None
    if response.status == 0:
        raise GitHubError(f"{method} {url}: no answer ({response.reason})")
    said = f"HTTP {response.status} {api.github_message(response, session.token)}".rstrip()
    if response.status in api.REDIRECTS:
        location = response.headers.get("Location", "?")
        hint = f"redirect to {location} not followed: check the repository and API URL"
    elif api.is_rate_limited(response):
        hint = "rate limited: run again later"
    else:
        hint = _HINTS.get(response.status, "")
    raise GitHubError(f"{method} {url}: {said}; {hint}" if hint else f"{method} {url}: {said}")


_HINTS = {
    401: "the token is missing, invalid or expired",
    403: (
        "the token may not write check runs (the job needs 'checks: write'; only a GitHub App's"
        " token such as the Actions GITHUB_TOKEN may, and forks' pull requests get a read-only"
        " one)"
    ),
    404: "no such commit or check run there, or the token cannot see the repository",
    422: "GitHub refused the check run (an annotation outside the commit's files, or a field)",
}


def _repo_url(target: CheckTarget) -> str:
    return f"{target.api_url}/repos/{api.quoted(target.repo)}"


def _run_url(target: CheckTarget, number: int) -> str:
    return f"{_repo_url(target)}/check-runs/{number}"


def _html_url(answer: dict[str, Any]) -> str:
    url = answer.get("html_url")
    return url if isinstance(url, str) else ""
