"""Test selection: the tests of a run that a glob on files or classnames names."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from fnmatch import translate

from reportgen.analysis.test_run import RunBuilder, TestRun


def select_tests(run: TestRun, pattern: str) -> TestRun:
    """The tests whose file or classname matches a glob, e.g. `tests/soak/test_x.py`.

    A path glob also matches the dotted classname pytest writes without a `file` attribute:
    `tests/soak/test_x.py` selects classnames `tests.soak.test_x` and `tests.soak.test_x.T`;
    without a classname, a dotted name (NUnit 2's `Ns.Class.Test`) is matched the same way.
    The selection's time is the sum of its tests' times.
    """
    by_class, by_file = _selector(pattern)
    classes: dict[str, bool] = {}  # many tests share a classname: match each once
    builder = RunBuilder()
    times = []
    for classname, name, packed, seconds, file in run._store.rows():
        chosen = classes.get(classname)
        if chosen is None:
            chosen = classes[classname] = bool(classname) and by_class(classname)
        if chosen or (not classname and by_class(name)) or (file and by_file(file)):
            builder.merge(classname, name, packed, seconds, file)
            times.append(seconds)
    return builder.build(math.fsum(times), run.failures, run.flaky)


# --- Selection --------------------------------------------------------------------------


def _selector(pattern: str) -> tuple[Callable[[str], bool], Callable[[str], bool]]:
    """Predicates on a classname and on a file for a glob on files or classnames."""
    glob = pattern.strip().replace("\\", "/")
    globs = {glob, glob.replace("**/", "")}
    if glob.endswith("/"):  # a folder: everything under it
        globs = {g + "*" for g in globs}
    dotted = {g.removesuffix(".py").strip("/").replace("/", ".") for g in globs}
    file_re = _compile(globs)
    class_re = _compile(globs | dotted | {d + ".*" for d in dotted})

    def by_class(classname: str) -> bool:
        # Every prefix ending before a `::` is a candidate (Rust: `crate::module`).
        return any(class_re.match(c) for c in _prefixes(classname))

    def by_file(file: str) -> bool:
        return any(file_re.match(path) for path in _path_tails(file))

    return by_class, by_file


def _compile(globs: set[str]) -> re.Pattern[str]:
    return re.compile("|".join(translate(g) for g in sorted(globs) if g) or "(?!)")


def _prefixes(classname: str) -> Iterator[str]:
    start = 0
    while (found := classname.find("::", start)) >= 0:
        yield classname[:found]
        start = found + 2
    yield classname


def _path_tails(file: str) -> Iterator[str]:
    """A path and its tails after each `/`, so a relative glob matches an absolute path."""
    path = file.replace("\\", "/")
    yield path
    for index, char in enumerate(path[:-1]):
        if char == "/":
            yield path[index + 1 :]
