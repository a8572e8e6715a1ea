"""Tests of the layered soak configuration."""

import json
import os

import pytest
from tools.soak import config_manager
from tools.soak.config_manager import ConfigError, ConfigManager


def test_defaults_only_without_profile():
    """Without a profile or overrides every value is the built-in default."""
    manager = ConfigManager(environ={})

    assert manager.get("quoting.levels") == 3
    assert manager.get("soak.mock") is True
    assert set(manager.sources.values()) == {"defaults"}
    assert manager.chain == []


def test_profile_overrides_only_its_keys():
    """A profile changes the keys it names and leaves the other defaults alone."""
    manager = ConfigManager("maker_bias_uplift_v1", environ={})

    assert manager.get("quoting.base_spread_bps") == 1.2
    assert manager.source_of("quoting.base_spread_bps") == "profile:maker_bias_uplift_v1"
    assert manager.get("quoting.min_interval_ms") == 60
    assert manager.source_of("quoting.min_interval_ms") == "defaults"


def test_env_override_is_coerced_from_text():
    """An environment override is read as JSON, so numbers and booleans keep their type."""
    environ = {"SOAK_CFG__QUOTING__LEVELS": "5", "SOAK_CFG__SOAK__MOCK": "false", "HOME": "/h"}

    manager = ConfigManager(environ=environ)

    assert manager.get("quoting.levels") == 5
    assert manager.get("soak.mock") is False
    assert manager.source_of("quoting.levels") == "env"


def test_cli_override_wins_over_env():
    """A CLI override beats an environment override of the same key."""
    manager = ConfigManager(
        environ={"SOAK_CFG__QUOTING__LEVELS": "5"}, cli_overrides=["quoting.levels=7"]
    )

    assert manager.get("quoting.levels") == 7
    assert manager.source_of("quoting.levels") == "cli"


def test_cli_override_keeps_text_that_is_not_json():
    """A CLI value that is not JSON stays a string."""
    manager = ConfigManager(environ={}, cli_overrides=["soak.label = night run"])

    assert manager.get("soak.label") == "night run"


def test_unknown_profile_is_rejected():
    """Asking for a profile that does not exist names it in the error."""
    with pytest.raises(ConfigError, match="unknown profile 'no_such_profile'"):
        ConfigManager("no_such_profile", environ={})


def test_cli_override_without_equals_is_rejected():
    """A CLI override must have the form section.key=value."""
    with pytest.raises(ConfigError, match="expected section.key=value"):
        ConfigManager(environ={}, cli_overrides=["quoting.levels"])


def test_list_profiles_is_sorted():
    """Profiles are listed by name, aliases left out by default."""
    manager = ConfigManager(environ={})

    assert manager.list_profiles() == [
        "latency_tight_v2",
        "maker_bias_uplift_v1",
        "warmup_conservative_v1",
    ]


def test_list_profiles_with_aliases():
    """With aliases, each alias is listed after the profiles with its target."""
    manager = ConfigManager(environ={})

    assert manager.list_profiles(include_aliases=True)[3:] == [
        "fast -> latency_tight_v2",
        "steady -> steady_safe",
        "steady_safe -> warmup_conservative_v1",
    ]


def test_get_returns_default_for_missing_key():
    """A key that is not configured gives the caller's default."""
    manager = ConfigManager(environ={})

    assert manager.get("quoting.no_such_key", default=-1) == -1
    assert manager.get("quoting.levels.deeper") is None


def test_source_of_unknown_key_is_a_key_error():
    """Asking for the source of a key that is not a leaf raises KeyError."""
    manager = ConfigManager(environ={})

    with pytest.raises(KeyError, match="'quoting' is not a configured leaf"):
        manager.source_of("quoting")


def test_default_overrides_file_patches_defaults(tmp_path, monkeypatch):
    """A JSON file named in SOAK_DEFAULT_OVERRIDES patches the defaults under its own layer."""
    patch = tmp_path / "defaults.json"
    patch.write_text(json.dumps({"soak": {"iterations": 48}}), encoding="utf-8")
    monkeypatch.setenv("SOAK_DEFAULT_OVERRIDES", str(patch))

    manager = ConfigManager()

    assert manager.get("soak.iterations") == 48
    assert manager.source_of("soak.iterations") == "defaults-file"
    assert manager.source_of("soak.sleep_seconds") == "defaults"


