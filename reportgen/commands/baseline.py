"""Baselines: `reportgen baseline save`, and the stored snapshot a report uses as its before side.

A store is a folder of `<commit>.snapshot` files, or `git:BRANCH`: a branch of the `origin`
remote holding only snapshots, written with git's plumbing (no work tree is touched) and
pushed with plain git. git always runs as a subprocess, without a shell, with hooks off.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from reportgen.analysis.milestone import Spec
from reportgen.analysis.models import CoverageSnapshot
from reportgen.analysis.snapshot import SUFFIX, BaselineNote, first_stored
from reportgen.errors import InputError, OutputError, SpecError, one_line, quote

GIT_PREFIX = "git:"
KEEP = 50  # snapshots a git store keeps
PUSH_ATTEMPTS = 4  # a push race is retried with a fresh fetch this many times in all
HISTORY = 1000  # first-parent ancestors of the merge base searched for a snapshot
_FULL_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,200}")
# Where a git store's branch is fetched to: out of the way of the user's own refs.
_LOCAL_REF = "refs/reportgen/stores/"


class GitError(InputError):
    """git failed: the message is its first line of complaint."""


def git(*args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None) -> bytes:
    """Run git in the working directory (no shell, no hooks, no prompts); its stdout."""
    command = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.quotePath=false", *args]
    environment = dict(os.environ if env is None else env)
    environment["GIT_TERMINAL_PROMPT"] = "0"  # a missing credential fails, never waits
    try:
        done = subprocess.run(
            command,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            env=environment,
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed (baselines need it)") from None
    except OSError as err:
        raise GitError(f"cannot run git ({err.strerror or err})") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").splitlines()
        reason = next((line.strip() for line in lines if line.strip()), "")
        # git's complaint may quote a ref or path from the environment or a store: bounded.
        raise GitError(
            f"git {args[0]}: {one_line(reason, 300) or f'exit status {done.returncode}'}"
        )
    return done.stdout


def _lines(output: bytes) -> list[str]:
    return output.decode("utf-8", "replace").split()


# --- Stores ------------------------------------------------------------------------------


class FolderStore:
    """Snapshots as files of a folder (for example inside the report archive)."""

    def __init__(self, folder: str) -> None:
        self.folder = Path(folder)
        self.name = folder

    def commits(self) -> set[str]:
        if not self.folder.is_dir():
            return set()
        return {
            p.name[: -len(SUFFIX)]
            for p in self.folder.iterdir()
            if p.name.endswith(SUFFIX) and _FULL_ID.fullmatch(p.name[: -len(SUFFIX)])
        }

    def path(self, commit: str) -> str:
        return str(self.folder / f"{commit}{SUFFIX}")

    def read(self, commit: str) -> bytes:
        from reportgen.commands.gather import read_bytes

        return read_bytes(self.path(commit))

    def save(self, commit: str, data: bytes) -> str:
        from reportgen.outputs.atomic_write import PlannedFile, write_all

        if self.folder.exists() and not self.folder.is_dir():
            raise OutputError(f"{self.name}: the store must be a folder, and this is a file")
        # A run measured again replaces its snapshot: the store keeps the latest measurement
        # (a git: store keeps the earlier saves in its history; a folder cannot).
        replaced = Path(self.path(commit)).is_file()
        write_all([PlannedFile(Path(self.path(commit)), data)], force=True)
        if replaced:
            return f"replaced the snapshot of {commit[:7]} in {self.path(commit)}"
        return f"saved the snapshot of {commit[:7]} to {self.path(commit)}"


class GitStore:
    """Snapshots on a branch of `origin` that holds nothing else, one commit per save."""

    def __init__(self, branch: str) -> None:
        if not _BRANCH.fullmatch(branch) or ".." in branch or branch.endswith((".lock", "/")):
            raise SpecError(f"--store git:{branch}: not a usable branch name")
        self.branch = branch
        self.name = f"{GIT_PREFIX}{branch}"
        self.local = _LOCAL_REF + branch

    def fetch(self) -> str | None:
        """The branch's newest commit on origin (fetched), None when origin has no such branch."""
        listed = git("ls-remote", "--heads", "origin", f"refs/heads/{self.branch}")
        if not listed.strip():
            return None
        git("fetch", "--quiet", "--no-tags", "origin", f"+refs/heads/{self.branch}:{self.local}")
        return git("rev-parse", "--verify", f"{self.local}^{{commit}}").decode().strip()

    def commits(self) -> set[str]:
        self.head = self.fetch()
        if self.head is None:
            return set()
        names = git("ls-tree", "-z", "--name-only", self.head).decode("utf-8", "replace")
        return {
            n[: -len(SUFFIX)]
            for n in names.split("\0")
            if n.endswith(SUFFIX) and _FULL_ID.fullmatch(n[: -len(SUFFIX)])
        }

    def path(self, commit: str) -> str:
        return f"{self.name}:{commit}{SUFFIX}"

    def read(self, commit: str) -> bytes:
        return git("cat-file", "blob", f"{self.head}:{commit}{SUFFIX}")

    def versions(self) -> dict[str, list[str]]:
        """Every saved blob of each commit's snapshot, oldest first, by commit: a run
        measured again (a job re-run on the same commit) keeps its earlier saves in the
        branch's history, which is where a test that passed and failed on one commit shows."""
        if getattr(self, "head", None) is None:
            return {}
        log = git(
            "log",
            "--reverse",
            "--root",
            "--raw",
            "--no-abbrev",
            "--no-renames",
            "--format=",
            self.head,
        )
        found: dict[str, list[str]] = {}
        for line in log.decode("utf-8", "replace").splitlines():
            fields, _, name = line.partition("\t")
            parts = fields.split()
            if len(parts) != 5 or parts[4] not in ("A", "M") or not name.endswith(SUFFIX):
                continue
            found.setdefault(name[: -len(SUFFIX)], []).append(parts[3])
        return found

    def read_blob(self, blob: str) -> bytes:
        return git("cat-file", "blob", blob)

    def save(self, commit: str, data: bytes) -> str:
        blob = git("hash-object", "-w", "--stdin", stdin=data).decode().strip()
        for _ in range(PUSH_ATTEMPTS):
            parent = self.fetch()
            tree = self._tree(parent, commit, blob)
            message = f"reportgen snapshot of {commit}\n".encode()
            # A fixed identity: the job's git user may not be configured (or may be anyone).
            env = {
                **os.environ,
                "GIT_AUTHOR_NAME": "reportgen",
                "GIT_AUTHOR_EMAIL": "reportgen@users.noreply.github.com",
                "GIT_COMMITTER_NAME": "reportgen",
                "GIT_COMMITTER_EMAIL": "reportgen@users.noreply.github.com",
            }
            parents = ["-p", parent] if parent else []
            new = git("commit-tree", tree, *parents, stdin=message, env=env).decode().strip()
            try:
                # Never forced: a save that raced another is retried on top of it.
                git("push", "--quiet", "--no-verify", "origin", f"{new}:refs/heads/{self.branch}")
            except GitError:
                continue
            return f"saved the snapshot of {commit[:7]} to {self.name}"
        raise OutputError(
            f"{self.name}: the push was rejected {PUSH_ATTEMPTS} times (other saves racing,"
            " or no permission to push: the save job needs `contents: write`)"
        )

    def _tree(self, parent: str | None, commit: str, blob: str) -> str:
        """The store's tree with this snapshot added (or replaced), the oldest beyond KEEP gone."""
        entries: dict[str, bytes] = {}
        order: list[str] = []
        if parent:
            listing = git("ls-tree", "-z", parent).split(b"\0")
            for entry in filter(None, listing):
                name = entry.split(b"\t", 1)[1].decode("utf-8", "replace")
                entries[name] = entry
            # Names in the order they were first added, newest first.
            added = git("log", "--format=", "--name-only", "--diff-filter=A", "-z", parent)
            order = [n for n in added.decode("utf-8", "replace").split("\0") if n.strip()]
            order = [n.strip() for n in order]
        name = f"{commit}{SUFFIX}"
        entries[name] = f"100644 blob {blob}\t{name}".encode()
        kept = [name] + [n for n in dict.fromkeys(order) if n in entries and n != name]
        kept += sorted(n for n in entries if n not in kept)
        listing = b"".join(entries[n] + b"\0" for n in sorted(kept[:KEEP]))
        return git("mktree", "-z", stdin=listing).decode().strip()


