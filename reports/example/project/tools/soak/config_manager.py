"""Layered configuration for soak runs, with the source of every value tracked.

Precedence, lowest first:

1. built-in defaults, optionally patched by a JSON file named in
   ``SOAK_DEFAULT_OVERRIDES``;
2. the named profile, after the profiles it falls back to (an alias such as
   ``steady_safe`` names a profile, and a profile may name a ``fallback``);
3. environment variables, ``SOAK_CFG__QUOTING__LEVELS=4``;
4. CLI overrides, ``quoting.levels=4``.

Every leaf remembers the layer that set it last in ``_sources`` (dotted key ->
layer), so a soak report can say why a parameter has the value it has.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ENV_PREFIX = "SOAK_CFG__"
DEFAULT_OVERRIDES_ENV = "SOAK_DEFAULT_OVERRIDES"
RUNTIME_OVERRIDES_PATH = Path("artifacts/soak/latest/runtime_overrides.json")

DEFAULTS: dict[str, Any] = {
    "quoting": {"base_spread_bps": 1.5, "min_interval_ms": 60, "levels": 3, "tail_age_ms": 800},
    "risk": {"max_inventory_pct": 5.0, "drawdown_hard_pct": 2.0, "max_order_notional": 250.0},
    "latency": {"p95_budget_ms": 350, "replace_threshold_bps": 0.4},
    "soak": {"iterations": 24, "sleep_seconds": 300, "mock": True},
}

PROFILES: dict[str, dict[str, Any]] = {
    "maker_bias_uplift_v1": {
        "quoting": {"base_spread_bps": 1.2, "levels": 4},
        "latency": {"replace_threshold_bps": 0.3},
    },
    "warmup_conservative_v1": {
        "fallback": "maker_bias_uplift_v1",
        "quoting": {"base_spread_bps": 2.0, "min_interval_ms": 90},
        "risk": {"max_inventory_pct": 3.0},
    },
    "latency_tight_v2": {
        "latency": {"p95_budget_ms": 250},
        "quoting": {"tail_age_ms": 600},
    },
}

ALIASES: dict[str, str] = {
    "steady_safe": "warmup_conservative_v1",
    "steady": "steady_safe",
    "fast": "latency_tight_v2",
}


class ConfigError(ValueError):
    """A configuration input that cannot be used as given."""


def _coerce(raw: str) -> Any:
    """Read an override as JSON when it parses (numbers, booleans), else as text."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _set_path(target: dict[str, Any], keys: list[str], value: Any, origin: str) -> None:
    """Set ``target[k1][k2]...[kn] = value``, creating the sections on the way."""
    node = target
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{origin}: {'.'.join(keys)} runs through the value at {key!r}")
        node = child
    node[keys[-1]] = value


def _deep_merge(
    base: dict[str, Any],
    overlay: Mapping[str, Any],
    sources: dict[str, str],
    layer: str,
    prefix: str = "",
) -> dict[str, Any]:
    """Merge ``overlay`` into a copy of ``base``, recording ``layer`` for each leaf it sets."""
    merged = copy.deepcopy(base)
    for key, value in overlay.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            if not isinstance(merged.get(key), dict):
                # A section replaces a value: the value's source goes with it.
                sources.pop(dotted, None)
                merged[key] = {}
            merged[key] = _deep_merge(merged[key], value, sources, layer, f"{dotted}.")
        else:
            # A value replaces a section: the section's leaves go, with their sources.
            for stale in [leaf for leaf in sources if leaf.startswith(f"{dotted}.")]:
                del sources[stale]
            merged[key] = copy.deepcopy(value)
            sources[dotted] = layer
    return merged


def _load_default_overrides(path: str | os.PathLike[str] | None) -> dict[str, Any]:
    """The patch for the built-in defaults from a JSON file; empty when there is none."""
    if not path or not Path(path).is_file():
        return {}
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read default overrides ({exc})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: default overrides must be a JSON object")
    return data


def _parse_env_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """Nested overrides from ``SOAK_CFG__SECTION__KEY`` variables (names lower-cased)."""
    overrides: dict[str, Any] = {}
    # Sorted, so that a conflict is reported the same way on every run.
    for name in sorted(environ):
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        if not all(keys):
            raise ConfigError(f"{name}: empty key segment in environment override")
        _set_path(overrides, keys, _coerce(environ[name]), name)
    return overrides


