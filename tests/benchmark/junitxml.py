"""JUnit XML as pytest 9 writes it (`--junitxml`), for a before and an after run of one suite.

The suite: test modules under `tests/<area>/`, some with test classes, many functions
parametrised (`test_x[utf-8-3]`). Between the runs about 1% of the functions are added and 0.5%
removed; a few passing cases regress and some failing ones are fixed. The after run has
exactly the requested number of cases. Both files are written in one pass, case by case.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from tests.benchmark.codebase import AREAS, NOUNS, VERBS

PASSED, FAILED, ERROR, SKIPPED, XFAIL = "passed", "failed", "error", "skipped", "xfail"
OUTCOME_WEIGHTS = ((SKIPPED, 0.02), (XFAIL, 0.005), (FAILED, 0.008), (ERROR, 0.003))
REGRESSION_RATE = 0.002
FIX_RATE = 0.4
HOSTNAME = "ci-runner-7"
SOURCE_ROOT = "/builds/monorepo"


@dataclass(frozen=True, slots=True)
class Case:
    """One test case and the runs it belongs to."""

    classname: str
    name: str
    file: str
    line: int
    before: bool
    after: bool


@dataclass(frozen=True, slots=True)
class SuiteCounts:
    """The figures of a testsuite element."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    time: float = 0.0

    def add(self, outcome: str, seconds: float) -> SuiteCounts:
        return SuiteCounts(
            self.tests + 1,
            self.failures + (outcome == FAILED),
            self.errors + (outcome == ERROR),
            self.skipped + (outcome in (SKIPPED, XFAIL)),
            self.time + seconds,
        )


def plan_cases(count: int, seed: int) -> Iterator[Case]:
    """Cases in run order until the after run has `count` of them."""
    in_after = 0
    for case in _all_cases(random.Random(f"{seed}:tests")):
        if in_after >= count:
            return
        in_after += case.after
        yield case


def write_junit_pair(
    before: Path, after: Path, count: int, seed: int, timestamps: tuple[str, str]
) -> tuple[SuiteCounts, SuiteCounts]:
    """Write the before and the after run's JUnit files; return their suite figures."""
    rng = random.Random(f"{seed}:outcomes")
    scratch = (before.with_name(before.name + ".cases"), after.with_name(after.name + ".cases"))
    try:
        with (
            scratch[0].open("w", encoding="utf-8") as b,
            scratch[1].open("w", encoding="utf-8") as a,
        ):
            counts = _write_cases(b, a, plan_cases(count, seed), rng)
        for path, part, figures, stamp in zip(
            (before, after), scratch, counts, timestamps, strict=True
        ):
            _assemble(path, part, figures, stamp)
    finally:
        for part in scratch:
            part.unlink(missing_ok=True)
    return counts


def _write_cases(
    before: IO[str], after: IO[str], cases: Iterator[Case], rng: random.Random
) -> tuple[SuiteCounts, SuiteCounts]:
    counts = [SuiteCounts(), SuiteCounts()]
    for case in cases:
        was = _draw_outcome(rng)
        now = _next_outcome(was, rng)
        for side, (present, outcome, out) in enumerate(
            ((case.before, was, before), (case.after, now, after))
        ):
            if present:
                seconds = round(rng.expovariate(250.0), 3)
                out.write(_testcase(case, outcome, seconds))
                counts[side] = counts[side].add(outcome, seconds)
    return counts[0], counts[1]


def _assemble(path: Path, cases: Path, counts: SuiteCounts, timestamp: str) -> None:
    """The declaration and the suite element, whose figures are known only after the cases."""
    # pytest's wall time is a little more than the sum of the cases: collection, fixtures.
    wall = counts.time * 1.08 + 0.75
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(
            '<?xml version="1.0" encoding="utf-8"?><testsuites name="pytest tests">'
            f'<testsuite name="pytest" errors="{counts.errors}" failures="{counts.failures}"'
            f' skipped="{counts.skipped}" tests="{counts.tests}" time="{wall:.3f}"'
            f' timestamp="{timestamp}" hostname="{HOSTNAME}">'
        )
        with cases.open(encoding="utf-8") as body:
            shutil.copyfileobj(body, out, 1 << 20)
        out.write("</testsuite></testsuites>")