def open_store(spec: str) -> FolderStore | GitStore:
    if spec.startswith(GIT_PREFIX):
        return GitStore(spec[len(GIT_PREFIX) :])
    return FolderStore(spec)


# --- Saving ------------------------------------------------------------------------------


def resolve_commit(option: str | None, env: Mapping[str, str]) -> str:
    """--commit, else GITHUB_SHA, else `git rev-parse HEAD`: a full commit id."""
    given = option or env.get("GITHUB_SHA") or "HEAD"
    if _FULL_ID.fullmatch(given):
        return given
    what = "--commit" if option else ("GITHUB_SHA" if env.get("GITHUB_SHA") else "HEAD")
    if given.startswith("-"):
        raise SpecError(f"{what} {quote(given)}: not a commit")
    try:
        return git("rev-parse", "--verify", "--quiet", f"{given}^{{commit}}").decode().strip()
    except GitError as err:
        hint = (
            "" if option else "; outside a git repository, name the run's commit with --commit SHA"
        )
        raise SpecError(
            f"{what} {quote(given)}: not a commit of this repository ({err}){hint}"
        ) from None


def save_baseline(options: Mapping[str, Any], env: Mapping[str, str]) -> list[str]:
    """`reportgen baseline save`: one run's snapshot into the store; what was done, in lines."""
    from reportgen.commands.gather import load_tests
    from reportgen.outputs.snapshot import encode_snapshot

    after, junit = options.get("after") or (), options.get("junit") or ()
    if not after and not junit:
        raise SpecError("nothing to save: give --after (coverage) and/or --junit")
    store = open_store(options["store"])
    commit = resolve_commit(options.get("commit"), env)
    # A data file is reported from --source-root (default the working folder), as
    # `coverage json` run there would report it.
    coverage, version, functions = load_whole_coverage(after, options.get("source_root") or ".")
    tests = load_tests(junit)
    data = encode_snapshot(commit, coverage, tests, version, functions)
    return [store.save(commit, data)]


