"""A generated main-line history: JUnit XML of 20 runs of 10,000 tests, as pytest writes it,
with flaky and slowed tests injected among decoys that must not be taken for either.

Deterministic: the same arguments give the same bytes. Test times vary by up to ±10% from
run to run, as on a shared CI machine.
"""

from __future__ import annotations

import random
from xml.sax.saxutils import quoteattr

RUNS = 20
TESTS = 10_000
CLASSES = 200  # tests spread over modules of 50

# Injected: what detection must find.
FLAKY = {
    # fails now and then: 6 flips
    "tests.mod_3::test_case_17": {"fail": {3, 9, 15}},
    # passes only on a rerun (pytest-rerunfailures) in one run, never fails outright
    "tests.mod_8::test_case_2": {"rerun": {7}},
    # errors twice, far apart: 4 flips
    "tests.mod_41::test_case_30": {"error": {4, 16}},
    # fails in a late pair of runs and in one early run
    "tests.mod_77::test_case_5": {"fail": {2, 18, 19}},
    # passes on a rerun twice, and fails outright once
    "tests.mod_150::test_case_49": {"rerun": {1, 11}, "fail": {12}},
}
SLOWED = {  # seconds in the newest run, against about 0.2 s before
    "tests.mod_12::test_case_0": 2.5,
    "tests.mod_99::test_case_33": 0.9,
    "tests.mod_180::test_case_8": 12.0,
}

# Decoys: each misses one condition.
DECOYS = {
    # broke in run 15 and stays broken: one flip is a change, not flakiness
    "tests.mod_20::test_case_1": {"fail": set(range(15, 20))},
    # fixed in run 5: one flip
    "tests.mod_21::test_case_1": {"fail": set(range(0, 5))},
    # skipped now and then, passing otherwise
    "tests.mod_22::test_case_1": {"skip": {3, 4, 10}},
}
SLOW_DECOYS = {
    "tests.mod_30::test_case_3": (2.0, 2.7),  # +35% and +0.7 s: not 50% slower
    "tests.mod_31::test_case_3": (0.2, 0.45),  # +125% but only +0.25 s
    "tests.mod_32::test_case_3": (0.2, 0.2),  # slow in a middle run only (below)
}
MIDDLE_SLOW = ("tests.mod_32::test_case_3", 9, 30.0)


def test_ids() -> list[str]:
    per_class = TESTS // CLASSES
    return [f"tests.mod_{c}::test_case_{t}" for c in range(CLASSES) for t in range(per_class)]


def junit_run(index: int, seed: int = 2026) -> bytes:
    """The JUnit XML of run `index` (0 is the oldest)."""
    rng = random.Random(seed * 1000 + index)
    base = random.Random(seed)  # every run shares each test's usual time
    cases = []
    failures = errors = skipped = 0
    total = 0.0
    for test_id in test_ids():
        usual = round(base.uniform(0.001, 0.2), 3)
        seconds = round(usual * rng.uniform(0.9, 1.1), 3)
        plan = FLAKY.get(test_id) or DECOYS.get(test_id) or {}
        if test_id in SLOWED:
            usual = 0.2
            seconds = (
                SLOWED[test_id] if index == RUNS - 1 else round(0.2 * rng.uniform(0.9, 1.1), 3)
            )
        if test_id in SLOW_DECOYS:
            before, now = SLOW_DECOYS[test_id]
            seconds = now if index == RUNS - 1 else round(before * rng.uniform(0.98, 1.02), 3)
        if test_id == MIDDLE_SLOW[0] and index == MIDDLE_SLOW[1]:
            seconds = MIDDLE_SLOW[2]
        module, name = test_id.split("::")
        head = f'<testcase classname={quoteattr(module)} name={quoteattr(name)} time="{seconds}"'
        if index in plan.get("skip", ()):
            skipped += 1
            cases.append(f'{head}><skipped message="not today"/></testcase>')
        elif index in plan.get("fail", ()):
            failures += 1
            cases.append(
                f'{head}><failure message="AssertionError: run {index} was unlucky">'
                f"assert 1 == 2</failure></testcase>"
            )
        elif index in plan.get("error", ()):
            errors += 1
            cases.append(
                f'{head}><error message="TimeoutError: run {index}">trace</error></testcase>'
            )
        elif index in plan.get("rerun", ()):
            # pytest with pytest-rerunfailures: the failed attempt, then the passing rerun
            cases.append(
                f'{head}><failure message="ConnectionError: reset">trace</failure></testcase>'
                f"{head}/>"
            )
        else:
            cases.append(f"{head}/>")
        total += seconds
    body = "".join(cases)
    return (
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest"'
        f' errors="{errors}" failures="{failures}" skipped="{skipped}" tests="{len(cases)}"'
        f' time="{total:.3f}">{body}</testsuite></testsuites>'
    ).encode()
