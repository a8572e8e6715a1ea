"""The commands' work at the edge: read inputs, call the pure core, render, write."""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import mmap
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path, PurePath
from typing import IO, Any

import msgspec

from reportgen.diff import Scope, Target, matches
from reportgen.errors import InputError, OutputError, SpecError
from reportgen.models import CoverageSnapshot
from reportgen.output import PlannedFile, append_text, write_all
from reportgen.spec import Spec, parse_spec
from reportgen.step import StepInputs, StepResult, build_step

# Format -> (template, file suffix); json is written by code, not by a template.
OUTPUTS = {
    "md": ("step.md", ".md"),
    "html": ("step.html", ".html"),
    "json": (None, ".json"),
    "github": ("github.md", ".github.md"),
    "badge": ("badge.svg", ".badge.svg"),
}
_GLOB_CHARS = re.compile(r"[*?\[]")


class StepOutcome(msgspec.Struct, frozen=True):
    criteria_ok: bool
    written: tuple[Path, ...]


@contextlib.contextmanager
def opened(path: str) -> Iterator[IO[bytes]]:
    """An input file opened for reading, or one clear line saying why it cannot be."""
    try:
        with open(path, "rb") as handle:
            yield handle
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a file") from None
    except OSError as err:
        raise InputError(f"{path}: cannot read ({err.strerror or err})") from None


def read_bytes(path: str) -> bytes:
    with opened(path) as handle:
        return handle.read()


@contextlib.contextmanager
def mapped(path: str) -> Iterator[bytes | mmap.mmap]:
    """A file's content without copying it: the decoder reads the page cache directly."""
    with opened(path) as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            yield b""
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            try:
                yield view
            except BaseException as err:
                import traceback

                # Slices of the map held by the failed parse's frames would keep it from closing.
                traceback.clear_frames(err.__traceback__)
                raise


def expand(patterns: Sequence[str], what: str) -> list[str]:
    """Paths from options that may be globs; a glob matching nothing is an error."""
    paths: list[str] = []
    for pattern in patterns:
        if _GLOB_CHARS.search(pattern):
            found = sorted(glob.glob(pattern, recursive=True))
            if not found:
                raise InputError(f"{pattern}: no file matches this {what} pattern")
            paths.extend(found)
        else:
            paths.append(pattern)
    return list(dict.fromkeys(paths))


def parse_target_option(text: str) -> Target:
    pattern, sep, value = text.rpartition("=")
    try:
        minimum = float(value)
    except ValueError:
        minimum = -1.0
    if not sep or not pattern or not 0 <= minimum <= 100:
        raise SpecError(f"--target {text!r}: expected GLOB=MIN with MIN from 0 to 100")
    return Target(pattern=pattern, min=minimum)


def parse_scope_option(text: str) -> Scope:
    prefix, sep, bounds = text.partition("=")
    if not sep:
        return Scope(prefix=prefix)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?", bounds)
    if not match:
        raise SpecError(f"--scope {text!r}: expected PREFIX, PREFIX=MIN or PREFIX=MIN-MAX")
    low = float(match.group(1))
    high = float(match.group(2)) if match.group(2) else None
    if low > 100 or (high is not None and not low <= high <= 100):
        raise SpecError(f"--scope {text!r}: the range must lie within 0-100, low to high")
    return Scope(prefix=prefix, min=low, max=high)


def report_date(option: str | None, spec: Spec, env: Mapping[str, str]) -> str | None:
    """--date, else the spec's, else SOURCE_DATE_EPOCH; never the clock."""
    if option:
        try:
            return dt.date.fromisoformat(option).isoformat()
        except ValueError:
            raise SpecError(f"--date {option!r}: expected YYYY-MM-DD") from None
    if spec.date:
        return spec.date
    epoch = env.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise SpecError(f"SOURCE_DATE_EPOCH {epoch!r}: expected whole seconds") from None
    return None


def load_spec(path: str | None) -> Spec:
    if not path:
        return Spec()
    return parse_spec(read_bytes(path), path, PurePath(path).parent)


def load_coverage(
    patterns: Sequence[str], wanted: Callable[[str], bool] | None, source_root: str
) -> CoverageSnapshot | None:
    """The coverage of one side; `wanted` picks the files whose functions and classes are
    read (None: no file, the common case, which then costs nothing per file)."""
    if not patterns:
        return None
    from reportgen.coverage_json import combine_snapshots, parse_coverage_json

    paths = expand(patterns, "coverage")
    snapshots = []
    for path in paths:
        with mapped(path) as data:
            snapshots.append(parse_coverage_json(data, path, wanted or _no_file))
    combined = combine_snapshots(snapshots)
    return _with_source_regions(combined, wanted, source_root) if wanted else combined


def _no_file(path: str) -> bool:
    return False


