"""`reportgen comment`: the github format upserted as this report's pull-request comment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from reportgen.analysis.step import build_step
from reportgen.commands.gather import gather, template_dir
from reportgen.commands.step import comment_id_for, render_formats


class CommentOutcome(msgspec.Struct, frozen=True):
    criteria_ok: bool
    message: str


def run_comment(
    options: Mapping[str, Any],
    *,
    comment_id: str | None,
    repo: str | None,
    pr: int | None,
    token_env: str,
    env: Mapping[str, str],
    bot_login: str | None = None,
) -> CommentOutcome:
    """Render the github format and create or update this report's comment.

    ``bot_login`` (else ``REPORTGEN_BOT_LOGIN``) names the bot an installation token writes as.
    """
    from reportgen.analysis.criteria import automatic_ok
    from reportgen.publish.github import (
        GitHubError,
        check_bot_login,
        marker_for,
        resolve_target,
        upsert_comment,
    )

    target = resolve_target(env, repo, pr)
    if bot_login:
        bot_login = check_bot_login(bot_login, "--bot-login")
    else:
        bot_login = check_bot_login(env.get("REPORTGEN_BOT_LOGIN"), "REPORTGEN_BOT_LOGIN")
    token = env.get(token_env, "")
    if not token.strip():
        raise GitHubError(f"no token: set {token_env} (or name another variable with --token-env)")
    from reportgen.commands.baseline import baseline_side

    step = build_step(gather(options, env, stored_before=baseline_side))
    templates = template_dir(options.get("templates_dir"))
    body = render_formats(step, ["github"], templates, comment_id)["github"]
    marker = marker_for(comment_id_for(step.spec, comment_id))
    result = upsert_comment(target, token, body, marker, bot_login=bot_login)
    message = f"{result.action} comment {result.url}"
    return CommentOutcome(criteria_ok=automatic_ok(step.criteria), message=message)
