"""Compose one milestone step from parsed inputs: diffs, targets, criteria, status (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from reportgen.analysis.coverage_diff import (
    CoverageDiff,
    Scope,
    ScopeResult,
    Target,
    TargetResult,
    diff_coverage,
    evaluate_scope,
    evaluate_target,
)
from reportgen.analysis.criteria import CriterionResult, Evidence, decide_status, evaluate_criteria
from reportgen.analysis.milestone import Spec
from reportgen.analysis.models import CoverageSnapshot
from reportgen.analysis.patch import ChangeSet, PatchResult, compute_patch, patch_criterion
from reportgen.errors import SpecError

if TYPE_CHECKING:
    from reportgen.analysis.functions import FunctionRegions, FunctionsResult
    from reportgen.analysis.history import History, HistoryRun
    from reportgen.analysis.snapshot import BaselineNote
    from reportgen.analysis.test_diff import TestsDiff
    from reportgen.analysis.test_run import TestRun


class StepInputs(msgspec.Struct, frozen=True):
    """Parsed inputs and the settings that shape the report."""

    spec: Spec
    precision: int
    before: CoverageSnapshot | None = None
    after: CoverageSnapshot | None = None
    tests_before: TestRun | None = None
    tests_after: TestRun | None = None
    targets: tuple[Target, ...] = ()
    scope: Scope | None = None
    source_root: str = "."  # where the measured sources and the tests' sources are
    changes: ChangeSet | None = None  # the diff whose added lines are the patch
    patch_min: float | None = None
    baseline: BaselineNote | None = None  # where the before side came from (--baseline)
    functions: FunctionRegions | None = None  # regions of the files that differ
    # The tests of stored runs of the main line, oldest first (with a baseline); None when
    # none were asked for, empty when none are stored yet.
    history: tuple[HistoryRun, ...] | None = None
    history_left_out: tuple[str, ...] = ()  # stored runs left out: why, one line each


class StepResult(msgspec.Struct, frozen=True):
    spec: Spec
    precision: int
    coverage: CoverageDiff | None
    targets: tuple[TargetResult, ...]
    scope: ScopeResult | None
    tests_before: TestRun | None
    tests_after: TestRun | None
    tests_diff: TestsDiff | None
    step_tests: TestRun | None  # the tests the spec's `tests` glob selects
    criteria: tuple[CriterionResult, ...]
    status: str | None
    # First docstring line of added test functions, by function id, when their source is
    # at hand (read at the edge by the commands; empty otherwise).
    test_docs: dict[str, str] = msgspec.field(default_factory=dict)
    patch: PatchResult | None = None
    patch_min: float | None = None
    baseline: BaselineNote | None = None
    functions: FunctionsResult | None = None
    history: History | None = None  # flaky and slowing tests of the stored runs


def build_step(inputs: StepInputs) -> StepResult:
    coverage = None
    if inputs.before is not None or inputs.after is not None:
        coverage = diff_coverage(inputs.before, inputs.after)
    elif inputs.targets or inputs.scope:
        raise SpecError("coverage targets and scope need coverage data (--before/--after)")
    functions = _functions(inputs, coverage)
    targets = tuple(_target(t, coverage, functions, inputs.precision) for t in inputs.targets)
    scope = evaluate_scope(inputs.scope, coverage, inputs.precision) if inputs.scope else None
    tests_diff = step_tests = None
    if inputs.tests_after is not None and inputs.tests_before is not None:
        from reportgen.analysis.test_diff import diff_tests

        tests_diff = diff_tests(inputs.tests_before, inputs.tests_after)
    history = _history(inputs)
    if history is not None and tests_diff is not None:
        tests_diff = _known_flaky_apart(tests_diff, history)
    if inputs.tests_after is not None and inputs.spec.tests:
        from reportgen.analysis.test_selection import select_tests

        step_tests = select_tests(inputs.tests_after, inputs.spec.tests)
    evidence = Evidence(
        targets=targets,
        scope=scope,
        tests_after=inputs.tests_after,
        tests_diff=tests_diff,
        precision=inputs.precision,
        functions=functions,
        history=history,
        no_before=(
            inputs.baseline.text
            if inputs.baseline is not None and inputs.baseline.commit is None
            else None
        ),
    )
    criteria = evaluate_criteria(inputs.spec.criteria, evidence)
    patch = _patch(inputs, coverage)
    if patch is not None and inputs.patch_min is not None:
        criteria += (patch_criterion(patch, inputs.patch_min, inputs.precision),)
    return StepResult(
        spec=inputs.spec,
        precision=inputs.precision,
        coverage=coverage,
        targets=targets,
        scope=scope,
        tests_before=inputs.tests_before,
        tests_after=inputs.tests_after,
        tests_diff=tests_diff,
        step_tests=step_tests,
        criteria=criteria,
        status=decide_status(criteria, evidence),
        patch=patch,
        patch_min=inputs.patch_min,
        baseline=inputs.baseline,
        functions=functions,
        history=history,
    )


def _history(inputs: StepInputs) -> History | None:
    if inputs.history is None:
        return None
    from reportgen.analysis.history import HistoryRules, read_history

    rules = inputs.spec.history or HistoryRules()
    # Slowing is judged on this report's own run against the stored ones.
    return read_history(inputs.history, rules, inputs.history_left_out, inputs.tests_after)


def _known_flaky_apart(diff: TestsDiff, history: History) -> TestsDiff:
    """Regressions of tests known flaky on the main line are listed apart from the others."""
    known = history.known_flaky()
    flaky = tuple(t for t in diff.regressions if t in known)
    if not flaky:
        return diff
    regressions = tuple(t for t in diff.regressions if t not in known)
    return msgspec.structs.replace(diff, regressions=regressions, known_flaky=flaky)


def _target(
    target: Target,
    coverage: CoverageDiff | None,
    functions: FunctionsResult | None,
    precision: int,
) -> TargetResult:
    if "::" in target.pattern:  # FILE::FUNCTION
        from reportgen.analysis.functions import evaluate_function_target

        return evaluate_function_target(target, functions, precision)
    assert coverage is not None
    return evaluate_target(target, coverage, precision)


def _functions(inputs: StepInputs, coverage: CoverageDiff | None) -> FunctionsResult | None:
    if inputs.functions is None or coverage is None:
        return None
    from reportgen.analysis.functions import compare_functions

    return compare_functions(coverage.files, inputs.functions)


def _patch(inputs: StepInputs, coverage: CoverageDiff | None) -> PatchResult | None:
    if inputs.changes is None:
        if inputs.patch_min is not None:
            raise SpecError("the changed-lines criterion needs the change (--diff or --diff-base)")
        return None
    if inputs.after is None:
        raise SpecError("changed-lines coverage needs the coverage after the change (--after)")
    return compute_patch(inputs.changes, inputs.after, coverage)
