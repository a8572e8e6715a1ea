"""The command line: the only code that reads argv, the environment and the clock,
opens files and exits. Heavy modules are imported inside the commands so that
`reportgen --help` stays fast.
"""

from __future__ import annotations

import functools
import gc
import math
import os
import re
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reportgen import __version__
from reportgen.errors import ReportgenError

# Exit statuses are API: 1 only ever means "a criterion failed", 3 a bug in reportgen.
EXIT_OK, EXIT_CRITERIA, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
FORMAT_NAMES = ("md", "html", "json", "github", "badge")


# A file name or an answer from GitHub may hold these: a newline would let it start a line of
# its own, which GitHub Actions runs as a workflow command ("::add-mask::..."); bidi controls
# and separators reorder or break what the reader sees; lone surrogates cannot be printed.
_UNPRINTABLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(line: str) -> str:
    """``line`` with every control, separator, bidi and surrogate character shown as an escape
    (``\\n``, ``\\x1b``, ``\\u202e``): printed, it stays one line and reads as it is."""
    return _UNPRINTABLE.sub(_escape_char, line)


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def say(line: str, err: bool = False) -> None:
    """One status line on stdout (or stderr), made printable."""
    click.echo(printable(line), err=err)


class CliError(click.ClickException):
    """A ReportgenError as Click shows it: one line on stderr, exit status 2."""

    exit_code = EXIT_USAGE

    def format_message(self) -> str:
        return printable(self.message)


class InternalError(click.ClickException):
    """An exception reportgen did not expect: a bug. One line and exit status 3, so that it
    is told apart from a failed criterion (1) and from bad input (2)."""

    exit_code = EXIT_INTERNAL

    def __init__(self, err: Exception) -> None:
        # One line, however long or many-lined the exception's text.
        problem = " ".join(str(err).split())
        if len(problem) > 300:
            problem = problem[:297] + "..."
        super().__init__(f"{type(err).__name__}: {problem}" if problem else type(err).__name__)

    def show(self, file: Any = None) -> None:
        click.echo(
            f"reportgen: internal error: {self.message}"
            " (please report this; --debug shows the traceback)",
            err=True,
        )


