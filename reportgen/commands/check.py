"""`reportgen check`: the report as a GitHub check run on the head commit, with annotations on
failing tests and uncovered changed lines."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from reportgen.analysis.step import StepResult, build_step
from reportgen.commands.comment import PublishOutcome
from reportgen.commands.gather import gather, template_dir
from reportgen.commands.step import comment_id_for, render_formats

# Room kept below the summary's limit for the line saying how many annotations were left out.
_NOTE_ROOM = 200
MAX_ANNOTATIONS = 1000


def run_check(
    options: Mapping[str, Any],
    *,
    comment_id: str | None,
    repo: str | None,
    sha: str | None,
    token_env: str,
    env: Mapping[str, str],
    exit_zero: bool,
    max_annotations: int = MAX_ANNOTATIONS,
) -> PublishOutcome:
    """Render the github format as the run's summary, and create or update the run."""
    from reportgen.analysis.annotations import build_annotations
    from reportgen.analysis.criteria import automatic_ok
    from reportgen.publish.github import GitHubError
    from reportgen.publish.github_checks import (
        MAX_SUMMARY_CHARS,
        CheckRun,
        capped,
        publish_check_run,
        resolve_check_target,
    )

    target = resolve_check_target(env, repo, sha)
    token = env.get(token_env, "")
    if not token.strip():
        raise GitHubError(f"no token: set {token_env} (or name another variable with --token-env)")
    from reportgen.commands.baseline import baseline_side

    inputs = gather(options, env, stored_before=baseline_side)
    step = build_step(inputs)
    templates = template_dir(options.get("templates_dir"))
    limit = MAX_SUMMARY_CHARS - _NOTE_ROOM
    summary = render_formats(step, ["github"], templates, comment_id, comment_limit=limit)["github"]
    annotations, not_sent = capped(
        [_sanitised(a) for a in build_annotations(step, inputs.changes)], max_annotations
    )
    if not_sent:
        summary += (
            f"\n\n_{not_sent} more annotations not sent: at most {max_annotations} per run"
            " (`--max-annotations`); the most important were sent first._\n"
        )
    ok = automatic_ok(step.criteria)
    run = CheckRun(
        name=f"reportgen {comment_id_for(step.spec, comment_id)}",
        title=headline(step),
        summary=summary,
        conclusion="success" if ok else ("neutral" if exit_zero else "failure"),
        annotations=annotations,
    )
    result = publish_check_run(target, token, run)
    message = f"{result.action} check run {result.url} ({result.sent} annotations sent"
    message += f", {not_sent} over the cap)" if not_sent else ")"
    return PublishOutcome(criteria_ok=ok, message=message)


def headline(step: StepResult) -> str:
    """The run's title: total coverage, the changed lines', tests and criteria, as shown."""
    precision = step.precision
    parts = []
    coverage = step.coverage
    if coverage is not None and coverage.after is not None:
        text = f"Coverage {coverage.after.display(precision)}%"
        if coverage.before is not None:
            text += f" (was {coverage.before.display(precision)}%)"
        parts.append(text)
    if step.patch is not None:
        shown = step.patch.display(precision)
        parts.append("no changed lines measured" if shown is None else f"changed lines {shown}%")
    tests = step.tests_after
    if tests is not None:
        failing = tests.failed + tests.errors
        total = tests.tests
        passed = f"{tests.passed} test{'s' * (tests.passed != 1)} passed"
        text = f"{failing} of {total} tests failing" if failing else passed
        parts.append(text + (f", {tests.skipped} skipped" if tests.skipped else ""))
    # Criteria not judged (no baseline yet) neither hold nor fail: they are left out.
    automatic = [c for c in step.criteria if c.automatic and c.judged]
    if automatic:
        parts.append(f"{sum(c.holds for c in automatic)}/{len(automatic)} criteria hold")
    return ", ".join(parts) or "reportgen report"


def _sanitised(annotation: Any) -> Any:
    """Titles and messages hold test ids and failure messages: the one sanitiser of every
    text a report shows (no bidi overrides or control characters), limits kept."""
    from reportgen.outputs.escape import clean_block, clean_text

    return msgspec.structs.replace(
        annotation,
        title=clean_text(annotation.title, len(annotation.title)),
        message=clean_block(annotation.message, len(annotation.message)),
    )
