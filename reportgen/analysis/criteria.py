"""Acceptance criteria evaluated from data, and the step's status (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from reportgen.analysis.coverage_diff import ScopeResult, TargetResult
from reportgen.analysis.milestone import Criterion
from reportgen.analysis.numbers import Numbers
from reportgen.errors import SpecError

if TYPE_CHECKING:
    from reportgen.analysis.functions import FunctionsResult
    from reportgen.analysis.history import History
    from reportgen.analysis.test_diff import TestsDiff
    from reportgen.analysis.test_run import TestRun

COMPLETED, IN_PROGRESS, FAILED = "COMPLETED", "IN PROGRESS", "FAILED"


def display_seconds(value: float) -> str:
    """A duration the one way every report writes it: "1.23s", "0.27s", "0.004s" (three
    decimals below a tenth of a second, where JUnit's millisecond resolution shows)."""
    return f"{value:.3f}s" if value < 0.1 else f"{value:.2f}s"


class CriterionResult(msgspec.Struct, frozen=True):
    text: str
    automatic: bool
    holds: bool
    achieved: str | None
    # False when the data to judge it is missing for a reason that is not an error (no
    # baseline yet): it does not fail the step, and reports say "not judged", never met.
    judged: bool = True


class Evidence(msgspec.Struct, frozen=True):
    """Everything the criteria are judged on."""

    targets: tuple[TargetResult, ...]
    scope: ScopeResult | None
    tests_after: TestRun | None
    tests_diff: TestsDiff | None
    precision: int
    functions: FunctionsResult | None = None
    history: History | None = None  # the stored runs' flaky tests (with a baseline)
    # Why there is no before side when a baseline was asked for and none was usable: the
    # criteria that compare with it are then not judged, rather than an input error.
    no_before: str | None = None


def pct(numbers: Numbers | None, precision: int) -> str:
    return "n/a" if numbers is None else numbers.display(precision) + "%"


def fmt_threshold(value: float) -> str:
    return f"{value:g}"


def evaluate_target_criterion(result: TargetResult, precision: int) -> CriterionResult:
    target = result.target
    parts = []
    if target.min is not None:
        parts.append(f"≥{fmt_threshold(target.min)}%")
    if target.delta is not None:
        parts.append(f"gains ≥{fmt_threshold(target.delta)} points")
    text = f"`{result.name}` coverage {' and '.join(parts)}"
    achieved = pct(result.after, precision)
    if target.delta is not None:
        achieved += f", {signed_delta(result.before, result.after, precision)}"
    return CriterionResult(text=text, automatic=True, holds=result.holds, achieved=achieved)


def evaluate_scope_criterion(result: ScopeResult, precision: int) -> CriterionResult | None:
    scope = result.scope
    if result.holds is None or scope.min is None:
        return None
    wanted = fmt_threshold(scope.min)
    if scope.max is not None:
        wanted += f"-{fmt_threshold(scope.max)}"
    text = f"Overall `{scope.prefix}` coverage within target ({wanted}%)"
    return CriterionResult(
        text=text, automatic=True, holds=result.holds, achieved=pct(result.after, precision)
    )


def signed_delta(before: Numbers | None, after: Numbers | None, precision: int) -> str:
    """The change between the two displayed percentages, e.g. "+4%" for 77% -> 81%."""
    if before is None or after is None:
        return "n/a"
    delta = float(after.display(precision)) - float(before.display(precision))
    text = display_delta(delta, precision)
    return f"{text}%"


def display_delta(delta: float, precision: int) -> str:
    text = f"{abs(delta):.{precision}f}"
    if float(text) == 0:
        return "±" + text
    return ("+" if delta > 0 else "-") + text


def evaluate_check(criterion: Criterion, evidence: Evidence) -> CriterionResult:
    """One `[[criteria]]` entry with `check = ...`, judged on the evidence."""
    check = criterion.check
    after = evidence.tests_after
    diff = evidence.tests_diff
    compares = (
        check in ("no-regressions", "new-tests-pass", "min-tests-added") and diff is None
    ) or (check == "no-function-lost-coverage" and evidence.functions is None)
    if compares and evidence.no_before:
        # The first run on a repository has no baseline: the report says so, and says that
        # this criterion was not judged (it neither holds nor fails the step).
        return CriterionResult(
            text=criterion.text or _unjudged_text(criterion),
            automatic=True,
            holds=True,
            achieved="no baseline",
            judged=False,
        )
    if check in ("no-regressions", "new-tests-pass", "min-tests-added") and diff is None:
        raise SpecError(f"criterion {check!r} needs both runs' JUnit (--junit and --junit-before)")
    if check in ("all-tests-pass", "max-time", "no-new-flaky") and after is None:
        raise SpecError(f"criterion {check!r} needs the JUnit results (--junit)")
    if check == "no-function-lost-coverage" and evidence.functions is None:
        raise SpecError(f"criterion {check!r} needs the coverage of both runs (--before, --after)")
    if check == "no-function-lost-coverage":
        _all_functions_known(criterion, evidence.functions)
    holds, achieved, default = _CHECKS[check](criterion, evidence)
    return CriterionResult(
        text=criterion.text or default, automatic=True, holds=holds, achieved=achieved
    )


def _no_regressions(criterion: Criterion, ev: Evidence) -> tuple[bool, str, str]:
    regressions = ev.tests_diff.regressions
    lost = [
        r.name
        for r in ev.targets
        if r.before is not None and r.after is not None and r.after.percent < r.before.percent
    ]
    parts = [f"{len(regressions)} test regression{'s' * (len(regressions) != 1)}"]
    known = ev.tests_diff.known_flaky
    if known:  # failing now, but flaky on the main line: not counted, and said so
        parts[0] += f" ({len(known)} known flaky not counted)"
    if lost:
        # Plain text: the templates escape it (backticks would show as written).
        parts.append("coverage lost in " + ", ".join(lost))
    holds = not regressions and not lost
    return holds, "; ".join(parts), "No regressions in existing tests"


def _new_tests_pass(criterion: Criterion, ev: Evidence) -> tuple[bool, str, str]:
    added = ev.tests_diff.added
    outcomes = [ev.tests_after.outcome(test_id) for test_id in added]
    bad = sum(1 for o in outcomes if o in ("failed", "error"))
    passed = sum(1 for o in outcomes if o == "passed")
    return bad == 0, f"{passed}/{len(added)} passed", "All new tests pass"


def _all_tests_pass(criterion: Criterion, ev: Evidence) -> tuple[bool, str, str]:
    stats = ev.tests_after.stats()
    bad = stats["failed"] + stats["errors"]
    achieved = f"{stats['passed']}/{stats['tests']} passed"
    if bad:
        achieved += f", {stats['failed']} failed, {stats['errors']} errors"
    return bad == 0, achieved, "All tests pass"


def _min_tests_added(criterion: Criterion, ev: Evidence) -> tuple[bool, str, str]:
    count = len(ev.tests_diff.added)
    return count >= criterion.min, f"{count} added", f"At least {criterion.min} new tests"


def _max_time(criterion: Criterion, ev: Evidence) -> tuple[bool, str, str]:
    seconds = ev.tests_after.stats()["time"]
    limit = criterion.seconds
    return seconds <= limit, display_seconds(seconds), f"Test run takes at most {limit:g}s"


def _all_functions_known(criterion: Criterion, functions: FunctionsResult | None) -> None:
    """A file in the criterion's scope without function figures could hide a lost function:
    an input error, never a silent pass."""
    from reportgen.analysis.coverage_diff import matches

    assert functions is not None
    glob = criterion.path
    missing = [p for p in functions.unavailable if glob is None or matches(glob, p)]
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise SpecError(
            f"criterion 'no-function-lost-coverage': function figures are unavailable for"
            f" {missing[0]!r}{more}: {functions.why(missing[0])}"
        )


def _no_function_lost(criterion: Criterion, ev: Evidence) -> tuple[bool, str, str]:
    from reportgen.analysis.coverage_diff import matches
    from reportgen.analysis.functions import lost_coverage

    assert ev.functions is not None
    glob = criterion.path
    lost = [
        (path, f) for path, f in lost_coverage(ev.functions) if glob is None or matches(glob, path)
    ]
    names = ", ".join(f.name for _, f in lost[:5])
    achieved = f"{len(lost)} function{'s' * (len(lost) != 1)} lost coverage"
    if lost:
        achieved += ": " + names + (f" and {len(lost) - 5} more" if len(lost) > 5 else "")
    default = "No function lost coverage" + (f" in `{glob}`" if glob else "")
    return not lost, achieved, default


def _no_new_flaky(criterion: Criterion, ev: Evidence) -> tuple[bool, str, str]:
    """Tests that passed only on a rerun in this run and are not known flaky on the main
    line (without stored runs, every flaky test of this run is new)."""
    known = ev.history.known_flaky() if ev.history is not None else {}
    new = [t for t in ev.tests_after.flaky if t not in known]
    achieved = f"{len(new)} new flaky test{'s' * (len(new) != 1)}"
    if new:
        achieved += (
            ": " + ", ".join(new[:5]) + (f" and {len(new) - 5} more" if len(new) > 5 else "")
        )
    return not new, achieved, "No new flaky tests"


def _unjudged_text(criterion: Criterion) -> str:
    """A criterion's own wording when it could not be judged (its check gave none)."""
    texts = {
        "no-regressions": "No regressions in existing tests",
        "new-tests-pass": "All new tests pass",
        "min-tests-added": f"At least {criterion.min} new tests",
        "no-function-lost-coverage": "No function lost coverage"
        + (f" in `{criterion.path}`" if criterion.path else ""),
    }
    return texts[criterion.check or ""]


_CHECKS = {
    "no-regressions": _no_regressions,
    "new-tests-pass": _new_tests_pass,
    "all-tests-pass": _all_tests_pass,
    "min-tests-added": _min_tests_added,
    "max-time": _max_time,
    "no-function-lost-coverage": _no_function_lost,
    "no-new-flaky": _no_new_flaky,
}


def evaluate_criteria(
    criteria: tuple[Criterion, ...], evidence: Evidence
) -> tuple[CriterionResult, ...]:
    """Targets first, then the scope, then the spec's criteria in its order."""
    results = [evaluate_target_criterion(r, evidence.precision) for r in evidence.targets]
    if evidence.scope is not None:
        scope = evaluate_scope_criterion(evidence.scope, evidence.precision)
        if scope is not None:
            results.append(scope)
    for criterion in criteria:
        if criterion.check is None:
            results.append(CriterionResult(criterion.text, False, criterion.done, None))
        else:
            results.append(evaluate_check(criterion, evidence))
    return tuple(results)


def decide_status(results: tuple[CriterionResult, ...], evidence: Evidence) -> str | None:
    """COMPLETED, IN PROGRESS or FAILED; None when there is nothing to judge.

    FAILED: a test regressed, or a missed target ended lower than it started.
    COMPLETED: every criterion holds, manual ones included.
    """
    if not results:
        return None
    regressed = evidence.tests_diff is not None and bool(evidence.tests_diff.regressions)
    fell = any(
        not r.holds
        and r.before is not None
        and r.after is not None
        and r.after.percent < r.before.percent
        for r in evidence.targets
    )
    if regressed or fell:
        return FAILED
    if all(r.holds for r in results):
        return COMPLETED
    return IN_PROGRESS


def automatic_ok(results: tuple[CriterionResult, ...]) -> bool:
    """The exit status rule: every automatic criterion holds (or there are none)."""
    return all(r.holds for r in results if r.automatic)
