"""Error and safety paths of publishing (GitLab notes, check runs, annotations) that an audit
found untested: the token never reaches an error line, a bad token is refused before any
request, hostile answers end in one line, and annotations keep GitHub's limits.

The stand-ins are the loopback fakes of test_gitlab and test_github_checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reportgen.analysis.annotations import MAX_MESSAGE, MAX_TITLE, Annotation
from reportgen.cli import main
from reportgen.publish.github_api import GitHubError
from reportgen.publish.github_checks import (
    MAX_TITLE_CHARS,
    CheckRun,
    CheckTarget,
    publish_check_run,
    resolve_check_target,
)
from reportgen.publish.gitlab import GitLabError, upsert_note
from tests import loopback
from tests import test_github_checks as checks_fakes
from tests import test_gitlab as gitlab_fakes
from tests.test_github_checks import FakeChecks
from tests.test_gitlab import FakeGitLab

serve, _loopback_only = loopback.serve, loopback._loopback_only

GL_TOKEN, GH_TOKEN = gitlab_fakes.TOKEN, checks_fakes.TOKEN
REPO, SHA = checks_fakes.REPO, checks_fakes.SHA
BODY, MARKER = gitlab_fakes.BODY, gitlab_fakes.MARKER
ME = gitlab_fakes.ME
# The part of each token after its well-known prefix ("glpat-", "ghs_"): the secret.
GL_SECRET, GH_SECRET = GL_TOKEN[6:12], GH_TOKEN[4:10]


@pytest.fixture
def gitlab(serve: Callable[[Any], Any]) -> FakeGitLab:
    fake = serve(FakeGitLab())
    fake.add("a reviewer's note")
    return fake


@pytest.fixture
def checks(serve: Callable[[Any], Any]) -> FakeChecks:
    return serve(FakeChecks())


def _junit(folder: Path, failures: str = "") -> Path:
    path = folder / "junit.xml"
    path.write_text(
        '<testsuite name="s" tests="2" failures="1"><testcase classname="tests.test_a"'
        ' name="test_ok" time="0.1"/><testcase classname="tests.test_a" name="test_bad"'
        f' time="0.1"><failure message="boom">{failures}</failure></testcase></testsuite>'
    )
    return path


def _gitlab_cli(fake: FakeGitLab, folder: Path, **env: str):
    base = {
        "GITLAB_CI": "true", "CI_API_V4_URL": fake.base_url, "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "5", "GITLAB_TOKEN": GL_TOKEN, "SOURCE_DATE_EPOCH": "",
        "GITHUB_TOKEN": "", "CI_PROJECT_URL": "",
    }  # fmt: skip
    args = ["comment", "--junit", str(_junit(folder)), "--comment-id", "coverage"]
    return CliRunner().invoke(main, args, env={**base, **env})


def _check_cli(fake: FakeChecks, folder: Path, *args: str, **env: str):
    base = {
        "GITHUB_API_URL": fake.base_url, "GITHUB_REPOSITORY": REPO, "GITHUB_SHA": SHA,
        "GITHUB_TOKEN": GH_TOKEN, "GITHUB_EVENT_PATH": "", "SOURCE_DATE_EPOCH": "",
    }  # fmt: skip
    junit = _junit(folder)
    return CliRunner().invoke(main, ["check", "--junit", str(junit), *args], env={**base, **env})


def _one_error_line(result: Any) -> str:
    """The run failed as bad input does: exit 2, nothing on stdout, one line on stderr."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ")
    return line


# --- 1. the token never reaches stderr -------------------------------------------------------


def test_gitlab_token_echoed_in_an_error_body_is_redacted_on_stderr(
    gitlab: FakeGitLab, tmp_path: Path
) -> None:
    said = f"401 Unauthorized: token {GL_TOKEN} was revoked"
    gitlab.faults.append(("GET", 401, {"message": said}, (), False))
    line = _one_error_line(_gitlab_cli(gitlab, tmp_path))
    assert GL_TOKEN not in line
    assert "HTTP 401 401 Unauthorized: token *** was revoked; the token is missing" in line
    assert gitlab.ours() == {}


