"""`reportgen comment`: the github format upserted as this report's pull-request comment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from reportgen.analysis.step import build_step
from reportgen.commands.gather import gather, template_dir
from reportgen.commands.step import comment_id_for, render_formats


class PublishOutcome(msgspec.Struct, frozen=True):
    """What a publishing command (comment, note, check run) reports: whether the criteria
    hold, and the one line it prints."""

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
    host: str = "github",
) -> PublishOutcome:
    """Render the github format and create or update this report's comment.

    ``bot_login`` (else ``REPORTGEN_BOT_LOGIN``) names the bot an installation token writes as.
    ``host`` "gitlab" makes it a merge-request note instead.
    """
    if host == "gitlab":
        from reportgen.commands.gitlab_comment import run_gitlab_comment
        from reportgen.publish.gitlab import GitLabError

        given = [
            name
            for name, value in (("--repo", repo), ("--pr", pr), ("--bot-login", bot_login))
            if value
        ]
        if given:
            raise GitLabError(
                f"{', '.join(given)}: GitHub's; on GitLab the merge request comes from"
                " CI_PROJECT_ID and CI_MERGE_REQUEST_IID"
            )

        ok, message = run_gitlab_comment(
            options, comment_id=comment_id, token_env=token_env, env=env
        )
        return PublishOutcome(criteria_ok=ok, message=message)
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
    return PublishOutcome(criteria_ok=automatic_ok(step.criteria), message=message)
