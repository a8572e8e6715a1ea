"""A synthetic Python code base: the shape of each module, and what a test run executed in it.

Everything derives from a seed and a file's path, so any one file can be rebuilt on its own and
in any order (the JSON and the Cobertura writers walk the files in different orders), and the
same arguments always give the same code base.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

VERBS = (
    "load", "parse", "merge", "render", "resolve", "fetch", "build", "check", "apply", "scan",
    "encode", "decode", "split", "flush", "open", "close", "read", "write", "sync", "index",
)  # fmt: skip
NOUNS = (
    "config", "profile", "report", "session", "cache", "token", "record", "queue", "schema",
    "payload", "window", "shard", "ledger", "metric", "event", "policy", "router", "client",
    "worker", "bundle", "channel", "store", "filter", "stream", "batch", "plugin", "engine",
    "signal", "limit", "snapshot",
)  # fmt: skip
AREAS = (
    "api", "core", "tools", "storage", "billing", "search", "auth", "ingest", "export", "ui",
    "jobs", "alerts", "audit", "sync", "infra", "reports", "shadow", "soak", "common", "net",
)  # fmt: skip

# How the after side of each file differs from the before side, and how often.
UNCHANGED, GAINED, LOST, EDITED, ADDED, REMOVED = (
    "unchanged", "gained", "lost", "edited", "added", "removed",
)  # fmt: skip
CHANGE_WEIGHTS = ((GAINED, 0.05), (LOST, 0.02), (EDITED, 0.03), (REMOVED, 0.01))
ADDED_SHARE = 0.01

# Module sizes are log-normal (many small modules, a few huge ones). The mean of the modules
# proper is set so that the whole code base, `__init__.py` files included, averages about
# 106 statements a file, as the large monorepos in the benchmark's reference table do.
MODULE_MEAN_STATEMENTS = 105.7
MODULE_SIGMA = 0.85
MODULES_PER_PACKAGE = 11


@dataclass(frozen=True, slots=True)
class Branch:
    """An `if` or `for` line with two exits: into its body, or on to `other`."""

    line: int
    body: tuple[int, ...]
    # The next statement, or minus the def line when the branch ends the function: coverage.py
    # writes an exit arc as a negative target.
    other: int


@dataclass(frozen=True, slots=True)
class Function:
    """A function or method; its def line is a module-level statement, its body is its region."""

    name: str  # qualified the way coverage.py names regions: "load" or "Reader.load"
    owner: str  # the enclosing class, "" for a module-level function
    start: int  # the def line
    end: int  # the last line of the body
    plain: tuple[int, ...]  # statements that run whenever it is called, branch lines included
    branches: tuple[Branch, ...]
    excluded: bool  # `# pragma: no cover` on the def line: the whole function is excluded

    @property
    def statements(self) -> tuple[int, ...]:
        """Every statement line of the body, in order."""
        return tuple(sorted(self.plain + tuple(n for b in self.branches for n in b.body)))


@dataclass(frozen=True, slots=True)
class Module:
    """The statement layout of one source file."""

    path: str
    num_lines: int
    top: tuple[int, ...]  # module-level statements: imports, constants, class and def lines
    excluded_top: tuple[int, ...]  # def lines that carry `# pragma: no cover`
    classes: tuple[tuple[str, int], ...]  # (name, class line)
    functions: tuple[Function, ...]  # in source order, methods included


@dataclass(frozen=True, slots=True)
class Run:
    """What one test run executed in a module."""

    imported: bool
    called: frozenset[str]  # names of the functions that ran
    entered: frozenset[int]  # branch lines whose body ran
    passed: frozenset[int]  # branch lines whose other exit ran


@dataclass(frozen=True, slots=True)
class FilePlan:
    """A file of the code base and how its after side differs from its before side."""

    path: str
    change: str


NOT_RUN = Run(False, frozenset(), frozenset(), frozenset())


def plan_codebase(files: int, seed: int) -> tuple[FilePlan, ...]:
    """`files` files on the before side plus about 1% added ones, sorted by path."""
    rng = random.Random(f"{seed}:plan")
    paths = _paths(files + round(files * ADDED_SHARE), rng)
    modules = [i for i, p in enumerate(paths) if not p.endswith("/__init__.py")]
    added = set(rng.sample(modules, len(paths) - files))
    plans = (FilePlan(p, ADDED if i in added else _draw_change(rng)) for i, p in enumerate(paths))
    return tuple(sorted(plans, key=lambda plan: plan.path))


def side_of(plan: FilePlan, seed: int, after: bool) -> tuple[Module, Run] | None:
    """The module and its run on one side, or None when the file is absent there."""
    if plan.change == (REMOVED if after else ADDED):
        return None
    module = build_module(plan.path, seed)
    run = first_run(module, random.Random(f"{seed}:{plan.path}:run"))
    if not after:
        return module, run
    return _after(plan.change, module, run, random.Random(f"{seed}:{plan.path}:after"))


def build_module(path: str, seed: int) -> Module:
    """The layout of the module at `path`."""
    rng = random.Random(f"{seed}:{path}:shape")
    return _layout(path, _statement_budget(path, rng), rng)


def first_run(module: Module, rng: random.Random) -> Run:
    """A run that never imports the module, barely tests it, or (mostly) tests it well."""
    if not module.top:
        return NOT_RUN
    kind = rng.random()
    if kind < 0.05:
        return NOT_RUN
    level = rng.uniform(0.1, 0.5) if kind < 0.15 else rng.betavariate(6.0, 1.2)
    live = [f for f in module.functions if not f.excluded]
    imported = Run(True, frozenset(), frozenset(), frozenset())
    return _with_calls(imported, [f for f in live if rng.random() < level], rng)


def _after(change: str, module: Module, run: Run, rng: random.Random) -> tuple[Module, Run]:
    """The after side of a file that exists on both sides (or was added)."""
    if change == GAINED:
        return module, _gain(module, run, rng)
    if change == LOST:
        return module, _lose(run, rng)
    if change == EDITED:
        edited = _extend(module, rng)
        new = [f for f in edited.functions[len(module.functions) :] if rng.random() < 0.8]
        # Whoever adds code to a module imports it in a test, even one no test imported before.
        return edited, _with_calls(replace(run, imported=True), new, rng)
    return module, run


def _gain(module: Module, run: Run, rng: random.Random) -> Run:
    """New tests call about half of the functions no test called before."""
    if not run.imported:
        return first_run(module, rng)
    idle = [f for f in module.functions if not f.excluded and f.name not in run.called]
    return _with_calls(run, [f for f in idle if rng.random() < 0.5], rng)


def _lose(run: Run, rng: random.Random) -> Run:
    """A test was deleted: about a third of the called functions no longer run."""
    dropped = {name for name in sorted(run.called) if rng.random() < 0.3}
    return replace(run, called=run.called - dropped)


def _with_calls(run: Run, functions: list[Function], rng: random.Random) -> Run:
    """`run` with `functions` called too, each branch entered, passed or both."""
    entered, passed = set(run.entered), set(run.passed)
    for branch in (b for f in functions for b in f.branches):
        into = rng.random() < 0.75
        # A line that ran left by at least one of its exits.
        if into:
            entered.add(branch.line)
        if not into or rng.random() < 0.8:
            passed.add(branch.line)
    called = run.called | {f.name for f in functions}
    return Run(run.imported, called, frozenset(entered), frozenset(passed))


def _draw_change(rng: random.Random) -> str:
    """How a file that exists before changes in the after run."""
    draw = rng.random()
    for change, weight in CHANGE_WEIGHTS:
        if draw < weight:
            return change
        draw -= weight
    return UNCHANGED


def _paths(count: int, rng: random.Random) -> list[str]:
    """`count` unique paths: packages of about a dozen modules, each with an `__init__.py`."""
    paths: list[str] = []
    seen: set[str] = set()
    for package in _packages(rng):
        names = [f"{package}/__init__.py"] + _module_names(package, rng)
        for path in names[: count - len(paths)]:
            if path not in seen:
                seen.add(path)
                paths.append(path)
        if len(paths) >= count:
            return paths
    raise AssertionError("the package generator is endless")


def _packages(rng: random.Random) -> Iterator[str]:
    """Endless distinct package directories, one to four levels below `src/`."""
    seen: set[str] = set()
    while True:
        depth = rng.choice((1, 2, 2, 3, 3, 4))
        parts = [rng.choice(AREAS)] + [_snake(rng) for _ in range(depth - 1)]
        package = "src/" + "/".join(parts)
        if package not in seen:
            seen.add(package)
            yield package


def _module_names(package: str, rng: random.Random) -> list[str]:
    """The module files of one package."""
    count = max(1, round(rng.expovariate(1 / MODULES_PER_PACKAGE)))
    return [f"{package}/{_snake(rng)}.py" for _ in range(count)]


def _snake(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}"


def _camel(rng: random.Random) -> str:
    return rng.choice(NOUNS).title() + rng.choice(NOUNS).title()


def _statement_budget(path: str, rng: random.Random) -> int:
    """How many statements a module has: log-normal, `__init__.py` files nearly empty."""
    if path.endswith("/__init__.py"):
        return 0 if rng.random() < 0.6 else rng.randint(1, 6)
    mu = math.log(MODULE_MEAN_STATEMENTS) - MODULE_SIGMA**2 / 2
    return min(4000, max(2, round(rng.lognormvariate(mu, MODULE_SIGMA))))


def _layout(path: str, budget: int, rng: random.Random) -> Module:
    """Imports, then functions and classes until `budget` statements are placed."""
    imports = min(budget, rng.randint(1, 8))
    module = Module(path, imports, tuple(range(1, imports + 1)), (), (), ())
    while _size(module) < budget:
        room = budget - _size(module)
        module = _add_class(module, room, rng) if rng.random() < 0.3 else _add_def(module, rng)
    return module


def _size(module: Module) -> int:
    return len(module.top) + sum(len(f.statements) for f in module.functions if not f.excluded)


def _add_def(module: Module, rng: random.Random, owner: str = "") -> Module:
    """Append a function (or a method of `owner`) after two blank lines, or one for a method."""
    start = module.num_lines + (2 if owner else 3)
    name = _unique(module, owner, rng)
    function = _function(name, owner, start, rng)
    top, excluded = (module.top, module.excluded_top + (start,))
    if not function.excluded:
        top, excluded = module.top + (start,), module.excluded_top
    return replace(
        module, num_lines=function.end, top=top, excluded_top=excluded,
        functions=module.functions + (function,),
    )  # fmt: skip


def _add_class(module: Module, room: int, rng: random.Random) -> Module:
    """Append a class: its line, a few class attributes, then its methods."""
    names = {name for name, _ in module.classes}
    name = next(n for n in iter(lambda: _camel(rng), None) if n not in names)
    start = module.num_lines + 3
    attributes = tuple(range(start + 1, start + 1 + rng.randint(0, 3)))
    module = replace(
        module, num_lines=start + len(attributes), top=module.top + (start,) + attributes,
        classes=module.classes + ((name, start),),
    )  # fmt: skip
    for _ in range(max(1, min(round(rng.expovariate(1 / 5)), room // 6))):
        module = _add_def(module, rng, owner=name)
    return module


def _unique(module: Module, owner: str, rng: random.Random) -> str:
    """A function name not yet used in this scope; a class's first method is often `__init__`."""
    prefix = f"{owner}." if owner else ""
    taken = {f.name for f in module.functions}
    if owner and f"{prefix}__init__" not in taken and rng.random() < 0.6:
        return f"{prefix}__init__"
    while True:
        name = prefix + _snake(rng) + ("" if rng.random() < 0.8 else f"_{rng.choice(NOUNS)}")
        if name not in taken:
            return name