def test_runtime_overrides_written_as_json(tmp_path):
    """The runtime overrides file holds the configuration, its profile chain and its sources."""
    manager = ConfigManager("maker_bias_uplift_v1", environ={})

    written = manager.write_runtime_overrides(tmp_path / "overrides.json")

    saved = json.loads(written.read_text(encoding="utf-8"))
    assert saved["_chain"] == ["maker_bias_uplift_v1"]
    assert saved["quoting"]["levels"] == 4
    assert saved["_sources"]["quoting.levels"] == "profile:maker_bias_uplift_v1"
    assert os.listdir(tmp_path) == ["overrides.json"]


@pytest.mark.step(1)
def test_profile_alias_resolution():
    """An alias resolves through the fallback chain, and each key keeps the profile that set it."""
    manager = ConfigManager("steady_safe", environ={})

    assert manager.chain == ["maker_bias_uplift_v1", "warmup_conservative_v1"]
    assert manager.get("quoting.levels") == 4
    assert manager.source_of("quoting.levels") == "profile:maker_bias_uplift_v1"
    assert manager.get("quoting.base_spread_bps") == 2.0
    assert manager.source_of("quoting.base_spread_bps") == "profile:warmup_conservative_v1"
    assert ConfigManager("steady", environ={}).chain == manager.chain


@pytest.mark.step(1)
@pytest.mark.parametrize(
    ("profile", "environ", "cli", "expected_spread", "expected_source"),
    [
        pytest.param(None, {}, [], 1.5, "defaults", id="defaults-only"),
        pytest.param(
            "warmup_conservative_v1",
            {},
            [],
            2.0,
            "profile:warmup_conservative_v1",
            id="defaults-profile",
        ),
        pytest.param(
            "warmup_conservative_v1",
            {"SOAK_CFG__QUOTING__BASE_SPREAD_BPS": "2.5"},
            [],
            2.5,
            "env",
            id="defaults-profile-env",
        ),
        pytest.param(
            "warmup_conservative_v1",
            {"SOAK_CFG__QUOTING__BASE_SPREAD_BPS": "2.5"},
            ["quoting.base_spread_bps=3.0"],
            3.0,
            "cli",
            id="full-chain",
        ),
    ],
)
def test_deep_merge_layers_parameterized(profile, environ, cli, expected_spread, expected_source):
    """Each precedence layer beats the ones below it, and the source names the winner."""
    manager = ConfigManager(profile, environ=environ, cli_overrides=cli)

    assert manager.get("quoting.base_spread_bps") == expected_spread
    assert manager.source_of("quoting.base_spread_bps") == expected_source
    assert manager.get("risk.drawdown_hard_pct") == 2.0


@pytest.mark.step(1)
def test_sources_tracking_integrity_nested_keys():
    """_sources names exactly the leaves of the configuration, also after sections change shape."""
    manager = ConfigManager(
        "latency_tight_v2",
        environ={"SOAK_CFG__ALERTS__SLACK__CHANNEL": '"#soak"'},
        cli_overrides=["latency=off"],
    )

    def leaves(node, prefix=""):
        for key, value in node.items():
            if isinstance(value, dict):
                yield from leaves(value, f"{prefix}{key}.")
            else:
                yield f"{prefix}{key}"

    assert sorted(manager.sources) == sorted(leaves(manager.config))
    assert manager.source_of("alerts.slack.channel") == "env"
    assert manager.source_of("latency") == "cli"
    assert manager.to_dict()["_sources"]["latency"] == "cli"


@pytest.mark.step(1)
def test_atomic_write_error_path_cleanup(tmp_path, monkeypatch):
    """When the final rename fails, the error propagates and no temporary file is left."""
    target = tmp_path / "runtime_overrides.json"

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config_manager.os, "replace", refuse)

    with pytest.raises(OSError, match="No space left on device"):
        config_manager._json_dump_atomic(target, {"quoting": {"levels": 3}})
    assert os.listdir(tmp_path) == []


@pytest.mark.step(1)
def test_runtime_overrides_path_parent_dirs_created(tmp_path, monkeypatch):
    """The default runtime overrides path is created with its parent directories."""
    monkeypatch.chdir(tmp_path)
    manager = ConfigManager("fast", environ={}, cli_overrides=["soak.iterations=6"])

    written = manager.write_runtime_overrides()

    assert written == config_manager.RUNTIME_OVERRIDES_PATH
    saved = json.loads((tmp_path / "artifacts/soak/latest/runtime_overrides.json").read_text())
    assert saved["_profile"] == "fast"
    assert saved["_chain"] == ["latency_tight_v2"]
    assert saved["soak"]["iterations"] == 6
    assert saved["_sources"]["soak.iterations"] == "cli"
    assert sorted(os.listdir(tmp_path / "artifacts/soak/latest")) == ["runtime_overrides.json"]
