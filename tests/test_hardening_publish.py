"""Hostile pull requests against `reportgen comment`: copied markers, other bots' comments, and
GitHub answers no client expects. GitHub is the loopback stand-in of tests/test_github.py."""

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st

from reportgen.cli import main
from reportgen.outputs.escape import md_code, md_prose, md_prose_line, md_text
from reportgen.publish.github import GitHubError, marker_for, upsert_comment
from tests.test_github import (  # noqa: F401 -- the fixtures are used by name
    ACTIONS_BOT,
    MARKER,
    NUMBER,
    REPO,
    TOKEN,
    FakeGitHub,
    Fault,
    _loopback_only,
    serve,
)

OTHER_APP = {"login": "other-app[bot]", "type": "Bot"}


@pytest.fixture
def fake(serve: Callable[[FakeGitHub], FakeGitHub]) -> FakeGitHub:  # noqa: F811
    return serve(FakeGitHub())


def _comment_cli(fake: FakeGitHub, *args: str, **env: str) -> Result:
    base = {"GITHUB_API_URL": fake.base_url, "GITHUB_TOKEN": TOKEN, "GITHUB_EVENT_PATH": ""}
    full = ["comment", "--repo", REPO, "--pr", str(NUMBER), "--exit-zero", *args]
    return CliRunner().invoke(main, full, env={**base, **env})


# --- item 1: a marker quoted in untrusted text ---------------------------------------------


def _junit_naming(tmp_path: Path, text: str) -> Path:
    """A failing test whose id and message carry ``text`` (XML-escaped)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    path = tmp_path / "junit.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<testsuite name="s" tests="1" failures="1">\n'
        f'<testcase classname="tests.test_a" name="test_x[{escaped}]">'
        f'<failure message="boom {escaped}">tb</failure></testcase>\n</testsuite>\n',
        encoding="utf-8",
    )
    return path


def test_a_test_id_carrying_another_reports_marker_does_not_capture_it(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    """Report A quotes `<!-- reportgen:victim -->` from a test id; the victim's run then
    creates its own comment instead of editing A's."""
    junit = _junit_naming(tmp_path, "x <!-- reportgen:victim -->")

    first = _comment_cli(fake, "--junit", str(junit), "--comment-id", "A")
    assert first.exit_code == 0, first.stderr
    ((a_id, a_body),) = fake.comments.items()
    assert a_body.startswith(marker_for("A") + "\n")
    # The quoted text is still there, readable, but opens no HTML comment anywhere.
    assert "x <!\u200d-- reportgen:victim -->" in a_body
    assert a_body.count("<!--") == 1

    second = _comment_cli(fake, "--junit", str(junit), "--comment-id", "victim")
    assert second.exit_code == 0, second.stderr
    assert second.stdout.startswith("created comment ")
    assert fake.comments[a_id] == a_body
    assert "PATCH" not in fake.calls()
    (victim_body,) = (body for number, body in fake.comments.items() if number != a_id)
    assert victim_body.startswith(marker_for("victim") + "\n")


def test_a_marker_below_the_first_line_is_not_recognised(fake: FakeGitHub) -> None:
    """Even unescaped (a custom template, an older version), a marker inside the body of the
    token's own comment does not make it that report's comment."""
    fake.seed([f"{marker_for('A')}\n| `<!-- reportgen:coverage -->` | 1 |\n"])

    result = upsert_comment(fake.target, TOKEN, f"{MARKER}\nnew\n", MARKER, bot_login=ACTIONS_BOT)

    assert (result.action, result.comment_id) == ("created", 1002)
    assert fake.comments[1001] == f"{marker_for('A')}\n| `<!-- reportgen:coverage -->` | 1 |\n"


def test_own_comment_with_crlf_line_ends_is_still_recognised(fake: FakeGitHub) -> None:
    """GitHub's editor turns line ends into CRLF: the first line still counts as the marker."""
    fake.seed([f"{MARKER}\r\nold\r\n"])

    result = upsert_comment(fake.target, TOKEN, f"{MARKER}\nnew\n", MARKER, bot_login=ACTIONS_BOT)

    assert (result.action, result.comment_id) == ("updated", 1001)
    assert fake.comments[1001] == f"{MARKER}\nnew\n"


@pytest.mark.parametrize(
    "body",
    [f"## Coverage\n{MARKER}\n", f"{MARKER} ## Coverage\n", f"  {MARKER}\nx\n"],
    ids=["second-line", "same-line-as-text", "indented"],
)
def test_a_body_not_starting_with_its_marker_is_refused(fake: FakeGitHub, body: str) -> None:
    """A body the next run could not recognise (a template moving the marker) never leaves."""
    with pytest.raises(GitHubError, match="must start with its marker .* on a line of its own"):
        upsert_comment(fake.target, TOKEN, body, MARKER, bot_login=ACTIONS_BOT)

    assert fake.requests == []