def load_whole_coverage(
    patterns: Sequence[str], source_root: str = "."
) -> tuple[Any, str | None, Any]:
    """Every file's coverage with its functions and classes, as stored; the coverage.py
    version the (first) report names; and every file's function figures as a before side
    (see `function_inputs.side_functions`). Inputs of any format `step` reads; data files
    are reported from `source_root`."""
    if not patterns:
        return None, None, None
    import contextlib

    from reportgen.commands.coverage_inputs import read_other_coverage
    from reportgen.commands.function_inputs import side_functions
    from reportgen.commands.gather import _coverage_kind, expand, mapped, opened
    from reportgen.inputs.coverage_json import combine_snapshots, parse_coverage_json
    from reportgen.inputs.coverage_kind import DATA_FILE, JSON
    from reportgen.inputs.snapshot import coverage_py_version

    paths = expand(patterns, "coverage")
    kinds = [_coverage_kind(path) for path in paths]
    # Cobertura and LCOV carry neither function data nor executed arcs: read once.
    plain: dict[str, CoverageSnapshot] = {}
    raw: dict[str, msgspec.Raw] = {}
    with contextlib.ExitStack() as stack:
        try:
            inputs = [
                stack.enter_context(mapped(path)) if kind == JSON else None
                for path, kind in zip(paths, kinds, strict=True)
            ]

            def read(
                arcs: Callable[[str], bool] | None, keep: dict[str, msgspec.Raw] | None = None
            ) -> CoverageSnapshot:
                snapshots = []
                for path, kind, data in zip(paths, kinds, inputs, strict=True):
                    if data is not None:
                        snapshots.append(parse_coverage_json(data, path, None, arcs, keep))
                    elif kind == DATA_FILE:
                        snapshots.append(
                            read_other_coverage(kind, path, source_root, opened, None, arcs, keep)
                        )
                    else:
                        if path not in plain:
                            plain[path] = read_other_coverage(kind, path, source_root, opened)
                        snapshots.append(plain[path])
                return combine_snapshots(snapshots)

            coverage = read(None, raw)
            versions = [coverage_py_version(data) for data in inputs if data is not None]
            if DATA_FILE in kinds:  # reported by the coverage.py installed here
                import coverage as coverage_py

                versions.append(coverage_py.__version__)

            def with_arcs(_: Any) -> Any:
                # Shards, or JSON without coverage.py's summaries: figures computed from the
                # lists need the arcs that ran, read again for every file.
                return read(lambda path: True)

            functions = side_functions(coverage, raw, with_arcs)
            # Files without function data get their figures from the report's source, which
            # for branches needs the arcs that ran: kept for those files only.
            bare = {p for p, f in coverage.files.items() if p not in raw and f.numbers.num_branches}
            if bare:
                coverage = read(bare.__contains__)
        finally:  # the views must go before their inputs are unmapped, even on an error
            raw.clear()
    return coverage, next((v for v in versions if v), None), functions