def test_gitlab_token_in_a_redirect_address_is_redacted_on_stderr(
    gitlab: FakeGitLab, tmp_path: Path
) -> None:
    location = f"http://elsewhere.test/login?private_token={GL_TOKEN}"
    gitlab.faults.append(("GET", 302, {}, (("Location", location),), False))
    line = _one_error_line(_gitlab_cli(gitlab, tmp_path))
    assert GL_TOKEN not in line
    assert "redirect to http://elsewhere.test/login?private_token=*** not followed" in line


@pytest.mark.parametrize("at", [175, 190])
def test_gitlab_token_cut_by_the_messages_length_limit_leaves_no_part(
    gitlab: FakeGitLab, at: int
) -> None:
    """GitLab's reason is cut to 200 characters: a token across the cut must not leave its
    first characters behind (they are part of the secret, and shorten a guess)."""
    gitlab.faults.append(("GET", 403, {"message": "x" * at + GL_TOKEN}, (), False))
    with pytest.raises(GitLabError) as caught:
        upsert_note(gitlab.target, GL_TOKEN, BODY, MARKER)
    text = str(caught.value)
    assert GL_SECRET not in text, text
    assert f"HTTP 403 {'x' * at}***; the token may not comment" in text


def test_gitlab_token_in_a_next_page_header_leaves_no_part(gitlab: FakeGitLab) -> None:
    """The header is quoted cut to 40 characters: redacted first."""
    gitlab.raw["/notes"] = (b"[]", (("X-Next-Page", "p" * 20 + GL_TOKEN),))
    with pytest.raises(GitLabError) as caught:
        upsert_note(gitlab.target, GL_TOKEN, BODY, MARKER)
    text = str(caught.value)
    assert GL_SECRET not in text, text
    assert text.endswith(f"X-Next-Page {'p' * 20 + '***'!r} is not a page number")


def test_check_run_token_echoed_in_an_error_body_is_redacted_on_stderr(
    checks: FakeChecks, tmp_path: Path
) -> None:
    checks.faults.append(("POST", 422, f"Invalid token {GH_TOKEN} in request", ()))
    line = _one_error_line(_check_cli(checks, tmp_path))
    assert GH_TOKEN not in line
    assert "HTTP 422 Invalid token *** in request; GitHub refused the check run" in line
    assert checks.runs == {}


def test_check_run_token_in_a_redirect_address_is_redacted_on_stderr(
    checks: FakeChecks, tmp_path: Path
) -> None:
    location = (("Location", f"http://elsewhere.test/?access_token={GH_TOKEN}"),)
    checks.faults.append(("GET", 301, "Moved Permanently", location))
    line = _one_error_line(_check_cli(checks, tmp_path))
    assert GH_TOKEN not in line
    assert "redirect to http://elsewhere.test/?access_token=*** not followed" in line


@pytest.mark.parametrize("at", [175, 190])
def test_check_run_token_cut_by_the_messages_length_limit_leaves_no_part(
    checks: FakeChecks, at: int
) -> None:
    checks.faults.append(("POST", 422, "x" * at + GH_TOKEN, ()))
    with pytest.raises(GitHubError) as caught:
        publish_check_run(CheckTarget(checks.base_url, REPO, SHA), GH_TOKEN, _run([]))
    text = str(caught.value)
    assert GH_SECRET not in text, text
    assert f"HTTP 422 {'x' * at}***; GitHub refused the check run" in text


# --- 2. check runs ---------------------------------------------------------------------------


def _run(annotations: list[Annotation], title: str = "Coverage 80%") -> CheckRun:
    return CheckRun("reportgen pr", title, "## Report\n", "success", tuple(annotations))