_PIECES = ["<!--", "<", "!", "-", "`", "``", "\\", "|", " ", "a", "\n", "\u200d"]
_HOSTILE = st.lists(st.sampled_from(_PIECES)).map("".join)


@given(_HOSTILE)
def test_markdown_escapers_never_emit_an_html_comment_opening(text: str) -> None:
    """No escaper used in a Markdown output lets "<!--" through, code spans included."""
    for escaped in (md_text(text), md_code(text), md_prose(text), md_prose_line(text)):
        assert "<!--" not in escaped


@pytest.mark.parametrize(
    ("escaper", "text", "expected"),
    [
        (md_code, "x <!-- reportgen:v -->", "`x <!\u200d-- reportgen:v -->`"),
        (md_text, "a <!-- b", "a \\<!\u200d-- b"),
        (
            md_prose,
            "see `<!-- x -->` and <!-- y -->",
            "see `<!\u200d-- x -->` and \\<!\u200d-- y -->",
        ),
    ],
)
def test_comment_openings_are_broken_visibly_unchanged(
    escaper: Callable[[str], str], text: str, expected: str
) -> None:
    """The text reads as before; only a zero-width joiner sits between "<!" and "--"."""
    assert escaper(text) == expected


# --- item 3: which bot is the token --------------------------------------------------------


def test_actions_token_without_a_bot_login_does_not_edit_another_bots_comment(
    fake: FakeGitHub,
) -> None:
    """GET /user refused and no bot named: a marked comment by some bot is not taken for ours."""
    fake.seed([f"{MARKER}\nanother app's comment"])
    fake.authors[1001] = OTHER_APP

    with pytest.raises(GitHubError) as caught:
        upsert_comment(fake.target, TOKEN, f"{MARKER}\nours\n", MARKER, sleep=pytest.fail)

    assert str(caught.value).startswith(f"GET {fake.base_url}/user: HTTP 403")
    assert "--bot-login" in str(caught.value) and "\n" not in str(caught.value)
    assert fake.calls() == ["GET", "GET"]
    assert fake.comments == {1001: f"{MARKER}\nanother app's comment"}


def test_actions_token_edits_only_its_own_bots_comment(fake: FakeGitHub) -> None:
    """With the bot named, another app's and a quoting bot's marked comments are left alone."""
    fake.seed([f"{MARKER}\nanother app's comment", f"{MARKER}\nreportgen's comment"])
    fake.authors[1001] = OTHER_APP

    result = upsert_comment(fake.target, TOKEN, f"{MARKER}\nnew\n", MARKER, bot_login=ACTIONS_BOT)

    assert (result.action, result.comment_id) == ("updated", 1002)
    assert fake.comments == {1001: f"{MARKER}\nanother app's comment", 1002: f"{MARKER}\nnew\n"}


def test_actions_token_creates_when_only_people_carry_the_marker(fake: FakeGitHub) -> None:
    """A token that cannot read GET /user writes as a bot, so a person's marked comment is
    never ours: the first run creates its comment without needing the bot's name."""
    fake.seed([f"{MARKER}\ncopied by a person"])
    fake.authors[1001] = {"login": "mallory", "type": "User"}

    result = upsert_comment(fake.target, TOKEN, f"{MARKER}\nnew\n", MARKER)

    assert (result.action, result.comment_id) == ("created", 1002)
    assert fake.comments[1001] == f"{MARKER}\ncopied by a person"


def test_user_token_ignores_a_comment_that_names_no_author(fake: FakeGitHub) -> None:
    """With GET /user answering, only that login's comments count; one without a user is not."""
    fake.viewer = "octo-user"
    fake.seed([f"{MARKER}\nno author", f"{MARKER}\nmine"])
    fake.authors[1001] = {}

    result = upsert_comment(fake.target, TOKEN, f"{MARKER}\nnew\n", MARKER)

    assert (result.action, result.comment_id) == ("updated", 1002)
    assert fake.comments[1001] == f"{MARKER}\nno author"