def _with_source_regions(
    snapshot: CoverageSnapshot, wanted: Callable[[str], bool], root: str
) -> CoverageSnapshot:
    """Name functions from the source files when the JSON predates coverage.py 7.6."""
    from reportgen.source_regions import regions_from_source

    files = dict(snapshot.files)
    for path, item in snapshot.files.items():
        if item.regions is not None or not wanted(path):
            continue
        text = read_source(Path(root, path))
        if text is not None:  # no source at hand: uncovered lines are listed without names
            files[path] = msgspec.structs.replace(item, regions=regions_from_source(text))
    return msgspec.structs.replace(snapshot, files=files)


# A source file larger than this is not read to name functions.
MAX_SOURCE_BYTES = 8 << 20


def read_source(path: Path) -> str | None:
    """A measured source file's text, if it is a regular, readable, reasonably sized file."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_SOURCE_BYTES:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def load_tests(patterns: Sequence[str]) -> Any:
    if not patterns:
        return None
    from reportgen.junit import combine_test_runs, parse_junit

    runs = []
    for path in expand(patterns, "JUnit"):
        with opened(path) as stream:
            runs.append(parse_junit(stream, path))
    return combine_test_runs(runs)


def gather(options: Mapping[str, Any], env: Mapping[str, str]) -> StepInputs:
    """Every input of a step, from the options and the spec's [inputs]."""
    spec = load_spec(options.get("spec_path"))
    inputs = spec.inputs
    spec = msgspec.structs.replace(
        spec,
        title=options.get("title") or spec.title,
        date=report_date(options.get("date"), spec, env),
    )
    targets = spec.targets + tuple(parse_target_option(t) for t in options.get("targets") or ())
    scope = parse_scope_option(options["scope"]) if options.get("scope") else spec.scope
    precision = options.get("precision")
    if precision is None:
        precision = spec.precision or 0
    source_root = options.get("source_root") or inputs.source_root or "."

    def targeted(path: str) -> bool:
        return any(matches(t.pattern, path) for t in targets)

    wanted = targeted if targets else None

    before = options.get("before") or inputs.before
    after = options.get("after") or inputs.after
    junit = options.get("junit") or inputs.junit
    junit_before = options.get("junit_before") or inputs.junit_before
    if junit_before and not junit:
        raise SpecError("--junit-before needs --junit (the after run) to compare with")
    if not (before or after or junit):
        raise SpecError(
            "nothing to report: give --before/--after, --junit, or a spec whose [inputs] name them"
        )
    return StepInputs(
        spec=spec,
        precision=precision,
        before=load_coverage(before, wanted, source_root),
        after=load_coverage(after, wanted, source_root),
        tests_before=load_tests(junit_before),
        tests_after=load_tests(junit),
        targets=targets,
        scope=scope,
    )


def template_dir(option: str | None) -> Path | None:
    """--templates, else reports/templates/ of the working directory when present."""
    if option:
        path = Path(option)
        if not path.is_dir():
            raise InputError(f"{option}: no such templates folder")
        return path
    default = Path("reports", "templates")
    return default if default.is_dir() else None


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
    from reportgen.render import render

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
) -> dict[str, str]:
    """Every requested format rendered in memory (nothing is written yet)."""
    from reportgen.context import build_context
    from reportgen.summary import as_json, build_summary

    summary = LazySummary(lambda: build_summary(step))
    rendered: dict[str, str] = {}
    env = context = None
    for name in formats:
        template, _ = OUTPUTS[name]
        if template is None:
            rendered[name] = as_json(summary.value())
            continue
        from reportgen.render import make_environment, render, template_cache_dir

        if env is None:
            from reportgen.github import marker_for

            env = make_environment(templates, template_cache_dir())
            context = build_context(step, summary)
            context["marker"] = marker_for(comment_id_for(step.spec, comment_id))
        if name == "github":
            rendered[name] = render_comment(env, template, context, COMMENT_LIMIT)
        else:
            rendered[name] = render(env, template, context)
    return rendered