def _function(name: str, owner: str, start: int, rng: random.Random) -> Function:
    """A body of about eight statements with a docstring, branches and continuation lines."""
    size = 1 + round(rng.expovariate(1 / 6))
    line = start + 1 + (rng.randint(1, 4) if rng.random() < 0.5 else 0)
    plain: list[int] = []
    bodies: list[tuple[int, tuple[int, ...]]] = []
    placed = 0
    while placed < size:
        if size - placed >= 2 and rng.random() < 0.3:
            length = min(rng.randint(1, 4), size - placed - 1)
            bodies.append((line, tuple(range(line + 1, line + 1 + length))))
            plain.append(line)
            line, placed = line + 1 + length, placed + 1 + length
        else:
            plain.append(line)
            line, placed = line + 1 + (rng.choice((0, 0, 0, 0, 1, 2))), placed + 1
    branches = tuple(_branch(line_no, body, plain, start) for line_no, body in bodies)
    excluded = rng.random() < 0.02
    return Function(name, owner, start, line - 1, tuple(plain), branches, excluded)


def _branch(line: int, body: tuple[int, ...], plain: list[int], start: int) -> Branch:
    """The branch at `line`: its other exit is the next plain statement, or the function's end."""
    following = [n for n in plain if n > line]
    return Branch(line, body, following[0] if following else -start)


def _extend(module: Module, rng: random.Random) -> Module:
    """The module after an edit: one or two functions appended at its end."""
    for _ in range(rng.randint(1, 2)):
        module = _add_def(module, rng)
    return module
