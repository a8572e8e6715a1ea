"""The milestone spec: every key of the SPEC's example, and one clear error per bad value."""

from __future__ import annotations

from pathlib import PurePath

import pytest

from reportgen.errors import SpecError
from reportgen.inputs.spec import parse_spec

EXAMPLE = b"""
milestone = "P0.4 Milestone 3"
step = "Step 1"
title = "config_manager.py"
date = 2025-10-27
goal = "Raise `tools/soak/config_manager.py` coverage from 77% to at least 80%"
tests = "tests/soak/test_config_manager.py"

[[target]]
path = "tools/soak/config_manager.py"
min = 80

[scope]
prefix = "tools/"
target = [12, 15]

[[criteria]]
check = "no-regressions"
[[criteria]]
check = "new-tests-pass"
[[criteria]]
text = "Tests use `tmp_path`, `monkeypatch` for isolation"
done = true

next = ["Step 2: `tools/shadow/run_shadow.py` (0% -> 35-45%)", "Step 5: raise CI gate to 12%"]
notes = "Remaining misses are defensive error paths and the CLI block."

[inputs]
before = "data/before.json"
after = "data/after.json"
junit = ["data/junit.xml"]
junit_before = ["data/junit-before.xml"]
"""


def parse(text: str | bytes):
    data = text.encode() if isinstance(text, str) else text
    return parse_spec(data, "step1.toml", PurePath("reports/m3"))


def test_spec_example_reads_every_key() -> None:
    """The SPEC's example spec is read key for key, inputs resolved against its folder."""
    spec = parse(EXAMPLE)
    assert spec.milestone == "P0.4 Milestone 3"
    assert spec.step == "Step 1"
    assert spec.date == "2025-10-27"
    assert spec.tests == "tests/soak/test_config_manager.py"
    assert [(t.pattern, t.min, t.delta) for t in spec.targets] == [
        ("tools/soak/config_manager.py", 80.0, None)
    ]
    assert (spec.scope.prefix, spec.scope.min, spec.scope.max) == ("tools/", 12.0, 15.0)
    assert [c.check for c in spec.criteria] == ["no-regressions", "new-tests-pass", None]
    assert spec.criteria[2].done is True
    assert spec.next[1] == "Step 5: raise CI gate to 12%"
    assert spec.inputs.before == ("reports/m3/data/before.json",)
    assert spec.inputs.junit_before == ("reports/m3/data/junit-before.xml",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("milestone = 3", "step1.toml: milestone: must be a string, not 3"),
        ('date = "next week"', "step1.toml: date: must be a date like 2025-10-27, not 'next week'"),
        (
            '[[target]]\npath = "a.py"\nmin = 120',
            "step1.toml: target[0].min: must be a percentage from 0 to 100, not 120",
        ),
        (
            '[[target]]\npath = "a.py"',
            "step1.toml: target[0]: target 'a.py' needs `min` or `delta`",
        ),
        (
            '[[criteria]]\ncheck = "no-regresions"',
            "step1.toml: criteria[0].check: unknown check 'no-regresions'",
        ),
        (
            '[[criteria]]\ncheck = "min-tests-added"',
            "step1.toml: criteria[0].min: min-tests-added needs `min`",
        ),
        (
            '[[criteria]]\ntext = "x"\ndone = "yes"',
            "step1.toml: criteria[0].done: must be true or false, not 'yes'",
        ),
        (
            '[scope]\nprefix = "tools/"\ntarget = [15, 12]',
            "step1.toml: scope.target: min is above max in [15, 12]",
        ),
        ('colour = "red"', "step1.toml: colour: unknown key"),
        ('milestone = "unterminated', "step1.toml: invalid TOML"),
        (
            "[inputs]\nbefore = 7",
            "step1.toml: inputs.before: must be a string or a list of strings, not 7",
        ),
    ],
)
def test_bad_spec_names_key_and_value(text: str, message: str) -> None:
    """Each bad spec raises one SpecError line naming the file, the key and the bad value."""
    with pytest.raises(SpecError) as caught:
        parse(text)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_spec_not_utf8() -> None:
    """A spec that is not UTF-8 is refused by name."""
    with pytest.raises(SpecError, match=r"^step1.toml: not UTF-8 text$"):
        parse(b"title = '\xff'")


def test_delta_target_and_single_scope_bound() -> None:
    """A target may ask for a gain instead of a minimum; a scope may have a minimum only."""
    spec = parse('[[target]]\npath = "a.py"\ndelta = 2.5\n[scope]\nprefix = "src/"\ntarget = 40')
    assert (spec.targets[0].min, spec.targets[0].delta) == (None, 2.5)
    assert (spec.scope.min, spec.scope.max) == (40.0, None)
