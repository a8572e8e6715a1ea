"""Shared test options: `pytest --regen-golden` rewrites golden files (review the diff)."""

from __future__ import annotations

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


@pytest.fixture(autouse=True)
def template_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Compiled templates go to one folder of the test session, not into the package: a
    checkout's leftovers never decide a test run in process. (Tests that run reportgen in a
    subprocess set PYTHONDONTWRITEBYTECODE.)"""
    folder = tmp_path_factory.getbasetemp() / "template-cache"
    monkeypatch.setattr("reportgen.outputs.render.template_cache_dir", lambda: folder)
    return folder