# --- Finding the baseline of a report ----------------------------------------------------


class BaselineSide(msgspec.Struct, frozen=True):
    """The before side a store gave (both None when none was usable) and the report's line."""

    coverage: Any
    tests: Any
    note: BaselineNote
    # The snapshot's function figures (reportgen.inputs.snapshot.StoredFunctions), if any.
    functions: Any = None
    # The tests of the newest stored runs up to the baseline's, oldest first (HistoryRun).
    history: tuple[Any, ...] = ()
    # Why stored runs of the history could not be read (one line each; they are left out).
    left_out: tuple[str, ...] = ()


def base_ref(option: str | None, env: Mapping[str, str]) -> tuple[str, str]:
    """(revision, its name) the merge base is taken with: --baseline-ref, else the pull
    request's base (GITHUB_BASE_REF; in a GitLab merge-request pipeline the merge base GitLab
    computed, CI_MERGE_REQUEST_DIFF_BASE_SHA, since its clone has no remote branches), else
    origin's default branch."""
    name = (
        option
        or env.get("GITHUB_BASE_REF")
        or (env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") if env.get("GITLAB_CI") else None)
    )
    if name:
        if name.startswith("-"):
            raise SpecError(f"--baseline-ref {quote(name)}: not a git revision")
        # A ref the user wrote means what git reads it as (`main` is the local branch, as
        # for --diff-base); a CI's base branch name exists only as origin's in its clone.
        remote = f"refs/remotes/origin/{name}"
        for candidate in (name, remote) if option else (remote, name):
            try:
                git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}")
                return candidate, name
            except GitError:
                continue
        if option:  # a ref the user named and git does not know is a mistake, not "no baseline"
            raise SpecError(f"--baseline-ref {quote(name)}: no such branch or commit")
        raise GitError(f"no such branch or commit {quote(name)} (fetch it, e.g. fetch-depth: 0)")
    try:
        ref = git("symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").decode().strip()
        return ref, ref.removeprefix("refs/remotes/origin/")
    except GitError:
        pass
    listed = git("ls-remote", "--symref", "origin", "HEAD").decode("utf-8", "replace")
    match = re.search(r"^ref: refs/heads/(\S+)\s+HEAD", listed, re.MULTILINE)
    if not match:
        raise GitError("cannot tell origin's default branch (give --baseline-ref)")
    return f"refs/remotes/origin/{match.group(1)}", match.group(1)


