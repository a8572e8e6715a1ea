"""The command line: the only code that reads argv, the environment and the clock,
opens files and exits. Heavy modules are imported inside the commands so that
`reportgen --help` stays fast.
"""

from __future__ import annotations

import functools
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from reportgen import __version__
from reportgen.errors import ReportgenError

# Exit statuses are API: 1 only ever means "a criterion failed".
EXIT_OK, EXIT_CRITERIA, EXIT_USAGE = 0, 1, 2
FORMAT_NAMES = ("md", "html", "json", "github", "badge")


class CliError(click.ClickException):
    """A ReportgenError as Click shows it: one line on stderr, exit status 2."""

    exit_code = EXIT_USAGE


def reported(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our input errors into one clear line and exit status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ReportgenError as err:
            raise CliError(str(err)) from None

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reportgen")
def main() -> None:
    """Milestone reports from coverage.py snapshots and JUnit results."""


def step_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options `step` and `comment` share."""
    options = [
        click.option(
            "--before",
            multiple=True,
            metavar="PATH",
            help="Coverage JSON before the change (repeatable, globs; shards merge).",
        ),
        click.option(
            "--after",
            multiple=True,
            metavar="PATH",
            help="Coverage JSON after the change (repeatable, globs; shards merge).",
        ),
        click.option(
            "--junit",
            multiple=True,
            metavar="PATH",
            help="JUnit XML of the after run (repeatable, globs).",
        ),
        click.option(
            "--junit-before",
            multiple=True,
            metavar="PATH",
            help="JUnit XML of the before run: enables added/removed/regressions.",
        ),
        click.option(
            "--spec",
            "spec_path",
            metavar="FILE",
            help="The milestone spec (TOML).",
        ),
        click.option(
            "--target",
            "targets",
            multiple=True,
            callback=text,
            metavar="GLOB=MIN",
            help="Quick coverage target, e.g. tools/x.py=80 (repeatable).",
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
            help="Where the measured sources are, to name functions for old JSON (default: .).",
        ),
        click.option(
            "--diff",
            metavar="FILE",
            help="A unified diff (- for stdin): its added lines are the change's (patch) lines.",
        ),
        click.option(
            "--diff-base",
            metavar="REF",
            callback=text,
            help="The change is `git diff REF...HEAD` in the working directory.",
        ),
        click.option(
            "--patch-min",
            metavar="PCT",
            type=click.FloatRange(0, 100),
            help="Criterion: the changed lines covered at least PCT% (needs a diff).",
        ),
        click.option(
            "--templates",
            "templates_dir",
            metavar="DIR",
            help="Templates overriding the built-ins (default: reports/templates/ if present).",
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
    help="Output format (repeatable; default md).",
)
@click.option(
    "--out",
    metavar="PATH",
    default="-",
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
    report is still written), 2 for a usage or input error.
    """
    from reportgen.commands.step import run_step

    outcome = run_step(
        options,
        formats=formats or ("md",),
        out=out,
        force=force,
        env=os.environ,
        step_summary=step_summary,
        stdout=sys.stdout,
    )
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
    default="GITHUB_TOKEN",
    show_default=True,
    help="Environment variable holding the token.",
)
@exit_zero_option
@reported
def comment_command(
    comment_id: str | None,
    repo: str | None,
    pr: int | None,
    token_env: str,
    exit_zero: bool,
    **options: Any,
) -> None:
    """Post the report as a pull-request comment, updating its own earlier one."""
    from reportgen.commands.comment import run_comment

    outcome = run_comment(
        options, comment_id=comment_id, repo=repo, pr=pr, token_env=token_env, env=os.environ
    )
    click.echo(outcome.message)
    if not outcome.criteria_ok and not exit_zero:
        sys.exit(EXIT_CRITERIA)


@main.command("index")
@click.argument("directory")
@click.option(
    "--templates",
    "templates_dir",
    metavar="DIR",
    help="Templates overriding the built-ins.",
)
@reported
def index_command(directory: str, templates_dir: str | None) -> None:
    """Rebuild DIRECTORY/index.md and index.html from the archived JSON summaries."""
    from reportgen.commands.index import run_index

    for line in run_index(Path(directory), templates_dir):
        click.echo(line)


@main.command("templates")
@click.option(
    "--export",
    "export_dir",
    metavar="DIR",
    help="Copy the built-in templates into this folder.",
)
@click.option("--force", is_flag=True, help="With --export, replace copies that differ.")
@reported
def templates_command(export_dir: str | None, force: bool) -> None:
    """List the built-in templates and their blocks; --export copies them out."""
    from reportgen.commands.templates import run_templates

    for line in run_templates(Path(export_dir) if export_dir else None, force):
        click.echo(line)


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