def test_reportgen_comment_takes_the_bot_from_the_environment(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    """REPORTGEN_BOT_LOGIN (what action.yml sets for the workflow's token) picks the comment."""
    junit = _junit_naming(tmp_path, "plain")
    fake.seed([f"{MARKER}\nanother app's comment", f"{MARKER}\nreportgen's comment"])
    fake.authors[1001] = OTHER_APP

    result = _comment_cli(
        fake, "--junit", str(junit), "--comment-id", "coverage", REPORTGEN_BOT_LOGIN=ACTIONS_BOT
    )

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("updated comment https://github.test/")
    assert result.stdout.endswith("#issuecomment-1002\n")
    assert fake.comments[1001] == f"{MARKER}\nanother app's comment"


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--bot-login", "mallory"], {}, "--bot-login 'mallory': not a bot's login"),
        ([], {"REPORTGEN_BOT_LOGIN": "x y[bot]"}, "REPORTGEN_BOT_LOGIN 'x y[bot]': not a bot's"),
    ],
)
def test_reportgen_comment_refuses_a_bot_login_that_is_not_one(
    fake: FakeGitHub, tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    """A person's login or a malformed one is refused up front: exit 2, one line, no request."""
    junit = _junit_naming(tmp_path, "plain")

    result = _comment_cli(fake, "--junit", str(junit), *args, **env)

    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {expected}")
    assert len(result.stderr.splitlines()) == 1
    assert fake.requests == []


# --- item 7: names that would start a workflow command -------------------------------------


def _no_workflow_command(text: str) -> bool:
    return not any(line.lstrip().startswith("::") for line in text.splitlines())


def test_an_invalid_file_named_like_a_workflow_command_is_one_escaped_line(
    tmp_path: Path,
) -> None:
    """A coverage file named "a<newline>::warning::x.json" that is not JSON: exit 2, one line
    on stderr naming it with a visible "\\n", and nothing written."""
    hostile = tmp_path / "a\n::warning::x.json"
    hostile.write_text("{not json", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()

    result = CliRunner().invoke(
        main, ["step", "--after", str(hostile), "--format", "md", "--out", f"{out}/"]
    )

    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'a'}\\n::warning::x.json: ")
    assert _no_workflow_command(result.stderr) and result.stdout == ""
    assert list(out.iterdir()) == []


def test_index_names_a_skipped_summary_on_one_escaped_line(tmp_path: Path) -> None:
    """`index` names a summary it skips; a newline or escape in that name is shown, not kept."""
    (tmp_path / "s\n::error::x\x1b[2J.json").write_text('{"schema": 2}', encoding="utf-8")

    result = CliRunner().invoke(main, ["index", str(tmp_path)])

    assert result.exit_code == 0, result.stderr
    skipped = f"{tmp_path / 's'}\\n::error::x\\x1b[2J.json: skipped, not a reportgen summary"
    assert any(line.startswith(skipped) for line in result.stdout.splitlines())
    assert _no_workflow_command(result.stdout) and "\x1b" not in result.stdout


def test_comment_prints_an_address_from_github_on_one_line(
    fake: FakeGitHub, tmp_path: Path
) -> None:
    """The comment's address comes from GitHub's answer: a newline in it cannot start a line."""
    junit = _junit_naming(tmp_path, "plain")
    url = "https://github.test/x\n::warning::pwned"
    created = f'{{"id": 5, "html_url": "{url}", "body": "", "user": null}}'.replace("\n", "\\n")
    fake.faults.append(Fault("POST", 201, raw=created.encode()))

    result = _comment_cli(fake, "--junit", str(junit), REPORTGEN_BOT_LOGIN=ACTIONS_BOT)

    assert result.exit_code == 0, result.stderr
    assert result.stdout == "created comment https://github.test/x\\n::warning::pwned\n"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a\r\n::x\t", "a\\r\\n::x\\t"),
        ("\x00\x1b[31m\x7f\x85\x9f", "\\x00\\x1b[31m\\x7f\\x85\\x9f"),
        ("p\u2028q\u2029r", "p\\u2028q\\u2029r"),
        ("\u202eevil\u2066\u2069\u200f\u061c", "\\u202eevil\\u2066\\u2069\\u200f\\u061c"),
        ("bytes \udcff", "bytes \\udcff"),
        ("ok: ünï — 日本 \\n stays", "ok: ünï — 日本 \\n stays"),
    ],
    ids=["c0-newlines", "c0-c1-del", "separators", "bidi", "surrogate", "printable-unchanged"],
)
def test_printable_escapes_what_could_break_or_reorder_a_line(line: str, expected: str) -> None:
    """Control, separator, bidi and surrogate characters become visible escapes; text stays."""
    from reportgen.cli import printable

    assert printable(line) == expected


# --- item 9: answers that once crashed the client ------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        pytest.param(Fault("GET", 200, raw=DEEP), "HTTP 200 answer is not JSON", id="list"),
        pytest.param(
            Fault("GET", 404, raw=b'{"message": ' + DEEP + b"}"),
            "HTTP 404 Not Found; no pull request octo/widgets#7 there",
            id="error-message",
        ),
    ],
)
def test_deeply_nested_json_from_github_is_one_error_line(
    fake: FakeGitHub, tmp_path: Path, fault: Fault, expected: str
) -> None:
    """JSON nested past Python's recursion limit is an answer that is not JSON: exit 2, one line."""
    fake.faults.append(fault)

    result = _comment_cli(fake, "--junit", str(_junit_naming(tmp_path, "plain")))

    assert result.exit_code == 2, result.exception
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: GET {fake.base_url}/repos/{REPO}/issues/7/comments")
    assert expected in line
    assert fake.comments == {}


