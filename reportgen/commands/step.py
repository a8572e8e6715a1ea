"""`reportgen step`: gather the inputs, build the step, render every format, write."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import msgspec

from reportgen.analysis.step import StepResult, build_step
from reportgen.commands.gather import gather, slug, template_dir
from reportgen.errors import OutputError, SpecError
from reportgen.inputs.spec import Spec
from reportgen.outputs.atomic_write import PlannedFile, append_text, write_all

# Format -> (template, file suffix); json is written by code, not by a template.
OUTPUTS = {
    "md": ("step.md", ".md"),
    "html": ("step.html", ".html"),
    "json": (None, ".json"),
    "github": ("github.md", ".github.md"),
    "badge": ("badge.svg", ".badge.svg"),
}


# A file name's ending -> the format it implies (longest endings first); `--out r.html`
# alone writes HTML, not Markdown under an HTML name.
EXTENSIONS = (
    (".github.md", "github"),
    (".badge.svg", "badge"),
    (".svg", "badge"),
    (".md", "md"),
    (".markdown", "md"),
    (".html", "html"),
    (".htm", "html"),
    (".json", "json"),
)
# Formats that may go into a file whose name implies another: both are Markdown.
_SAME_KIND = {"md": {"md", "github"}, "github": {"md", "github"}}


def implied_format(out: str) -> str | None:
    """The format a file name's extension implies, else None."""
    name = out.lower()
    return next((fmt for ending, fmt in EXTENSIONS if name.endswith(ending)), None)


def choose_formats(formats: Sequence[str], out: str) -> list[str]:
    """--format as given; without it, the format `--out FILE`'s extension implies (else md).

    A single --format that contradicts the file's extension is refused.
    """
    to_file = out != "-" and not out.endswith(("/", "\\")) and not Path(out).is_dir()
    implied = implied_format(out) if to_file else None
    if not formats:
        return [implied or "md"]
    if implied and len(set(formats)) > 1:
        # A folder named like a report (`one.md/report.md`) is a trap, not a choice.
        raise SpecError(
            f"--out {out}: names a file, but {len(set(formats))} formats need a folder;"
            " give --out DIR/ or one --format"
        )
    if implied and len(set(formats)) == 1 and formats[0] not in _SAME_KIND.get(implied, {implied}):
        raise SpecError(
            f"--out {out}: the name says {implied}, but --format {formats[0]} was given;"
            " drop --format or rename the file"
        )
    return list(formats)


class StepOutcome(msgspec.Struct, frozen=True):
    criteria_ok: bool
    written: tuple[Path, ...]
    messages: tuple[str, ...] = ()  # one line per folder made and file written, for the user


# GitHub refuses comments over 65,536 characters; counting UTF-8 bytes stays safely below.
COMMENT_LIMIT = 65_536
FIRST_LIMITS = {"files": 100, "tests": 100, "failures": 60, "uncovered": 100}


def comment_id_for(spec: Spec, option: str | None) -> str:
    """--comment-id, else the spec's milestone and step, else one report per pull request."""
    if option:
        return option
    stem = archive_stem(spec)
    return "default" if stem == "report" else stem