def find_baseline(
    store_spec: str,
    ref_option: str | None,
    env: Mapping[str, str],
    reader: Callable[[bytes, str], tuple[Any, Any, str, Any]],
    history_runs: int = 0,
) -> BaselineSide:
    """The snapshot of the merge base of HEAD and the base branch, else of its newest
    first-parent ancestor that has one; without one, a side with nothing and the reason."""
    store = open_store(store_spec)

    def nothing(reason: str) -> BaselineSide:
        text = f"No baseline: {reason}; this report has no before side."
        return BaselineSide(None, None, BaselineNote(store=store.name, text=text))

    try:
        stored = store.commits()
        if not stored:
            return nothing(f"{store.name} holds no snapshot yet")
        revision, name = base_ref(ref_option, env)
        merge_base = git("merge-base", "HEAD", revision).decode().split()[0]
        history = _lines(
            git("rev-list", "--first-parent", f"--max-count={HISTORY}", merge_base, "--")
        )
    except GitError as err:
        return nothing(f"git could not read {store.name} or find the merge base ({err})")
    found = first_stored(history, stored)
    if found is None:
        return nothing(
            f"{store.name} holds no snapshot of the merge base with {name}"
            f" ({merge_base[:7]}) nor of its last {HISTORY} ancestors"
        )
    commit, distance = found
    source = store.path(commit)
    coverage, tests, claimed, functions = reader(store.read(commit), source)
    if claimed != commit:  # a snapshot filed under another commit's name measures another run
        raise InputError(f"{source}: holds the snapshot of {claimed[:12] or 'no commit'}")
    runs, left_out = _stored_runs(
        store, [c for c in history if c in stored][:history_runs], {commit: tests}
    )
    if history_runs and len(history) < HISTORY and _shallow():
        # A shallow clone reaches only its own few commits: say why the history is short.
        left_out += (
            f"this clone is shallow: only {len(history)} commit"
            f"{'s' * (len(history) != 1)} of the main line could be searched for stored"
            " runs (fetch with fetch-depth: 0)",
        )
    return BaselineSide(
        coverage,
        tests,
        BaselineNote(
            store=store.name,
            commit=commit,
            merge_base=merge_base,
            distance=distance,
            text=baseline_text(commit, distance, name),
            base=name,
        ),
        functions,
        runs,
        left_out,
    )


def _stored_runs(
    store: FolderStore | GitStore, commits: Sequence[str], known: Mapping[str, Any]
) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """The tests of these stored runs (newest first) as history, oldest first, and why
    those that could not be read were left out; `known` holds runs already read (the
    baseline's own)."""
    from reportgen.analysis.history import HistoryRun
    from reportgen.inputs.snapshot import read_snapshot_tests

    left_out: list[str] = []

    def read(data: Callable[[], bytes], source: str, commit: str) -> Any:
        """The run's tests; None, and the reason kept, for a snapshot that cannot be read:
        an older run is history, not the before side, and a corrupt earlier save in a git
        store could never be replaced."""
        try:
            claimed, tests = read_snapshot_tests(data(), source)
            if claimed != commit:
                raise InputError(f"{source}: holds the snapshot of {claimed[:12] or 'no commit'}")
        except InputError as err:
            left_out.append(str(err))
            return None
        return tests

    # A git store also keeps the earlier saves of a commit measured again.
    versions = store.versions() if isinstance(store, GitStore) and commits else {}
    runs = []
    for commit in reversed(commits):
        source = store.path(commit)
        found = [
            read(
                lambda blob=blob: store.read_blob(blob),
                f"{source} (an earlier save, {blob[:7]})",
                commit,
            )
            for blob in versions.get(commit, [])[:-1]
        ]
        found.append(
            known[commit]
            if commit in known
            else read(lambda commit=commit: store.read(commit), source, commit)
        )
        runs += [HistoryRun(commit[:7], commit, tests) for tests in found if tests is not None]
    return tuple(runs), tuple(left_out)