@pytest.mark.parametrize(
    "token", ["ghs_a b", "ghs_a\nb", "ghs_a\x00b", "ghs_tökén", "ghs_a\u2028b"]
)
def test_a_token_with_spaces_controls_or_non_ascii_is_refused_before_any_request(
    checks: FakeChecks, token: str
) -> None:
    with pytest.raises(GitHubError) as caught:
        publish_check_run(CheckTarget(checks.base_url, REPO, SHA), token, _run([]))
    assert str(caught.value) == "the GitHub token holds spaces, control or non-ASCII characters"
    assert checks.requests == []


def test_check_with_a_bad_token_is_one_line_and_sends_nothing(
    checks: FakeChecks, tmp_path: Path
) -> None:
    line = _one_error_line(_check_cli(checks, tmp_path, GITHUB_TOKEN="ghs_with space"))
    assert line == "Error: the GitHub token holds spaces, control or non-ASCII characters"
    assert "with space" not in line and checks.requests == []


@pytest.mark.parametrize(
    "env",
    [
        {"GITHUB_SHA": ""},
        {"GITHUB_SHA": "", "GITHUB_EVENT_PATH": "push.json"},  # an event with no pull request
    ],
)
def test_check_without_a_commit_is_one_line(
    checks: FakeChecks, tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "push.json").write_text(json.dumps({"ref": "refs/heads/main"}))
    line = _one_error_line(_check_cli(checks, tmp_path, **env))
    assert line == "Error: no commit: pass --sha SHA or set GITHUB_SHA"
    assert checks.requests == []


def test_no_commit_known_from_the_environment() -> None:
    with pytest.raises(GitHubError, match=r"^no commit: pass --sha SHA or set GITHUB_SHA$"):
        resolve_check_target({"GITHUB_REPOSITORY": REPO}, None, None)


class AnnotationsAnswer(FakeChecks):
    """A stand-in whose listing of a run's annotations answers ``listing`` verbatim."""

    listing: bytes = b"{}"

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple:
        if method == "GET" and target.split("?")[0].endswith("/annotations"):
            with self.lock:
                self.requests.append(checks_fakes.Recorded(method, target, {}, None))
            return 200, (), self.listing
        return super().handle(method, target, headers, raw)


@pytest.mark.parametrize(
    "listing", [b'{"annotations": []}', b'"none"', b"7", b"null", b'{"message": "x"}']
)
def test_an_annotations_answer_that_is_not_a_list_is_one_line(
    serve: Callable[[Any], Any], listing: bytes
) -> None:
    fake = serve(AnnotationsAnswer())
    target = CheckTarget(fake.base_url, REPO, SHA)
    first = publish_check_run(target, GH_TOKEN, _run([checks_fakes._annotation(1)]))
    fake.listing = listing
    with pytest.raises(GitHubError) as caught:
        publish_check_run(target, GH_TOKEN, _run([checks_fakes._annotation(1)]))
    assert str(caught.value) == (
        f"GET {fake.base_url}/repos/{REPO}/check-runs/{first.check_run_id}/annotations"
        "?per_page=100: the answer is not a list of annotations"
    )
    # Nothing was written after the refusal: the run is as the first publish left it.
    assert [r.method for r in fake.requests].count("PATCH") == 0
    assert len(fake.runs) == 1


def test_the_check_runs_title_is_cut_to_githubs_limit(checks: FakeChecks) -> None:
    title = "Coverage " + "9" * 400
    publish_check_run(CheckTarget(checks.base_url, REPO, SHA), GH_TOKEN, _run([], title))
    stored = checks.runs[4001]["output"]["title"]
    assert len(stored) == MAX_TITLE_CHARS == 255
    assert stored == title[:255]


# --- annotations: partial branches, and GitHub's limits ---------------------------------------

