"""The milestone spec as the analysis sees it: metadata, targets, scope, criteria and inputs.

Read from TOML (or assembled from command-line options) by `reportgen.inputs.spec`.
"""

from __future__ import annotations

import msgspec

from reportgen.analysis.coverage_diff import Scope, Target
from reportgen.analysis.history import HistoryRules


class Criterion(msgspec.Struct, frozen=True):
    """An automatic check (`check`) or a manual item (`text` + `done`)."""

    check: str | None = None
    text: str | None = None
    done: bool = False
    min: int | None = None
    seconds: float | None = None
    path: str | None = None  # no-function-lost-coverage: only the files this glob matches


class Inputs(msgspec.Struct, frozen=True):
    """Input paths named by the spec, already resolved against the spec's folder."""

    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()
    junit: tuple[str, ...] = ()
    junit_before: tuple[str, ...] = ()
    source_root: str | None = None
    diff: str | None = None  # a unified diff file (already resolved), or "-"
    diff_base: str | None = None  # a git revision: the change is `git diff REF...HEAD`
    # `before = "previous"`: the after side archived with the milestone's latest earlier step.
    before_previous: bool = False


class Spec(msgspec.Struct, frozen=True):
    milestone: str | None = None
    step: str | None = None
    title: str | None = None
    date: str | None = None
    goal: str | None = None
    tests: str | None = None
    targets: tuple[Target, ...] = ()
    scope: Scope | None = None
    criteria: tuple[Criterion, ...] = ()
    next: tuple[str, ...] = ()
    notes: str | None = None
    inputs: Inputs = Inputs()
    precision: int | None = None
    patch_min: float | None = None  # [patch] min: changed lines covered at least this
    history: HistoryRules | None = None  # [history]: how many stored runs, what is slowing