def _draw_outcome(rng: random.Random) -> str:
    draw = rng.random()
    for outcome, weight in OUTCOME_WEIGHTS:
        if draw < weight:
            return outcome
        draw -= weight
    return PASSED


def _next_outcome(before: str, rng: random.Random) -> str:
    """The after run's outcome of a case that ran before with `before`."""
    draw = rng.random()
    if before == PASSED and draw < REGRESSION_RATE:
        return FAILED
    if before in (FAILED, ERROR) and draw < FIX_RATE:
        return PASSED
    return before


def _testcase(case: Case, outcome: str, seconds: float) -> str:
    head = f'<testcase classname="{case.classname}" name="{case.name}" time="{seconds:.3f}"'
    if outcome == PASSED:
        return head + " />"
    return f"{head}>{_result(case, outcome)}</testcase>"


def _result(case: Case, outcome: str) -> str:
    """The result element pytest writes for a case that did not simply pass."""
    where = f"{case.file}:{case.line}"
    if outcome == SKIPPED:
        reason = "requires the network" if case.line % 2 else "not supported on this platform"
        text = f"{SOURCE_ROOT}/{where}: {reason}"
        return f'<skipped type="pytest.skip" message="{reason}">{text}</skipped>'
    if outcome == XFAIL:
        return f'<skipped type="pytest.xfail" message="issue {case.line * 7 % 997}" />'
    if outcome == ERROR:
        message = "failed on setup with &quot;KeyError: &#x27;database_url&#x27;&quot;"
        request = f"&lt;SubRequest 'database' for &lt;Function {case.name}&gt;&gt;"
        text = f"request = {request}\n\n{where}: KeyError"
        return f'<error message="{message}">{text}</error>'
    expected, got = case.line % 17, case.line % 17 + 1
    trace = (
        f"    def {case.name.split('[')[0]}(config):\n        result = load(config)\n"
        f"&gt;       assert result == {expected}\nE       assert {got} == {expected}\n\n"
        f"{where}: AssertionError"
    )
    return f'<failure message="assert {got} == {expected}">{trace}</failure>'


def _all_cases(rng: random.Random) -> Iterator[Case]:
    """Endless cases: module after module, function after function."""
    seen: set[str] = set()
    while True:
        module = f"tests/{rng.choice(AREAS)}/test_{rng.choice(VERBS)}_{rng.choice(NOUNS)}"
        if module in seen:
            continue
        seen.add(module)
        yield from _module_cases(module, rng)


def _module_cases(module: str, rng: random.Random) -> Iterator[Case]:
    dotted = module.replace("/", ".")
    classname = dotted
    if rng.random() < 0.4:
        classname = f"{dotted}.Test{rng.choice(NOUNS).title()}{rng.choice(VERBS).title()}"
    names: set[str] = set()
    line = 1 + rng.randint(3, 20)
    for _ in range(rng.randint(3, 30)):
        name = f"test_{rng.choice(VERBS)}_{rng.choice(NOUNS)}"
        if name in names:
            continue
        names.add(name)
        before, after = _presence(rng)
        for case_name in _parametrised(name, rng):
            yield Case(classname, case_name, f"{module}.py", line, before, after)
        line += rng.randint(4, 40)


def _presence(rng: random.Random) -> tuple[bool, bool]:
    """Whether a test function ran before and after: a few were added, fewer removed."""
    draw = rng.random()
    if draw < 0.01:
        return False, True
    if draw < 0.015:
        return True, False
    return True, True


def _parametrised(name: str, rng: random.Random) -> list[str]:
    """The case names of one test function: itself, or its parametrised ids."""
    if rng.random() < 0.65:
        return [name]
    count = min(300, 2 + round(rng.expovariate(1 / 8)))
    style = rng.randrange(3)
    if style == 0:
        return [f"{name}[{i}]" for i in range(count)]
    if style == 1:
        word = rng.choice(NOUNS)
        return [f"{name}[{word}-{i}]" for i in range(count)]
    return [f"{name}[{flag}-{i}]" for i in range(count // 2 + 1) for flag in ("True", "False")]
