"""Shared test options: `pytest --regen-golden` rewrites golden files (review the diff)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI machines are shared and noisy: a slow example is not a failure of the property.
settings.register_profile("reportgen", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("reportgen")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="Rewrite tests/golden/ from the current output instead of comparing.",
    )


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--regen-golden"))


@pytest.fixture(scope="session", autouse=True)
def private_template_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Runs under test keep compiled templates in a folder of their own, not in ~/.cache."""
    folder = tmp_path_factory.mktemp("template-cache")
    previous = os.environ.get("REPORTGEN_CACHE_DIR")
    os.environ["REPORTGEN_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        del os.environ["REPORTGEN_CACHE_DIR"]
    else:
        os.environ["REPORTGEN_CACHE_DIR"] = previous