PARTIAL_SOURCE = "def f(x):\n    if x:\n        x = 2\n    return x\n"
PARTIAL_DIFF = (
    "diff --git a/pkg/m.py b/pkg/m.py\nnew file mode 100644\n--- /dev/null\n+++ b/pkg/m.py\n"
    "@@ -0,0 +1,4 @@\n" + "".join(f"+{line}\n" for line in PARTIAL_SOURCE.splitlines())
)


def _branch_report() -> dict[str, Any]:
    """coverage.py's JSON for PARTIAL_SOURCE run with f(1): every line ran, 2->4 never."""
    summary = {
        "covered_lines": 4, "num_statements": 4, "percent_covered": 83.33333333333333,
        "percent_covered_display": "83", "missing_lines": 0, "excluded_lines": 0,
        "num_branches": 2, "num_partial_branches": 1, "covered_branches": 1,
        "missing_branches": 1,
    }  # fmt: skip
    return {
        "meta": {"format": 3, "version": "7.6.1", "timestamp": "2000-01-01T00:00:00.000000",
                 "branch_coverage": True, "show_contexts": False},
        "files": {"pkg/m.py": {
            "executed_lines": [1, 2, 3, 4], "summary": summary, "missing_lines": [],
            "excluded_lines": [], "executed_branches": [[2, 3]], "missing_branches": [[2, 4]],
        }},
        "totals": summary,
    }  # fmt: skip


