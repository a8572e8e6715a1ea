"""`reportgen comment --host gitlab`: the github format upserted as a merge-request note."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportgen.analysis.step import build_step
from reportgen.commands.gather import gather, template_dir
from reportgen.commands.step import comment_id_for, render_formats


def run_gitlab_comment(
    options: Mapping[str, Any],
    *,
    comment_id: str | None,
    token_env: str,
    env: Mapping[str, str],
) -> tuple[bool, str]:
    """Render the github format (GitLab reads the same Markdown) and create or update this
    report's note; returns whether the automatic criteria hold, and what was done."""
    from reportgen.analysis.criteria import automatic_ok
    from reportgen.publish.github import marker_for
    from reportgen.publish.gitlab import (
        MAX_NOTE_CHARS,
        GitLabError,
        resolve_gitlab_target,
        upsert_note,
    )

    target = resolve_gitlab_target(env)
    token = env.get(token_env, "")
    if not token.strip():
        raise GitLabError(f"no token: set {token_env} (or name another variable with --token-env)")
    from reportgen.commands.baseline import baseline_side

    step = build_step(gather(options, env, stored_before=baseline_side))
    templates = template_dir(options.get("templates_dir"))
    rendered = render_formats(step, ["github"], templates, comment_id, comment_limit=MAX_NOTE_CHARS)
    marker = marker_for(comment_id_for(step.spec, comment_id))
    result = upsert_note(target, token, rendered["github"], marker)
    return automatic_ok(step.criteria), f"{result.action} note {result.url}"
