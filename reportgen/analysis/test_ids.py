"""Test ids read as names (pure).

Ids are `classname::name`, `name` alone without a classname. A parametrised case ends in
`[...]` (pytest, tst) or `(...)` (NUnit, xUnit.net): `m::test_merge[full-chain]` is a case of
the function `m::test_merge` with parameters `full-chain`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable


def module_of(test_id: str) -> str:
    """The module a test belongs to, for grouping failures; "" when the id has no classname.

    `tests.soak.test_x.TestY::test_z[1]` -> `tests.soak.test_x`; `com.acme.FooTest::bar` ->
    `com.acme`; a classname without a lower-case part (`Acme.Tests.Foo`) is its own module.
    """
    return _module_of_classname(split_test_id(test_id)[0])


@functools.lru_cache(maxsize=4096)  # many failures share a classname
def _module_of_classname(classname: str) -> str:
    parts = classname.split(".")
    for last in range(len(parts) - 1, -1, -1):
        if parts[last][:1].islower() or parts[last][:1] == "_":
            return ".".join(parts[: last + 1])
    return classname


def split_test_id(test_id: str) -> tuple[str, str]:
    """(classname, name) for display: the last `::` before any trailing parameters splits.

    `a.b::test_x[p::q]` -> (`a.b`, `test_x[p::q]`); Rust's `crate::mod::test` ->
    (`crate::mod`, `test`); an id without `::` has no classname.
    """
    bracket = _parameter_start(test_id)
    head = test_id if bracket < 0 else test_id[:bracket]
    classname, sep, _ = head.rpartition("::")
    if not sep:
        return "", test_id
    return classname, test_id[len(classname) + 2 :]


def split_parameters(test_id: str) -> tuple[str, str | None]:
    """(function id, parameters) of a parametrised id, else (id, None).

    `m::test_merge[full-chain]` -> (`m::test_merge`, `full-chain`); `C::Method(1, 2)` ->
    (`C::Method`, `1, 2`). A name with white space before the bracket is a sentence
    ("renders (dark mode)"), not a call.
    """
    start = _parameter_start(test_id)
    if start <= 0:
        return test_id, None
    function = test_id[:start]
    name = function.rpartition("::")[2]
    if not name or any(c.isspace() for c in name):
        return test_id, None
    return function, test_id[start + 1 : -1]


def _parameter_start(test_id: str) -> int:
    """Index of the bracket opening a trailing, balanced `[...]` or `(...)`, else -1."""
    if not test_id or test_id[-1] not in "])":
        return -1
    close = test_id[-1]
    opening = "[" if close == "]" else "("
    depth = 0
    for index in range(len(test_id) - 1, -1, -1):
        char = test_id[index]
        if char == close:
            depth += 1
        elif char == opening:
            depth -= 1
            if depth == 0:
                return index
    return -1


_SEPARATOR = re.compile(r"::|\.")


def short_names(test_ids: Iterable[str]) -> dict[str, str]:
    """The shortest name that tells each id apart from the others given, for a list of tests.

    A name starts as the test's name within its module (`test_basic`, or `CollapseTests::
    test_basic` for a unittest class) and takes more of its classname only while another id
    of the list would read the same: `tests.a.Collapse::test_basic` and
    `tests.b.Collapse::test_basic` -> `a.Collapse::test_basic`, `b.Collapse::test_basic`.
    """
    candidates = {test_id: _suffixes(test_id) for test_id in dict.fromkeys(test_ids)}
    counts = Counter(name for names in candidates.values() for name in set(names))
    return {
        test_id: next((name for name in names if counts[name] == 1), test_id)
        for test_id, names in candidates.items()
    }


def _suffixes(test_id: str) -> list[str]:
    """The names an id may be shown by, shortest first; the last is the id itself."""
    classname, name = split_test_id(test_id)
    if not classname:
        return [test_id]
    module = module_of(test_id)
    inner = classname[len(module) :].lstrip(".:") if classname.startswith(module) else ""
    first = f"{inner}::{name}" if inner else name
    names = [first]
    # Longer names start after each separator of the classname, right to left.
    starts = [match.end() for match in _SEPARATOR.finditer(classname)]
    for start in reversed(starts):
        longer = f"{classname[start:]}::{name}"
        if len(longer) > len(names[-1]):
            names.append(longer)
    if names[-1] != test_id:
        names.append(test_id)
    return names