def test_a_partial_branch_on_a_changed_line_is_one_warning_naming_the_branch(
    checks: FakeChecks, tmp_path: Path
) -> None:
    (tmp_path / "after.json").write_text(json.dumps(_branch_report()))
    (tmp_path / "c.diff").write_text(PARTIAL_DIFF)
    result = _check_cli(
        checks, tmp_path, "--after", str(tmp_path / "after.json"), "--diff",
        str(tmp_path / "c.diff"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The failing test's text names no place: only the branch is annotated.
    assert result.stdout.endswith("(1 annotations sent)\n")
    (partial,) = checks.annotations[4001]
    assert {k: v for k, v in partial.items() if k != "blob_href"} == {
        "path": "pkg/m.py",
        "start_line": 2,
        "end_line": 2,
        "annotation_level": "warning",
        "title": "Partial branch",
        "message": "Changed line 2: the branch 2->4 was never taken by the tests.",
    }


def test_a_failing_tests_title_and_message_are_cut_to_the_limits(
    checks: FakeChecks, tmp_path: Path
) -> None:
    """A long test id and failure message reach the run cut to GitHub's title limit and to
    the message's own, each ending in an ellipsis."""
    name = "test_" + "n" * 400
    message = "m" * 10_000
    (tmp_path / "tests").mkdir()
    (tmp_path / "junit.xml").write_text(
        f'<testsuite name="s" tests="1" failures="1"><testcase classname="tests.test_a"'
        f' name="{name}" file="tests/test_a.py" time="0.1"><failure message="{message}">'
        f"tests/test_a.py:12: AssertionError</failure></testcase></testsuite>"
    )
    env = {
        "GITHUB_API_URL": checks.base_url, "GITHUB_REPOSITORY": REPO, "GITHUB_SHA": SHA,
        "GITHUB_TOKEN": GH_TOKEN, "GITHUB_EVENT_PATH": "", "SOURCE_DATE_EPOCH": "",
    }  # fmt: skip
    result = CliRunner().invoke(main, ["check", "--junit", str(tmp_path / "junit.xml")], env=env)
    assert result.exit_code == 0, result.output
    (annotation,) = checks.annotations[4001]
    title, text = annotation["title"], annotation["message"]
    assert (len(title), len(text)) == (MAX_TITLE, MAX_MESSAGE) == (255, 4096)
    expected_title = f"Test failed: tests.test_a::{name}"
    assert title == expected_title[:254] + "…"
    assert text.endswith("…") and set(text[:-1]) <= {"m"}
    assert (annotation["path"], annotation["start_line"]) == ("tests/test_a.py", 12)


# --- 3. GitLab --------------------------------------------------------------------------------


def test_a_note_is_ours_only_when_its_first_line_is_the_marker(gitlab: FakeGitLab) -> None:
    """Our own notes that carry the marker anywhere but on the first line are not the report:
    a new note is created and they are left as they were."""
    bodies = [
        f"Quoting the bot:\n{BODY}",  # marker on a later line
        f"> {MARKER}\n",  # quoted on the first line
        f"{MARKER} and more text\n",  # marker followed by text
        f"{MARKER[:-1]}\n",  # a cut marker
    ]
    numbers = [gitlab.add(body, author=ME) for body in bodies]
    result = upsert_note(gitlab.target, GL_TOKEN, BODY, MARKER)
    assert result.action == "created" and result.note_id not in numbers
    assert [gitlab.notes[n]["body"] for n in numbers] == bodies
    # The note we created carries the marker alone on its first line: found and edited.
    again = upsert_note(gitlab.target, GL_TOKEN, BODY + "more\n", MARKER)
    assert (again.action, again.note_id) == ("updated", result.note_id)


@pytest.mark.parametrize("token", ["", "   ", "\t\n"])
def test_an_empty_or_blank_gitlab_token_is_refused_before_any_request(
    gitlab: FakeGitLab, token: str
) -> None:
    with pytest.raises(GitLabError) as caught:
        upsert_note(gitlab.target, token, BODY, MARKER)
    assert str(caught.value) == "no GitLab token: the token is empty"
    assert gitlab.requests == []


@pytest.mark.parametrize("token", ["glpat-a b", "glpat-a\x1bb", "glpat-ä"])
def test_a_gitlab_token_with_spaces_controls_or_non_ascii_is_refused(
    gitlab: FakeGitLab, token: str
) -> None:
    with pytest.raises(GitLabError) as caught:
        upsert_note(gitlab.target, token, BODY, MARKER)
    assert str(caught.value) == "the GitLab token holds spaces, control or non-ASCII characters"
    assert gitlab.requests == []


def test_a_blank_gitlab_token_from_the_environment_is_one_line(
    gitlab: FakeGitLab, tmp_path: Path
) -> None:
    line = _one_error_line(_gitlab_cli(gitlab, tmp_path, GITLAB_TOKEN="  "))
    assert line == "Error: no token: set GITLAB_TOKEN (or name another variable with --token-env)"
    assert gitlab.requests == []


class TrueAuthor(FakeGitLab):
    """GitLab as a broken proxy might answer: the token's user is id 1, and a marked note's
    author id is JSON ``true`` (which Python's ``==`` takes for 1)."""

    def _route(self, method: str, path: str, query: dict, body: Any) -> tuple:
        if path == f"{self.prefix}/user" and method == "GET":
            return 200, (), {"id": 1, "username": "root"}
        number = path.rsplit("/", 1)[-1]
        if method == "PUT" and number.isdigit():
            note = self.notes[int(number)]
            if type(note["author"]["id"]) is not int or note["author"]["id"] != 1:
                return 403, (), {"message": "403 Forbidden"}
            note["body"] = body["body"]
            return 200, (), note
        return super()._route(method, path, query, body)


def test_an_author_id_of_true_is_not_user_1(serve: Callable[[Any], Any]) -> None:
    fake = serve(TrueAuthor())
    forged = fake.add(BODY.replace("81%", "0%"))
    fake.notes[forged]["author"]["id"] = True
    result = upsert_note(fake.target, GL_TOKEN, BODY, MARKER)
    assert result.action == "created" and result.note_id != forged
    assert fake.notes[forged]["body"] == BODY.replace("81%", "0%")
    assert "PUT" not in fake.calls()


def test_an_author_id_of_1_is_user_1(serve: Callable[[Any], Any]) -> None:
    """The same note with the number 1 is the token's own: the check above is not vacuous."""
    fake = serve(TrueAuthor())
    own = fake.add(BODY.replace("81%", "0%"))
    fake.notes[own]["author"]["id"] = 1
    result = upsert_note(fake.target, GL_TOKEN, BODY, MARKER)
    assert (result.action, result.note_id) == ("updated", own)


def test_comment_token_cut_by_the_messages_length_limit_leaves_no_part(
    serve: Callable[[Any], Any],
) -> None:
    """The pull-request comment shares GitHub's reason: redacted before it is cut too."""
    from tests import test_github as comment_fakes

    fake = serve(comment_fakes.FakeGitHub())
    token = comment_fakes.TOKEN
    fake.faults.append(comment_fakes.Fault("GET", 404, "x" * 185 + token))
    with pytest.raises(GitHubError) as caught:
        comment_fakes._upsert(fake)
    text = str(caught.value)
    assert token[4:10] not in text, text
    assert f"HTTP 404 {'x' * 185}***; no pull request" in text


# --- further error paths no test reached ------------------------------------------------------


@pytest.fixture
def closed_port() -> Iterator[str]:
    """An address on this machine where nothing listens (bound, never listening)."""
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{holder.getsockname()[1]}"


def test_an_empty_github_token_is_refused_before_any_request(checks: FakeChecks) -> None:
    with pytest.raises(GitHubError, match=r"^no GitHub token: the token is empty$"):
        publish_check_run(CheckTarget(checks.base_url, REPO, SHA), " \n", _run([]))
    assert checks.requests == []


def test_check_run_without_an_answer_is_one_line_after_its_retries(closed_port: str) -> None:
    waits: list[float] = []
    target = CheckTarget(closed_port, REPO, SHA)
    with pytest.raises(GitHubError) as caught:
        publish_check_run(target, GH_TOKEN, _run([]), sleep=waits.append, max_retries=2)
    text = str(caught.value)
    assert text.startswith(f"GET {target.api_url}/repos/{REPO}/commits/{SHA}/check-runs?")
    assert ": no answer (" in text and "\n" not in text
    assert waits == [1.0, 2.0]  # the read was tried three times


def test_check_run_rate_limited_past_its_retries_says_so(checks: FakeChecks) -> None:
    waits: list[float] = []
    for _ in range(3):
        checks.faults.append(("GET", 429, "API rate limit exceeded", (("Retry-After", "1"),)))
    with pytest.raises(GitHubError) as caught:
        publish_check_run(
            CheckTarget(checks.base_url, REPO, SHA), GH_TOKEN, _run([]), sleep=waits.append,
            max_retries=2,
        )  # fmt: skip
    assert str(caught.value).endswith(
        ": HTTP 429 API rate limit exceeded; rate limited: run again later"
    )
    assert waits == [1.0, 1.0] and checks.runs == {}


def test_check_run_listing_more_pages_than_read_is_refused(
    checks: FakeChecks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run with more annotation pages than the reader follows is not edited on a guess."""
    from reportgen.publish import github_checks

    target = CheckTarget(checks.base_url, REPO, SHA)
    publish_check_run(target, GH_TOKEN, _run([checks_fakes._annotation(n) for n in range(1, 151)]))
    monkeypatch.setattr(github_checks, "MAX_PAGES", 1)
    with pytest.raises(GitHubError) as caught:
        publish_check_run(target, GH_TOKEN, _run([checks_fakes._annotation(1)]))
    assert str(caught.value) == (
        f"GET {checks.base_url}/repos/{REPO}/check-runs/4001/annotations?per_page=100:"
        " more than 1 pages; not read to the end"
    )
    assert len(checks.runs) == 1 and len(checks.annotations[4001]) == 150


def test_a_note_not_starting_with_its_marker_is_refused_before_any_request(
    gitlab: FakeGitLab,
) -> None:
    with pytest.raises(GitLabError) as caught:
        upsert_note(gitlab.target, GL_TOKEN, "## Coverage\n" + BODY, MARKER)
    assert str(caught.value) == (
        f"the note must start with its marker {MARKER} on a line of its own"
    )
    assert gitlab.requests == []


def test_more_notes_than_read_adds_none(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Our note may be on a page not read: no second one is added on a guess."""
    from reportgen.publish import gitlab as module

    for n in range(130):
        gitlab.add(f"note {n}")
    monkeypatch.setattr(module, "MAX_PAGES", 1)
    with pytest.raises(GitLabError) as caught:
        upsert_note(gitlab.target, GL_TOKEN, BODY, MARKER)
    assert str(caught.value) == (
        "merge request !5 has more than 100 notes; not adding another without reading them all"
    )
    assert "POST" not in gitlab.calls()


def test_gitlab_without_an_answer_is_one_line_after_its_retries(closed_port: str) -> None:
    waits: list[float] = []
    target = gitlab_fakes.MergeRequestTarget(f"{closed_port}/api/v4", "42", 5)
    with pytest.raises(GitLabError) as caught:
        upsert_note(target, GL_TOKEN, BODY, MARKER, sleep=waits.append, max_retries=2)
    text = str(caught.value)
    assert text.startswith(f"GET {target.api_url}/user: no answer (")
    assert "\n" not in text and waits == [1.0, 2.0]


def test_gitlab_rate_limited_past_its_retries_says_so(gitlab: FakeGitLab) -> None:
    waits: list[float] = []
    for _ in range(3):
        gitlab.faults.append(
            ("GET", 429, {"message": "Retry later"}, (("Retry-After", "1"),), False)
        )
    with pytest.raises(GitLabError) as caught:
        upsert_note(gitlab.target, GL_TOKEN, BODY, MARKER, sleep=waits.append, max_retries=2)
    assert str(caught.value) == (
        f"GET {gitlab.base_url}/user: HTTP 429 Retry later; rate limited: run again later"
    )
    assert waits == [1.0, 1.0]


def test_a_gitlab_error_that_is_not_json_gives_the_http_reason(gitlab: FakeGitLab) -> None:
    gitlab.faults.append(("GET", 403, b"<html><body>Forbidden\n</body></html>", (), False))
    with pytest.raises(GitLabError) as caught:
        upsert_note(gitlab.target, GL_TOKEN, BODY, MARKER)
    assert str(caught.value) == (
        f"GET {gitlab.base_url}/user: HTTP 403 Forbidden; the token may not comment on merge"
        " request !5 (it needs the 'api' scope and at least the Reporter role)"
    )


def test_a_gitlab_answer_over_the_size_limit_is_one_line(
    gitlab: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reportgen.publish import github_api

    monkeypatch.setattr(github_api, "MAX_RESPONSE_BYTES", 64)
    with pytest.raises(GitLabError) as caught:
        upsert_note(gitlab.target, GL_TOKEN, BODY, MARKER)
    assert str(caught.value) == (
        f"{gitlab.base_url}/projects/42/merge_requests/5/notes?per_page=100&sort=asc"
        "&order_by=created_at&page=1: answer larger than 64 bytes"
    )
    assert "POST" not in gitlab.calls()


def test_a_users_answer_without_a_login_is_one_line(serve: Callable[[Any], Any]) -> None:
    from tests import test_github as comment_fakes

    # A user token's account answers with an empty login; a marked comment asks whose it is.
    fake = serve(comment_fakes.FakeGitHub(viewer=""))
    fake.seed([comment_fakes.BODY])
    with pytest.raises(GitHubError) as caught:
        comment_fakes.upsert_comment(
            fake.target, comment_fakes.TOKEN, comment_fakes.BODY + "new\n", comment_fakes.MARKER
        )
    assert str(caught.value) == f"GET {fake.base_url}/user: the answer names no login"
    assert "POST" not in fake.calls()
