"""Reading a step's inputs at the edge: files and globs, the spec, options, the date."""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import glob
import itertools
import mmap
import os
import re
import stat
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path, PurePath
from typing import IO, Any

import msgspec

from reportgen.analysis.coverage_diff import Scope, Target, matches
from reportgen.analysis.history import HistoryRules
from reportgen.analysis.models import CoverageSnapshot, FileCoverage
from reportgen.analysis.numbers import human_key
from reportgen.analysis.step import StepInputs
from reportgen.errors import InputError, SpecError, quote
from reportgen.inputs.spec import Spec, parse_spec

_GLOB_CHARS = re.compile(r"[*?\[]")


@contextlib.contextmanager
def opened(path: str) -> Iterator[IO[bytes]]:
    """An input file opened for reading, or one clear line saying why it cannot be."""
    try:
        # Opened without blocking, so a FIFO named by a spec cannot hang the run before it is
        # seen: inputs are regular files (a device or pipe may never end).
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            os.close(fd)
            raise
        if stat.S_ISDIR(mode):
            os.close(fd)
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise InputError(f"{path}: not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        with os.fdopen(fd, "rb") as handle:
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
    """Paths from options that may be globs; a glob matching nothing is an error.

    Each file is listed once, by the first name found for it: two names of one file (a
    symbolic link beside its target) would count a shard twice.
    """
    paths: list[str] = []
    for pattern in patterns:
        if _GLOB_CHARS.search(pattern):
            # Regular files only: a FIFO that a glob happens to match would wait forever.
            found = sorted(path for path in _glob(pattern) if os.path.isfile(path))
            if not found:
                raise InputError(f"{pattern}: no file matches this {what} pattern")
            paths.extend(found)
        else:
            paths.append(pattern)
    unique: dict[str, str] = {}
    for path in paths:
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


def _glob(pattern: str) -> list[str]:
    """`glob.glob`, except that `**` never enters a symbolic link to a folder.

    Python 3.11's recursive glob follows them, so one link to `.` repeats every file dozens
    of times and a few such links never finish.
    """
    parts = pattern.split("/")
    if "**" not in parts:
        return glob.glob(pattern)
    anchor = "/" if pattern.startswith("/") else ""
    parts = [part for part in parts if part]
    first = parts.index("**")
    if os.path.realpath(os.path.join(anchor, *parts[:first])) == "/":
        raise InputError(f"{pattern}: a recursive pattern from / would search the whole system")
    folders = [anchor]
    for number, part in enumerate(parts):
        last = number == len(parts) - 1
        found: list[str] = []
        for folder in folders:
            if part == "**":
                found.extend(_below(folder, files=last))
            elif glob.has_magic(part):
                found.extend(_matching(folder, part, folders_only=not last))
            else:
                path = os.path.join(folder, part)
                if os.path.lexists(path) if last else os.path.isdir(path):
                    found.append(path)
        folders = found
    return folders


def _below(top: str, files: bool) -> Iterator[str]:
    """`top` and the folders under it, or (`files`) the files under it, as `**` matches them:
    hidden names skipped, symbolic links to folders not entered."""
    if not files:
        yield top
    pending = [top]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(folder or ".") as entries:
                listed = [
                    (entry.name, entry.is_dir(follow_symlinks=False), entry.is_dir())
                    for entry in entries
                ]
        except OSError:
            continue
        for name, real_folder, any_folder in listed:
            if name.startswith("."):
                continue
            path = os.path.join(folder, name)
            if real_folder:
                pending.append(path)
                if not files:
                    yield path
            elif files and not any_folder:
                yield path


def _matching(folder: str, part: str, folders_only: bool) -> Iterator[str]:
    """The names in `folder` that one glob component matches (hidden ones only by a dot)."""
    try:
        with os.scandir(folder or ".") as entries:
            listed = [entry for entry in entries if not folders_only or entry.is_dir()]
    except OSError:
        return
    hidden = part.startswith(".")
    for entry in listed:
        if (hidden or not entry.name.startswith(".")) and fnmatch.fnmatchcase(entry.name, part):
            yield os.path.join(folder, entry.name)


def parse_target_option(text: str) -> Target:
    pattern, sep, value = text.rpartition("=")
    try:
        minimum = float(value)
    except ValueError:
        minimum = -1.0
    if not sep or not pattern or not 0 <= minimum <= 100:
        raise SpecError(f"--target {quote(text)}: expected GLOB=MIN with MIN from 0 to 100")
    return Target(pattern=pattern, min=minimum)


def parse_scope_option(text: str) -> Scope:
    prefix, sep, bounds = text.partition("=")
    if not sep:
        return Scope(prefix=prefix)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?", bounds)
    if not match:
        raise SpecError(f"--scope {quote(text)}: expected PREFIX, PREFIX=MIN or PREFIX=MIN-MAX")
    low = float(match.group(1))
    high = float(match.group(2)) if match.group(2) else None
    if low > 100 or (high is not None and not low <= high <= 100):
        raise SpecError(f"--scope {quote(text)}: the range must lie within 0-100, low to high")
    return Scope(prefix=prefix, min=low, max=high)


def report_date(option: str | None, spec: Spec, env: Mapping[str, str]) -> str | None:
    """--date, else the spec's, else SOURCE_DATE_EPOCH; never the clock."""
    if option:
        try:
            return dt.date.fromisoformat(option).isoformat()
        except ValueError:
            raise SpecError(f"--date {quote(option)}: expected YYYY-MM-DD") from None
    if spec.date:
        return spec.date
    epoch = env.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise SpecError(f"SOURCE_DATE_EPOCH {quote(epoch)}: expected whole seconds") from None
    return None


# Here rather than with the step command: the archive's names are also how
# `before = "previous"` finds the steps archived before.
def slug(text: str) -> str:
    """A file-name-safe name: "P0.4 Milestone 3" -> "p0-4-milestone-3"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def load_spec(path: str | None) -> Spec:
    if not path:
        return Spec()
    return parse_spec(read_bytes(path), path, PurePath(path).parent)


def load_coverage(
    patterns: Sequence[str],
    wanted: Callable[[str], bool] | None,
    source_root: str,
    arcs: Callable[[str], bool] | None = None,
    raw_functions: dict[str, Any] | None = None,
    stack: contextlib.ExitStack | None = None,
    raw_regions: dict[str, Any] | None = None,
    checked: CoverageSnapshot | None = None,
) -> CoverageSnapshot | None:
    """The coverage of one side; `wanted` picks the files whose functions and classes are
    read (None: no file, the common case, which then costs nothing per file), `arcs` those
    that keep their executed branch arcs (None: none). With `raw_functions` and `stack`,
    each file's `functions` JSON is kept undecoded and its input stays mapped until the
    stack closes. `checked`, the other side of the diff, spares the checks of the lists
    that are the same text in both (see `parse_coverage_json`) when it was one JSON report
    and this side is one too."""
    if not patterns:
        return None
    from reportgen.inputs.coverage_json import combine_snapshots, parse_coverage_json

    paths = expand(patterns, "coverage")
    known = None
    if checked is not None and len(paths) == 1 and _one_json(checked):
        known = checked.files
    snapshots = []
    for path in paths:
        kind = _coverage_kind(path)
        if kind != "json":
            from reportgen.commands.coverage_inputs import read_other_coverage

            snapshots.append(
                read_other_coverage(
                    kind, path, source_root, opened, wanted or _no_file, arcs, raw_functions
                )
            )
            continue
        if stack is not None:
            data = stack.enter_context(mapped(path))
            snapshots.append(
                parse_coverage_json(
                    data, path, wanted or _no_file, arcs, raw_functions, raw_regions, known
                )
            )
            if isinstance(data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
                # Its pages leave memory; the few functions read later come back from disk
                # (or the page cache), so both sides are never resident at once.
                data.madvise(mmap.MADV_DONTNEED)
            continue
        with mapped(path) as data:
            snapshots.append(
                parse_coverage_json(data, path, wanted or _no_file, arcs, checked=known)
            )
    combined = combine_snapshots(snapshots)
    return _with_source_regions(combined, wanted, source_root) if wanted else combined


def _one_json(snapshot: CoverageSnapshot) -> bool:
    """Whether a side was read from one coverage.py JSON report (and is still there)."""
    if len(snapshot.sources) != 1:
        return False
    try:
        return _coverage_kind(snapshot.sources[0]) == "json"
    except InputError:
        return False


def _coverage_kind(path: str) -> str:
    """The format of a coverage input, from its content (its name says nothing reliable)."""
    from reportgen.inputs.coverage_kind import HEAD_BYTES, coverage_kind

    with opened(path) as handle:
        try:
            head = handle.read(HEAD_BYTES)
        except OSError as err:
            raise InputError(f"{path}: cannot read ({err.strerror or err})") from None
    return coverage_kind(head)


def _no_file(path: str) -> bool:
    return False


def load_after_alone(
    patterns: Sequence[str],
    wanted: Callable[[str], bool] | None,
    source_root: str,
    arcs: Callable[[str], bool] | None = None,
) -> CoverageSnapshot | None:
    """One run without a before side. Its report names the function of each uncovered line
    of the files it lists, so their functions and classes are read too, for those files only
    (decoding every file's regions costs seconds at 50,000 files): from the parse's undecoded
    views for one JSON input, else in a second pass."""
    if not patterns:
        return None
    paths = expand(patterns, "coverage")
    if len(paths) == 1 and _coverage_kind(paths[0]) == "json":
        from reportgen.inputs.coverage_json import decode_regions

        raw: dict[str, Any] = {}
        with contextlib.ExitStack() as stack:
            try:
                snapshot = load_coverage(patterns, wanted, source_root, arcs, None, stack, raw)
                assert snapshot is not None
                listed = _listed(snapshot)
                files = dict(snapshot.files)
                for path in listed & raw.keys():
                    regions = decode_regions(*raw[path], paths[0], path)
                    files[path] = msgspec.structs.replace(files[path], regions=regions)
            finally:  # the views must go before their input is unmapped, even on an error
                raw.clear()
        snapshot = msgspec.structs.replace(snapshot, files=files)
        # JSON before coverage.py 7.6 has no regions: they come from the source files.
        return _with_source_regions(snapshot, _or_wanted(listed, wanted), source_root)
    snapshot = load_coverage(patterns, wanted, source_root, arcs)
    if snapshot is None:
        return None
    listed = _listed(snapshot)
    if not listed or all(snapshot.files[p].regions is not None for p in listed):
        return snapshot
    needed = _or_wanted(listed, wanted)
    if all(_coverage_kind(path) in ("cobertura", "lcov") for path in snapshot.sources):
        # Their regions come only from the source files: nothing to gain from a second read.
        return _with_source_regions(snapshot, needed, source_root)
    return load_coverage(patterns, needed, source_root, arcs)


def _or_wanted(listed: set[str], wanted: Callable[[str], bool] | None) -> Callable[[str], bool]:
    return listed.__contains__ if wanted is None else _either(listed.__contains__, wanted)


def _listed(snapshot: CoverageSnapshot) -> set[str]:
    """The files an after-only report lists with their uncovered lines, in its order."""
    from reportgen.outputs.context import MAX_ROWS

    with_misses = (
        p for p in sorted(snapshot.files, key=human_key) if _has_misses(snapshot.files[p])
    )
    return set(itertools.islice(with_misses, MAX_ROWS))


def _has_misses(item: FileCoverage) -> bool:
    return bool(item.numbers.num_missing or item.numbers.num_missing_branches)


def _with_source_regions(
    snapshot: CoverageSnapshot, wanted: Callable[[str], bool], root: str
) -> CoverageSnapshot:
    """Name functions from the source files when the JSON predates coverage.py 7.6."""
    from reportgen.inputs.source_regions import regions_from_source

    files = dict(snapshot.files)
    inside = os.path.realpath(root)
    for path, item in snapshot.files.items():
        # A file without a miss has no uncovered line to name: its source is not read.
        if item.regions is not None or not _has_misses(item) or not wanted(path):
            continue
        # Only files under the root: the JSON's paths are data, and an absolute one or one
        # climbing out (`..`, a link) would otherwise read any file of the machine.
        found = os.path.realpath(os.path.join(root, path))
        if os.path.commonpath((inside, found)) != inside:
            continue
        text = read_source(Path(found))
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
    from reportgen.analysis.test_run import combine_test_runs
    from reportgen.inputs.test_results import parse_junit

    runs = []
    for path in expand(patterns, "JUnit"):
        with opened(path) as stream:
            runs.append(parse_junit(stream, path))
    return combine_test_runs(runs)


def gather(
    options: Mapping[str, Any],
    env: Mapping[str, str],
    stdin: IO[bytes] | None = None,
    stored_before: Callable[..., Any] | None = None,
) -> StepInputs:
    """Every input of a step, from the options and the spec's [inputs]. `stored_before`
    reads a stored before side (`--baseline`, `before = "previous"`); the commands pass
    reportgen.commands.baseline's, which itself reads files through this module."""
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

    def targeted(path: str) -> bool:  # a FILE::FUNCTION target is about FILE
        return any(matches(t.pattern.partition("::")[0], path) for t in targets)

    wanted = targeted if targets else None
    changes, patch_min, in_diff = _patch_inputs(options, spec, stdin or sys.stdin.buffer)
    wanted_after = wanted
    if in_diff is not None:
        # The changed files name their uncovered lines' functions too (after the change only).
        wanted_after = in_diff if wanted is None else _either(targeted, in_diff)

    before = options.get("before") or inputs.before
    after = options.get("after") or inputs.after
    wanted = targeted if targets else None
    junit = options.get("junit") or inputs.junit
    junit_before = options.get("junit_before") or inputs.junit_before
    baseline = None
    history_runs = 0
    if options.get("baseline") or (inputs.before_previous and not options.get("before")):
        if stored_before is None:
            raise SpecError("a stored before side (--baseline) is not available here")
        history_runs = options.get("history_runs")
        if history_runs is None:
            history_runs = (spec.history or HistoryRules()).runs
        # History is about tests: read only when this report has some.
        reading = {**options, "history_runs": history_runs if junit else 0}
        baseline = stored_before(reading, spec, before, junit_before, wanted, source_root, env)
        before = junit_before = ()
    if junit_before and not junit:
        raise SpecError("--junit-before needs --junit (the after run) to compare with")
    if before and not after:
        # Without an after side every file would read as removed: a slip, not a report.
        raise SpecError("--before needs --after (the after run) to compare with")
    if not (before or after or junit):
        raise SpecError(
            "nothing to report: give --before/--after, --junit, or a spec whose [inputs] name them"
        )
    functions = None
    before_coverage = after_coverage = None
    before_tests = load_tests(junit_before)
    if baseline is not None:
        before_coverage = baseline.coverage
        before_tests = baseline.tests if junit else None
        if before_coverage is not None and after:
            _, after_coverage, functions = _load_with_functions(
                (), after, wanted, wanted_after, source_root, in_diff, baseline
            )
    elif before and after:
        old, new, functions = _load_with_functions(
            before, after, wanted, wanted_after, source_root, in_diff
        )
        if functions:  # else their undecoded views are gone with the unmapped inputs
            before_coverage, after_coverage = old, new
    read_before = None
    if before_coverage is None:
        before_coverage = read_before = load_coverage(before, wanted, source_root)
    if after_coverage is None:
        after_coverage = (
            load_coverage(after, wanted_after, source_root, in_diff, checked=read_before)
            if before_coverage is not None
            else load_after_alone(after, wanted_after, source_root, in_diff)
        )
    return StepInputs(
        spec=spec,
        precision=precision,
        before=before_coverage,
        after=_measured_alike(before_coverage, after_coverage),
        tests_before=before_tests,
        tests_after=load_tests(junit),
        targets=targets,
        scope=scope,
        source_root=source_root,
        changes=changes,
        patch_min=patch_min,
        baseline=baseline and baseline.note,
        functions=functions,
        # None: no stored runs asked for; (): asked for, none stored yet.
        history=baseline.history if baseline is not None and junit and history_runs else None,
        history_left_out=baseline.left_out if baseline is not None else (),
    )


def _load_with_functions(
    before: Sequence[str],
    after: Sequence[str],
    wanted: Callable[[str], bool] | None,
    wanted_after: Callable[[str], bool] | None,
    source_root: str,
    in_diff: Callable[[str], bool] | None,
    stored: Any = None,
) -> tuple[Any, Any, Any]:
    """Both sides, and the function regions of the files that differ between them.

    Each file's `functions` JSON stays an undecoded view into its mapped input until both
    sides are read, so only the files that differ are decoded, and nothing is read twice.
    With `stored` (a baseline) the before side is its snapshot, with the figures it holds.
    """
    from reportgen.commands.function_inputs import find_functions

    raw_before: dict[str, Any] = {}
    raw_after: dict[str, Any] = {}

    def with_arcs(old: Any, new: Any) -> tuple[Any, Any]:
        # Old or sharded JSON: figures computed from the lines need the arcs that ran.
        keep = lambda path: True  # noqa: E731 - every file of these few inputs
        # A snapshot is read once: it holds the executed arcs its figures from the source need.
        again = old if stored is not None else load_coverage(before, wanted, source_root, keep)
        arcs = keep if in_diff is None else _either(keep, in_diff)
        checked = None if stored is not None else again
        return again, load_coverage(after, wanted_after, source_root, arcs, checked=checked)

    with contextlib.ExitStack() as stack:
        try:
            if stored is not None:
                old = stored.coverage
            else:
                old = load_coverage(before, wanted, source_root, None, raw_before, stack)
            new = load_coverage(
                after,
                wanted_after,
                source_root,
                in_diff,
                raw_after,
                stack,
                checked=None if stored is not None else old,
            )
            assert old is not None and new is not None
            known = None
            if stored is not None:
                # A side given without a snapshot's figures: none are known.
                known = stored.functions.sides if stored.functions else lambda path: False
            return find_functions(
                old,
                new,
                raw_before,
                raw_after,
                wanted or _no_file,
                _sources(source_root),
                with_arcs,
                known,
            )
        finally:  # the views must go before their inputs are unmapped, even on an error
            raw_before.clear()
            raw_after.clear()


def _sources(root: str) -> Callable[[str], str | None]:
    """Reads a measured file's source, only when its path resolves inside `root`."""
    inside = os.path.realpath(root)

    def text(path: str) -> str | None:
        found = os.path.realpath(os.path.join(root, path))
        if os.path.commonpath((inside, found)) != inside:
            return None
        return read_source(Path(found))

    return text


def _measured_alike(
    before: CoverageSnapshot | None, after: CoverageSnapshot | None
) -> CoverageSnapshot | None:
    """Refuse branch data on one side against line-only data on the other, as shards are:
    the branch figures would compare with nothing (inputs of any format, e.g. an LCOV file
    without BRDA records against a branch-measured JSON report)."""
    if before is None or after is None or not before.files or not after.files:
        return after
    for lines, branches in ((before, after), (after, before)):
        if not lines.has_branches and branches.totals.num_branches:
            raise InputError(
                f"{lines.sources[0]}: measured without branch coverage, unlike"
                f" {branches.sources[0]}; both sides must be measured alike"
            )
    return after


def _either(first: Callable[[str], bool], second: Callable[[str], bool]) -> Callable[[str], bool]:
    return lambda path: first(path) or second(path)


def load_changes(diff: str | None, diff_base: str | None, stdin: IO[bytes]) -> Any:
    """--diff FILE (or - for standard input), else `git diff REF...HEAD` for --diff-base."""
    if diff and diff_base:
        raise SpecError("--diff and --diff-base name the change twice; give one of them")
    if diff_base:
        from reportgen.commands.git_diff import git_diff

        return git_diff(diff_base)
    if not diff:
        return None
    from reportgen.inputs.unified_diff import parse_unified_diff

    if diff == "-":
        return parse_unified_diff(stdin, "<stdin>")
    with opened(diff) as stream:
        return parse_unified_diff(stream, diff)


def _patch_inputs(
    options: Mapping[str, Any], spec: Spec, stdin: IO[bytes]
) -> tuple[Any, float | None, Callable[[str], bool] | None]:
    """The change (--diff, --diff-base or the spec's), the criterion's minimum, and which
    measured files the change may name."""
    diff, diff_base = options.get("diff"), options.get("diff_base")
    if not diff and not diff_base:  # an option replaces the spec's choice, not adds to it
        diff, diff_base = spec.inputs.diff, spec.inputs.diff_base
    patch_min = options.get("patch_min")
    if patch_min is None:
        patch_min = spec.patch_min
    changes = load_changes(diff, diff_base, stdin)
    if changes is None:
        return None, patch_min, None
    from reportgen.analysis.patch import might_match

    return changes, patch_min, might_match(changes)


def template_dir(option: str | None) -> Path | None:
    """--templates, else reports/templates/ of the working directory when present."""
    if option:
        path = Path(option)
        if not path.is_dir():
            raise InputError(f"{option}: no such templates folder")
        return path
    default = Path("reports", "templates")
    return default if default.is_dir() else None