def _shallow() -> bool:
    try:
        return git("rev-parse", "--is-shallow-repository").strip() == b"true"
    except GitError:
        return False


def baseline_text(commit: str, distance: int, base: str) -> str:
    from reportgen.analysis.snapshot import ancestors_text

    if distance == 0:
        return f"Baseline from {commit[:7]}, the merge base with {base}."
    return f"Baseline from {commit[:7]}, {ancestors_text(distance)} before the merge base."


def baseline_side(
    options: Mapping[str, Any],
    spec: Spec,
    before: Sequence[str],
    junit_before: Sequence[str],
    wanted: Callable[[str], bool] | None,
    source_root: str,
    env: Mapping[str, str],
) -> BaselineSide:
    """`--baseline STORE` (or the spec's `before = "previous"`): the before side from a
    stored snapshot, read as `--before` would be."""
    what = "--baseline" if options.get("baseline") else 'the spec\'s before = "previous"'
    if before or junit_before:
        raise SpecError(f"{what} is the before side: drop --before and --junit-before")
    from reportgen.commands.gather import _no_file, _with_source_regions
    from reportgen.inputs.snapshot import read_snapshot

    def reader(data: bytes, source: str) -> tuple[Any, Any, str, Any]:
        found = read_snapshot(data, source, wanted or _no_file)
        coverage = found.coverage
        if coverage is not None and wanted is not None:
            coverage = _with_source_regions(coverage, wanted, source_root)
        return coverage, found.tests, found.commit, found.functions

    runs = options.get("history_runs") or 0
    if not options.get("baseline"):
        return previous_step(options.get("archive"), spec, reader, runs)
    return find_baseline(options["baseline"], options.get("baseline_ref"), env, reader, runs)


# --- The archive chains itself: before = "previous" --------------------------------------


def archive_snapshot(
    out: str, formats: int, inputs: Any, stem: str, after: Sequence[str] = ()
) -> list[Any]:
    """The snapshot archived beside a step's reports in a folder (its after side), when the
    step is an archived one (a milestone and a step) and has a run to store. No commit: the
    archive is keyed by step, and its bytes must not change with the checkout. `after` (the
    step's after inputs) are read again as `baseline save` reads them."""
    from reportgen.outputs.atomic_write import PlannedFile
    from reportgen.outputs.snapshot import encode_snapshot

    spec = inputs.spec
    to_folder = out.endswith(("/", "\\")) or Path(out).is_dir() or formats > 1
    if not to_folder or not (spec.milestone and spec.step):
        return []
    if inputs.after is None and inputs.tests_after is None:
        return []
    coverage, functions = inputs.after, None
    if coverage is not None and after:
        # Read again whole, as `baseline save` reads it: every file's functions and arcs.
        coverage, _, functions = load_whole_coverage(after, inputs.source_root)
    data = encode_snapshot("", coverage, inputs.tests_after, None, functions)
    return [PlannedFile(Path(out) / f"{stem}{SUFFIX}", data)]