def reported(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our input errors into one clear line and exit status 2, and anything else into
    one line naming it as a bug and exit status 3 (`--debug` adds the traceback)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ReportgenError as err:
            raise CliError(str(err)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # Click's own, and a reader gone away (`| head`), which Click handles
        except Exception as err:
            if click.get_current_context().find_root().params.get("debug"):
                traceback.print_exc()
            raise InternalError(err) from None

    return wrapper


def text(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Option text that reaches a report must be text: Python hands bytes of argv that are not
    UTF-8 over as lone surrogates, which no output format can encode."""
    for item in value if isinstance(value, tuple) else (value,):
        if isinstance(item, str) and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise CliError(f"{param.opts[0]}: not UTF-8 text") from None
    return value


def path(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """An empty path is refused as such: it is mostly an unset variable in a script
    (`--before "$BASE"`), and would otherwise read as "no such file" or as the current folder."""
    for item in value if isinstance(value, tuple) else (value,):
        if item == "":
            name = param.opts[0] if isinstance(param, click.Option) else param.human_readable_name
            raise CliError(f"{name}: empty path")
    return value


def revision(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A git revision as text; an empty one is refused (an unset variable, not "no diff")."""
    value = text(ctx, param, value)
    if value == "":
        raise CliError(f"{param.opts[0]}: empty revision")
    return value


def finite(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """click's FloatRange lets "nan" through: no comparison with it means anything."""
    if value is not None and not math.isfinite(value):
        raise CliError(f"{param.opts[0]}: expected a number from 0 to 100, not {value}")
    return value


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
@click.option(
    "--debug",
    is_flag=True,
    envvar="REPORTGEN_DEBUG",
    help="Show the traceback of an internal error.",
)
def main(debug: bool) -> None:
    """Milestone reports from coverage.py snapshots and JUnit results."""


def step_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options `step` and `comment` share."""
    options = [
        click.option(
            "--before",
            multiple=True,
            callback=path,
            metavar="PATH",
            help="Coverage before the change: JSON, data file, Cobertura, LCOV (repeatable, glob).",
        ),
        click.option(
            "--after",
            multiple=True,
            callback=path,
            metavar="PATH",
            help="Coverage after the change: JSON, data file, Cobertura, LCOV (repeatable, glob).",
        ),
        click.option(
            "--junit",
            multiple=True,
            callback=path,
            metavar="PATH",
            help="JUnit XML of the after run (repeatable, globs).",
        ),
        click.option(
            "--junit-before",
            multiple=True,
            callback=path,
            metavar="PATH",
            help="JUnit XML of the before run: enables added/removed/regressions.",
        ),
        click.option(
            "--spec",
            "spec_path",
            metavar="FILE",
            callback=path,
            help="The milestone spec (TOML).",
        ),
        click.option(
            "--target",
            "targets",
            multiple=True,
            callback=text,
            metavar="GLOB=MIN",
            help="Quick coverage target, e.g. tools/x.py=80, or a function's:"
            " tools/x.py::Config.load=90 (repeatable).",
        ),
        click.option(
            "--scope",
            "scope",
            callback=text,
            metavar="PREFIX[=MIN[-MAX]]",
            help="The overall area to report, e.g. tools/=12-15.",
        ),
        click.option(
            "--title", metavar="TEXT", callback=text, help="Report title (overrides the spec)."
        ),
        click.option(
            "--date",
            metavar="YYYY-MM-DD",
            callback=text,
            help="Report date (default: the spec's, else SOURCE_DATE_EPOCH).",
        ),
        click.option(
            "--precision",
            metavar="N",
            type=click.IntRange(0, 10),
            help="Decimals of percentages, as coverage report --precision (default 0).",
        ),
        click.option(
            "--source-root",
            metavar="DIR",
            callback=path,
            help="Where the measured sources are, to name functions for old JSON (default: .).",
        ),
        click.option(
            "--diff",
            metavar="FILE",
            callback=path,
            help="A unified diff (- for stdin): its added lines are the change's (patch) lines.",
        ),
        click.option(
            "--diff-base",
            metavar="REF",
            callback=revision,
            help="The change is `git diff REF...HEAD` in the working directory.",
        ),
        click.option(
            "--patch-min",
            metavar="PCT",
            type=click.FloatRange(0, 100),
            callback=finite,
            help="Criterion: the changed lines covered at least PCT% (needs a diff).",
        ),
        click.option(
            "--templates",
            "templates_dir",
            metavar="DIR",
            callback=path,
            help="Templates overriding the built-ins (default: reports/templates/ if present).",
        ),
        click.option(
            "--baseline",
            metavar="STORE",
            callback=path,
            help="The before side from a stored snapshot: a folder or git:BRANCH"
            " (see `reportgen baseline save`).",
        ),
        click.option(
            "--baseline-ref",
            metavar="REF",
            callback=text,
            help="With --baseline: the branch whose merge base with HEAD is the before side"
            " (default: GITHUB_BASE_REF, else origin's default branch).",
        ),
        click.option(
            "--history-runs",
            metavar="N",
            type=click.IntRange(0, 1000),
            help='With --baseline (or before = "previous"): read the tests of the newest N'
            " stored runs for flaky and slowing tests (default: the spec's, else 20; 0: none).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


exit_zero_option = click.option(
    "--exit-zero", is_flag=True, help="Exit 0 even when a criterion fails."
)


@main.command("step")
@step_options
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(FORMAT_NAMES),
    help="Output format (repeatable; default: from --out's extension, else md).",
)
@click.option(
    "--out",
    metavar="PATH",
    default="-",
    callback=path,
    show_default=True,
    help="A file, a folder (one file per format), or - for stdout.",
)
@click.option(
    "--badge",
    type=click.Choice(("coverage", "patch")),
    default="coverage",
    show_default=True,
    help="The badge's figure: total coverage, or the changed lines' (patch, needs a diff).",
)
@click.option("--force", is_flag=True, help="Replace an archived report that differs.")
@exit_zero_option
@click.option(
    "--step-summary", is_flag=True, help="Also append the github format to $GITHUB_STEP_SUMMARY."
)
@reported
def step_command(
    formats: tuple[str, ...],
    out: str,
    force: bool,
    exit_zero: bool,
    step_summary: bool,
    **options: Any,
) -> None:
    """Report one milestone step: coverage before/after, tests, criteria.

    Exit status: 0 when every automatic criterion holds, 1 when one fails (the
    report is still written), 2 for a usage or input error, 3 for an internal error.
    """
    from reportgen.commands.step import run_step

    outcome = run_step(
        options,
        formats=formats,  # none: inferred from --out's name, else md
        out=out,
        force=force,
        env=os.environ,
        step_summary=step_summary,
        stdout=sys.stdout,
    )
    for line in outcome.messages:
        # With the report on stdout, what was written is said on stderr.
        say(line, err=out == "-")
    if not outcome.criteria_ok and not exit_zero:
        sys.exit(EXIT_CRITERIA)


@main.command("comment")
@step_options
@click.option(
    "--comment-id",
    metavar="ID",
    callback=text,
    help="Identifies this report's comment (default: the spec's milestone and step).",
)
@click.option(
    "--repo",
    metavar="OWNER/NAME",
    callback=text,
    help="owner/name (default: GITHUB_REPOSITORY).",
)
@click.option(
    "--pr",
    type=click.IntRange(min=1),
    help="Pull request number (default: from the GitHub Actions event).",
)
@click.option(
    "--token-env",
    metavar="NAME",
    help="Environment variable holding the token (default: GITHUB_TOKEN, GITLAB_TOKEN).",
)
@click.option(
    "--host",
    type=click.Choice(("github", "gitlab")),
    help="Pull-request comment or merge-request note (default: gitlab when GITLAB_CI is set).",
)
@click.option(
    "--bot-login",
    metavar="LOGIN",
    callback=text,
    help="The bot an app or Actions token comments as, e.g. github-actions[bot]"
    " (default: REPORTGEN_BOT_LOGIN).",
)
@exit_zero_option
@reported
def comment_command(
    comment_id: str | None,
    repo: str | None,
    pr: int | None,
    token_env: str | None,
    host: str | None,
    bot_login: str | None,
    exit_zero: bool,
    **options: Any,
) -> None:
    """Post the report as a pull-request comment or GitLab note, editing its earlier one."""
    from reportgen.commands.comment import run_comment

    host = host or ("gitlab" if os.environ.get("GITLAB_CI") else "github")
    outcome = run_comment(
        options,
        comment_id=comment_id,
        repo=repo,
        pr=pr,
        token_env=token_env or ("GITLAB_TOKEN" if host == "gitlab" else "GITHUB_TOKEN"),
        env=os.environ,
        bot_login=bot_login,
        host=host,
    )
    say(outcome.message)
    if not outcome.criteria_ok and not exit_zero:
        sys.exit(EXIT_CRITERIA)


@main.command("check")
@step_options
@click.option(
    "--comment-id",
    metavar="ID",
    callback=text,
    help="Names the check run 'reportgen ID' (default: the spec's milestone and step).",
)
@click.option(
    "--repo", metavar="OWNER/NAME", callback=text, help="owner/name (default: GITHUB_REPOSITORY)."
)
@click.option(
    "--sha",
    metavar="SHA",
    callback=text,
    help="The commit (default: the pull request's head from the event, else GITHUB_SHA).",
)
@click.option(
    "--token-env",
    metavar="NAME",
    default="GITHUB_TOKEN",
    show_default=True,
    help="Environment variable holding the token (needs checks: write).",
)
@click.option(
    "--max-annotations",
    metavar="N",
    type=click.IntRange(0, 50_000),
    default=1000,
    show_default=True,
    help="Annotations sent at most, the most important first.",
)
@click.option(
    "--exit-zero", is_flag=True, help="Exit 0 and conclude 'neutral' when a criterion fails."
)
@reported
def check_command(
    comment_id: str | None,
    repo: str | None,
    sha: str | None,
    token_env: str,
    max_annotations: int,
    exit_zero: bool,
    **options: Any,
) -> None:
    """Publish the report as a GitHub check run on the head commit, with line annotations."""
    from reportgen.commands.check import run_check

    outcome = run_check(
        options,
        comment_id=comment_id,
        repo=repo,
        sha=sha,
        token_env=token_env,
        env=os.environ,
        exit_zero=exit_zero,
        max_annotations=max_annotations,
    )
    say(outcome.message)
    if not outcome.criteria_ok and not exit_zero:
        sys.exit(EXIT_CRITERIA)


@main.command("index")
@click.argument("directory", callback=path)
@click.option(
    "--templates",
    "templates_dir",
    metavar="DIR",
    callback=path,
    help="Templates overriding the built-ins.",
)
@click.option(
    "--history-runs",
    metavar="N",
    type=click.IntRange(0, 1000),
    default=20,
    help="Flaky and slowing tests from the newest N archived steps with tests"
    " (default: 20; 0: none).",
)
@reported
def index_command(directory: str, templates_dir: str | None, history_runs: int) -> None:
    """Rebuild DIRECTORY/index.md and index.html from the archived JSON summaries."""
    from reportgen.commands.index import run_index

    for line in run_index(Path(directory), templates_dir, history_runs):
        say(line)


@main.command("templates")
@click.option(
    "--export",
    "export_dir",
    metavar="DIR",
    callback=path,
    help="Copy the built-in templates into this folder.",
)
@click.option("--force", is_flag=True, help="With --export, replace copies that differ.")
@reported
def templates_command(export_dir: str | None, force: bool) -> None:
    """List the built-in templates and their blocks; --export copies them out."""
    from reportgen.commands.templates import run_templates

    for line in run_templates(None if export_dir is None else Path(export_dir), force):
        say(line)


@main.group("baseline")
def baseline_group() -> None:
    """Stored snapshots of runs, so a pull request is measured once (see --baseline)."""


@baseline_group.command("save")
@click.option(
    "--after",
    multiple=True,
    callback=path,
    metavar="PATH",
    help="Coverage of the run: JSON, data file, Cobertura or LCOV (repeatable, globs).",
)
@click.option(
    "--source-root",
    metavar="DIR",
    callback=path,
    help="Where a coverage.py data file's sources are analysed (default: .).",
)
@click.option("--junit", multiple=True, callback=path, metavar="PATH", help="JUnit XML of the run.")
@click.option(
    "--store",
    required=True,
    metavar="STORE",
    callback=path,
    help="A folder, or git:BRANCH (a branch of origin holding only snapshots).",
)
@click.option(
    "--commit",
    metavar="SHA",
    callback=text,
    help="The commit measured (default: GITHUB_SHA, else git rev-parse HEAD).",
)
@reported
def baseline_save_command(**options: Any) -> None:
    """Store a snapshot of one run, keyed by its commit."""
    from reportgen.commands.baseline import save_baseline

    for line in save_baseline(options, os.environ):
        say(line)


def entry() -> None:
    """The console script: `main`, in a process that ends as soon as its output is out.

    reportgen runs once and exits, so the cyclic garbage collector's passes over
    millions of parsed line numbers buy nothing, and neither does tearing those
    objects down one by one at exit (seconds on a monorepo's coverage).
    """
    gc.disable()
    try:
        main()
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass  # the reader went away (`| head`): nothing left to say
    os._exit(code or 0)