def test_deeply_nested_event_payload_is_one_error_line(tmp_path: Path) -> None:
    """The GITHUB_EVENT_PATH payload nested too deep to read is named as not JSON."""
    from reportgen.publish.github import resolve_target

    event = tmp_path / "event.json"
    event.write_bytes(b'{"pull_request": ' + DEEP + b"}")

    with pytest.raises(GitHubError, match=f"^{event}: the GitHub event payload is not JSON"):
        resolve_target({"GITHUB_REPOSITORY": REPO, "GITHUB_EVENT_PATH": str(event)}, None, None)


_SECONDARY = "You have exceeded a secondary rate limit"


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param((("Retry-After", "²"),), id="superscript-retry-after"),
        pytest.param(
            (("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "¹²")),
            id="superscript-reset",
        ),
    ],
)
def test_a_wait_not_in_ascii_digits_is_absent(
    fake: FakeGitHub, headers: tuple[tuple[str, str], ...]
) -> None:
    """Only ASCII digits are seconds: Unicode digits, which str.isdigit takes and int() or
    float() refuse, leave the wait GitHub's default for a secondary limit (60 s)."""
    fake.faults.append(Fault("POST", 403, _SECONDARY, headers))
    sleeps: list[float] = []

    result = upsert_comment(
        fake.target, TOKEN, f"{MARKER}\nx\n", MARKER, sleep=sleeps.append, bot_login=ACTIONS_BOT
    )

    assert result.action == "created"
    assert sleeps == [60.0]
    assert fake.calls() == ["GET", "POST", "POST"]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param((("Retry-After", "9" * 5000),), id="retry-after"),
        pytest.param(
            (("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "9" * 5000)),
            id="reset",
        ),
    ],
)
def test_a_wait_of_5000_digits_is_refused_as_too_long(
    fake: FakeGitHub, headers: tuple[tuple[str, str], ...]
) -> None:
    """A number past int()'s 4300-digit limit is a very long wait: refused in one line."""
    fake.faults.append(Fault("POST", 403, _SECONDARY, headers))

    with pytest.raises(GitHubError, match=r"^HTTP 403 rate limited: GitHub asks to wait \d{12} s"):
        upsert_comment(
            fake.target, TOKEN, f"{MARKER}\nx\n", MARKER, sleep=pytest.fail, bot_login=ACTIONS_BOT
        )

    assert fake.calls() == ["GET", "POST"]


def test_a_primary_limit_with_an_unreadable_reset_is_one_error_line(fake: FakeGitHub) -> None:
    """`x-ratelimit-reset: ¹²` on an exhausted primary limit: no wait can be computed, so the
    run stops at once with the rate-limit message instead of a traceback."""
    headers = (("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "¹²"))
    fake.faults.append(Fault("GET", 403, "API rate limit exceeded", headers))

    with pytest.raises(GitHubError) as caught:
        upsert_comment(fake.target, TOKEN, f"{MARKER}\nx\n", MARKER, sleep=pytest.fail)

    assert str(caught.value).endswith(
        "HTTP 403 API rate limit exceeded; rate limited: run again later"
    )


@pytest.mark.parametrize(
    "link",
    [
        '<http://[::1/next>; rel="next"',
        '<http://127.0.0.1:port/next>; rel="next"',
    ],
    ids=["bad-ipv6", "bad-port"],
)
def test_a_next_page_address_that_is_not_a_url_is_one_error_line(
    fake: FakeGitHub, link: str
) -> None:
    """A Link header whose next address cannot be parsed ends the run with a clear message."""
    fake.faults.append(Fault("GET", 200, raw=b"[]", headers=(("Link", link),)))

    with pytest.raises(GitHubError) as caught:
        upsert_comment(fake.target, TOKEN, f"{MARKER}\nx\n", MARKER, sleep=pytest.fail)

    assert str(caught.value).startswith(f"GET {fake.base_url}/repos/{REPO}/issues/7/comments")
    assert "the Link header's next page is not a URL" in str(caught.value)
    assert fake.calls() == ["GET"]


def test_a_pull_request_number_past_ints_digit_limit_is_no_number() -> None:
    """GITHUB_REF refs/pull/<5000 digits>/merge names no pull request; int() would crash."""
    from reportgen.publish.github import resolve_target

    env = {"GITHUB_REPOSITORY": REPO, "GITHUB_REF": f"refs/pull/{'1' * 5000}/merge"}

    with pytest.raises(GitHubError, match="^no pull request number: pass --pr N"):
        resolve_target(env, None, None)
