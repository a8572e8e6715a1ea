"""The milestone spec (TOML): metadata, targets, scope, criteria, notes and inputs."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import PurePath
from typing import Any

from reportgen.analysis.coverage_diff import Scope, Target
from reportgen.analysis.history import MAX_HISTORY_RUNS, HistoryRules
from reportgen.analysis.milestone import Criterion, Inputs, Spec
from reportgen.errors import SpecError, one_line, quote

AUTOMATIC_CHECKS = (
    "no-regressions",
    "new-tests-pass",
    "all-tests-pass",
    "min-tests-added",
    "max-time",
    "no-function-lost-coverage",
    "no-new-flaky",
)

_TOP_KEYS = {
    "milestone", "step", "title", "date", "goal", "tests", "target", "scope", "criteria",
    "next", "notes", "inputs", "precision", "patch", "history",
}  # fmt: skip
_INPUT_KEYS = ("before", "after", "junit", "junit_before", "source_root", "diff", "diff_base")


def parse_spec(data: bytes, source: str, base_dir: PurePath) -> Spec:
    """Parse a spec file; input paths are made relative to `base_dir` (the spec's folder)."""
    import tomllib  # only runs that have a spec pay for it

    try:
        doc = tomllib.loads(data.decode("utf-8-sig"))
        return _Reader(source).spec(doc, base_dir)
    except UnicodeDecodeError:
        raise SpecError(f"{source}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise SpecError(f"{source}: invalid TOML ({one_line(str(err), 200)})") from None
    except RecursionError:
        # tomllib reads nested arrays and inline tables recursively (and so does showing a
        # bad value): no spec nests this deep.
        raise SpecError(f"{source}: arrays or tables nested too deeply") from None


class _Reader:
    """Checks each key's type and names the key and bad value when one is wrong."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, problem: str) -> SpecError:
        return SpecError(f"{self.source}: {key}: {problem}")

    def spec(self, doc: dict[str, Any], base_dir: PurePath) -> Spec:
        doc = self.hoist(doc)
        self.unknown(doc, _TOP_KEYS, "")
        precision = self.integer(doc, "precision", "precision")
        if precision is not None and not 0 <= precision <= 10:
            raise self.fail("precision", f"must be 0 to 10, not {quote(precision)}")
        return Spec(
            milestone=self.text(doc, "milestone", "milestone"),
            step=self.text(doc, "step", "step"),
            title=self.text(doc, "title", "title"),
            date=self.date(doc),
            goal=self.text(doc, "goal", "goal"),
            tests=self.text(doc, "tests", "tests"),
            targets=tuple(self.target(t, f"target[{i}]") for i, t in self.tables(doc, "target")),
            scope=self.scope(doc.get("scope")),
            criteria=tuple(
                self.criterion(c, f"criteria[{i}]") for i, c in self.tables(doc, "criteria")
            ),
            next=self.strings(doc, "next", "next"),
            notes=self.text(doc, "notes", "notes"),
            inputs=self.inputs(doc.get("inputs"), base_dir),
            precision=precision,
            patch_min=self.patch(doc.get("patch")),
            history=self.history(doc.get("history")),
        )

    def hoist(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Lift `next` and `notes` written after a table header back to the top level.

        In TOML, keys below `[[criteria]]` belong to that table, so the natural
        layout (criteria, then `next = [...]`) puts them in the last criterion.
        """
        doc = dict(doc)
        tables = [doc.get("scope"), doc.get("inputs"), doc.get("patch"), doc.get("history")]
        for key in ("target", "criteria"):
            value = doc.get(key)
            tables += value if isinstance(value, list) else [value]
        for table in tables:
            if not isinstance(table, dict):
                continue
            for key in ("next", "notes"):
                if key in table:
                    if key in doc:
                        raise self.fail(key, "given twice (at the top and inside a table)")
                    doc[key] = table.pop(key)
        return doc

    def unknown(self, table: dict[str, Any], allowed: set[str] | tuple[str, ...], where: str):
        for key in table:
            if key not in allowed:
                name = one_line(f"{where}.{key}" if where else key)
                raise self.fail(
                    name, f"unknown key (expected one of: {', '.join(sorted(allowed))})"
                )

    def text(self, table: dict[str, Any], key: str, name: str) -> str | None:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            raise self.fail(name, f"must be a string, not {quote(value)}")
        return value

    def integer(self, table: dict[str, Any], key: str, name: str) -> int | None:
        value = table.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(name, f"must be a whole number, not {quote(value)}")
        return value

    def number(self, table: dict[str, Any], key: str, name: str) -> float | None:
        value = table.get(key)
        if value is not None and (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise self.fail(name, f"must be a number, not {quote(value)}")
        return None if value is None else float(value)

    def percent(self, table: dict[str, Any], key: str, name: str) -> float | None:
        value = self.number(table, key, name)
        if value is not None and not 0 <= value <= 100:
            raise self.fail(name, f"must be a percentage from 0 to 100, not {value:g}")
        return value

    def strings(self, table: dict[str, Any], key: str, name: str) -> tuple[str, ...]:
        value = table.get(key, ())
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise self.fail(name, f"must be a string or a list of strings, not {quote(value)}")
        return tuple(value)

    def date(self, doc: dict[str, Any]) -> str | None:
        value = doc.get("date")
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise self.fail("date", f"must be a date like 2025-10-27, not {quote(value)}")

    def tables(self, doc: dict[str, Any], key: str):
        value = doc.get(key, [])
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(key, f"must be an array of tables ([[{key}]]), not {quote(value)}")
        return enumerate(value)

    def target(self, table: dict[str, Any], name: str) -> Target:
        self.unknown(table, ("path", "min", "delta"), name)
        path = self.text(table, "path", f"{name}.path")
        if not path:
            raise self.fail(f"{name}.path", "missing (the file or glob the target is about)")
        minimum = self.percent(table, "min", f"{name}.min")
        delta = self.number(table, "delta", f"{name}.delta")
        if minimum is None and delta is None:
            raise self.fail(name, f"target {quote(path)} needs `min` or `delta`")
        file, sep, function = path.partition("::")
        if sep and (not file or not function):
            raise self.fail(f"{name}.path", f"expected FILE::FUNCTION, not {quote(path)}")
        return Target(pattern=path, min=minimum, delta=delta)

    def scope(self, table: Any) -> Scope | None:
        if table is None:
            return None
        if not isinstance(table, dict):
            raise self.fail("scope", f"must be a table ([scope]), not {quote(table)}")
        self.unknown(table, ("prefix", "target"), "scope")
        prefix = self.text(table, "prefix", "scope.prefix")
        if prefix is None:
            raise self.fail("scope.prefix", 'missing (the path prefix, e.g. "tools/")')
        low, high = self.range(table.get("target"))
        return Scope(prefix=prefix, min=low, max=high)

    def range(self, value: Any) -> tuple[float | None, float | None]:
        if value is None:
            return None, None
        pair = value if isinstance(value, list) else [value]
        if not 1 <= len(pair) <= 2:
            raise self.fail("scope.target", f"must be a number or [min, max], not {quote(value)}")
        bounds = [self.percent({"v": v}, "v", "scope.target") for v in pair]
        low, high = bounds[0], bounds[-1]
        if low is not None and high is not None and low > high:
            raise self.fail("scope.target", f"min is above max in {quote(value)}")
        return low, high if len(pair) == 2 else None

    def criterion(self, table: dict[str, Any], name: str) -> Criterion:
        self.unknown(table, ("check", "text", "done", "min", "seconds", "path"), name)
        check = self.text(table, "check", f"{name}.check")
        text = self.text(table, "text", f"{name}.text")
        done = table.get("done", False)
        if not isinstance(done, bool):
            raise self.fail(f"{name}.done", f"must be true or false, not {quote(done)}")
        if check is None and not text:
            raise self.fail(name, "needs `check` (automatic) or `text` (manual)")
        if check is not None and check not in AUTOMATIC_CHECKS:
            raise self.fail(
                f"{name}.check",
                f"unknown check {quote(check)} (known: {', '.join(AUTOMATIC_CHECKS)})",
            )
        minimum = self.integer(table, "min", f"{name}.min")
        seconds = self.number(table, "seconds", f"{name}.seconds")
        if check == "min-tests-added" and (minimum is None or minimum < 0):
            raise self.fail(f"{name}.min", "min-tests-added needs `min`, a whole number >= 0")
        if check == "max-time" and (seconds is None or seconds < 0):
            raise self.fail(f"{name}.seconds", "max-time needs `seconds`, a number >= 0")
        path = self.text(table, "path", f"{name}.path")
        if path is not None and check != "no-function-lost-coverage":
            raise self.fail(f"{name}.path", "only no-function-lost-coverage takes a `path` glob")
        return Criterion(check=check, text=text, done=done, min=minimum, seconds=seconds, path=path)

    def patch(self, table: Any) -> float | None:
        if table is None:
            return None
        if not isinstance(table, dict):
            raise self.fail("patch", f"must be a table ([patch]), not {quote(table)}")
        self.unknown(table, ("min",), "patch")
        minimum = self.percent(table, "min", "patch.min")
        if minimum is None:
            raise self.fail("patch.min", "missing (the least share of changed lines covered)")
        return minimum

    def history(self, table: Any) -> HistoryRules | None:
        if table is None:
            return None
        if not isinstance(table, dict):
            raise self.fail("history", f"must be a table ([history]), not {quote(table)}")
        self.unknown(table, ("runs", "slower_percent", "slower_seconds"), "history")
        rules = HistoryRules()
        runs = self.integer(table, "runs", "history.runs")
        if runs is not None and not 0 <= runs <= MAX_HISTORY_RUNS:
            raise self.fail("history.runs", f"must be 0 to {MAX_HISTORY_RUNS}, not {quote(runs)}")
        share = self.number(table, "slower_percent", "history.slower_percent")
        seconds = self.number(table, "slower_seconds", "history.slower_seconds")
        for name, value in (("slower_percent", share), ("slower_seconds", seconds)):
            if value is not None and value < 0:
                raise self.fail(f"history.{name}", f"must be 0 or more, not {value:g}")
        return HistoryRules(
            runs=rules.runs if runs is None else runs,
            slower_percent=rules.slower_percent if share is None else share,
            slower_seconds=rules.slower_seconds if seconds is None else seconds,
        )

    def inputs(self, table: Any, base_dir: PurePath) -> Inputs:
        if table is None:
            return Inputs()
        if not isinstance(table, dict):
            raise self.fail("inputs", f"must be a table ([inputs]), not {quote(table)}")
        self.unknown(table, _INPUT_KEYS, "inputs")

        def paths(key: str) -> tuple[str, ...]:
            return tuple(str(base_dir / p) for p in self.strings(table, key, f"inputs.{key}"))

        root = self.text(table, "source_root", "inputs.source_root")
        diff = self.text(table, "diff", "inputs.diff")
        if diff is not None and diff != "-":
            diff = str(base_dir / diff)
        diff_base = self.text(table, "diff_base", "inputs.diff_base")
        previous = table.get("before") == "previous"
        return Inputs(
            before=() if previous else paths("before"),
            before_previous=previous,
            after=paths("after"),
            junit=paths("junit"),
            junit_before=paths("junit_before"),
            source_root=None if root is None else str(base_dir / root),
            diff=diff,
            diff_base=diff_base,
        )
