"""Select the test suite as it stood at one state of the example milestone.

Tests that a step added carry ``@pytest.mark.step(N)``. With ``EXAMPLE_STATE=K``
only the tests of steps up to K run (state 0 is the suite before step 1); the
rest are deselected, so they appear in no report. Unset, every test runs.
"""

import os
from pathlib import Path

import pytest

STATE_VARIABLE = "EXAMPLE_STATE"

# Test files that a step created. Collecting a file imports the module it tests,
# which would count that module's top-level lines as covered in states where the
# file did not exist yet, so before its step such a file is not collected at all.
FILES_ADDED_BY_STEP = {"tests/shadow/test_run_shadow.py": 2}


def _state() -> int | None:
    raw = os.environ.get(STATE_VARIABLE, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise pytest.UsageError(f"{STATE_VARIABLE}={raw!r}: expected a state number such as 0")
    return int(raw)


def _step(item: pytest.Item) -> int:
    marker = item.get_closest_marker("step")
    if marker is None:
        return 0
    if len(marker.args) != 1 or not isinstance(marker.args[0], int):
        raise pytest.UsageError(f"{item.nodeid}: use @pytest.mark.step(N) with one whole number")
    return marker.args[0]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "step(n): added by step n of the milestone; deselected while EXAMPLE_STATE < n"
    )


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    state = _state()
    if state is None or not collection_path.is_relative_to(config.rootpath):
        return None
    step = FILES_ADDED_BY_STEP.get(collection_path.relative_to(config.rootpath).as_posix())
    return True if step is not None and step > state else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    state = _state()
    if state is None:
        return
    deselected = [item for item in items if _step(item) > state]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if _step(item) <= state]