def slug(text: str) -> str:
    """A file-name-safe name: "P0.4 Milestone 3" -> "p0-4-milestone-3"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


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
    from reportgen.criteria import automatic_ok

    formats = list(dict.fromkeys(formats))
    if out == "-" and len(formats) > 1:
        raise SpecError("several formats need --out DIR (one file each), not stdout")
    inputs = gather(options, env)
    step = build_step(inputs)
    wanted = list(formats)
    if step_summary and "github" not in wanted:
        wanted.append("github")
    rendered = render_formats(
        step,
        wanted,
        template_dir(options.get("templates_dir")),
    )
    summary_path = None
    if step_summary:
        summary_path = env.get("GITHUB_STEP_SUMMARY")
        if not summary_path:
            raise SpecError("--step-summary: GITHUB_STEP_SUMMARY is not set")
        check_appendable(Path(summary_path))
    shown = {name: rendered[name] for name in formats}
    written: list[Path] = []
    if out == "-":
        write_stdout(stdout, next(iter(shown.values())))
    else:
        written = write_all(plan_outputs(shown, out, step.spec), force)
    if summary_path:
        append_text(Path(summary_path), rendered["github"])
    return StepOutcome(criteria_ok=automatic_ok(step.criteria), written=tuple(written))


def _read_summary(path: Path) -> tuple[dict[str, Any] | None, str | None]:
    """A JSON summary, or (None, why) for a corrupt one; unrelated files give (None, None)."""
    import msgspec

    try:
        with open(path, "rb") as handle:
            head = handle.read(256)
            if b'"schema"' not in head:
                return None, None  # not ours (coverage data, other tools' JSON): left alone
            # Strict JSON: no NaN or Infinity, no number out of a float's range, no lone
            # surrogate (json.loads takes all three, and none can be written into the index).
            data = msgspec.json.decode(head + handle.read())
    except (OSError, ValueError, RecursionError) as err:
        return None, f"{path}: skipped, not a readable JSON summary ({type(err).__name__})"
    from reportgen.index import is_summary, summary_problem

    if not is_summary(data):
        return None, f"{path}: skipped, not a reportgen summary of schema 1"
    problem = summary_problem(data)
    if problem:
        return None, f"{path}: skipped, not a valid summary ({problem})"
    return data, None


def _beside(summary: Path, suffix: str, directory: Path) -> str | None:
    """The report of another format archived beside a summary, relative to the index."""
    other = summary.with_suffix(suffix)
    return other.relative_to(directory).as_posix() if other.is_file() else None


def _is_utf8(text: str) -> bool:
    """False for a name holding bytes that are not UTF-8 (Python keeps them as surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def run_index(directory: Path, templates_option: str | None) -> list[str]:
    """Rebuild DIR/index.md (and index.html) from the archived summaries; returns messages."""
    from reportgen.index import ArchivedStep, build_index
    from reportgen.render import builtin_template_dir, make_environment, render, template_cache_dir

    if not directory.is_dir():
        raise InputError(f"{directory}: no such folder")
    steps, messages = [], []
    for path in sorted(directory.rglob("*.json")):
        name = path.relative_to(directory).as_posix()
        if not _is_utf8(name):  # its links could not be written into the index
            shown = os.fsencode(path).decode("utf-8", "backslashreplace")
            messages.append(f"{shown}: skipped, its name is not UTF-8 text")
            continue
        data, problem = _read_summary(path)
        if problem:
            messages.append(problem)
        if data is None:
            continue
        steps.append(
            ArchivedStep(
                path=name,
                summary=data,
                report=_beside(path, ".md", directory),
                html_report=_beside(path, ".html", directory),
            )
        )
    context = {"index": build_index(steps)}
    jinja = make_environment(template_dir(templates_option), template_cache_dir())
    planned = []
    for name in ("index.md", "index.html"):
        if (builtin_template_dir() / name).is_file():
            text = render(jinja, name, context)
            planned.append(PlannedFile(directory / name, text.encode("utf-8")))
    written = write_all(planned, force=True)
    messages.append(
        f"{len(steps)} step{'s' * (len(steps) != 1)} indexed; "
        + ("wrote " + ", ".join(str(p) for p in written) if written else "index unchanged")
    )
    return messages


def run_templates(export: Path | None, force: bool = False) -> list[str]:
    """The built-in templates and their blocks; with `export`, copies of them."""
    from reportgen.render import builtin_template_dir, make_environment, template_blocks

    env = make_environment()
    folder = builtin_template_dir()
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    lines = []
    for name in names:
        blocks = template_blocks(env, name)
        lines.append(f"{name}: {', '.join(blocks) if blocks else '(no blocks)'}")
    if export is not None:
        planned = [PlannedFile(export / n, (folder / n).read_bytes()) for n in names]
        write_all(planned, force=force)
        lines.append(f"copied {len(names)} templates to {export}")
    return lines


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
) -> CommentOutcome:
    """Render the github format and create or update this report's comment."""
    from reportgen.criteria import automatic_ok
    from reportgen.github import GitHubError, marker_for, resolve_target, upsert_comment

    target = resolve_target(env, repo, pr)
    token = env.get(token_env, "")
    if not token.strip():
        raise GitHubError(f"no token: set {token_env} (or name another variable with --token-env)")
    step = build_step(gather(options, env))
    templates = template_dir(options.get("templates_dir"))
    body = render_formats(step, ["github"], templates, comment_id)["github"]
    marker = marker_for(comment_id_for(step.spec, comment_id))
    result = upsert_comment(target, token, body, marker)
    message = f"{result.action} comment {result.url}"
    return CommentOutcome(criteria_ok=automatic_ok(step.criteria), message=message)