def _parse_cli_overrides(pairs: Iterable[str]) -> dict[str, Any]:
    """Nested overrides from ``section.key=value`` pairs."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        dotted, sep, raw = pair.partition("=")
        keys = dotted.strip().split(".")
        if not sep or not all(keys):
            raise ConfigError(f"--set {pair!r}: expected section.key=value")
        _set_path(overrides, keys, _coerce(raw.strip()), f"--set {pair}")
    return overrides


def _json_dump_atomic(path: str | os.PathLike[str], data: Any) -> Path:
    """Write JSON so that readers see the old file or the new one, never half of one."""
    target = Path(path)
    if not target.parent.is_dir():
        target.parent.mkdir(parents=True)
    # The temporary file sits beside the target: os.replace is atomic only
    # within one file system.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return target


def resolve_profile_chain(
    name: str,
    profiles: Mapping[str, Mapping[str, Any]],
    aliases: Mapping[str, str],
) -> list[str]:
    """Profiles to apply for ``name``, the farthest fallback first and ``name``'s own last."""
    seen: list[str] = []
    current = name
    while current in aliases:
        if current in seen:
            raise ConfigError(f"alias cycle: {' -> '.join([*seen, current])}")
        seen.append(current)
        current = aliases[current]
    chain: list[str] = []
    while current is not None:
        if current not in profiles:
            raise ConfigError(f"unknown profile {current!r} (asked for {name!r})")
        if current in chain:
            raise ConfigError(f"fallback cycle: {' -> '.join([*chain, current])}")
        chain.append(current)
        current = profiles[current].get("fallback")
    return chain[::-1]


class ConfigManager:
    """The effective configuration of one soak run, and where each value came from."""

    def __init__(
        self,
        profile: str | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        cli_overrides: Iterable[str] = (),
        defaults_path: str | os.PathLike[str] | None = None,
        profiles: Mapping[str, Mapping[str, Any]] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.profiles = dict(PROFILES if profiles is None else profiles)
        self.aliases = dict(ALIASES if aliases is None else aliases)
        shadowed = sorted(set(self.aliases) & set(self.profiles))
        if shadowed:
            raise ConfigError(f"aliases shadow profiles of the same name: {', '.join(shadowed)}")
        env = os.environ if environ is None else environ
        self.profile = profile
        self.chain = resolve_profile_chain(profile, self.profiles, self.aliases) if profile else []
        self._sources: dict[str, str] = {}
        self.config = self._build(defaults_path, env, list(cli_overrides))

    def _build(
        self, defaults_path: str | os.PathLike[str] | None, env: Mapping[str, str], cli: list[str]
    ) -> dict[str, Any]:
        config = _deep_merge({}, DEFAULTS, self._sources, "defaults")
        patch = _load_default_overrides(defaults_path or env.get(DEFAULT_OVERRIDES_ENV))
        config = _deep_merge(config, patch, self._sources, "defaults-file")
        for name in self.chain:
            layer = {key: value for key, value in self.profiles[name].items() if key != "fallback"}
            config = _deep_merge(config, layer, self._sources, f"profile:{name}")
        config = _deep_merge(config, _parse_env_overrides(env), self._sources, "env")
        return _deep_merge(config, _parse_cli_overrides(cli), self._sources, "cli")

    @property
    def sources(self) -> dict[str, str]:
        """Dotted key -> the layer that set it (a copy)."""
        return dict(self._sources)

    def list_profiles(self, include_aliases: bool = False) -> list[str]:
        """Profile names, sorted; with aliases, also ``alias -> target`` lines."""
        names = sorted(self.profiles)
        if include_aliases:
            for alias, target in sorted(self.aliases.items()):
                if target not in self.profiles and target not in self.aliases:
                    # An alias whose target is gone fails only when used: show it early.
                    target = f"{target} (missing)"
                names.append(f"{alias} -> {target}")
        return names

    def get(self, dotted: str, default: Any = None) -> Any:
        """The value at a dotted key such as ``quoting.levels``, or ``default``."""
        node: Any = self.config
        for key in dotted.split("."):
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    def source_of(self, dotted: str) -> str:
        """The layer that set a leaf, e.g. ``profile:maker_bias_uplift_v1`` or ``env``."""
        if dotted not in self._sources:
            raise KeyError(f"{dotted!r} is not a configured leaf")
        return self._sources[dotted]

    def to_dict(self) -> dict[str, Any]:
        """The configuration with ``_profile``, ``_chain`` and ``_sources`` added."""
        return {
            **copy.deepcopy(self.config),
            "_profile": self.profile,
            "_chain": list(self.chain),
            "_sources": dict(sorted(self._sources.items())),
        }

    def write_runtime_overrides(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Save :meth:`to_dict` for the soak runner to pick up; returns the path written."""
        return _json_dump_atomic(RUNTIME_OVERRIDES_PATH if path is None else path, self.to_dict())


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Show the effective soak configuration.")
    parser.add_argument("--profile", help="profile or alias name")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="K=V")
    parser.add_argument("--list", action="store_true", help="list profiles and aliases")
    parser.add_argument("--write", type=Path, help="also write the runtime overrides here")
    args = parser.parse_args()
    if args.list:
        print("\n".join(ConfigManager(environ={}).list_profiles(include_aliases=True)))
        sys.exit(0)
    try:
        manager = ConfigManager(args.profile, cli_overrides=args.overrides)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    for key, layer in sorted(manager.sources.items()):
        print(f"{key:32} {manager.get(key)!r:>8}  [{layer}]")
    if args.write:
        print(f"wrote {manager.write_runtime_overrides(args.write)}")