def render_comment(env: Any, template: str, context: dict[str, Any], limit: int) -> str:
    """The github format, its folded lists cut shorter until the body fits `limit` bytes."""
    from reportgen.outputs.render import render

    limits = dict(FIRST_LIMITS)
    while True:
        text = render(env, template, {**context, "limits": limits})
        if len(text.encode("utf-8")) <= limit or not any(limits.values()):
            break
        limits = {key: value // 2 for key, value in limits.items()}
    if len(text.encode("utf-8")) > limit:
        raise OutputError(f"template {template}: the comment exceeds {limit} bytes even when cut")
    return text


class LazySummary(Mapping[str, Any]):
    """The JSON summary, built on first use: a Markdown-only run over 50,000 unchanged
    files need not format every file's Missing column."""

    def __init__(self, build: Callable[[], dict[str, Any]]) -> None:
        self._build = build
        self._value: dict[str, Any] | None = None

    def value(self) -> dict[str, Any]:
        if self._value is None:
            self._value = self._build()
        return self._value

    def __getitem__(self, key: str) -> Any:
        return self.value()[key]

    def __iter__(self) -> Any:
        return iter(self.value())

    def __len__(self) -> int:
        return len(self.value())

    def __repr__(self) -> str:
        # What a template prints for `{{ summary }}`: the summary, not an object's address.
        return repr(self.value())


def render_formats(
    step: StepResult,
    formats: Sequence[str],
    templates: Path | None,
    comment_id: str | None = None,
    badge: str = "coverage",
    comment_limit: int = COMMENT_LIMIT,
) -> dict[str, str]:
    """Every requested format rendered in memory (nothing is written yet); the github format
    cut to fit ``comment_limit`` bytes."""
    from reportgen.outputs.context import build_context
    from reportgen.outputs.summary import as_json, build_summary

    summary = LazySummary(lambda: build_summary(step))
    rendered: dict[str, str] = {}
    env = context = None
    for name in formats:
        template, _ = OUTPUTS[name]
        if template is None:
            rendered[name] = as_json(summary.value())
            continue
        from reportgen.outputs.render import make_environment, render, template_cache_dir

        if env is None:
            from reportgen.publish.github import marker_for

            env = make_environment(templates, template_cache_dir())
            context = build_context(step, summary)
            context["marker"] = marker_for(comment_id_for(step.spec, comment_id))
            context["badge_figure"] = badge
        if name == "github":
            rendered[name] = render_comment(env, template, context, comment_limit)
        else:
            rendered[name] = render(env, template, context)
    return rendered


def archive_stem(spec: Spec) -> str:
    parts = [slug(p) for p in (spec.milestone, spec.step) if p and slug(p)]
    return "--".join(parts) or "report"


def plan_outputs(rendered: dict[str, str], out: str, spec: Spec) -> list[PlannedFile]:
    path = Path(out)
    as_dir = out.endswith(("/", "\\")) or path.is_dir() or len(rendered) > 1
    if not as_dir:
        return [PlannedFile(path, next(iter(rendered.values())).encode("utf-8"))]
    if path.exists() and not path.is_dir():
        raise OutputError(f"{out}: several formats need a folder, and this is a file")
    stem = archive_stem(spec)
    return [
        PlannedFile(path / f"{stem}{OUTPUTS[name][1]}", text.encode("utf-8"))
        for name, text in rendered.items()
    ]


def write_stdout(stdout: IO[str], text: str) -> None:
    """UTF-8 whatever the locale says: a report never goes out as "â€”" or not at all."""
    buffer = getattr(stdout, "buffer", None)
    if buffer is None:
        stdout.write(text)
    else:
        stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()


def check_appendable(path: Path) -> None:
    """Fail before any output is written when a file cannot be appended to later."""
    folder = path.parent
    if (
        path.is_dir()
        or not folder.is_dir()
        or not os.access(path if path.exists() else folder, os.W_OK)
    ):
        raise OutputError(f"{path}: cannot append the step summary here")


# Added test functions whose docstrings are looked up: the ones a report lists by name.
DOC_FUNCTIONS = 500


def with_test_docs(step: StepResult, source_root: str) -> StepResult:
    """The step with the first docstring line of each added test whose source is found."""
    diff, after = step.tests_diff, step.tests_after
    if diff is None or after is None or not diff.added:
        return step
    from reportgen.analysis.test_ids import split_parameters
    from reportgen.inputs.test_sources import docstrings_of

    functions: set[str] = set()
    ids = []
    for test_id in diff.added:
        function = split_parameters(test_id)[0]
        if function not in functions:
            if len(functions) == DOC_FUNCTIONS:
                break
            functions.add(function)
            ids.append(test_id)
    docs = docstrings_of(after, ids, source_root)
    return msgspec.structs.replace(step, test_docs=docs) if docs else step


def _badge_figure(option: str | None, step: StepResult) -> str:
    if option == "patch" and step.patch is None:
        raise SpecError("--badge patch needs the change (--diff or --diff-base)")
    return option or "coverage"


def run_step(
    options: Mapping[str, Any],
    *,
    formats: Sequence[str],
    out: str,
    force: bool,
    env: Mapping[str, str],
    step_summary: bool,
    stdout: IO[str],
) -> StepOutcome:
    from reportgen.analysis.criteria import automatic_ok

    formats = list(dict.fromkeys(choose_formats(formats, out)))
    if out == "-" and len(formats) > 1:
        raise SpecError("several formats need --out DIR (one file each), not stdout")
    from reportgen.commands.baseline import archive_snapshot, baseline_side

    # The archive: where before = "previous" finds the earlier steps.
    inputs = gather({**options, "archive": out}, env, stored_before=baseline_side)
    step = with_test_docs(build_step(inputs), inputs.source_root)
    wanted = list(formats)
    if step_summary and "github" not in wanted:
        wanted.append("github")
    rendered = render_formats(
        step,
        wanted,
        template_dir(options.get("templates_dir")),
        badge=_badge_figure(options.get("badge"), step),
    )
    summary_path = None
    if step_summary:
        summary_path = env.get("GITHUB_STEP_SUMMARY")
        if not summary_path:
            raise SpecError("--step-summary: GITHUB_STEP_SUMMARY is not set")
        check_appendable(Path(summary_path))
    shown = {name: rendered[name] for name in formats}
    written: list[Path] = []
    messages: list[str] = []
    if out == "-":
        write_stdout(stdout, next(iter(shown.values())))
    else:
        planned = plan_outputs(shown, out, step.spec)
        after = options.get("after") or inputs.spec.inputs.after
        planned += archive_snapshot(out, len(shown), inputs, archive_stem(step.spec), after)
        missing = [f for f in dict.fromkeys(p.path.parent for p in planned) if not f.is_dir()]
        written = write_all(planned, force)
        messages += [f"created folder {folder}" for folder in missing]
        messages += [f"{'wrote' if p.path in written else 'unchanged'} {p.path}" for p in planned]
    if summary_path:
        append_text(Path(summary_path), rendered["github"])
        messages.append(f"appended the github format to {summary_path}")
    return StepOutcome(
        criteria_ok=automatic_ok(step.criteria), written=tuple(written), messages=tuple(messages)
    )