def previous_step(
    archive: str | None,
    spec: Spec,
    reader: Callable[[bytes, str], tuple[Any, Any, str, Any]],
    history_runs: int = 0,
) -> BaselineSide:
    """The after side archived with the milestone's latest earlier step in `archive`."""
    # The index's own order of steps ("Step 10" after "Step 9").
    from reportgen.outputs.index import _natural as natural_key

    # A folder named with a trailing "/" that does not exist yet is a new archive: the
    # milestone's first step, with nothing before it.
    new_folder = archive and archive.endswith(("/", "\\")) and not Path(archive).exists()
    if not archive or archive == "-" or not (Path(archive).is_dir() or new_folder):
        raise SpecError('before = "previous" needs the archive: step --out DIR/ (a folder)')
    if not (spec.milestone and spec.step):
        raise SpecError('before = "previous" needs the spec\'s milestone and step')
    from reportgen.commands.gather import slug

    folder = Path(archive)
    # (the step's slug order, so steps known by name and by snapshot alone compare alike;
    # its name's order; its name, None when known by its snapshot alone; the snapshot)
    earlier: list[tuple[Any, Any, str | None, Path]] = []
    summarised: set[str] = set()
    for path in sorted(folder.glob("*.json")):
        try:
            summary = msgspec.json.decode(path.read_bytes())
        except (OSError, msgspec.DecodeError):
            continue  # not an archived summary: the index command reports those
        if not isinstance(summary, dict):
            continue
        summarised.add(path.stem)
        if summary.get("milestone") != spec.milestone:
            continue
        step = summary.get("step")
        if isinstance(step, str) and natural_key(step) < natural_key(spec.step):
            order = natural_key(slug(step))
            earlier.append((order, natural_key(step), step, path.with_suffix(SUFFIX)))
    # A step archived without a JSON summary (md only, the default) is known by its
    # snapshot alone: `<milestone slug>--<step slug>.snapshot`, ordered by the step's slug.
    prefix, current = f"{slug(spec.milestone)}--", slug(spec.step)
    if prefix != "--" and current:
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            stem = path.name[: -len(SUFFIX)]
            rest = stem[len(prefix) :]
            if stem in summarised or not stem.startswith(prefix) or not rest:
                continue
            if natural_key(rest) < natural_key(current) and path.is_file():
                earlier.append((natural_key(rest), natural_key(rest), None, path))
    store = str(folder)
    if not earlier:
        text = (
            f"No baseline: no step of {spec.milestone} before {spec.step} is archived in"
            f" {archive}; this report has no before side."
        )
        return BaselineSide(None, None, BaselineNote(store=store, text=text))
    _, _, step, snapshot = max(earlier, key=lambda found: found[:2])
    # Step order (stable: equal keys keep their file order) for the history's runs.
    earlier.sort(key=lambda found: found[:2])
    if not snapshot.is_file():
        text = (
            f"No baseline: {step} was archived without a snapshot ({snapshot.name});"
            " this report has no before side."
        )
        # The older steps' snapshots are history all the same.
        runs, left_out = _archived_runs(earlier, history_runs, {})
        return BaselineSide(None, None, BaselineNote(store=store, text=text), None, runs, left_out)
    from reportgen.commands.gather import read_bytes

    coverage, tests, _, functions = reader(read_bytes(str(snapshot)), str(snapshot))
    what = step if step is not None else snapshot.name[: -len(SUFFIX)]
    return BaselineSide(
        coverage,
        tests,
        BaselineNote(store=store, text=f"Before side: the after side of {what}, as archived."),
        functions,
        *_archived_runs(earlier, history_runs, {snapshot: tests}),
    )


def _archived_runs(
    earlier: Sequence[tuple[Any, Any, str | None, Path]],
    limit: int,
    known: Mapping[Path, Any],
) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """The tests archived with the newest `limit` earlier steps (in step order) that have a
    snapshot, oldest first; their commits are unknown (the archive is keyed by step)."""
    from reportgen.analysis.history import HistoryRun
    from reportgen.commands.gather import read_bytes
    from reportgen.inputs.snapshot import read_snapshot_tests

    with_snapshot = [found for found in earlier if found[3].is_file()]
    runs, left_out = [], []
    for _, _, step, path in with_snapshot[len(with_snapshot) - limit :] if limit else ():
        try:
            tests = (
                known[path]
                if path in known
                else read_snapshot_tests(read_bytes(str(path)), str(path))[1]
            )
        except InputError as err:  # history, not the before side: left out, and said so
            left_out.append(str(err))
            continue
        if tests is not None:
            runs.append(HistoryRun(step or path.name[: -len(SUFFIX)], "", tests))
    return tuple(runs), tuple(left_out)
